"""The archive: the only module that writes SQL.

One SQLite file holds articles, their earlier revisions, the sources and the history of
crawl and ingest runs, plus a full-text index over Arabic search keys of title and text.
Every path into the archive (seed files, corpora, crawls) ends in
:meth:`Archive.upsert_articles`, which keeps that index in step in the same
transaction, so a fresh article is searchable the moment it lands.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from newsarchive import limits, stopping
from newsarchive.items import CAPTURE_COLUMNS, Article, PageRecord, capture_columns
from newsarchive.migrations import MIGRATIONS

log = logging.getLogger(__name__)

DEFAULT_DB = Path("data/archive.db")


class ArchiveError(Exception):
    """Base class for the archive's expected failures."""


class NotAnArchive(ArchiveError):
    """The file exists but is not a SQLite database (or is damaged)."""


class SchemaTooNew(ArchiveError):
    """The archive was written by a newer newsarchive than this one."""


class InvalidArticle(ArchiveError):
    """An article the archive does not store (its URL, its size, its text); the message
    says why and what to do."""


class Outcome(StrEnum):
    """What an upsert did to one article."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    # Not written: it breaks a rule of Archive.check_article. Named like RunStats.failed
    # and the pages table's outcome, which count it.
    FAILED = "failed"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def index_key(text: str | None) -> str:
    """The text the full-text index holds for ``text``: its Arabic search key.

    The seam between the archive and the Arabic rules (newsarchive.arabic.normalize):
    documents and queries pass through the same function. After the rules change,
    ``newsarchive reindex`` rebuilds the index with it.
    """
    from newsarchive.arabic.normalize import search_key

    return search_key(text or "")


# --- schema ------------------------------------------------------------------------------

ARTICLE_COLUMNS = (
    "id",
    "url",
    "source",
    "title",
    "author",
    "agency",
    "published",
    "modified",
    "month",
    "language",
    "text",
    "description",
    "categories",
    "tags",
    "image",
    "word_count",
    "content_hash",
    "first_seen",
    "last_fetched",
    *CAPTURE_COLUMNS,
)
# Columns whose change alone does not make a re-fetch "updated".
_NOT_CONTENT = ("first_seen", "last_fetched", *CAPTURE_COLUMNS)


# The longest name a saved search may have (it appears in URLs and feed titles).
SAVED_NAME_MAX = 80

# What a fetched page was judged to be (pages.decision).
PAGE_DECISIONS = ("article", "not-article", "error")
SCHEMA_VERSION = len(MIGRATIONS)


# --- records -----------------------------------------------------------------------------


@dataclass
class RunStats:
    """Counts for one crawl or ingest run, as stored in ``crawl_runs``."""

    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    dropped: int = 0
    dropped_reasons: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # reason → the first few URLs dropped (or failed) for it, for the run summary.
    examples: dict[str, list[str]] = field(default_factory=dict)

    MAX_ERRORS = 200
    MAX_EXAMPLES = 3

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def drop(self, reason: str, url: str | None = None) -> None:
        self.dropped += 1
        self.dropped_reasons[reason] = self.dropped_reasons.get(reason, 0) + 1
        if url:
            self.example(reason, url)

    def example(self, reason: str, url: str) -> None:
        """Keep ``url`` as an example of ``reason`` (the first MAX_EXAMPLES, no repeats)."""
        urls = self.examples.setdefault(reason, [])
        if len(urls) < self.MAX_EXAMPLES and url not in urls:
            urls.append(url)

    def error(self, message: str) -> None:
        self.failed += 1
        if len(self.errors) < self.MAX_ERRORS:
            self.errors.append(message)

    @property
    def archived(self) -> int:
        return self.new + self.updated + self.unchanged


# --- what the archive stores -------------------------------------------------------------

# An article's identity is an absolute http(s) URL, or the ``seed:`` key of a seed file
# that carries none. Anything else (javascript:, data:, file:, ftp:, a relative or
# scheme-relative path) would be stored as a link and is no article's address.
_WEB_SCHEMES = ("http", "https")
_SEED_KEY = re.compile(r"seed:\S+")
# Servers are asked to take request lines of at least 8,000 octets (RFC 9110, 4.1);
# longer is not an address anyone can fetch.
_MAX_URL_LENGTH = 8192
# A lone surrogate (a JSON "\ud800", an XML "&#xD800;") is not a character: it cannot be
# written as UTF-8, and SQLite would fail the whole batch on it.
_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT_FIELDS = (
    "url",
    "title",
    "text",
    "author",
    "published",
    "modified",
    "language",
    "description",
    "source",
    "image",
    "agency",
)


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return "an article needs a URL"
    shown = url if len(url) <= 80 else url[:77] + "..."
    if len(url) > _MAX_URL_LENGTH:
        return f"URL of {len(url):,} characters, longer than a web address can be"
    if url != url.strip() or any(c in url for c in "\n\r\t"):
        return f"URL {shown!r} has white space around it or a line break inside it"
    if url.startswith("seed:"):
        return None if _SEED_KEY.fullmatch(url) else f"seed key {shown!r} is empty or has spaces"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"URL {shown!r} cannot be parsed ({exc})"
    scheme = parts.scheme.lower()
    if scheme in _WEB_SCHEMES:
        return None if parts.hostname else f"URL {shown!r} has no host"
    kind = f"a {scheme}: URL" if scheme else "a relative URL"
    return (
        f"URL {shown!r} is {kind}; an article's URL must be an absolute http(s) URL"
        " (or a seed: key)"
    )


def _size_over(parts: Iterable[str | None], limit: int) -> int | None:
    """The UTF-8 size of ``parts`` together when it is over ``limit``, else None. Most
    articles are decided by their length alone (a character is 1 to 4 bytes); the rest
    are encoded a megabyte at a time, so a huge text is not copied whole to be measured."""
    texts = [part for part in parts if part]
    if 4 * sum(len(text) for text in texts) <= limit:
        return None
    chunk = 1_000_000
    size = sum(
        len(text[start : start + chunk].encode("utf-8", "surrogatepass"))
        for text in texts
        for start in range(0, len(text), chunk)
    )
    return size if size > limit else None


def _url_for_log(url: Any) -> str:
    text = repr(url) if not isinstance(url, str) else url
    return text if len(text) <= 120 else text[:117] + "..."


def _article_row(article: Article, article_id: int, fetched: str, first_seen: str) -> tuple:
    published = article.published or None
    word_count, content_hash = article.fingerprint()
    return (
        article_id,
        article.url,
        article.source or None,
        article.title,
        article.author,
        article.agency,
        published,
        article.modified,
        published[:7] if published else None,
        article.language,
        article.text,
        article.description,
        json.dumps(article.categories, ensure_ascii=False),
        json.dumps(article.tags, ensure_ascii=False),
        article.image,
        word_count,
        content_hash,
        first_seen,
        fetched,
        *capture_columns(article.page),
    )


_INSERT_INDEX = "INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)"
# Columns a re-fetch may lack (a theme change, a failed REST call) without the article
# having lost them: an empty value there never replaces a stored one.
_KEEP_IF_MISSING = (
    "author",
    "agency",
    "published",
    "modified",
    "month",
    "language",
    "description",
    "categories",
    "tags",
    "image",
)


def _merged(old: dict[str, Any], new: dict[str, Any], unite: bool = False) -> dict[str, Any]:
    """The row to store when ``new`` re-fetches ``old``: stored metadata is kept where the
    new fetch has none, and title and text change only with the content hash (a change
    of whitespace alone is not a new version). With ``unite`` (a corpus copy) stored
    metadata is kept and the categories are the stored ones plus the new ones."""
    merged = dict(new)
    for column in _KEEP_IF_MISSING:
        # A corpus copy never overwrites what an earlier copy stored: re-ingesting the
        # corpus, whichever copy comes last, then changes nothing.
        if old[column] not in (None, "", "[]") and (unite or new[column] in (None, "", "[]")):
            merged[column] = old[column]
    if unite:
        stored = json.loads(old["categories"])
        added = [c for c in json.loads(new["categories"]) if c not in stored]
        merged["categories"] = json.dumps(stored + added, ensure_ascii=False)
    if new["content_hash"] == old["content_hash"]:
        # The same text: from the stored capture too, if the new one has none (an ingest).
        keep = CAPTURE_COLUMNS if new["warc_file"] is None else ()
        for column in ("title", "text", "word_count", *keep):
            merged[column] = old[column]
    return merged


_INSERT_PAGE = (
    "INSERT INTO pages (run_id, url, status, found_via, decision, reason, signals, outcome,"
    f" fetched, article_id, {', '.join(CAPTURE_COLUMNS)}) VALUES ({', '.join('?' * 14)})"
)
# A page's source: what its re-extraction recorded (signals.inputs.source), else its run's.
_PAGE_SOURCE = "coalesce(json_extract(p.signals, '$.inputs.source'), r.source)"
_SET_CAPTURE = f"UPDATE articles SET {' = ?, '.join(CAPTURE_COLUMNS)} = ? WHERE id = ?"


def _json_value(value: Any) -> Any:
    """What json.dumps writes for a signal value it cannot: sets as sorted lists, the
    rest as text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


