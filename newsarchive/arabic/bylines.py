"""Bylines: from what a page prints ("بقلم: محمد علي | 15 جانفي 2024") to a name."""

from __future__ import annotations

import re

from newsarchive.arabic.dates import search_dates

__all__ = ["clean_byline"]

# Credit words that precede a name, in any hamza spelling (إعداد/اعداد/أعداد), with or
# without a colon or dash: بقلم، كتب، كتبت، كتبه، إعداد، بواسطة، تحرير، المحرر، By.
_PREFIX = re.compile(
    r"^\s*(?:بقلم(?:\s+(?:الكاتب|الكاتبه|الكاتبة|الصحفي|الصحفيه|الصحفية))?|كتبت|كتبه|كتب"
    r"|[اأإ]عداد|بواسطة|بواسطه|تحرير|المحرر|تقرير|حوار|by|par|posted\s+by|written\s+by)"
    r"(?![^\W\d_])\s*[:：\-–—]?\s*",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
# Account names CMSs print when nobody signed the piece.
_JUNK_NAMES = {
    "admin", "administrator", "editor", "webmaster", "author", "user", "root", "staff",
    "unknown", "anonymous", "مدير", "المدير", "الادارة", "الإدارة", "مجهول", "n/a", "none",
}  # fmt: skip
_MAX_WORDS = 10  # longer than this is a sentence or a whole block, not a byline
_LETTER = re.compile(r"[^\W\d_]")


def clean_byline(raw: str | None) -> str | None:
    """The author's name in a byline, or None when it holds no name (only a date,
    a CMS account such as "admin", a URL)."""
    if not raw:
        return None
    text = " ".join(raw.replace("\u0640", "").split())  # U+0640 tatweel is decoration
    # "name | date | section": the name comes first.
    text = re.split(r"\s*[|•·]\s*", text, maxsplit=1)[0] if text.strip("|•· ") else ""
    text = _URL.sub(" ", _EMAIL.sub(" ", text))
    for _ in range(2):  # "كتب: بقلم ..." happens
        text = _PREFIX.sub("", text, count=1)
    dates = search_dates(text)
    if dates:
        text = text[: dates[0].start]
    # Separators and brackets left hanging once a date or URL is gone.
    text = re.sub(r"^[\s\-–—:،,()\[\]/]+|[\s\-–—:،,()\[\]/]+$", "", text)
    text = " ".join(text.split())
    if not text or not _LETTER.search(text):
        return None
    lowered = text.lower()
    if lowered in _JUNK_NAMES or "admin" in lowered or len(text.split()) > _MAX_WORDS:
        return None
    return text
