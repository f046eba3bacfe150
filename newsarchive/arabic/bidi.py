"""Explicit bidi controls in text we show: every one opened is closed where it was meant to.

A title holding an unclosed right-to-left override (U+202E) reverses whatever a page or a
terminal prints after it on the same line: the date, the source, the next column ("Trojan
Source", CVE-2021-42574). Stored text is never altered (DESIGN.md); text is balanced
where it is shown: search snippets and highlighted titles (``newsarchive.query``), the
CLI's search table and the Datasette pages. The pairs and their scope follow the Unicode
Bidirectional Algorithm, UAX #9 rules X1-X8 (https://www.unicode.org/reports/tr9/):
embeddings and overrides (LRE RLE LRO RLO) close with PDF, isolates (LRI RLI FSI) with
PDI, a PDI also closes the embeddings opened inside its isolate, and a paragraph
separator ends them all. Marks (LRM U+200E, RLM U+200F, ALM U+061C) open nothing and
stay as they are.
"""

from __future__ import annotations

import re

__all__ = ["BIDI_CONTROLS", "balance_bidi"]

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
_EMBEDDINGS = frozenset((LRE, RLE, LRO, RLO))
_ISOLATES = frozenset((LRI, RLI, FSI))
# Bidi class B (paragraph separators): each ends every embedding and isolate (UAX #9, X8).
_PARAGRAPH_ENDS = frozenset("\n\r\x1c\x1d\x1e\x85\u2029")

BIDI_CONTROLS = "".join(sorted(_EMBEDDINGS | _ISOLATES | {PDF, PDI}))
_ANY = re.compile(f"[{BIDI_CONTROLS}]")
_WORK = re.compile(f"[{BIDI_CONTROLS}\n\r\x1c\x1d\x1e\x85\u2029]")


def _closers(stack: list[str]) -> str:
    return "".join(PDI if opener in _ISOLATES else PDF for opener in reversed(stack))


def balance_bidi(text: str) -> str:
    """``text`` with every explicit embedding, override and isolate closed before the end
    of its paragraph and of the text, and every PDF or PDI that closes nothing dropped.

    Text without those controls comes back as the same object (the common case costs one
    regex scan). Balanced text comes back unchanged, so applying it twice, or again after
    cutting a balanced text short, is safe.
    """
    if not _ANY.search(text):
        return text
    out: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _WORK.finditer(text):
        char = match.group()
        out.append(text[position : match.start()])
        position = match.end()
        if char in _EMBEDDINGS or char in _ISOLATES:
            stack.append(char)
            out.append(char)
        elif char == PDF:
            # Closes the innermost embedding, never across an open isolate (X7).
            if stack and stack[-1] in _EMBEDDINGS:
                stack.pop()
                out.append(char)
        elif char == PDI:
            # Closes the innermost open isolate and the embeddings inside it (X6a).
            isolate = next(
                (i for i in range(len(stack) - 1, -1, -1) if stack[i] in _ISOLATES), None
            )
            if isolate is not None:
                out.append(_closers(stack[isolate + 1 :]) + char)
                del stack[isolate:]
        else:  # a paragraph separator
            out.append(_closers(stack) + char)
            stack.clear()
    out.append(text[position:])
    out.append(_closers(stack))
    return "".join(out)