_INSERT_ARTICLE = (
    f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in ARTICLE_COLUMNS)})"
)
_UPDATE_ARTICLE = (
    "UPDATE articles SET " + ", ".join(f"{c} = ?" for c in ARTICLE_COLUMNS[1:]) + " WHERE id = ?"
)


# --- the archive -------------------------------------------------------------------------


class Archive:
    """An open archive file. Create it with :func:`open_archive`."""

    # The largest article (UTF-8 bytes of title, text and description) it stores; None
    # for newsarchive.limits.MAX_ARTICLE_SIZE (env NEWSARCHIVE_MAX_ARTICLE_SIZE).
    max_article_size: int | None = None

    def __init__(self, db: sqlite_utils.Database, path: Path | None = None):
        self.db = db
        self.path = path
        # Run with the archive after each committed change to articles, and before it
        # closes: how a derived index above the archive keeps in step with its writer
        # (newsarchive.search.keep_in_step).
        self.after_write: list[Callable[[Archive], None]] = []
        self.before_close: list[Callable[[Archive], None]] = []

    def _wrote(self) -> None:
        for hook in self.after_write:
            hook(self)

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        try:
            for hook in self.before_close:
                hook(self)
        finally:
            self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --

    def migrate(self) -> None:
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise NotAnArchive(f"{self.path} is not a SQLite database ({exc})") from exc
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{self.path} has schema version {version}, newer than this newsarchive "
                f"understands ({SCHEMA_VERSION}); upgrade newsarchive"
            )
        for number in range(version, SCHEMA_VERSION):
            log.info("migrating %s to schema version %d", self.path, number + 1)
            # executescript commits first and runs in autocommit mode, so the script
            # carries its own transaction: a failed migration leaves nothing half-done.
            try:
                self.conn.executescript(
                    f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]}\n"
                    f"PRAGMA user_version = {number + 1};\nCOMMIT;"
                )
            except sqlite3.Error:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        self._group_stories_if_new()

    def _group_stories_if_new(self) -> None:
        """Group an archive whose stories were never grouped (made before schema 7, or
        grouped with other parameters) when it is opened, if it is small enough to do
        at once (newsarchive.stories.AUTO_GROUP): otherwise search would show each copy
        until the next write. A big one waits for ``newsarchive stories --rebuild``,
        which search then asks for."""
        from newsarchive import stories

        if stories.grouped(self.conn) or self.article_count() > stories.AUTO_GROUP:
            return  # (a big one is not locked for writing at every open to learn so)
        try:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                stories.catch_up(self.conn)
        except sqlite3.OperationalError as exc:  # read-only file, or busy: next time
            log.info("stories not grouped now (%s)", exc)

    # -- writing articles --

    def check_article(self, article: Article) -> None:
        """Raise :class:`InvalidArticle` unless ``article`` may be stored: its URL an
        absolute http(s) URL or a ``seed:`` key, a title and a text, no more than
        :attr:`max_article_size` bytes, and no invalid Unicode (lone surrogates).
        :meth:`upsert_articles` applies it to every article, whatever its path."""
        problem = _url_problem(article.url)
        if problem:
            raise InvalidArticle(problem)
        if not isinstance(article.title, str) or not isinstance(article.text, str):
            raise InvalidArticle("an article's title and text must be text")
        if not article.title.strip() or not article.text.strip():
            raise InvalidArticle("an article needs a title and a text")
        limit = self.max_article_size or limits.MAX_ARTICLE_SIZE
        size = _size_over((article.title, article.text, article.description), limit)
        if size is not None:
            raise InvalidArticle(
                f"article of {limits.format_size(size)}, over the limit of"
                f" {limits.format_size(limit)} per article; if it really is one article,"
                f" {limits.raise_hint('NEWSARCHIVE_MAX_ARTICLE_SIZE', size)}"
            )
        for name in _TEXT_FIELDS:
            value = getattr(article, name)
            if isinstance(value, str) and (bad := _SURROGATE.search(value)):
                raise InvalidArticle(
                    f"invalid Unicode in the {name}: a lone surrogate"
                    f" U+{ord(bad.group()):04X} at character {bad.start() + 1}"
                )
        for name in ("categories", "tags"):
            for value in getattr(article, name) or ():
                if isinstance(value, str) and _SURROGATE.search(value):
                    raise InvalidArticle(f"invalid Unicode (a lone surrogate) in the {name}")

    def upsert_article(self, article: Article, *, fetched: str | None = None) -> Outcome:
        """Insert or update one article; see :meth:`upsert_articles`."""
        return next(self.upsert_articles([article], fetched=fetched))[1]

    def upsert_articles(
        self,
        articles: Iterable[Article],
        *,
        fetched: str | None = None,
        batch_size: int = 500,
        corpus: Callable[[Article], bool] | None = None,
        run_id: int | None = None,
        count: Callable[[list[tuple[Article, Outcome]]], RunStats] | None = None,
        reason: str = "re-fetched",
        fetched_from_page: bool = False,
    ) -> Iterator[tuple[Article, Outcome]]:
        """Insert new articles, update changed ones, leave identical ones alone.

        Identity is ``article.url``. A changed title or text keeps the previous version
        in ``revisions``, with ``reason``; changed metadata alone updates the row without
        a revision. With ``fetched_from_page``, an article's ``last_fetched`` (and a new
        one's ``first_seen``) is when its page was fetched (``article.page.fetched``, a
        re-extraction fetches nothing) rather than ``fetched`` or now.
        ``corpus(article)`` true marks a copy from a static corpus, which may file one
        article several times: its categories are added to the stored ones, and a text
        the archive already holds as an earlier revision does not come back.
        Each batch is one transaction, index included, and is committed before its
        outcomes are yielded, so a crash loses at most the batch in hand.

        An article that fails :meth:`check_article` is not written and comes back at
        once as :attr:`Outcome.FAILED`, the rest of the stream going on; its page record,
        if it has one, becomes an "error" with the reason (which is also logged).
        Callers that report reasons per input check each article first (ingest does).

        With ``run_id`` and ``count``, that transaction also stores the run's counts:
        ``count(outcomes)`` gets the batch's outcomes before the commit and returns the
        run's counts so far, so the counts a run leaves always match the articles it
        wrote, however its process ends.
        """
        counted = (run_id, count) if run_id is not None and count is not None else None
        batch: list[Article] = []
        for article in articles:
            try:
                self.check_article(article)
            except InvalidArticle as exc:
                log.warning("not archived: %s: %s", _url_for_log(article.url), exc)
                if article.page is not None:
                    article.page.decision, article.page.reason = "error", str(exc)
                yield article, Outcome.FAILED
                continue
            batch.append(article)
            if len(batch) >= batch_size:
                yield from self._upsert_batch(
                    batch, fetched or now_iso(), corpus, counted, reason, fetched_from_page
                )
                batch = []
        if batch:
            yield from self._upsert_batch(
                batch, fetched or now_iso(), corpus, counted, reason, fetched_from_page
            )

    def _existing(self, urls: list[str]) -> dict[str, sqlite3.Row]:
        found: dict[str, sqlite3.Row] = {}
        conn = self.conn
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            cursor = conn.execute(
                f"SELECT * FROM articles WHERE url IN ({', '.join('?' for _ in chunk)})",
                chunk,
            )
            names = [d[0] for d in cursor.description]
            for values in cursor:
                row = dict(zip(names, values, strict=True))
                found[row["url"]] = row
        return found

    def _upsert_batch(
        self,
        batch: list[Article],
        fetched: str,
        corpus: Callable[[Article], bool] | None,
        counted: tuple[int, Callable[[list[tuple[Article, Outcome]]], RunStats]] | None = None,
        reason: str = "re-fetched",
        fetched_from_page: bool = False,
    ) -> Iterator[tuple[Article, Outcome]]:
        conn = self.conn
        outcomes: list[tuple[Article, Outcome]] = []
        inserts: list[tuple] = []
        index_inserts: list[tuple[int, str, str]] = []
        pending_ids: set[int] = set()  # ids in ``inserts``, not yet written
        with conn:  # one transaction per batch
            conn.execute("BEGIN IMMEDIATE")
            existing = self._existing(list({a.url for a in batch}))
            next_id = (conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 0) + 1
            for article in batch:
                old = existing.get(article.url)
                when = fetched
                if fetched_from_page and article.page is not None and article.page.fetched:
                    when = article.page.fetched
                if old is None:
                    row = _article_row(article, next_id, when, when)
                    inserts.append(row)
                    pending_ids.add(next_id)
                    index_inserts.append(
                        (next_id, index_key(article.title), index_key(article.text))
                    )
                    existing[article.url] = dict(zip(ARTICLE_COLUMNS, row, strict=True))
                    next_id += 1
                    outcomes.append((article, Outcome.NEW))
                    continue
                row = _article_row(article, old["id"], when, old["first_seen"])
                fetched_row = dict(zip(ARTICLE_COLUMNS, row, strict=True))
                copy = corpus is not None and corpus(article)
                if (
                    copy
                    and fetched_row["content_hash"] != old["content_hash"]
                    and self._superseded(old["id"], fetched_row["content_hash"])
                ):
                    # A corpus holds this article twice with different texts: the copy
                    # the archive already keeps as an earlier revision is not a new
                    # version, so ingesting the same corpus again changes nothing.
                    fetched_row["content_hash"] = old["content_hash"]
                new_values = _merged(old, fetched_row, copy)
                row = tuple(new_values[c] for c in ARTICLE_COLUMNS)
                if all(new_values[c] == old[c] for c in ARTICLE_COLUMNS if c not in _NOT_CONTENT):
                    # Unchanged: the row keeps the capture its text came from (the new
                    # one is on the page's row), unless it had none yet.
                    if old["warc_file"] is None and new_values["warc_file"] is not None:
                        conn.execute(_SET_CAPTURE, (*capture_columns(article.page), old["id"]))
                    outcomes.append((article, Outcome.UNCHANGED))
                    continue
                if old["id"] in pending_ids:
                    # Twice in one batch: flush so the second is a plain update.
                    self._write(inserts, index_inserts)
                    inserts, index_inserts = [], []
                    pending_ids.clear()
                if new_values["content_hash"] != old["content_hash"]:
                    conn.execute(
                        "INSERT INTO revisions (article_id, url, title, author, published,"
                        " modified, text, content_hash, fetched, replaced, reason)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            old["id"],
                            old["url"],
                            old["title"],
                            old["author"],
                            old["published"],
                            old["modified"],
                            old["text"],
                            old["content_hash"],
                            old["last_fetched"],
                            fetched,
                            reason,
                        ),
                    )
                    conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (old["id"],))
                    conn.execute(
                        _INSERT_INDEX,
                        (old["id"], index_key(article.title), index_key(article.text)),
                    )
                conn.execute(_UPDATE_ARTICLE, (*row[1:], old["id"]))
                existing[article.url] = new_values
                outcomes.append((article, Outcome.UPDATED))
            self._write(inserts, index_inserts)
            self._stories_in_step()
            if counted is not None:
                run_id, count = counted
                self._store_counts(run_id, count(outcomes))
        if any(outcome is not Outcome.UNCHANGED for _, outcome in outcomes):
            self._wrote()
        yield from outcomes

    def _stories_in_step(self) -> None:
        """Story ids follow every change to articles, in its transaction: the grouping
        (newsarchive.stories) replays the change log the triggers just wrote."""
        from newsarchive.stories import catch_up

        catch_up(self.conn)

    def _write(self, inserts: list[tuple], index_inserts: list[tuple[int, str, str]]) -> None:
        if inserts:
            self.conn.executemany(_INSERT_ARTICLE, inserts)
            self.conn.executemany(_INSERT_INDEX, index_inserts)

    def _superseded(self, article_id: int, content_hash: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM revisions WHERE article_id = ? AND content_hash = ? LIMIT 1",
                (article_id, content_hash),
            ).fetchone()
            is not None
        )

    def delete_article(self, url: str) -> bool:
        """Remove an article (its revisions stay); the trigger updates the index."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            cursor = self.conn.execute("DELETE FROM articles WHERE url = ?", (url,))
            self._stories_in_step()
        if cursor.rowcount:
            self._wrote()
        return cursor.rowcount > 0

    def reindex(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the full-text index from the stored text with today's rules."""
        count = 0
        with self.conn:  # one transaction: readers keep the old index until it commits
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("DELETE FROM articles_fts")
            cursor = self.conn.execute("SELECT id, title, text FROM articles")
            while rows := cursor.fetchmany(1000):
                self.conn.executemany(
                    _INSERT_INDEX, [(i, index_key(t), index_key(x)) for i, t, x in rows]
                )
                count += len(rows)
                if progress:
                    progress(len(rows))
            self.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
            # Every article's keys may have changed: a derived index replays them all
            # (or is rebuilt whole, which skips the replay).
            self.conn.execute("INSERT INTO search_changes (article_id) SELECT id FROM articles")
        self._wrote()
        return count

    # -- reading articles --

    def get_article(self, url: str) -> dict[str, Any] | None:
        rows = list(self.db["articles"].rows_where("url = ?", [url]))
        if not rows:
            return None
        row = rows[0]
        row["categories"] = json.loads(row["categories"])
        row["tags"] = json.loads(row["tags"])
        return row

    def article_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]

    def known_articles(self, source: str) -> dict[str, tuple[str, str | None]]:
        """url → (content_hash, modified) for one source, for incremental crawls."""
        return {
            url: (content_hash, modified)
            for url, content_hash, modified in self.conn.execute(
                "SELECT url, content_hash, modified FROM articles WHERE source = ?", (source,)
            )
        }

    def revisions(self, url: str) -> list[dict[str, Any]]:
        return list(self.db["revisions"].rows_where("url = ?", [url], order_by="id"))

    # -- sources and runs --

    def register_source(
        self,
        name: str,
        *,
        base_url: str | None = None,
        language: str | None = "ar",
        kind: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO sources (name, base_url, language, kind, config, added)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET base_url = coalesce(excluded.base_url,"
                " base_url), language = excluded.language, kind = coalesce(excluded.kind,"
                " kind), config = coalesce(excluded.config, config)",
                (
                    name,
                    base_url,
                    language,
                    kind,
                    json.dumps(config, ensure_ascii=False) if config is not None else None,
                    now_iso(),
                ),
            )

    def start_run(self, kind: str, source: str | None, command: str) -> int:
        """Record a run as "running" by this process (after marking the dead runs)."""
        self.reap_dead_runs()
        pid, host, pid_start = stopping.this_process()
        with self.conn:
            cursor = self.conn.execute(
                "INSERT INTO crawl_runs (kind, source, command, started, status, pid, host,"
                " pid_start) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)",
                (kind, source, command, now_iso(), pid, host, pid_start),
            )
        return cursor.lastrowid

    def _store_counts(self, run_id: int, stats: RunStats, status: str | None = None) -> None:
        """Write the run's counts (and, given a status, its end) in the transaction of
        the caller, if any."""
        finish = ", finished = ?, status = ?" if status else ""
        self.conn.execute(
            "UPDATE crawl_runs SET pages = ?, new = ?, updated = ?, unchanged = ?,"
            " failed = ?, dropped = ?, dropped_reasons = ?, errors = ?, dropped_examples = ?"
            f"{finish} WHERE id = ?",
            (
                stats.pages,
                stats.new,
                stats.updated,
                stats.unchanged,
                stats.failed,
                stats.dropped,
                json.dumps(stats.dropped_reasons, ensure_ascii=False),
                json.dumps(stats.errors, ensure_ascii=False),
                json.dumps(stats.examples, ensure_ascii=False),
                *((now_iso(), status) if status else ()),
                run_id,
            ),
        )

    def finish_run(self, run_id: int, stats: RunStats, status: str) -> None:
        with self.conn:
            self._store_counts(run_id, stats, status)

    def interrupt_runs(self) -> list[int]:
        """Mark "interrupted" the runs this process left "running" (stopped before
        their own end was recorded), keeping their committed counts; their ids."""
        return _interrupt_runs(self.conn)

    def reap_dead_runs(self) -> list[int]:
        """Mark "killed" the "running" runs of this host whose process is gone (kill -9,
        a crash, a power cut), keeping the counts they committed; their ids. Runs of
        other hosts, and of archives older than schema 3 (no pid), are left alone."""
        host = socket.gethostname()
        dead = [
            run_id
            for run_id, pid, pid_start in self.conn.execute(
                "SELECT id, pid, pid_start FROM crawl_runs"
                " WHERE status = 'running' AND host = ? AND pid IS NOT NULL",
                (host,),
            )
            if not stopping.process_alive(pid, pid_start)
        ]
        self.mark_killed(dead)
        return dead

    def mark_killed(self, run_ids: list[int]) -> None:
        """Mark these runs "killed" if they are still "running", keeping their counts
        (their end is unknown: ``finished`` stays empty)."""
        if not run_ids:
            return
        marks = ", ".join("?" for _ in run_ids)
        with self.conn:
            self.conn.execute(
                f"UPDATE crawl_runs SET status = 'killed' WHERE status = 'running'"
                f" AND id IN ({marks})",
                run_ids,
            )
        for run_id in run_ids:
            log.warning('run %d ended without finishing (killed): marked "killed"', run_id)

    def last_run(self, source: str, kind: str = "crawl") -> dict[str, Any] | None:
        rows = list(
            self.db["crawl_runs"].rows_where(
                "source = ? AND kind = ?", [source, kind], order_by="id desc", limit=1
            )
        )
        return rows[0] if rows else None

    def last_successful_run(self, source: str, kind: str = "crawl") -> dict[str, Any] | None:
        """The latest run of ``source`` that finished "ok"."""
        rows = list(
            self.db["crawl_runs"].rows_where(
                "source = ? AND kind = ? AND status = 'ok'",
                [source, kind],
                order_by="id desc",
                limit=1,
            )
        )
        return rows[0] if rows else None

    def record_handoff(self, source: str, command: str) -> int:
        """Record that a crawl of ``source`` was handed to a scrapyd server (``command``
        names the server and the job): a run of kind "scrapyd", done once handed. The
        crawl itself is recorded by the job, as a run of kind "crawl"."""
        now = now_iso()
        with self.conn:
            cursor = self.conn.execute(
                "INSERT INTO crawl_runs (kind, source, command, started, finished, status)"
                " VALUES ('scrapyd', ?, ?, ?, ?, 'ok')",
                (source, command, now, now),
            )
        return cursor.lastrowid

    # -- fetched pages --

    def record_pages(
        self,
        records: Iterable[PageRecord],
        run_id: int | None = None,
        *,
        counts: RunStats | None = None,
    ) -> int:
        """Store one ``pages`` row per record, all in one transaction; returns how many.

        ``run_id`` is the run of the records that carry none of their own. A record's
        ``article_id`` (set once its article is archived) links it to ``articles``; a
        missing ``fetched`` is now. ``counts``, the run's counts so far, are stored in
        the same transaction. Raises ValueError, writing nothing, for a decision other
        than those in PAGE_DECISIONS.
        """
        now = now_iso()
        rows = []
        for record in records:
            if record.decision not in PAGE_DECISIONS:
                raise ValueError(
                    f"{record.url}: a page's decision is one of {', '.join(PAGE_DECISIONS)},"
                    f" not {record.decision!r}"
                )
            rows.append(
                (
                    record.run_id if record.run_id is not None else run_id,
                    record.url,
                    record.status,
                    record.found_via,
                    record.decision,
                    record.reason,
                    json.dumps(record.signals or {}, ensure_ascii=False, default=_json_value),
                    record.outcome,
                    record.fetched or now,
                    record.article_id,
                    *capture_columns(record),
                )
            )
        if rows or (counts is not None and run_id is not None):
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany(_INSERT_PAGE, rows)
                if counts is not None and run_id is not None:
                    self._store_counts(run_id, counts)
        return len(rows)

    def page_history(self, url: str, limit: int = 20) -> list[dict[str, Any]]:
        """The latest ``pages`` rows of ``url``, newest first, signals as a dict."""
        rows = self.db.query(
            "SELECT * FROM pages WHERE url = ? ORDER BY id DESC LIMIT ?", [url, limit]
        )
        return [{**row, "signals": json.loads(row["signals"] or "{}")} for row in rows]

    def page_decisions(self, run_id: int) -> list[dict[str, Any]]:
        """How many pages of the run got each (decision, reason), most first."""
        return list(
            self.db.query(
                "SELECT decision, reason, count(*) AS pages FROM pages WHERE run_id = ?"
                " GROUP BY decision, reason ORDER BY pages DESC, decision, reason",
                [run_id],
            )
        )

    # -- re-extraction (newsarchive.reextract) --

    def latest_captures(
        self, sources: Iterable[str] = (), since: str | None = None, url: str | None = None
    ) -> array:
        """The ``pages`` ids of the latest capture of each URL that the page decision was
        taken on (an article, or a page with the decision's shape signals), among the
        ``sources`` (all if none), fetched on or after ``since``, of ``url``. A page's
        source is the one its re-extraction recorded, else its run's."""
        where = [
            "p.warc_file IS NOT NULL",
            "(p.decision = 'article' OR json_type(p.signals, '$.shape') IS NOT NULL)",
        ]
        params: list[Any] = []
        if since:
            where.append("p.fetched >= ?")
            params.append(since)
        if url:
            where.append("p.url = ?")
            params.append(url)
        sources = list(sources)
        if sources:
            where.append(f"{_PAGE_SOURCE} IN ({', '.join('?' for _ in sources)})")
            params += sources
        cursor = self.conn.execute(
            f"SELECT max(p.id) FROM pages p LEFT JOIN crawl_runs r ON r.id = p.run_id"
            f" WHERE {' AND '.join(where)} GROUP BY p.url ORDER BY 1",
            params,
        )
        return array("q", (row[0] for row in cursor))

    def pages_by_id(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """``pages`` rows (with their ``source``, as :meth:`latest_captures` reads it),
        in the order of ``ids``."""
        ids = list(ids)
        marks = ", ".join("?" for _ in ids)
        rows = self.db.query(
            f"SELECT p.*, {_PAGE_SOURCE} AS source FROM pages p"
            f" LEFT JOIN crawl_runs r ON r.id = p.run_id WHERE p.id IN ({marks})",
            ids,
        )
        found = {row["id"]: row for row in rows}
        return [found[i] for i in ids if i in found]

    def flag_articles(self, flags: dict[str, str | None]) -> None:
        """Set (a reason) or clear (None) the ``flagged`` mark of the articles at these
        URLs, in one transaction."""
        if flags:
            with self.conn:
                self.conn.executemany(
                    "UPDATE articles SET flagged = ? WHERE url = ? AND flagged IS NOT ?",
                    [(reason, url, reason) for url, reason in flags.items()],
                )

    def article_ids(self, urls: Iterable[str]) -> dict[str, int]:
        """url → articles.id for the archived ones among ``urls``."""
        urls = list(dict.fromkeys(urls))
        found: dict[str, int] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            found.update(
                (url, article_id)
                for article_id, url in self.conn.execute(
                    f"SELECT id, url FROM articles WHERE url IN ({marks})", chunk
                )
            )
        return found

    # -- source health --

    def source_activity(
        self, recent_runs: int = 10, sample: int = 250, days: int = 30
    ) -> dict[str, dict[str, Any]]:
        """Per source (registered, crawled or holding articles): its latest crawl runs,
        newest first; its article count and newest dates; the field coverage of its
        newest ``sample`` articles, newest first; its articles per published day over the
        last ``days`` days. The raw figures ``newsarchive.health`` judges."""
        names = [
            row[0]
            for row in self.conn.execute(
                "SELECT name FROM sources UNION SELECT source FROM crawl_runs"
                " WHERE kind = 'crawl' AND source IS NOT NULL"
                " UNION SELECT DISTINCT source FROM articles WHERE source IS NOT NULL"
            )
        ]
        since = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d")
        found: dict[str, dict[str, Any]] = {}
        for name in sorted(names):
            runs = [
                {**row, "dropped_reasons": json.loads(row["dropped_reasons"] or "{}")}
                for row in self.db.query(
                    "SELECT id, status, started, finished, pages, new, updated, unchanged,"
                    " failed, dropped, dropped_reasons FROM crawl_runs"
                    " WHERE source = ? AND kind = 'crawl' ORDER BY id DESC LIMIT ?",
                    [name, recent_runs],
                )
            ]
            count, newest_published, newest_seen = self.conn.execute(
                "SELECT count(*), max(published), max(first_seen) FROM articles WHERE source = ?",
                (name,),
            ).fetchone()
            newest = [
                {
                    "dated": bool(published),
                    "credited": bool(author or agency),
                    "categorised": categories not in (None, "", "[]"),
                    "words": words or 0,
                }
                for published, author, agency, categories, words in self.conn.execute(
                    "SELECT published, author, agency, categories, word_count FROM articles"
                    " WHERE source = ? ORDER BY id DESC LIMIT ?",
                    (name, sample),
                )
            ]
            per_day = self.conn.execute(
                "SELECT substr(coalesce(published, first_seen), 1, 10) AS day, count(*)"
                " FROM articles WHERE source = ? AND coalesce(published, first_seen) >= ?"
                " GROUP BY day ORDER BY day",
                (name, since),
            ).fetchall()
            found[name] = {
                "runs": runs,
                "articles": count,
                "newest_published": newest_published,
                "newest_seen": newest_seen,
                "newest": newest,
                "per_day": [tuple(row) for row in per_day],
            }
        return found

    # -- saved searches (issue 11) --

    def save_search(
        self,
        name: str,
        query: str,
        *,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        category: str | None = None,
    ) -> bool:
        """Save ``query`` and its filters under ``name``, replacing a search of that name;
        returns whether one was replaced. Raises ValueError for an unusable name."""
        name = " ".join((name or "").split())
        if not name or len(name) > SAVED_NAME_MAX or not name.isprintable():
            raise ValueError(
                f"a saved search needs a name of 1 to {SAVED_NAME_MAX} printable characters"
            )
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            replaced = (
                self.conn.execute("SELECT 1 FROM saved_searches WHERE name = ?", (name,)).fetchone()
                is not None
            )
            self.conn.execute(
                "INSERT OR REPLACE INTO saved_searches"
                " (name, query, source, since, until, category, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    query,
                    source or None,
                    since or None,
                    until or None,
                    category or None,
                    now_iso(),
                ),
            )
        return replaced

    def saved_searches(self) -> list[dict[str, Any]]:
        """Every saved search, by name."""
        return list(self.db["saved_searches"].rows_where(order_by="name"))

    def delete_saved_search(self, name: str) -> bool:
        with self.conn:
            cursor = self.conn.execute("DELETE FROM saved_searches WHERE name = ?", (name,))
        return cursor.rowcount > 0

    # -- reports --

    def stats(self, recent_runs: int = 10) -> dict[str, Any]:
        per_source = [
            dict(zip(("source", "articles", "oldest", "newest", "last_fetched"), r, strict=True))
            for r in self.conn.execute(
                "SELECT coalesce(source, ''), count(*), min(published), max(published),"
                " max(last_fetched) FROM articles GROUP BY source ORDER BY count(*) DESC"
            )
        ]
        runs = list(
            self.db["crawl_runs"].rows_where(
                select="id, kind, source, started, finished, status, pages, new, updated,"
                " unchanged, failed, dropped",
                order_by="id desc",
                limit=recent_runs,
            )
        )
        # The pages of the newest run that recorded any (the index answers max()).
        last = self.conn.execute("SELECT max(run_id) FROM pages").fetchone()[0]
        return {
            "articles": self.article_count(),
            "revisions": self.conn.execute("SELECT count(*) FROM revisions").fetchone()[0],
            "sources": per_source,
            "runs": runs,
            "last_run_pages": (
                {"run_id": last, "decisions": self.page_decisions(last)} if last else None
            ),
        }


def _interrupt_runs(conn: sqlite3.Connection) -> list[int]:
    pid, host, _ = stopping.this_process()
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM crawl_runs WHERE status = 'running' AND pid = ? AND host = ?",
                (pid, host),
            )
        ]
        conn.executemany(
            "UPDATE crawl_runs SET status = 'interrupted', finished = ? WHERE id = ?",
            [(now_iso(), run_id) for run_id in ids],
        )
    return ids


