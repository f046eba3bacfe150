"""Search without the derived index: FTS5 ranks a window of the newest matches.

The fallback of :func:`newsarchive.search.search_archive` when the derived index
(newsarchive.searchindex) cannot be had: a big archive not yet reindexed, a read-only
folder, or ``engine="fts5"``; and the newest-first order, which it serves as fast as it
always did. Exact up to RANK_ALL matches; past that, counts are estimates and a very
common word ranks only its newest matches (issue 11: why the derived index exists).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsarchive.query import Query

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Filters:
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


def _scope(conn: sqlite3.Connection, filters: Filters) -> _Scope:
    where, params = filters.sql()
    low, high = 0, _MAX_ROWID
    if filters.since or filters.until:
        # The date range's first and last rowid, read from the published index, bound
        # every FTS5 scan below: FTS5 seeks to a rowid range instead of walking
        # matches from outside it (in a crawled archive, rowids follow dates closely).
        date_where, date_params = Filters(since=filters.since, until=filters.until).sql()
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


_MATCHES = (
    " FROM articles_fts AS f CROSS JOIN articles AS a ON a.id = f.rowid"
    " WHERE articles_fts MATCH ? AND f.rowid BETWEEN ? AND ?{where}"
)
# An article's story (newsarchive.stories), minus its id when not grouped yet.
_STORY = "coalesce(a.story_id, -a.id)"


def _facets(
    conn: sqlite3.Connection, expression: str, floor: int, scope: _Scope, per_story: bool
) -> dict[str, list[tuple[str, int]]]:
    sources: dict[str, int] = {}
    months: dict[str, int] = {}
    matches = _MATCHES.format(where=scope.where)
    args = (expression, *scope.bounds(floor), *scope.params)
    if per_story:
        # Stories per source and per month: a story counts once in each.
        for column, counts in (("source", sources), ("month", months)):
            counts.update(
                conn.execute(
                    f"SELECT coalesce(a.{column}, ''), count(DISTINCT {_STORY}){matches}"
                    " GROUP BY 1",
                    args,
                )
            )
    else:
        # One pass over the window for both facets.
        for source, month, count in conn.execute(
            f"SELECT coalesce(a.source, ''), coalesce(a.month, ''), count(*){matches}"
            " GROUP BY 1, 2",
            args,
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
class Found:
    """One page of (article id, score) and what is known of all the matches."""

    page: list[tuple[int, float]]
    total: int
    exact: bool
    ranked: int
    facets: dict[str, list[tuple[str, int]]]
    engine: str


def fts5_page(
    conn: sqlite3.Connection,
    query: Query,
    filters: Filters,
    order: str,
    limit: int,
    offset: int,
    facets: bool,
    per_story: bool = False,
) -> Found:
    """Without the derived index: FTS5, exact up to RANK_ALL matches, else the window
    described at the top of this module (totals are estimates then). ``per_story``:
    the total and facets count stories (newsarchive.stories); the window's share of
    stories among its matches scales an estimate."""
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
    if per_story and window.count:
        stories = conn.execute(
            f"SELECT count(DISTINCT {_STORY}){_MATCHES.format(where=scope.where)}",
            (expression, *scope.bounds(window.floor), *scope.params),
        ).fetchone()[0]
        total = stories if window.exact else round(total * stories / window.count)
    facet_counts = _facets(conn, expression, window.floor, scope, per_story) if facets else {}
    return Found(page, total, window.exact, window.count, facet_counts, "fts5")
