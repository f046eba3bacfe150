"""The Article record: what every path into the archive produces."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

# The fields `newsarchive extract --json` prints, in the design's order.
EXTRACT_FIELDS = (
    "url",
    "title",
    "author",
    "published",
    "modified",
    "language",
    "text",
    "description",
    "categories",
    "tags",
    "image",
    "agency",
)


@dataclass
class Article:
    """One news article. ``url`` is its identity: the canonical URL, or a stable
    ``seed:`` key for seed files that carry none. Dates are ISO 8601 strings."""

    url: str
    title: str
    text: str
    source: str = ""
    author: str | None = None
    published: str | None = None
    modified: str | None = None
    language: str | None = "ar"
    description: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    # A wire agency credited for the piece (وأج/APS, رويترز, AFP…), apart from people.
    agency: str | None = None
    # The decision record of the fetched page this article came from, when there is one:
    # the pipeline completes its outcome (new, updated, unchanged) and stores it.
    page: PageRecord | None = field(default=None, repr=False, compare=False)

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def content_hash(self) -> str:
        """What decides whether a re-fetched article changed: title and text only,
        so a new fetch time or reordered tags is not a new revision."""
        return self.fingerprint()[1]

    def fingerprint(self) -> tuple[int, str]:
        """(word count, content hash) from one pass over the text (the archive's
        write path needs both for every article)."""
        words = self.text.split()
        digest = hashlib.sha256()
        digest.update(self.title.strip().encode("utf-8"))
        digest.update(b"\x00")
        digest.update(" ".join(words).encode("utf-8"))
        return len(words), digest.hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The object `extract --json` prints."""
        data = asdict(self)
        return {name: data[name] for name in EXTRACT_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "") -> Article:
        known = {name: data.get(name) for name in EXTRACT_FIELDS if data.get(name) is not None}
        known.setdefault("source", data.get("source") or source)
        return cls(**known)


# The columns of ``pages`` and ``articles`` that locate a capture (Capture.columns()).
CAPTURE_COLUMNS = ("warc_file", "warc_offset", "warc_length", "warc_digest")


@dataclass
class Capture:
    """Where the response a page came from is kept (newsarchive.capture): ``file``, the
    WARC file's path relative to the archive file's directory; ``offset`` and
    ``length``, the bytes of the response record's gzip member in it (seek there and
    warcio reads that record first); ``digest``, its WARC-Payload-Digest (sha1:BASE32).

    ``record_id`` is the record's WARC-Record-ID. While the writer thread has not
    written the record yet, only ``record_id`` and ``seq`` (its place in the writer's
    queue) are set; newsarchive.capture.resolve fills in the rest."""

    file: str | None = None
    offset: int | None = None
    length: int | None = None
    digest: str | None = None
    record_id: str | None = None
    seq: int | None = field(default=None, repr=False, compare=False)

    def columns(self) -> tuple[str | None, int | None, int | None, str | None]:
        """The values of CAPTURE_COLUMNS (all None while unplaced)."""
        if self.file is None:
            return (None, None, None, None)
        return (self.file, self.offset, self.length, self.digest)


def capture_columns(page: PageRecord | None) -> tuple:
    """The CAPTURE_COLUMNS values for a page's row, or an article's (its page's)."""
    if page is None or page.capture is None:
        return (None, None, None, None)
    return page.capture.columns()


@dataclass
class PageRecord:
    """Why one fetched page is, or is not, in the archive: kept for every page a crawl,
    an ingest or a re-extraction looked at, so "why is this page missing?" has an answer."""

    url: str
    # How the URL was found: start, robots, feed, sitemap, news-sitemap, wp-api, listing,
    # section, file, seed, warc.
    found_via: str
    # "article" (archived), "not-article" (skipped on purpose) or "error".
    decision: str
    # One line a user can read: "section page", "WordPress static page", "HTTP 404"...
    reason: str
    status: int | None = None
    # The evidence behind the decision, and how each guessed field was found.
    signals: dict[str, Any] = field(default_factory=dict)
    # What became of it: new, updated, unchanged, skipped, failed.
    outcome: str | None = None
    fetched: str | None = None
    run_id: int | None = None
    # The archived article's id, once the pipeline has written it.
    article_id: int | None = None
    # Where the response is kept as WARC (None: not captured, e.g. --no-warc).
    capture: Capture | None = None

    def __post_init__(self) -> None:
        if self.outcome is None and self.decision in ("not-article", "error"):
            self.outcome = "skipped" if self.decision == "not-article" else "failed"
