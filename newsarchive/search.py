"""Ranked Arabic full-text search over the archive: the one query function behind
``newsarchive search``, the Datasette search page and the articles table's ``?_search=``.

Above the archive: it reads the tables :mod:`newsarchive.archive` writes (``articles``
and the full-text index ``articles_fts`` of search keys) on any connection, read-only
ones included; the archive never imports it. The search text is parsed by
:mod:`newsarchive.query` (never passed raw to FTS5), ranked with bm25 over the search
keys, and shown as highlighted snippets of the ORIGINAL text.

Two engines, one function (issue 11). Relevance order, counts and facets come from the
derived index (:mod:`newsarchive.searchindex`, tantivy): every match ranked exactly,
counted and faceted, in milliseconds at a million articles, brought in step with the
archive before each search. Newest-first hits come from SQLite (the newest matches by
rowid, as fast as they always were: :mod:`newsarchive.searchwindow`). Without the
derived index (a big archive not yet reindexed, a read-only folder, ``engine="fts5"``)
FTS5 ranks a window of the newest matches there, and the totals say they are estimates.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from newsarchive.archive import ArchiveError
from newsarchive.searchindex import (
    IndexUnavailable,
    SearchIndex,
    Searching,
    build_index,
    db_file,
    open_index,
    open_or_build,
)
from newsarchive.searchwindow import Filters, Found, fts5_page
from newsarchive.stories import also_in, one_per_story, story_counts

if TYPE_CHECKING:
    from newsarchive.archive import Archive
    from newsarchive.query import Query

__all__ = [
    "MAX_RESULTS",
    "SEARCH_ORDERS",
    "SearchError",
    "SearchHit",
    "SearchResults",
    "keep_in_step",
    "rebuild_index",
    "search",
    "search_archive",
]

log = logging.getLogger(__name__)

# How deep a search can page: past this nobody is reading, and SQLite integers end.
MAX_RESULTS = 10_000

SNIPPET_WIDTH = 200
SEARCH_ORDERS = ("relevance", "recent")
SEARCH_ENGINES = ("auto", "index", "fts5")


class SearchError(ArchiveError):
    """The search text or a filter cannot be searched; the message says what to change."""


@dataclass
class SearchHit:
    """One ranked article; ``title_html`` and ``snippet`` are HTML-escaped original text
    with the matching words in ``<mark>``."""

    id: int
    url: str
    title: str
    title_html: str
    source: str | None
    published: str | None
    snippet: str
    score: float
    # The story it is a copy of (newsarchive.stories), and the sources of its other
    # copies: what "also in: …" lists when search shows one hit per story.
    story_id: int | None = None
    also_in: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``search --json`` object: id, url, title, source, published, snippet,
        score, story_id and also_in (the sources of the story's other copies)."""
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "snippet": self.snippet,
            "score": self.score,
            "story_id": self.story_id,
            "also_in": self.also_in,
        }


@dataclass
class SearchResults:
    """A page of hits. ``total`` is exact when ``total_exact``; otherwise it is an
    estimate extrapolated from the ranked window (its matches per rowid over the whole
    archive), and ``ranked`` says how many of the newest matches were ranked (headline
    matches among the TITLE_SCAN newest come on top of those). ``facets`` count sources
    and months (YYYY-MM) over the same matches ``total`` counts, or over the window.
    ``counting`` says what ``total`` and the facets count: "stories" (each story once,
    however many copies match; a story printed by two sources counts under each) or
    "articles" (every copy, ``all_copies``)."""

    query: str
    hits: list[SearchHit]
    total: int
    total_exact: bool
    ranked: int
    order: str
    limit: int
    offset: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # "index" (the derived index: exact) or "fts5" (the window: estimates).
    engine: str = "fts5"
    counting: str = "stories"


def _check_date(value: str | None, name: str) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise SearchError(f"{name} must be a date such as 2024-05-31, not {value!r}") from None


