"""User search text -> a safe SQLite FTS5 MATCH expression, and snippets of the original.

Supported syntax: words (all required), "quoted phrases", ``OR`` / ``أو`` between two
words or phrases, and ``-word`` / ``-"phrase"`` to exclude. Everything else (``*``,
``NEAR(``, ``:``, ``^``, brackets, stray quotes, SQL) is not syntax: only the words in it
are searched. Every word goes through ``term_keys`` and reaches FTS5 double-quoted, so
FTS5 keywords (AND OR NOT NEAR) typed as words stay words and the expression can never
make FTS5 raise (https://www.sqlite.org/fts5.html#full_text_query_syntax).

Pure Python: ``newsarchive.archive`` runs the SQL.
"""

from __future__ import annotations

import html
import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from newsarchive.arabic.bidi import balance_bidi
from newsarchive.arabic.normalize import surface_term_key, term_key, term_keys, tokenize

__all__ = ["Query", "QueryError", "highlight", "parse_query", "snippet"]

logger = logging.getLogger(__name__)

# FTS5 nests AND/OR into a tree whose depth it caps (SQLITE_FTS5_MAX_EXPR_DEPTH, 256);
# far below that, a query is a pasted paragraph rather than a search.
MAX_WORDS = 64
OR_WORDS = {"OR", "أو", "او"}
AND_WORDS = {"AND"}
_COLUMN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A chunk: a quoted run (closed or not), or a run of non-space, non-quote characters.
_CHUNK_RE = re.compile(r'(-?)"([^"]*)("?)|(\S+?)(?=\s|"|$)')


class QueryError(ValueError):
    """The search text has nothing that can be searched for."""


@dataclass(frozen=True)
class Operand:
    """One word (its alternative keys, any of which may match) or one phrase (keys in
    order, each word's first key). ``surface`` holds the same word(s) unstemmed."""

    keys: tuple[str, ...]
    phrase: bool = False
    surface: tuple[str, ...] = ()

    def expression(self, columns: str = "", surface_columns: str = "") -> str:
        if self.phrase:
            stems = _quote(" ".join(self.keys))
        elif len(self.keys) == 1:
            stems = _quote(self.keys[0])
        else:
            stems = "(" + " OR ".join(_quote(key) for key in self.keys) + ")"
        if not surface_columns or not self.surface:
            return f"{columns} : {stems}" if columns else stems
        # The stems decide what matches; the exact form, in its own columns, only adds
        # to bm25, so the article using the very form typed ranks first.
        forms = _quote(" ".join(self.surface))
        return f"({columns} : {stems} OR {surface_columns} : {forms})"


@dataclass(frozen=True)
class Query:
    """A parsed query: ``clauses`` are ANDed, the operands inside a clause ORed, and
    ``excluded`` operands must not match."""

    text: str
    clauses: tuple[tuple[Operand, ...], ...]
    excluded: tuple[Operand, ...] = field(default=())

    @property
    def terms(self) -> set[str]:
        """Keys to highlight: every key of every searched word and phrase word."""
        return {key for clause in self.clauses for operand in clause for key in operand.keys}

    @property
    def phrases(self) -> list[tuple[str, ...]]:
        return [op.keys for clause in self.clauses for op in clause if op.phrase]

    def fts_expression(
        self,
        columns: Sequence[str] | None = None,
        surface_columns: Sequence[str] | None = None,
    ) -> str:
        """The MATCH string. ``columns`` restricts it to those FTS columns (holding
        ``search_key``); ``surface_columns`` names columns holding ``surface_key`` of
        the same fields, whose matches only raise the rank (both lists are needed)."""
        if surface_columns and not columns:
            raise ValueError("surface_columns needs columns: the stems' columns")
        cols = _column_filter(columns)
        surface = _column_filter(surface_columns)
        parts = []
        for clause in self.clauses:
            inner = " OR ".join(operand.expression(cols, surface) for operand in clause)
            parts.append(f"({inner})" if len(clause) > 1 else inner)
        expression = " AND ".join(parts)
        if self.excluded:
            excluded = " OR ".join(operand.expression(cols) for operand in self.excluded)
            expression = f"({expression}) NOT ({excluded})"
        return expression


def _column_filter(columns: Sequence[str] | None) -> str:
    if not columns:
        return ""
    for column in columns:
        if not _COLUMN_RE.match(column):
            raise ValueError(f"not a column name: {column!r}")
    return "{" + " ".join(columns) + "}"


def _quote(keys: str) -> str:
    # FTS5 strings: a double quote inside is written twice. Keys hold only word
    # characters, so this is belt and braces.
    return '"' + keys.replace('"', '""') + '"'


def _operand(text: str, phrase: bool) -> Operand | None:
    words = [word for word, _, _ in tokenize(text)]
    surface = tuple(key for word in words for key in surface_term_key(word).split())
    if phrase or len(words) != 1:
        # A phrase, or a chunk such as title:foo or a-b that holds several words: FTS5
        # phrases have no OR inside, so each word contributes its main key.
        keys = tuple(key for word in words for key in term_key(word).split())
        if not keys:
            return None
        return Operand(keys, phrase=len(keys) > 1, surface=surface)
    keys = term_keys(words[0])
    return Operand(keys, surface=surface) if keys else None


def _chunks(text: str) -> list[tuple[str, str, bool, bool]]:
    """(raw chunk, its text, is a phrase, is excluded) in order."""
    chunks = []
    for match in _CHUNK_RE.finditer(text):
        minus, quoted, closing, bare = match.groups()
        if bare is None and closing:
            chunks.append((match.group(), quoted, True, bool(minus)))
        elif bare is None:
            # An unclosed quote is a typo, not a phrase to the end: search its words.
            chunks.extend((piece, piece, False, False) for piece in quoted.split())
        elif bare.startswith("-") and len(bare) > 1:
            chunks.append((bare, bare[1:], False, True))
        else:
            chunks.append((bare, bare, False, False))
    return chunks


