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
rowid, as fast as they always were). Without the derived index (a big archive not yet
reindexed, a read-only folder, ``engine="fts5"``) FTS5 ranks the window described below
and the totals say they are estimates.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
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

# The FTS5 fallback's cost model (bench/bench_search_latency.py, bench/results/search.md;
# why the derived index exists: bench/results/search-ranking-*.md): bm25 costs one to
# a few microseconds per matching article (more for words repeated in long texts), so a
# word found in most of a million articles costs seconds to rank exactly; counting its
# matches costs ~0.3 µs each, and an fts5vocab table is no cheaper (it walks the same
# doclist: 100 ms for a word in 100,000 articles). So a query with at most RANK_ALL
# matches (after filters) is ranked and counted exactly; beyond that only a window is
# ranked: the newest RANK_NEWEST matches (rowid order is arrival order, which for a
# crawled archive follows publication) plus the articles matching in the headline among
# the newest TITLE_SCAN matches, and the total is extrapolated from the window's
# density. An old article that matches only in its body can then be missed by a very
# common query: the price of answering in tens of milliseconds. Headline matches are
# ranked by the title-restricted expression ANDed with the query, so their score adds a
# second bm25 term for the title.

# bm25 weights of (title, text): a word in the headline says more about what an article
# is about than the same word in its body (bench/stemmer_eval.md ranks with 10, 1).
TITLE_WEIGHT = 10.0
TEXT_WEIGHT = 1.0
RANK_ALL = 5_000
RANK_NEWEST = 1_000
# Headline matches are looked for among this many newest matches (cheap: FTS5 checks the
# column of each, no bm25 unless it matches in the title).
TITLE_SCAN = 2_000
# With filters, at most this many of the newest matches are checked against them; when
# too few pass, a source filter narrows the scan to its SOURCE_RECENT newest articles.
FILTER_SCAN = 5_000
SOURCE_RECENT = 20_000
# The best hits by bm25 that _prefer_typed_forms reorders.
RERANK = 50
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

    def to_json(self) -> dict[str, Any]:
        """The ``search --json`` object: id, url, title, source, published, snippet, score."""
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "snippet": self.snippet,
            "score": self.score,
        }


@dataclass
class SearchResults:
    """A page of hits. ``total`` is exact when ``total_exact``; otherwise it is an
    estimate extrapolated from the ranked window (its matches per rowid over the whole
    archive), and ``ranked`` says how many of the newest matches were ranked (headline
    matches among the TITLE_SCAN newest come on top of those). ``facets`` count sources
    and months (YYYY-MM) over the same matches ``total`` counts, or over the window."""

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


@dataclass(frozen=True)
class _Filters:
    source: str | None = None
    since: str | None = None
    until: str | None = None
    category: str | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """``AND …`` conditions on the articles table aliased ``a``, and their values."""
        clauses, params = [], []
        if self.source:
            clauses.append("a.source = ?")
            params.append(self.source)
        if self.since:
            # ISO 8601 strings compare in date order at day precision.
            clauses.append("a.published >= ?")
            params.append(self.since)
        if self.until:
            # until is inclusive: everything that day, whatever its time and offset.
            clauses.append("a.published < ?")
            params.append((date.fromisoformat(self.until) + timedelta(days=1)).isoformat())
        if self.category:
            # LIKE first: a cheap scan of the JSON text that rejects most rows before
            # json_each parses the array (~10 µs a row).
            clauses.append(
                "a.categories LIKE ? ESCAPE '\\'"
                " AND EXISTS (SELECT 1 FROM json_each(a.categories) WHERE value = ?)"
            )
            pattern = re.sub(r"([%_\\])", r"\\\1", json.dumps(self.category, ensure_ascii=False))
            params += [f"%{pattern}%", self.category]
        return "".join(f" AND {clause}" for clause in clauses), params


@dataclass(frozen=True)
class _Scope:
    """Where a search may look: ``where``/``params`` check the filters on ``articles AS
    a``; only rowids in ``low``..``high`` can pass them (from the date range)."""

    where: str
    params: list[Any]
    low: int
    high: int
    source: str | None = None

    def bounds(self, floor: int = 0) -> tuple[int, int]:
        return max(floor, self.low), self.high


