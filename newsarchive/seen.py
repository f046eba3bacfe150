"""What a crawl remembers per URL, in a few bytes each.

A crawl meets every URL of a site's listings, feeds and sitemaps, and must remember each
for the rest of the crawl so it asks once: on a big site that is hundreds of thousands.
A Python set of URL strings costs ~140 bytes a URL, a set of ints ~78, a set of Scrapy's
20-byte fingerprints ~93; issue 9 allows 10 MB per 100,000 seen URLs (~100 bytes) for the
whole crawl (bench/bench_recrawl.py measures it). So a URL is remembered by a 64-bit
hash of it in :class:`KeySet`, one flat array (16-32 bytes a key): :class:`UrlSet` for
the spider's sets, :class:`SeenFilter` for Scrapy's duplicate filter, and
:class:`KnownArticles` for the archive's articles a crawl skips. Two URLs sharing a
64-bit hash (odds of about 1 in 10^8 among a million URLs) would make the second one
look seen.
"""

from __future__ import annotations

import logging
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from hashlib import blake2b
from itertools import accumulate
from pathlib import Path
from typing import Any

from scrapy.dupefilters import BaseDupeFilter
from scrapy.utils.job import job_dir
from scrapy.utils.request import RequestFingerprinter

log = logging.getLogger(__name__)


def url_key(url: str) -> int:
    """A 64-bit hash of ``url``, the same in every process (``hash()`` is salted)."""
    return int.from_bytes(
        blake2b(url.encode("utf-8"), digest_size=8).digest(), "little", signed=True
    )


class KeySet:
    """A set of 64-bit integers in one array: open addressing with linear probing, kept
    between a quarter and half full, so 16-32 bytes a key. 0 marks a free slot, so the
    key 0 is stored as 1."""

    __slots__ = ("_len", "_mask", "_slots")

    def __init__(self, keys: Iterable[int] = ()) -> None:
        self._slots = array("q", [0]) * 1024
        self._mask = len(self._slots) - 1
        self._len = 0
        self.update(keys)

    def __len__(self) -> int:
        return self._len

    def __contains__(self, key: int) -> bool:
        key = key or 1
        return self._slots[self._find(key)] == key

    def add(self, key: int) -> bool:
        """Add ``key``; whether it was new."""
        key = key or 1
        i = self._find(key)
        if self._slots[i] == key:
            return False
        self._slots[i] = key
        self._len += 1
        if 2 * self._len > len(self._slots):
            self._grow()
        return True

    def update(self, keys: Iterable[int]) -> None:
        for key in keys:
            self.add(key)

    def __iter__(self) -> Iterator[int]:
        return (key for key in self._slots if key)

    def _find(self, key: int) -> int:
        """The slot that holds ``key``, or the free one where it would go."""
        slots, mask = self._slots, self._mask
        i = key & mask
        while (slot := slots[i]) and slot != key:
            i = (i + 1) & mask
        return i

    def _grow(self) -> None:
        old = self._slots
        self._slots = array("q", [0]) * (2 * len(old))
        self._mask = len(self._slots) - 1
        for key in old:
            if key:
                self._slots[self._find(key)] = key


class UrlSet:
    """A set of URLs that keeps 8 bytes of hash per URL, not the URL (see the module)."""

    __slots__ = ("keys",)

    def __init__(self, urls: Iterable[str] = ()) -> None:
        self.keys = KeySet(url_key(url) for url in urls)

    def __len__(self) -> int:
        return len(self.keys)

    def __contains__(self, url: str) -> bool:
        return url_key(url) in self.keys

    def add(self, url: str) -> bool:
        """Add ``url``; whether it was new."""
        return self.keys.add(url_key(url))


class KnownArticles:
    """URL → modified date of the articles already archived, which a crawl does not fetch
    again unless a feed or sitemap says they changed: sorted 8-byte URL hashes, and the
    dates as one bytes string, instead of a dict of strings and tuples (~300 bytes an
    article)."""

    def __init__(self, articles: Iterable[tuple[str, str | None]] = ()) -> None:
        pairs = sorted((url_key(url), (modified or "").encode()) for url, modified in articles)
        self._keys = array("q", (key for key, _ in pairs))
        self._ends = array("q", accumulate(len(modified) for _, modified in pairs))
        self._dates = b"".join(modified for _, modified in pairs)

    def __len__(self) -> int:
        return len(self._keys)

    def _index(self, url: str) -> int | None:
        key = url_key(url)
        i = bisect_left(self._keys, key)
        return i if i < len(self._keys) and self._keys[i] == key else None

    def __contains__(self, url: str) -> bool:
        return self._index(url) is not None

    def modified(self, url: str) -> str | None:
        """The archived article's modified date (ISO 8601), None when unknown or absent."""
        i = self._index(url)
        if i is None:
            return None
        start = self._ends[i - 1] if i else 0
        return self._dates[start : self._ends[i]].decode() or None


class SeenFilter(BaseDupeFilter):
    """Scrapy's duplicate filter (DUPEFILTER_CLASS) at 16-32 bytes a request: the first 8
    bytes of each request fingerprint in a :class:`KeySet`, where RFPDupeFilter keeps the
    whole 20 in a set (~93 bytes). With a job directory they go to
    ``requests.seen64`` (8 bytes each) so a crawl resumes without asking again, as
    RFPDupeFilter's ``requests.seen`` does."""

    def __init__(
        self, path: str | None = None, debug: bool = False, *, fingerprinter: Any = None
    ) -> None:
        self.fingerprinter = fingerprinter or RequestFingerprinter()
        self.debug = debug
        self.logdupes = True
        self.seen = KeySet()
        self.file = None
        if path:
            self.file = Path(path, "requests.seen64").open("a+b")  # noqa: SIM115 (till close)
            self.file.seek(0)
            data = self.file.read()
            # A crawl killed mid-write leaves a partial key at the end: drop it.
            self.seen.update(array("q", data[: len(data) - len(data) % 8]))

    @classmethod
    def from_crawler(cls, crawler: Any) -> SeenFilter:
        return cls(
            job_dir(crawler.settings),
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )

    def request_seen(self, request: Any) -> bool:
        key = int.from_bytes(self.fingerprinter.fingerprint(request)[:8], "little", signed=True)
        if not self.seen.add(key):
            return True
        if self.file:
            self.file.write(array("q", [key or 1]).tobytes())
        return False

    def close(self, reason: str) -> None:
        if self.file:
            self.file.close()

    def log(self, request: Any, spider: Any) -> None:
        if self.debug or self.logdupes:
            log.debug("Filtered duplicate request: %s", request)
            self.logdupes = self.debug
        spider.crawler.stats.inc_value("dupefilter/filtered")
