"""The Arabic search key: normalisation, word boundaries and light stemming.

``search_key`` is the one function run on documents (when they are indexed) and on
queries (through ``term_key`` and ``term_keys``), so the two always agree. Stored text is
never passed through it: the archive keeps the original and only indexes the key
(DESIGN.md, "Arabic text rules").

The stemmer was chosen by measurement on the ANT v2.1 corpus: see
``bench/stemmer_eval.py`` and its latest output ``bench/stemmer_eval.md``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from importlib import resources
from typing import Literal

import snowballstemmer

__all__ = [
    "DEFAULT_CONFIG",
    "KeyConfig",
    "form_key",
    "SearchKeyer",
    "normalize",
    "search_key",
    "stem",
    "surface_key",
    "surface_term_key",
    "term_key",
    "term_keys",
    "tokenize",
    "light_stem",
    "WORD_RE",
]

logger = logging.getLogger(__name__)

# Marks that decorate a word without changing which word it is. They are kept *inside*
# tokens (``re``'s ``\w`` does not match category Mn, so without them a vocalised word
# like مَدْرَسَة would split into letters, the very failure of FTS5's unicode61) and
# deleted by ``normalize``.
_MARKS = (
    "\u0610-\u061a"  # Arabic honorifics and Quranic small letters (Unicode Arabic block)
    "\u064b-\u065f"  # tashkeel: fathatan .. wavy hamza below
    "\u0670"  # superscript (dagger) alef
    "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"  # Quranic annotation marks
    "\u0640"  # tatweel (kashida), a stretching character, not a letter
    "\u200c\u200d"  # zero-width non-joiner / joiner, used to shape Arabic and Persian words
    "\u200e\u200f\u061c"  # LRM, RLM, Arabic letter mark: bidi controls pasted inside words
    "\u00ad"  # soft hyphen
)

# A word is a run of letters and digits (``\w`` without the underscore, so hashtags such
# as #عاصي_الحلاني split into their words) with the marks above allowed anywhere in it.
WORD_RE = re.compile(rf"(?:[^\W_]|[{_MARKS}])+")

_ARABIC_LETTER_RE = re.compile("[\u0621-\u064a]")


def _char_range(first: str, last: str) -> list[str]:
    return [chr(code) for code in range(ord(first), ord(last) + 1)]


def _build_table(fold_hamza_seats: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for start, end in re.findall(r"(.)(?:-(.))?", _MARKS):
        for char in _char_range(start, end or start):
            table[ord(char)] = None
    # Alef with hamza above/below, madda, wasla and the wavy-hamza alefs are all typed as
    # a bare alef by many writers (and by most people searching).
    for char in "\u0623\u0625\u0622\u0671\u0672\u0673":
        table[ord(char)] = "\u0627"
    table[ord("\u0649")] = "\u064a"  # alef maqsura ى is written for final ي (Egypt) and back
    table[ord("\u0629")] = "\u0647"  # taa marbuta ة is often typed as ه
    # Persian keheh and Farsi yeh stand in for kaf and yeh in web text typed on Persian
    # layouts (U+06A9, U+06CC).
    table[ord("\u06a9")] = "\u0643"
    table[ord("\u06cc")] = "\u064a"
    # Arabic-Indic (U+0660-0669) and Extended Arabic-Indic (U+06F0-06F9) digits: NFKC keeps
    # them, so they are mapped to ASCII here to match Western-digit queries.
    for offset in range(10):
        table[0x0660 + offset] = str(offset)
        table[0x06F0 + offset] = str(offset)
    if fold_hamza_seats:
        table[ord("\u0624")] = "\u0648"  # ؤ -> و
        table[ord("\u0626")] = "\u064a"  # ئ -> ي
    return table


_TABLES = {fold: _build_table(fold) for fold in (False, True)}


def _normalize(text: str, table: dict[int, str | None]) -> str:
    # NFKC first: it turns Arabic presentation forms (U+FB50-FDFF, U+FE70-FEFF) and
    # ligatures such as ﻻ into base letters, which the table then folds.
    return unicodedata.normalize("NFKC", text).translate(table).lower()


@dataclass(frozen=True)
class KeyConfig:
    """How search keys are built. One configuration is the archive's (``DEFAULT_CONFIG``);
    the others exist so ``bench/stemmer_eval.py`` can measure them side by side."""

    stemmer: Literal["light", "snowball", "none"] = "light"  # light: light10-style
    min_stem: int = 2  # shortest stem the article and suffix rules may leave
    single_prefixes: bool = False  # also strip ف ب ك ل when indexing (و is always tried)
    fold_hamza_seats: bool = True  # ؤ -> و and ئ -> ي
    cache_size: int = 1 << 18  # distinct raw tokens remembered (news vocabulary repeats)


# The definite article and its compounds, longest first (Larkey, Ballesteros & Connell,
# "Light Stemming for Arabic Information Retrieval", 2007: light10).
_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
# light10's suffixes, after normalisation (ة -> ه, ى -> ي merge ية/يه and ة/ه), with ات
# before ان: light10's single pass took ات off فيضانات after passing ان, leaving فيضان
# where فيضان itself lost ان (issue 11: فيضان and فيضانات never met).
_SUFFIXES = ("ها", "ات", "ان", "ون", "ين", "يه", "ه", "ي")
_SINGLE_PREFIXES = "فبكل"


def _read_list(name: str) -> dict[str, str]:
    """A word list shipped beside this module: one entry a line, ``#`` comments; a line
    ``a b`` maps a to b, a line ``a`` is a member (mapped to itself)."""
    entries: dict[str, str] = {}
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            entries[words[0]] = words[-1]
    return entries


# Stems whose leading و is a letter of the word, not "and": وزارة, وزير, وطن, وباء,
# وهران... Derived from ANT v2.1 by bench/waw_stems.py (words written after ال, which
# "and" never is); light10 read وزارة as و + زارة and met زار (visited).
RADICAL_WAW = frozenset(_read_list("waw_stems.txt"))
# Common broken plurals of news text -> their singular (normalised forms): a small list,
# since no suffix rule can bring زلازل to زلزال or قتلى to قتيل.
BROKEN_PLURALS = _read_list("broken_plurals.txt")


def _base(word: str, min_stem: int) -> str:
    """light10 after the clitic: the article, a broken plural's singular, the suffixes."""
    for article in _ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= min_stem:
            word = word[len(article) :]
            break
    word = BROKEN_PLURALS.get(word, word)
    # One pass over the suffix list, each removed when found (light10), so مستشفيات loses
    # ات and then ي, like مستشفى (normalised مستشفي) loses its ي: both become مستشف.
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            word = word[: -len(suffix)]
    return word


