"""How big one input may get: an article, a file read whole, an archive's expansion.

Bad input stays small (issue 9): a 50 MB text file is not one article, and a 1 MB
archive that expands to 1 GB is refused member by member instead of filling memory.
Each limit is read once from the environment variable of the same name, so one command
can raise it (``NEWSARCHIVE_MAX_ARTICLE_SIZE=8MB newsarchive ingest big/``); a crawl
also takes ``--set NEWSARCHIVE_MAX_ARTICLE_SIZE=8000000``. Sizes are bytes, or a number
with kB, MB or GB (powers of 1,000, as the messages print them).
"""

from __future__ import annotations

import logging
import os
import re

__all__ = [
    "MAX_ARTICLE_SIZE",
    "MAX_COMPRESSION_RATIO",
    "MAX_FILE_SIZE",
    "RATIO_FLOOR",
    "SIZE_SETTINGS",
    "format_size",
    "parse_size",
    "raise_hint",
]

log = logging.getLogger(__name__)

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3}
_UNITS["gb"] = 1000**3
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"2000000"``, ``"2MB"``, ``"2 mb"``, ``"500kB"`` → bytes. Raises ValueError."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a size such as 2000000 or 2MB")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def format_size(size: int) -> str:
    """Bytes for a message: ``2 MB``, ``52.4 MB``, ``204 kB``, ``900 bytes``."""
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= scale:
            value = size / scale
            shown = f"{value:.0f}" if value >= 100 else f"{value:.1f}".removesuffix(".0")
            return f"{shown} {unit}"
    return f"{size} bytes"


def raise_hint(name: str, needed: int) -> str:
    """How to let ``needed`` bytes through the limit ``name``, for a refusal message."""
    return f"raise {name} (e.g. {name}={-(-needed // 1_000_000)}MB)"


# Crawl settings (``--set NAME=VALUE``) whose value is a size: checked by the command
# line before the crawl starts, so a typo is one line there, not a traceback mid-crawl.
SIZE_SETTINGS = ("NEWSARCHIVE_MAX_ARTICLE_SIZE",)


def _from_env(name: str, default: int, parse=parse_size) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = parse(raw)
    except ValueError:
        value = 0
    if value <= 0:
        # Read at import, before any command can print an error: say so and go on with
        # the default rather than fail every command, the message naming the limit used.
        log.warning("%s=%r is not a positive size such as 2MB; using %s", name, raw, default)
        return default
    return value


# The longest article in the ANT corpora (v1.1 and v2.1: 41,657 articles) holds 38 kB
# of text, the 99th percentile 10 kB; long reports and full texts of laws run to a few
# hundred kB. 2 MB (about a million Arabic letters, a 600-page book) is 50 times the
# longest real one, and still keeps a whole file or a runaway extraction out.
# Counted as UTF-8 bytes of the title, text and description.
MAX_ARTICLE_SIZE = _from_env("NEWSARCHIVE_MAX_ARTICLE_SIZE", 2_000_000)

# A file inside an archive, or given on the command line, is read whole unless it is JSON
# Lines (read a line at a time); parsing holds a few times its size in memory. 64 MB is
# room for a JSON array of some 10,000 articles; bigger collections stream as JSON Lines.
MAX_FILE_SIZE = _from_env("NEWSARCHIVE_MAX_FILE_SIZE", 64_000_000)

# How many times its compressed size a zip member, or a compressed tar as a whole, may
# expand. Text compresses 3-10 times (the ANT corpora's tar.xz: 9.0 and 9.3; the seed
# files' tar.gz 4.7, their zip members at most 2.9); 10,000 tiny members of the same ten
# words in a tar.bz2, mostly tar padding, 52. A run of one byte or one line compresses
# about 1,000 times with zip or gzip, far more with xz or bz2: a compression bomb.
MAX_COMPRESSION_RATIO = _from_env("NEWSARCHIVE_MAX_COMPRESSION_RATIO", 100, parse=int)

# Below this many expanded bytes the ratio is not checked: tiny archives are mostly
# headers and padding (one 10-byte file in a tar.gz expands 98 times) and cannot hurt.
RATIO_FLOOR = 1_000_000