def _index_page(
    conn: sqlite3.Connection,
    index: SearchIndex,
    query: Query,
    filters: Filters,
    order: str,
    limit: int,
    offset: int,
    facets: bool,
    per_story: bool,
) -> Found:
    """Relevance from the derived index: every match scored (pruned by block-max WAND,
    never approximated), counted and faceted. Newest first is SQLite's (as fast as
    before: the newest matches by rowid, ordered by published), counted by the index.
    ``per_story``: one hit per story, stories counted (newsarchive.stories)."""
    searching = Searching(index)
    compiled = searching.query(query, filters)
    total = searching.count(compiled)
    if order == "recent":

        def fetch(wanted: int, skip: int = 0) -> list[tuple[int, float]]:
            return fts5_page(conn, query, filters, order, wanted - skip, skip, False).page

    else:

        def fetch(wanted: int, skip: int = 0) -> list[tuple[int, float]]:
            return searching.best(compiled, wanted)[skip:]

    if not per_story:
        facet_counts = searching.facets(compiled) if facets else {}
        return Found(fetch(offset + limit, offset), total, True, total, facet_counts, "index")
    page = one_per_story(conn, fetch, offset, limit)
    if total <= EXACT_STORIES:
        # Counted in SQLite from every match's story: exact.
        stories, facet_counts = story_counts(conn, searching.ids(compiled, total), facets)
        return Found(page, stories, True, stories, facet_counts, "index")
    stories = searching.count_stories(compiled)
    facet_counts = searching.facets(compiled, per_story=True) if facets else {}
    return Found(page, stories, False, stories, facet_counts, "index")


# Up to this many matching articles, their stories are counted exactly (one SQLite read
# of their ids, tens of milliseconds); past it, by tantivy's cardinality estimate.
EXACT_STORIES = 20_000


# Archives up to this size get their derived index built by the first search that
# finds none (a few seconds); a bigger one waits for `newsarchive reindex`.
AUTO_BUILD = 50_000


def derived_index(conn: sqlite3.Connection) -> SearchIndex | None:
    """The archive's derived index, brought in step with it, or None when it cannot be
    had (no file, not built and too big to build now, locked, unwritable)."""
    path = db_file(conn)
    if path is None:
        return None
    try:
        index = open_or_build(conn, path, AUTO_BUILD)
        index.sync(conn)
    except (IndexUnavailable, OSError, ValueError, sqlite3.OperationalError) as exc:
        log.warning("searching %s without its search index: %s", path, exc)
        return None
    return index


# The writer brings the derived index in step at most this often (each tantivy commit
# writes a segment: ~0.1 s whatever its size) and when it closes; every search brings it
# in step first, so what a write adds is searchable at once all the same.
SYNC_EVERY = 2.0


def keep_in_step(archive: Archive, every: float | None = None) -> Archive:
    """Carry ``archive``'s writes into its derived index as batches commit (at most
    every ``every`` seconds, default SYNC_EVERY) and when it closes, if the index has
    been built; returns ``archive``. A failure here never fails the write: the next
    search replays what was missed."""
    last = [float("-inf")]

    def sync(written: Archive, force: bool = False) -> None:
        interval = SYNC_EVERY if every is None else every
        if written.path is None or (not force and time.monotonic() - last[0] < interval):
            return
        last[0] = time.monotonic()
        try:
            index = open_index(written.path)
        except IndexUnavailable:
            return  # not built yet: the first search or `newsarchive reindex` builds it
        try:
            index.sync(written.conn)
        except (IndexUnavailable, OSError, ValueError) as exc:
            log.warning("the search index of %s lags the archive: %s", written.path, exc)

    if archive.path is not None and archive.article_count() == 0:
        # A new archive starts with its (empty) index, so a first big ingest is indexed
        # as it goes rather than waiting for `newsarchive reindex`.
        try:
            open_or_build(archive.conn, archive.path, 0)
        except (IndexUnavailable, OSError) as exc:
            log.warning("no search index for %s: %s", archive.path, exc)
    archive.after_write.append(sync)
    archive.before_close.append(lambda closing: sync(closing, force=True))
    return archive


def rebuild_index(archive: Archive, progress: Callable[[int], None] | None = None) -> int:
    """Build the archive's derived index anew from its full-text keys (``newsarchive
    reindex`` runs it after rebuilding those); returns how many articles it holds."""
    if archive.path is None:
        raise SearchError("an in-memory archive has no search index")
    try:
        return build_index(archive.conn, archive.path, progress)
    except (IndexUnavailable, OSError) as exc:
        raise SearchError(f"could not build the search index: {exc}") from exc