def light_stem(word: str, min_stem: int = 2, single_prefixes: bool = False) -> str:
    """light10-style stemming of one *normalised* Arabic word."""
    if not word:
        return word
    # و (and) goes first and only when three letters remain, as in light10: this keeps
    # words such as ولد and وجد whole; and never when it is the word's own first letter.
    clitic = word[0] == "\u0648" or (
        single_prefixes and word[0] in _SINGLE_PREFIXES and not word.startswith(_ARTICLES)
    )
    own = word[0] == "\u0648" and _base(word, min_stem) in RADICAL_WAW
    if clitic and len(word) > 3 and not own:
        word = word[1:]
    return _base(word, min_stem)


class SearchKeyer:
    """Builds search keys for one ``KeyConfig`` with a bounded memo of token -> key."""

    def __init__(self, config: KeyConfig | None = None) -> None:
        self.config = config or KeyConfig()
        self._table = _TABLES[self.config.fold_hamza_seats]
        self._stem_word = self._make_stemmer()
        self.term_key: Callable[[str], str] = lru_cache(maxsize=self.config.cache_size)(
            self._term_key
        )

    def _make_stemmer(self) -> Callable[[str], str]:
        config = self.config
        if config.stemmer == "none":
            return lambda word: word
        if config.stemmer == "snowball":
            return snowballstemmer.stemmer("arabic").stemWord
        if config.stemmer == "light":
            return partial(
                light_stem, min_stem=config.min_stem, single_prefixes=config.single_prefixes
            )
        raise ValueError(f"unknown stemmer {config.stemmer!r}: use light, snowball or none")

    def normalize(self, text: str) -> str:
        return _normalize(text, self._table)

    def stem(self, token: str) -> str:
        """Stem one normalised token; words without Arabic letters are left alone."""
        if not _ARABIC_LETTER_RE.search(token):
            return token
        return self._stem_word(token)

    def _term_key(self, token: str) -> str:
        normalized = self.normalize(token)
        parts = WORD_RE.findall(normalized)
        # NFKC can split one token (½ -> 1⁄2) and the mark deletion can empty one (a lone
        # tatweel); both cases are rare, the single-word case is the fast path.
        if len(parts) == 1:
            return self.stem(parts[0])
        return " ".join(self.stem(part) for part in parts)

    def term_keys(self, token: str) -> tuple[str, ...]:
        """The keys a query word should match: its key, and for a word opening with one
        of ف ب ك ل (which may be a clitic: بمصر, لترامب, or a letter of the word: بريطانيا,
        لبنان) also the key without that letter. Expanding the query instead of stripping
        at index time keeps بوكمال and لبنان whole in the index (bench/stemmer_eval.md)."""
        key = self.term_key(token)
        if not key or " " in key:
            return (key,) if key else ()
        normalized = WORD_RE.findall(self.normalize(token))[0]
        article = next((a for a in _ARTICLES if normalized.startswith(a)), "")
        if article and normalized[len(article) :].startswith("\u0627\u0644"):
            # الإلزام, الألفاظ: the article before a word whose own first letters read
            # ال once hamza is folded (إلزام, ألفاظ). The index keyed that word alone
            # with its ال taken as an article (زام), so ask for that key too (issue 11).
            alone = self.term_key(normalized[len(article) :])
            return tuple(dict.fromkeys((key, alone))) if alone else (key,)
        # Not before ال: بال/كال/فال/لل are already stripped by the stemmer.
        if (
            len(normalized) > 3
            and normalized[0] in _SINGLE_PREFIXES
            and not normalized.startswith(_ARTICLES)
        ):
            # The remainder keyed as the index keys a word written without the letter.
            alternative = self.term_key(normalized[1:])
            # A stem of two letters (كلمة -> لم, لبنان -> بن) would match function words
            # and roots everywhere: the expansion is for longer words only.
            if len(alternative) >= 3 and alternative != key:
                return (key, alternative)
            return (key,)
        if len(normalized) >= 3 and not normalized.startswith(_ARTICLES):
            # The other direction: the index keeps a text's بقسنطينة or بوزارة whole, so a
            # query for قسنطينة also asks for the key of the word written with ب or ل
            # before it (the two clitics news text attaches to names; ك and ف cost latency
            # for little). Keyed whole, not prefixed to the key: وزارة keys to زار (its و
            # read as a clitic) but بوزارة to بوزار.
            alternatives = (self.term_key(letter + normalized) for letter in "بل")
            return tuple(dict.fromkeys((key, *alternatives)))
        return (key,)

    def search_key(self, text: str) -> str:
        # Tokenising the original and keying each token through the memo (rather than
        # normalising the whole text first) means a word is keyed exactly as
        # ``term_key`` keys it for queries and snippets.
        return " ".join(filter(None, map(self.term_key, WORD_RE.findall(text))))