_MAX_ROWID = 2**63 - 1


def _scope(conn: sqlite3.Connection, filters: _Filters) -> _Scope:
    where, params = filters.sql()
    low, high = 0, _MAX_ROWID
    if filters.since or filters.until:
        # The date range's first and last rowid, read from the published index, bound
        # every FTS5 scan below: FTS5 seeks to a rowid range instead of walking
        # matches from outside it (in a crawled archive, rowids follow dates closely).
        date_where, date_params = _Filters(since=filters.since, until=filters.until).sql()
        first, last = conn.execute(
            f"SELECT min(a.id), max(a.id) FROM articles AS a WHERE 1{date_where}", date_params
        ).fetchone()
        low, high = (first, last) if first is not None else (1, 0)
    return _Scope(where, params, low, high, filters.source)


@dataclass(frozen=True)
class _Window:
    """The matches ranked: rowid >= ``floor`` (within the scope); ``count`` of them
    pass the filters; ``exact`` when that is every match in the archive."""

    floor: int
    count: int
    exact: bool


def _check_date(value: str | None, name: str) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise SearchError(f"{name} must be a date such as 2024-05-31, not {value!r}") from None


# The newest matches in the scope, each checked against the filters; CROSS JOIN keeps
# FTS5 the outer loop (https://www.sqlite.org/optoverview.html#crossjoin).
_SCAN = (
    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ?"
    " ORDER BY rowid DESC LIMIT ?"
)


def _window(
    conn: sqlite3.Connection, expression: str, scope: _Scope, exact_up_to: int, newest: int
) -> _Window:
    """All matches if at most ``exact_up_to`` pass the filters, else the newest
    ``newest`` of them (or whatever the FILTER_SCAN newest matches hold)."""
    if not scope.where:
        args = (expression, *scope.bounds(), exact_up_to + 1)
        ids = [row[0] for row in conn.execute(_SCAN, args)]
        if len(ids) <= exact_up_to:
            return _Window(0, len(ids), True)
        return _Window(ids[newest - 1], newest, False)
    # One pass over the newest FILTER_SCAN matches: which pass the filters, and how far
    # back the scan went.
    scanned = conn.execute(
        f"SELECT m.rowid, 1{scope.where} FROM ({_SCAN}) AS m"
        " CROSS JOIN articles AS a ON a.id = m.rowid",
        (*scope.params, expression, *scope.bounds(), FILTER_SCAN),
    ).fetchall()
    ids = sorted((rowid for rowid, passed in scanned if passed), reverse=True)
    if len(scanned) < FILTER_SCAN and len(ids) <= exact_up_to:
        return _Window(0, len(ids), True)
    if len(ids) > newest:
        return _Window(ids[newest - 1], newest, False)
    return _Window(min(rowid for rowid, _ in scanned), len(ids), False)


def _source_window(
    conn: sqlite3.Connection, expression: str, scope: _Scope, newest: int
) -> _Window:
    """The window of a source filter that the newest FILTER_SCAN matches left (nearly)
    empty: matches among the source's SOURCE_RECENT newest articles (from the source
    index), so a small source is not starved by a big one's recent articles."""
    low, high = scope.bounds()
    row = conn.execute(
        "SELECT id FROM articles WHERE source = ? AND id BETWEEN ? AND ?"
        " ORDER BY id DESC LIMIT 1 OFFSET ?",
        (scope.source, low, high, SOURCE_RECENT - 1),
    ).fetchone()
    floor = row[0] if row else low
    # +rowid: a plain expression, so FTS5 scans its range instead of seeking each id.
    scanned = conn.execute(
        f"SELECT m.rowid, 1{scope.where} FROM (SELECT rowid FROM articles_fts"
        " WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN"
        " (SELECT id FROM articles WHERE source = ? AND id BETWEEN ? AND ?)"
        " ORDER BY rowid DESC LIMIT ?) AS m CROSS JOIN articles AS a ON a.id = m.rowid",
        (*scope.params, expression, floor, high, scope.source, floor, high, newest + 1),
    ).fetchall()
    ids = sorted((rowid for rowid, passed in scanned if passed), reverse=True)
    if len(scanned) <= newest:
        return _Window(0 if row is None else floor, len(ids), row is None)
    return _Window(ids[newest - 1] if len(ids) >= newest else floor, min(len(ids), newest), False)


