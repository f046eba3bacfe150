"""Word-level diffs of two Arabic texts, for people: what a revision changed (issue 8).

``diff_texts(old, new)`` splits both texts into paragraphs (one per non-blank line, as the
archive stores them and the article page shows them) and words, keeping punctuation as
tokens of its own. Words are compared on a key, ``newsarchive.arabic.normalize.normalize``
(tashkeel, tatweel, hamza seats on alef, ى/ي, ة/ه, Arabic digits, case), so a change of
spelling alone neither mis-aligns the diff nor reads as a rewrite: it is a "minor" run,
shown apart. What is shown is always the original words.

The comparison is the standard library's ``difflib.SequenceMatcher`` with autojunk off
(its Ratcliff-Obershelp matching keeps long runs of words together, which reads better
than a minimal edit script that pairs up stray common words such as في and من). It runs
twice: on whole paragraphs first, then word by word inside each block of changed
paragraphs, so an unchanged paragraph never costs a word comparison. Its worst case is
quadratic; ``_opcodes`` trims the common head and tail first and guards the rest (see
``_MATCH_BUDGET``), so pathological input stays fast (bench/bench_worddiff.py).

``render_html`` marks additions with ``<ins>`` and removals with ``<del>``, escapes
every word (the texts are third-party), balances bidi controls in each marked span
(``newsarchive.arabic.bidi``), and collapses long unchanged stretches around the changes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal, NamedTuple

from markupsafe import Markup, escape

from newsarchive.arabic.bidi import balance_bidi
from newsarchive.arabic.normalize import WORD_RE, normalize

__all__ = [
    "Paragraph",
    "Run",
    "TextDiff",
    "Token",
    "count_ar",
    "diff_texts",
    "render_html",
    "render_inline",
    "summary_html",
    "tokenize",
]

RunKind = Literal["equal", "minor", "insert", "delete", "replace"]
Opcode = tuple[str, int, int, int, int]

# A word (letters and digits with their tashkeel and tatweel, as the search index reads
# words) or any other single visible character (punctuation, symbols, bidi controls),
# with the whitespace before it.
_TOKEN_RE = re.compile(rf"(\s*)(?:({WORD_RE.pattern})|(\S))")


class Token(NamedTuple):
    """One word or punctuation mark of a paragraph, as written."""

    text: str
    key: str  # what is compared: the normalised word
    space: str  # the whitespace before it in its paragraph ("" first in a paragraph)
    is_word: bool


# Between paragraphs inside a block of changed paragraphs; its key is no word's key.
_BREAK = Token("\n", "\n", "", False)


@dataclass(frozen=True)
class Run:
    """Consecutive tokens with one fate. ``equal`` and ``minor`` runs have as many
    ``old`` as ``new`` tokens, with equal keys (``minor``: some differ in writing)."""

    kind: RunKind
    old: tuple[Token, ...] = ()
    new: tuple[Token, ...] = ()


@dataclass
class Paragraph:
    """One paragraph of the diff. ``break_change`` is "added" where only the new text
    starts a new paragraph after this one, "removed" where only the old text did."""

    runs: list[Run] = field(default_factory=list)
    break_change: Literal["added", "removed"] | None = None

    @property
    def changed(self) -> bool:
        return self.break_change is not None or any(run.kind != "equal" for run in self.runs)

    @property
    def words(self) -> int:
        """Words shown (the new text's, or the old text's where it was removed)."""
        return sum(_words(run.new or run.old) for run in self.runs)


@dataclass
class TextDiff:
    """The diff of two texts, paragraph by paragraph, with its counts of words."""

    paragraphs: list[Paragraph]
    added: int = 0
    removed: int = 0
    minor: int = 0  # words whose writing alone changed (tashkeel, hamza, digits...)

    @property
    def changed(self) -> bool:
        return any(paragraph.changed for paragraph in self.paragraphs)


def _words(tokens: Iterable[Token]) -> int:
    return sum(1 for token in tokens if token.is_word)


def tokenize(paragraph: str) -> list[Token]:
    """The words and punctuation of one paragraph with their keys."""
    tokens = []
    for match in _TOKEN_RE.finditer(paragraph):
        text = match[2] or match[3]
        tokens.append(Token(text, normalize(text), match[1], match[2] is not None))
    return tokens


def _paragraphs(text: str | None) -> list[list[Token]]:
    # One paragraph per non-blank line, as ``newsarchive.web.plugin.paragraphs`` shows them.
    return [tokenize(line.strip()) for line in (text or "").splitlines() if line.strip()]


# --- matching --------------------------------------------------------------------------

# SequenceMatcher's find_longest_match visits, for each element of ``a``, every position
# of that element in ``b``: the sum of those counts is the work of one pass, and a pass is
# repeated on each side of every match found. Natural text is far below this budget even
# for 10,000 words rewritten throughout (frequent words are a few per cent of a text);
# input made of a few words repeated thousands of times is over it, and is matched with
# autojunk on, difflib's own guard for long sequences: elements making up more than 1%
# of ``b`` start no match, which keeps a pass near-linear (bench/bench_worddiff.py).
_MATCH_BUDGET = 4_000_000


def _opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """SequenceMatcher's opcodes for ``a`` → ``b``, with the common head and tail matched
    first (a one-word fix in a long text costs a scan, not a search) and the middle's
    work bounded by ``_MATCH_BUDGET``."""
    n, m = len(a), len(b)
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    a_mid, b_mid = a[head : n - tail], b[head : m - tail]
    if a_mid and b_mid:
        counts = Counter(b_mid)
        work = sum(counts[key] for key in a_mid)
        matcher = SequenceMatcher(None, a_mid, b_mid, autojunk=work > _MATCH_BUDGET)
        middle = [
            (op, i1 + head, i2 + head, j1 + head, j2 + head)
            for op, i1, i2, j1, j2 in matcher.get_opcodes()
        ]
    elif a_mid:
        middle = [("delete", head, n - tail, head, head)]
    elif b_mid:
        middle = [("insert", head, head, head, m - tail)]
    else:
        middle = []
    opcodes = [("equal", 0, head, 0, head)] if head else []
    opcodes += middle
    if tail:
        opcodes.append(("equal", n - tail, n, m - tail, m))
    return opcodes


class _Builder:
    """Lays token-level opcodes out as paragraphs of runs, counting words."""

    def __init__(self) -> None:
        self.diff = TextDiff([])
        self.current = Paragraph()

    def close(self, break_change: Literal["added", "removed"] | None = None) -> None:
        self.current.break_change = break_change
        self.diff.paragraphs.append(self.current)
        self.current = Paragraph()

    def add(self, kind: RunKind, old: Sequence[Token] = (), new: Sequence[Token] = ()) -> None:
        if not old and not new:
            return
        runs = self.current.runs
        if runs and runs[-1].kind == kind:  # one run, not two, for one change
            last = runs.pop()
            old, new = (*last.old, *old), (*last.new, *new)
        runs.append(Run(kind, tuple(old), tuple(new)))
        if kind in ("insert", "replace"):
            self.diff.added += _words(new)
        if kind in ("delete", "replace"):
            self.diff.removed += _words(old)

    def same(self, old: Sequence[Token], new: Sequence[Token]) -> None:
        """Tokens with equal keys, pair by pair: equal, or minor where writing differs."""
        start = 0
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            if before is _BREAK:
                self.add("equal", old[start:index], new[start:index])
                self.close()
                start = index + 1
            elif before.text != after.text:
                self.add("equal", old[start:index], new[start:index])
                self.add("minor", (before,), (after,))
                self.diff.minor += 1 if after.is_word else 0
                start = index + 1
        self.add("equal", old[start:], new[start:])

    def one_side(self, kind: Literal["insert", "delete"], tokens: Sequence[Token]) -> None:
        start = 0
        for index, token in enumerate(tokens):
            if token is _BREAK:
                self._side(kind, tokens[start:index])
                self.close("added" if kind == "insert" else "removed")
                start = index + 1
        self._side(kind, tokens[start:])

    def _side(self, kind: Literal["insert", "delete"], tokens: Sequence[Token]) -> None:
        if kind == "insert":
            self.add(kind, new=tokens)
        else:
            self.add(kind, old=tokens)

    def replace(self, old: Sequence[Token], new: Sequence[Token]) -> None:
        if _BREAK in old or _BREAK in new:
            # A paragraph begins inside the change: removed words, then added ones.
            self.one_side("delete", old)
            self.one_side("insert", new)
        else:
            self.add("replace", old, new)

    def words(self, old: list[Token], new: list[Token]) -> None:
        """A block of changed paragraphs, compared word by word."""
        keys_old = [token.key for token in old]
        keys_new = [token.key for token in new]
        for op, i1, i2, j1, j2 in _opcodes(keys_old, keys_new):
            if op == "equal":
                self.same(old[i1:i2], new[j1:j2])
            elif op == "insert":
                self.one_side("insert", new[j1:j2])
            elif op == "delete":
                self.one_side("delete", old[i1:i2])
            else:
                self.replace(old[i1:i2], new[j1:j2])


def _joined(paragraphs: list[list[Token]]) -> list[Token]:
    tokens: list[Token] = []
    for index, paragraph in enumerate(paragraphs):
        if index:
            tokens.append(_BREAK)
        tokens.extend(paragraph)
    return tokens


def diff_texts(old: str | None, new: str | None) -> TextDiff:
    """The word-level diff of ``old`` → ``new``: paragraphs of equal, minor, insert,
    delete and replace runs, in the new text's order, with counts of words."""
    old_paragraphs, new_paragraphs = _paragraphs(old), _paragraphs(new)
    builder = _Builder()
    keys_old = ["\x1f".join(token.key for token in p) for p in old_paragraphs]
    keys_new = ["\x1f".join(token.key for token in p) for p in new_paragraphs]
    for op, i1, i2, j1, j2 in _opcodes(keys_old, keys_new):
        if op == "equal":
            for before, after in zip(old_paragraphs[i1:i2], new_paragraphs[j1:j2], strict=True):
                builder.same(before, after)
                builder.close()
            continue
        # Whole paragraphs added or removed, or a block of changed ones: word by word
        # (a paragraph split or merged inside the block shows as a break change).
        builder.words(_joined(old_paragraphs[i1:i2]), _joined(new_paragraphs[j1:j2]))
        builder.close()
    return builder.diff