def search_archive(
    conn: sqlite3.Connection,
    text: str,
    *,
    source: str | None = None,
    since: str | None = None,
    until: str | None = None,
    category: str | None = None,
    limit: int = 20,
    offset: int = 0,
    order: str = "relevance",
    facets: bool = False,
    snippets: bool = True,
    engine: str = "auto",
    all_copies: bool = False,
) -> SearchResults:
    """Ranked Arabic full-text search of ``text`` on ``conn``.

    ``text``: words (all required), "quoted phrases", ``OR`` between two words or
    phrases, ``-word`` to exclude (newsarchive.query). Filters: ``source``,
    ``since``/``until`` (dates, inclusive), ``category``. ``order``: ``relevance``
    (bm25, title weighted above text) or ``recent`` (newest published first).
    ``facets`` adds counts per source and month; ``snippets=False`` leaves
    ``title_html`` and ``snippet`` empty (for callers that only need the ranking).
    Raises :class:`SearchError` with a readable message when there is nothing to
    search for or a filter is malformed.

    ``engine``: ``auto`` ranks with the derived index (newsarchive.searchindex: exact
    bm25 over every match, exact counts and facets) when it can be had, else with the
    FTS5 window below; ``index`` or ``fts5`` insist on one (benchmarks, tests).

    One hit per story (newsarchive.stories): the best-ranked copy of each, with the
    sources of the others in ``also_in``; ``total`` and the facets count stories.
    ``all_copies`` shows and counts every copy instead.

    Works on any connection to an archive, read-only ones included (Datasette's).
    """
    from newsarchive.query import QueryError, highlight, parse_query, snippet

    if engine not in SEARCH_ENGINES:
        raise SearchError(f"engine must be one of {', '.join(SEARCH_ENGINES)}, not {engine!r}")
    if order not in SEARCH_ORDERS:
        raise SearchError(f"order must be one of {', '.join(SEARCH_ORDERS)}, not {order!r}")
    if limit < 0 or offset < 0:
        raise SearchError("limit and offset must not be negative")
    if limit > MAX_RESULTS or offset > MAX_RESULTS:
        raise SearchError(
            f"at most {MAX_RESULTS:,} results can be paged through; narrow the query instead"
        )
    try:
        query = parse_query(text or "")
    except QueryError as exc:
        raise SearchError(str(exc)) from None
    filters = Filters(
        source or None,
        _check_date(since, "since"),
        _check_date(until, "until"),
        category or None,
    )
    index = None if engine == "fts5" else derived_index(conn)
    if index is None and engine == "index":
        raise SearchError("the search index is not available; run `newsarchive reindex`")
    try:
        per_story = not all_copies
        if index is not None:
            found = _index_page(
                conn, index, query, filters, order, limit, offset, facets, per_story
            )
        else:
            found = fts5_page(conn, query, filters, order, limit, offset, facets, per_story)
            if per_story:
                found.page = one_per_story(
                    conn,
                    lambda wanted: fts5_page(conn, query, filters, order, wanted, 0, False).page,
                    offset,
                    limit,
                )
        page = found.page
        copies = also_in(conn, [article_id for article_id, _ in page])
        rows = {
            row[0]: row
            for row in conn.execute(
                f"SELECT id, url, title, source, published, {'text' if snippets else 'NULL'}"
                " FROM articles WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps([article_id for article_id, _ in page]),),
            )
        }
    except sqlite3.OperationalError as exc:
        # parse_query quotes every word, so FTS5 should never reject an expression; if
        # it does, the reader gets a message, not an SQL error.
        log.warning("search %r failed: %s", text, exc)
        raise SearchError(f"the query could not be searched ({exc})") from exc
    hits = []
    for article_id, score in page:
        _id, url, title, article_source, published, body = rows[article_id]
        hits.append(
            SearchHit(
                id=article_id,
                url=url,
                title=title,
                title_html=highlight(title, query) if snippets else "",
                source=article_source,
                published=published,
                snippet=snippet(body, query, width=SNIPPET_WIDTH) if snippets else "",
                score=round(score, 6),
                story_id=copies[article_id][0],
                also_in=copies[article_id][1] if per_story else [],
            )
        )
    return SearchResults(
        query=text,
        hits=hits,
        total=found.total,
        total_exact=found.exact,
        ranked=found.ranked,
        order=order,
        limit=limit,
        offset=offset,
        facets=found.facets,
        engine=found.engine,
        counting="stories" if per_story else "articles",
    )


def search(archive: Archive, text: str, **options: Any) -> SearchResults:
    """:func:`search_archive` on an open :class:`~newsarchive.archive.Archive`."""
    return search_archive(archive.conn, text, **options)