def _nth_newest(conn: sqlite3.Connection, expression: str, scope: _Scope, n: int) -> int:
    """The rowid of the ``n``-th newest match in the scope's rowid range (filters not
    checked), or the range's start when there are fewer."""
    row = conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ?"
        " ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (expression, *scope.bounds(), n - 1),
    ).fetchone()
    return row[0] if row else scope.low


def _estimate(conn: sqlite3.Connection, window: _Window, scope: _Scope) -> int:
    """Matches in the whole scope if the window's density (matches per rowid) held
    throughout; never less than the window's own count."""
    if window.exact:
        return window.count
    # Two queries: SQLite answers a lone min() or max() from the primary key, but scans
    # the table for both in one SELECT.
    low = max(scope.low, conn.execute("SELECT min(id) FROM articles").fetchone()[0] or 0)
    high = min(scope.high, conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 0)
    span = max(1, high - window.floor + 1)
    return max(window.count, round(window.count * (high - low + 1) / span))


_RANKED = (
    "SELECT f.rowid, -bm25(articles_fts, {title}, {text}) AS score"
    " FROM articles_fts AS f{join}"
    " WHERE articles_fts MATCH ? AND f.rowid BETWEEN ? AND ?{filters}"
    " ORDER BY {order} LIMIT ? OFFSET ?"
)
_JOIN = " CROSS JOIN articles AS a ON a.id = f.rowid"


def _ranked(
    conn: sqlite3.Connection,
    expression: str,
    floor: int,
    scope: _Scope,
    limit: int,
    offset: int = 0,
    order: str = "score DESC, f.rowid DESC",
) -> list[tuple[int, float]]:
    # The join to articles only when filters or the order need its columns.
    join = _JOIN if scope.where or "a." in order else ""
    sql = _RANKED.format(
        title=TITLE_WEIGHT, text=TEXT_WEIGHT, join=join, filters=scope.where, order=order
    )
    args = (expression, *scope.bounds(floor), *scope.params, limit, offset)
    return [(row[0], row[1]) for row in conn.execute(sql, args)]


def _facets(
    conn: sqlite3.Connection, expression: str, floor: int, scope: _Scope
) -> dict[str, list[tuple[str, int]]]:
    sources: dict[str, int] = {}
    months: dict[str, int] = {}
    # One pass over the window for both facets.
    for source, month, count in conn.execute(
        "SELECT coalesce(a.source, ''), coalesce(a.month, ''), count(*)"
        " FROM articles_fts AS f CROSS JOIN articles AS a ON a.id = f.rowid"
        f" WHERE articles_fts MATCH ? AND f.rowid BETWEEN ? AND ?{scope.where} GROUP BY 1, 2",
        (expression, *scope.bounds(floor), *scope.params),
    ):
        sources[source] = sources.get(source, 0) + count
        months[month] = months.get(month, 0) + count
    return {
        "source": sorted(sources.items(), key=lambda kv: (-kv[1], kv[0])),
        "month": sorted(months.items(), reverse=True),
    }