# --- HTML ------------------------------------------------------------------------------

# Words of unchanged text kept on each side of a change; a stretch hiding fewer than
# ``_MIN_HIDDEN`` words is shown whole (an ellipsis for three words helps nobody).
CONTEXT_WORDS = 12
_MIN_HIDDEN = 8

# Arabic counts: 1, 2, 3-10 (plural), 11 and up (singular accusative), by the last two
# digits, as Arabic grammar has it.
_WORD_FORMS = ("كلمة واحدة", "كلمتان", "كلمات", "كلمة")
_PARAGRAPH_FORMS = ("فقرة واحدة", "فقرتان", "فقرات", "فقرة")


def count_ar(number: int, forms: tuple[str, str, str, str] = _WORD_FORMS) -> str:
    """``number`` with the Arabic noun that agrees with it: كلمة واحدة, كلمتان, 3 كلمات,
    11 كلمة, 103 كلمات."""
    one, two, few, many = forms
    if number == 1:
        return one
    if number == 2:
        return two
    if 3 <= number % 100 <= 10:
        return f"{number:,} {few}"
    return f"{number:,} {many}"


def _text(tokens: Sequence[Token]) -> Markup:
    """Tokens as escaped text, without the space before the first; explicit bidi
    controls opened inside are closed inside (a change never reorders its neighbours)."""
    if not tokens:
        return Markup("")
    written = tokens[0].text + "".join(token.space + token.text for token in tokens[1:])
    return escape(balance_bidi(written))