def parse_query(text: str) -> Query:
    """Parse search text; raises ``QueryError`` when there is nothing to search for."""
    items: list[tuple[str, Operand | None, bool]] = []  # (raw, operand, excluded)
    for raw, body, phrase, excluded in _chunks(text):
        items.append((raw, _operand(body, phrase), excluded))

    clauses: list[list[Operand]] = []
    excluded_ops: list[Operand] = []
    pending_or = False
    for index, (raw, operand, excluded) in enumerate(items):
        is_operator_word = raw in OR_WORDS or raw in AND_WORDS
        if is_operator_word and clauses and _next_operand(items, index) is not None:
            # Between two operands it is an operator; anywhere else it is a word.
            pending_or = raw in OR_WORDS
            continue
        if operand is None:
            continue
        if excluded:
            excluded_ops.append(operand)
            pending_or = False
        elif pending_or:
            clauses[-1].append(operand)
            pending_or = False
        else:
            clauses.append([operand])

    if not clauses:
        if excluded_ops:
            raise QueryError("the query only excludes words; add at least one word to search for")
        raise QueryError(
            "the query has no words to search for; type at least one Arabic or Latin word"
        )
    operands = [op for clause in clauses for op in clause] + excluded_ops
    if sum(len(op.surface) or 1 for op in operands) > MAX_WORDS:
        raise QueryError(f"the query is too long; use at most {MAX_WORDS} words")
    query = Query(text, tuple(tuple(clause) for clause in clauses), tuple(excluded_ops))
    logger.debug("query %r -> %s", text, query.fts_expression())
    return query


def _next_operand(items: list[tuple[str, Operand | None, bool]], index: int) -> Operand | None:
    for _raw, operand, excluded in items[index + 1 :]:
        if operand is not None:
            return None if excluded else operand
    return None


# ---------------------------------------------------------------- snippets of the original


def _matches(
    text: str, terms: set[str], words: list[tuple[str, int, int]] | None = None
) -> list[tuple[int, int]]:
    spans = []
    for word, start, end in tokenize(text) if words is None else words:
        key = term_key(word)
        if key and (key in terms or any(part in terms for part in key.split())):
            spans.append((start, end))
    return spans


def _render(
    text: str,
    spans: Iterable[tuple[int, int]],
    start: int,
    end: int,
    mark: tuple[str, str],
    escape: bool,
) -> str:
    def show(segment: str) -> str:
        return html.escape(segment) if escape else segment

    out = []
    position = start
    for span_start, span_end in spans:
        out.append(show(text[position:span_start]))
        out.append(mark[0] + show(text[span_start:span_end]) + mark[1])
        position = span_end
    out.append(show(text[position:end]))
    return "".join(out)


def highlight(
    original_text: str,
    query: Query,
    *,
    mark: tuple[str, str] = ("<mark>", "</mark>"),
    escape: bool = True,
) -> str:
    """The whole text (a title) with every matching word wrapped in ``mark``, its bidi
    controls balanced so none reaches past it (newsarchive.arabic.bidi)."""
    spans = _matches(original_text, query.terms)
    return balance_bidi(_render(original_text, spans, 0, len(original_text), mark, escape))


def snippet(
    original_text: str,
    query: Query,
    *,
    width: int = 200,
    mark: tuple[str, str] = ("<mark>", "</mark>"),
    escape: bool = True,
) -> str:
    """About ``width`` characters of the ORIGINAL text around the densest cluster of
    matching words, which are wrapped in ``mark``; "…" marks each cut end. Newlines and
    runs of spaces are shown as one space. Bidi controls are balanced, paragraph by
    paragraph, so an override opened in the text (or cut off from its closer) ends
    inside the snippet (newsarchive.arabic.bidi)."""
    text = original_text
    words = tokenize(text)  # once: both the matches and the window's edges need it
    spans = _matches(text, query.terms, words)
    if len(text) <= width:
        start, end = 0, len(text)
    elif spans:
        # The window start (at a match) that covers the most matches within width.
        ends = [span_end for _, span_end in spans]
        best, best_count = 0, 0
        for i, (span_start, _) in enumerate(spans):
            # At least the match itself, even a single word longer than width.
            count = max(1, bisect_right(ends, span_start + width) - i)
            if count > best_count:
                best, best_count = i, count
        last = spans[best + best_count - 1][1]
        slack = max(0, width - (last - spans[best][0]))
        start = max(0, spans[best][0] - slack // 3)
        end = min(len(text), start + width)
    else:
        start, end = 0, width
    start, end = _snap(text, start, end, words)
    inside = [span for span in spans if span[0] >= start and span[1] <= end]
    body = balance_bidi(_render(text, inside, start, end, mark, escape))
    body = " ".join(body.split())
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


def _snap(text: str, start: int, end: int, words: list[tuple[str, int, int]]) -> tuple[int, int]:
    """Move the window's ends to word boundaries so no word is cut in half."""
    starts = [word_start for _, word_start, _ in words]
    if start > 0:
        i = bisect_left(starts, start)
        # Start inside a word: begin at the next word instead.
        if i > 0 and words[i - 1][2] > start:
            start = words[i][1] if i < len(words) else end
    if end < len(text):
        i = bisect_left(starts, end)
        if i > 0 and words[i - 1][2] > end:
            # End inside a word: stop before it, unless it is the window's only word.
            _, word_start, word_end = words[i - 1]
            end = word_start if word_start > start else word_end
    return start, max(start, end)