def interrupt_runs(path: str | Path, *, wait: float = stopping.HARD_STOP_DB_WAIT) -> list[int]:
    """:meth:`Archive.interrupt_runs` on a connection of its own, for a hard stop: the
    main thread's connection may be in the middle of a transaction (which is lost; its
    counts with it). Waits at most ``wait`` seconds for the archive."""
    conn = sqlite3.connect(path, timeout=wait, isolation_level=None, check_same_thread=False)
    try:
        return _interrupt_runs(conn)
    finally:
        conn.close()


def open_archive(path: str | Path = DEFAULT_DB, *, create: bool = True) -> Archive:
    """Open (and create or migrate) the archive at ``path`` in WAL mode, so Datasette can
    read while a crawl writes."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise ArchiveError(f"no archive at {path}; run `newsarchive ingest` or `crawl` first")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path.is_dir():
        raise ArchiveError(f"{path} is a folder; give --db the path of an archive file")
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        # Never add our tables to somebody else's database (nor switch it to WAL).
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise NotAnArchive(
                f"{path} is a SQLite database but not a newsarchive archive; give --db another path"
            )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        archive = Archive(sqlite_utils.Database(conn), path)
        archive.migrate()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if "not a database" not in str(exc) and "malformed" not in str(exc):
            raise
        raise NotAnArchive(
            f"{path} is not a SQLite database ({exc}); give --db another path"
        ) from exc
    except BaseException:
        conn.close()
        raise
    return archive