def _space(run: Run) -> str:
    """The space before a run: either text's (a word removed before a word kept left
    the kept word without one in the new text)."""
    spaces = [tokens[0].space for tokens in (run.new, run.old) if tokens]
    return next((space for space in spaces if space), "")


def _run_html(run: Run) -> Markup:
    if run.kind == "equal":
        return _text(run.new)
    if run.kind == "minor":
        return Markup('<span class="diff-minor" title="{}">{}</span>').format(
            "قبل: " + balance_bidi(" ".join(token.text for token in run.old)), _text(run.new)
        )
    if run.kind == "insert":
        return Markup("<ins>{}</ins>").format(_text(run.new))
    if run.kind == "delete":
        return Markup("<del>{}</del>").format(_text(run.old))
    # A space between the two keeps a removed and an added number from reading as one.
    return Markup("<del>{}</del> <ins>{}</ins>").format(_text(run.old), _text(run.new))


def _gap_html(words: int) -> Markup:
    return Markup('<span class="diff-gap">… {} دون تغيير …</span>').format(count_ar(words))


def _cut(tokens: tuple[Token, ...], words: int, from_end: bool = False) -> int:
    """How many tokens hold the first (or last) ``words`` words."""
    seen = 0
    order = range(len(tokens) - 1, -1, -1) if from_end else range(len(tokens))
    for taken, index in enumerate(order):
        seen += tokens[index].is_word
        if seen > words:
            return taken
    return len(tokens)


def _equal_html(run: Run, first: bool, last: bool, context: int) -> Iterator[Markup]:
    """An unchanged run with its middle collapsed: ``context`` words kept next to the
    changes around it (none before it at a paragraph's start, none after at its end)."""
    tokens = run.new
    keep_head = 0 if first else context
    keep_tail = 0 if last else context
    # No context on a side means none at all: not even the punctuation there.
    head = _cut(tokens, keep_head) if keep_head else 0
    tail = _cut(tokens, keep_tail, from_end=True) if keep_tail else 0
    hidden = _words(tokens) - _words(tokens[:head]) - _words(tokens[len(tokens) - tail :])
    if hidden < _MIN_HIDDEN:
        yield _text(tokens)
        return
    if head:
        yield _text(tokens[:head]) + " "
    yield _gap_html(hidden)
    if tail:
        yield Markup(" ") + _text(tokens[len(tokens) - tail :])