# The archive's choice, measured in bench/stemmer_eval.md (ANT v2.1, 10k articles, 4,099
# known-item queries, recall@10 / MRR@10 overall): light10-style stemming, min stem 2,
# hamza seats folded, queries through ``term_keys`` = 0.992 / 0.951. Against it: plain FTS5
# 0.284 / 0.279, normalisation only 0.667 / 0.656, Snowball 0.821 / 0.789 (it splits
# مستشفى/مستشفيات), min stem 3 no better than 2, and stripping ف ب ك ل at index time
# 0.966 / 0.920 (it mangles بوكمال, لبنان). Indexing unstemmed forms too (``surface_key``
# columns) lifts exact-form MRR (0.965 -> 0.984) for twice the index; optional.
DEFAULT_CONFIG = KeyConfig()
_DEFAULT = SearchKeyer(DEFAULT_CONFIG)
# The same normalisation without stemming: the words' own forms, for optional
# "forms" columns that let ranking prefer the exact form typed (bench/stemmer_eval.md).
_SURFACE = SearchKeyer(replace(DEFAULT_CONFIG, stemmer="none"))


def normalize(text: str) -> str:
    """NFKC, strip tashkeel and tatweel, fold alef/yeh/taa marbuta variants and Arabic
    digits, lowercase. Offsets are not preserved; use ``tokenize`` for those."""
    return _DEFAULT.normalize(text)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Words of the ORIGINAL text as ``(word, start, end)``, tashkeel kept inside words,
    so ``text[start:end] == word``."""
    return [(match.group(), match.start(), match.end()) for match in WORD_RE.finditer(text)]


def stem(token: str) -> str:
    """Stem one normalised token with the archive's stemmer."""
    return _DEFAULT.stem(token)


def term_key(token: str) -> str:
    """The key of one word as typed (normalised and stemmed); ``""`` when nothing of it
    is searchable (a lone tatweel or mark)."""
    return _DEFAULT.term_key(token)


def term_keys(token: str) -> tuple[str, ...]:
    """The alternative keys one query word may match (OR): ``term_key`` first, then the
    key without a leading ف ب ك ل where that letter may be a clitic. Empty when the word
    has nothing searchable."""
    return _DEFAULT.term_keys(token)


def search_key(text: str) -> str:
    """Space-separated keys of every word of ``text``: what the full-text index holds
    for documents, and what queries are matched against."""
    return _DEFAULT.search_key(text)


def surface_key(text: str) -> str:
    """Like ``search_key`` without stemming (one key per word, same positions): for an
    optional FTS column that rewards documents using the very form that was typed."""
    return _SURFACE.search_key(text)


def surface_term_key(token: str) -> str:
    """``surface_key`` of one word."""
    return _SURFACE.term_key(token)


def _without_article(word: str) -> str:
    for article in _ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            return word[len(article) :]
    return word


def form_key(text: str) -> str:
    """``surface_key`` with the definite article (and its compounds وال بال لل…) taken
    off each word: the form a reader typed, whether or not they typed ال. Ranking only
    (the derived search index's headline forms): يمنية and اليمنية are one form here,
    يمنية and يمنيون are not."""
    return " ".join(_without_article(key) for key in surface_key(text).split())