def _prefer_typed_forms(
    conn: sqlite3.Connection, query: Query, best: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """Reorder the first RERANK hits: titles holding more of the words in the very form
    typed (normalised, not stemmed) first, bm25 next. Stems match المدرسة for مدرسة and
    السعودية for السعودة; the reader who typed a form most likely wants it
    (bench/stemmer_eval.md: exact forms lift MRR; bench/results/search.md)."""
    from newsarchive.arabic.normalize import surface_key

    forms = [set(op.surface) for clause in query.clauses for op in clause if op.surface]
    head = best[:RERANK]
    if not forms or len(head) < 2:
        return best
    titles = dict(
        conn.execute(
            "SELECT id, title FROM articles WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([article_id for article_id, _ in head]),),
        )
    )

    def typed(article_id: int) -> int:
        words = set(surface_key(titles.get(article_id) or "").split())
        return sum(1 for form in forms if form <= words)

    # sorted() is stable: equal counts keep their bm25 order.
    return sorted(head, key=lambda kv: -typed(kv[0])) + best[RERANK:]


@dataclass
class _Found:
    """One page of (article id, score) and what is known of all the matches."""

    page: list[tuple[int, float]]
    total: int
    exact: bool
    ranked: int
    facets: dict[str, list[tuple[str, int]]]
    engine: str


def _index_page(
    conn: sqlite3.Connection,
    index: SearchIndex,
    query: Query,
    filters: _Filters,
    order: str,
    limit: int,
    offset: int,
    facets: bool,
) -> _Found:
    """Relevance from the derived index: every match scored (pruned by block-max WAND,
    never approximated), counted and faceted. Newest first is SQLite's (as fast as
    before: the newest matches by rowid, ordered by published), counted by the index."""
    searching = Searching(index)
    compiled = searching.query(query, filters)
    total = searching.count(compiled)
    if order == "recent":
        page = _fts5_page(conn, query, filters, order, limit, offset, False).page
    else:
        page = searching.best(compiled, offset + limit)[offset:]
    facet_counts = searching.facets(compiled) if facets else {}
    return _Found(page, total, True, total, facet_counts, "index")


def _fts5_page(
    conn: sqlite3.Connection,
    query: Query,
    filters: _Filters,
    order: str,
    limit: int,
    offset: int,
    facets: bool,
) -> _Found:
    """Without the derived index: FTS5, exact up to RANK_ALL matches, else the window
    described at the top of this module (totals are estimates then)."""
    expression = query.fts_expression()
    # Matching in the headline too: ranked with its own bm25 added, so title matches
    # come first, and found separately so the window cannot leave them out.
    title_expression = f"({query.fts_expression(['title'])}) AND ({expression})"
    wanted = offset + limit
    scope = _scope(conn, filters)
    window = _window(conn, expression, scope, RANK_ALL, RANK_NEWEST)
    if not window.exact and window.count < RANK_NEWEST and scope.source:
        window = _source_window(conn, expression, scope, RANK_NEWEST)
    if order == "recent":
        newest_first = "a.published DESC, f.rowid DESC"
        page = _ranked(conn, expression, window.floor, scope, limit, offset, newest_first)
    else:
        title_floor = 0
        if not window.exact:
            # Reaches at least as far back as the main window, so an article gets
            # the same score whichever pass finds it.
            title_floor = min(window.floor, _nth_newest(conn, expression, scope, TITLE_SCAN))
        head = max(wanted, RERANK)
        scores = dict(_ranked(conn, expression, window.floor, scope, head))
        scores.update(_ranked(conn, title_expression, title_floor, scope, head))
        best = sorted(scores.items(), key=lambda kv: (-kv[1], -kv[0]))
        page = _prefer_typed_forms(conn, query, best)[offset:wanted]
    total = _estimate(conn, window, scope)
    facet_counts = _facets(conn, expression, window.floor, scope) if facets else {}
    return _Found(page, total, window.exact, window.count, facet_counts, "fts5")


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
    filters = _Filters(
        source or None,
        _check_date(since, "since"),
        _check_date(until, "until"),
        category or None,
    )
    index = None if engine == "fts5" else derived_index(conn)
    if index is None and engine == "index":
        raise SearchError("the search index is not available; run `newsarchive reindex`")
    try:
        if index is not None:
            found = _index_page(conn, index, query, filters, order, limit, offset, facets)
        else:
            found = _fts5_page(conn, query, filters, order, limit, offset, facets)
        page = found.page
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
    )


def search(archive: Archive, text: str, **options: Any) -> SearchResults:
    """:func:`search_archive` on an open :class:`~newsarchive.archive.Archive`."""
    return search_archive(archive.conn, text, **options)