def _runs_html(paragraph: Paragraph, context: int | None, after_change: bool) -> Markup:
    """A paragraph's runs, unchanged ones collapsed to ``context`` words around changes
    (a change just before the paragraph, or a paragraph break added or removed after
    it, counts as one)."""
    parts: list[Markup] = []
    last_index = len(paragraph.runs) - 1
    for index, run in enumerate(paragraph.runs):
        if index:
            parts.append(escape(_space(run)))
        if run.kind == "equal" and context is not None:
            first = index == 0 and not after_change
            last = index == last_index and paragraph.break_change is None
            parts.extend(_equal_html(run, first, last, context))
        else:
            parts.append(_run_html(run))
    # A break is marked where it is news: not after a paragraph added or removed whole.
    whole = _whole(paragraph)
    if paragraph.break_change == "added" and whole != "insert":
        parts.append(Markup(' <ins class="diff-break" title="فقرة جديدة">¶</ins>'))
    elif paragraph.break_change == "removed" and whole != "delete":
        parts.append(Markup(' <del class="diff-break" title="دُمجت الفقرتان">¶</del>'))
    return Markup("").join(parts)


def _whole(paragraph: Paragraph) -> str | None:
    """The kind of a paragraph added ("insert") or removed ("delete") whole, else None."""
    kinds = {run.kind for run in paragraph.runs}
    return kinds.pop() if len(kinds) == 1 and kinds <= {"insert", "delete"} else None


def _paragraph_html(paragraph: Paragraph, context: int | None, after_change: bool) -> Markup:
    css = {"insert": " diff-added", "delete": " diff-removed"}.get(_whole(paragraph) or "", "")
    return Markup('<p class="diff-paragraph{}">{}</p>').format(
        css, _runs_html(paragraph, context, after_change)
    )


def _skipped_html(paragraphs: list[Paragraph]) -> Markup:
    """Unchanged paragraphs folded into one line that unfolds them."""
    words = sum(paragraph.words for paragraph in paragraphs)
    summary = f"… {count_ar(len(paragraphs), _PARAGRAPH_FORMS)} دون تغيير ({count_ar(words)}) …"
    body = Markup("").join(_paragraph_html(p, None, False) for p in paragraphs)
    return Markup(
        '<details class="diff-skipped keep-open"><summary>{}</summary>{}</details>'
    ).format(summary, body)


def summary_html(diff: TextDiff) -> Markup:
    """The counts of a diff in one line: words added, removed, respelt."""
    if not diff.changed:
        return Markup('<p class="diff-summary">لا تغيير في النص.</p>')
    counts = (
        (diff.added, "diff-count-added", "أضيفت {}"),
        (diff.removed, "diff-count-removed", "حُذفت {}"),
        (diff.minor, "diff-count-minor", "تغيّر رسم {} فقط (تشكيل أو همزة أو أرقام)"),
    )
    parts = [
        Markup('<span class="{}">{}</span>').format(css, words.format(count_ar(number)))
        for number, css, words in counts
        if number
    ]
    if not parts:  # punctuation or paragraph breaks alone
        parts = [Markup("لم تتغير الكلمات، بل علامات الترقيم أو تقسيم الفقرات")]
    return Markup('<p class="diff-summary">{}</p>').format(Markup(" · ").join(parts))


def render_html(
    diff: TextDiff, *, context: int | None = CONTEXT_WORDS, summary: bool = True
) -> Markup:
    """The diff as right-to-left HTML: ``<ins>`` for added words, ``<del>`` for removed
    ones, ``span.diff-minor`` for words only respelt (the old spelling as a tooltip).
    Unchanged text is collapsed to ``context`` words around each change: runs of
    unchanged paragraphs fold into a ``<details>``; ``context=None`` shows everything."""
    blocks: list[Markup] = [summary_html(diff)] if summary else []
    pending: list[Paragraph] = []

    def flush() -> None:
        if not pending:
            return
        if context is not None and sum(p.words for p in pending) >= _MIN_HIDDEN:
            blocks.append(_skipped_html(pending))
        else:
            blocks.extend(_paragraph_html(p, context, False) for p in pending)
        pending.clear()

    after_change = False
    for paragraph in diff.paragraphs:
        if paragraph.changed:
            flush()
            blocks.append(_paragraph_html(paragraph, context, after_change))
        else:
            pending.append(paragraph)
        after_change = paragraph.break_change is not None
    flush()
    return Markup('<div class="word-diff" dir="rtl">{}</div>').format(Markup("\n").join(blocks))


def render_inline(old: str | None, new: str | None) -> Markup:
    """A short text's diff (a title) marked inline, nothing collapsed."""
    diff = diff_texts(old, new)
    return Markup(" ").join(_runs_html(p, None, False) for p in diff.paragraphs)
