"""Exact ranking at scale (issue 11): does the top ten equal an exact bm25 ranking of
every match, and what does it cost?

    .venv/bin/python bench/build_big_archive.py --articles 1000000 --db /tmp/big.db
    .venv/bin/python bench/bench_search_ranking.py --db /tmp/big.db [--rebuild]

For each query of the set (common words with hundreds of thousands of matches, the words
build_big_archive.py plants old best matches for, rare words, 2-4-word queries, phrases,
OR, exclusion, filters):

- overlap of ``search()``'s top ten with the exact ranking of every match: tantivy asked
  for *all* matches (no pruning can happen when every match is kept), ordered by score
  then newest; and the same for the FTS5 window (``engine='fts5'``, the ranking before
  the derived index) against FTS5's own ``bm25()`` over every match;
- where the planted old articles land;
- p50/p95 latency of ``search()`` (10 hits, snippets), by kind, newest-first and with
  facets; Datasette's search page and JSON and the table's ``?_search=`` over HTTP on
  127.0.0.1 (``--http``); the ``newsarchive search`` process (``--cli-runs N``);
- the derived index's build time and size.

``--ingest N`` also times ingesting N synthetic articles into a fresh archive with the
index kept in step against without it. Never asserts: it writes figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_search_latency import percentile, time_cli, time_http  # noqa: E402
from build_big_archive import PLANTED, planted_url  # noqa: E402

from newsarchive import searchindex  # noqa: E402
from newsarchive.archive import open_archive  # noqa: E402
from newsarchive.query import parse_query  # noqa: E402
from newsarchive.search import keep_in_step, search  # noqa: E402
from newsarchive.searchwindow import TEXT_WEIGHT, TITLE_WEIGHT, Filters  # noqa: E402

# (kind, query, options)
QUERIES: list[tuple[str, str, dict[str, str]]] = [
    ("common word", "في", {}),
    ("common word", "قال", {}),
    ("common word", "الرئيس", {}),
    ("planted word", "الحكومة", {}),
    ("planted word", "وزير", {}),
    ("frequent word", "سوريا", {}),
    ("frequent word", "ترامب", {}),
    ("rare word", "زلزال", {}),
    ("rare word", "الفيضانات", {}),
    ("rare word", "مستشفيات", {}),
    ("2 words", "الرئيس الأمريكي", {}),
    ("2 words", "وزير الخارجية", {}),
    ("2 words", "كأس العالم", {}),
    ("3-4 words", "مجلس الأمن الدولي", {}),
    ("3-4 words", "وزير الخارجية الأمريكي", {}),
    ("3-4 words", "الرئيس الفلسطيني محمود عباس", {}),
    ("3-4 words", "الأمم المتحدة في سوريا", {}),
    ("phrase", '"البيت الأبيض"', {}),
    ("phrase", '"مجلس الأمن"', {}),
    ("OR", "سوريا OR العراق", {}),
    ("OR", "زلزال أو فيضانات", {}),
    ("exclusion", "الرئيس -ترامب", {}),
    ("exclusion", "سوريا -روسيا", {}),
    ("source filter", "الرئيس", {"source": "bbc"}),
    ("source filter", "زلزال", {"source": "cnn"}),
    ("date filter", "في", {"since": "2015-01-01", "until": "2015-12-31"}),
    ("date filter", "ترامب", {"since": "2020-06-01", "until": "2020-06-30"}),
    ("category filter", "الرئيس", {"category": "middleEast"}),
]
RECENT = [("newest first", "الرئيس", {}), ("newest first", "زلزال", {})]


def exact_index_top(archive, query: str, options: dict[str, str], k: int = 10) -> list[int]:
    """Every match scored by tantivy (limit = all matches: nothing can be pruned), best
    first, ties newest first."""
    index = searchindex.open_index(archive.path)
    searching = searchindex.Searching(index)
    filters = Filters(
        options.get("source"), options.get("since"), options.get("until"), options.get("category")
    )
    compiled = searching.query(parse_query(query), filters)
    everything = searching.searcher.search(compiled, limit=max(1, searching.count(compiled)))
    ids = searching.searcher.fast_field_values("id", [a for _, a in everything.hits])
    pairs = sorted(
        zip(ids, (s for s, _ in everything.hits), strict=True), key=lambda p: (-p[1], -p[0])
    )
    return [article_id for article_id, _ in pairs[:k]]


def exact_fts5_top(archive, query: str, options: dict[str, str], k: int = 10) -> list[int] | None:
    """FTS5's bm25() over every match (the old scorer's exact ranking); None with filters."""
    if options:
        return None
    expression = parse_query(query).fts_expression()
    rows = archive.conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
        f" ORDER BY bm25(articles_fts, {TITLE_WEIGHT}, {TEXT_WEIGHT}), rowid DESC LIMIT ?",
        (expression, k),
    ).fetchall()
    return [row[0] for row in rows]


def timed(function, *args, **kwargs):
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return result, 1000 * (time.perf_counter() - began)


def line(name: str, values: list[float]) -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.1f} |"
        f" {percentile(values, 0.95):.1f} | {max(values):.1f} |"
    )


def ingest_rate(count: int, keep: bool) -> float:
    from build_big_archive import CORPUS, read_ant, synthesise

    docs = read_ant(CORPUS)[:5000]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ingest.db"
        with open_archive(path) as archive:
            if keep:
                searchindex.build_index(archive.conn, path)  # empty, then kept in step
                keep_in_step(archive)
            began = time.perf_counter()
            for _ in archive.upsert_articles(synthesise(docs, count, plant=0), batch_size=500):
                pass
        # Timed to the close, so the writer's last sync of the index is counted.
        return count / (time.perf_counter() - began)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the derived index")
    parser.add_argument("--http", action="store_true", help="also time Datasette over HTTP")
    parser.add_argument("--ingest", type=int, default=0, help="also time an ingest of N")
    parser.add_argument(
        "--cli-runs", type=int, default=0, help="also time N `newsarchive search` processes"
    )
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out: list[str] = []
    with open_archive(args.db) as archive:
        articles = archive.article_count()
        out += [f"# Exact ranking at {articles:,} articles (bench/bench_search_ranking.py)", ""]
        if args.rebuild or not searchindex.index_dir(args.db).exists():
            count, ms = timed(searchindex.build_index, archive.conn, args.db)
            out.append(
                f"Derived index built from the archive's keys: {count:,} articles in"
                f" {ms / 1000:.0f} s ({count / (ms / 1000):,.0f} articles/s)."
            )
        size = searchindex.index_size(args.db)
        fts = archive.conn.execute("SELECT sum(length(block)) FROM articles_fts_data").fetchone()[0]
        out += [
            f"Derived index: {size / 1e6:,.0f} MB = {size / articles * 1000 / 1e6:.2f} MB per"
            f" 1,000 articles (FTS5 index: {fts / articles * 1000 / 1e6:.2f} MB per 1,000);"
            f" archive file {args.db.stat().st_size / 1e9:.1f} GB.",
            "",
            "## Top ten against an exact ranking of every match",
            "",
            "| kind | query | matches | search() overlap | ms exact ranking | FTS5 window"
            " overlap with FTS5 bm25 | ms FTS5 bm25 | planted in top 10 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        search(archive, "الرئيس")  # open and sync the index once
        overlaps = []
        for kind, query, options in QUERIES:
            results = search(archive, query, limit=10, **options)
            got = [hit.id for hit in results.hits]
            exact, exact_ms = timed(exact_index_top, archive, query, options)
            overlap = len(set(got) & set(exact))
            same_order = got == exact
            overlaps.append(overlap == len(exact) and same_order)
            window = search(archive, query, limit=10, engine="fts5", **options)
            old, old_ms = timed(exact_fts5_top, archive, query, options)
            old_cell = "-" if old is None else f"{len(set(old) & {h.id for h in window.hits})}/10"
            planted_cell = "-"
            for word in PLANTED:
                if query == word:
                    urls = {planted_url(word, n) for n in range(10)}
                    found = sum(1 for hit in results.hits if hit.url in urls)
                    was = sum(1 for hit in window.hits if hit.url in urls)
                    planted_cell = f"{found}/10 (window: {was}/10)"
            out.append(
                f"| {kind} | `{query}` {options or ''} | {results.total:,} |"
                f" {overlap}/{len(exact)}{'' if same_order else ' (order differs)'} |"
                f" {exact_ms:.0f} | {old_cell} | {'-' if old is None else f'{old_ms:.0f}'} |"
                f" {planted_cell} |"
            )
        out += [
            "",
            f"search() top ten identical (same articles, same order) to the exact ranking on"
            f" {sum(overlaps)} of {len(overlaps)} queries.",
            "",
            "## Latency of search() (warm cache, one client)",
            "",
            "| kind | calls | p50 ms | p95 ms | max ms |",
            "| --- | --- | --- | --- | --- |",
        ]
        by_kind: dict[str, list[float]] = {}
        every: list[float] = []
        facets: list[float] = []
        for _ in range(args.rounds):
            for kind, query, options in QUERIES:
                _, ms = timed(search, archive, query, limit=10, **options)
                by_kind.setdefault(kind, []).append(ms)
                every.append(ms)
                _, ms = timed(search, archive, query, limit=20, facets=True, **options)
                facets.append(ms)
            for kind, query, options in RECENT:
                _, ms = timed(search, archive, query, limit=10, order="recent", **options)
                by_kind.setdefault(kind, []).append(ms)
                _, ms = timed(search, archive, query, limit=10, order="recent", engine="fts5")
                by_kind.setdefault("newest first, without the index", []).append(ms)
        out += [line(kind, values) for kind, values in by_kind.items()]
        out += [line("**all relevance queries**", every), line("20 hits + facets", facets)]
    if args.http:
        http = time_http(args.db, args.rounds)
        out += ["", "Over HTTP (newsarchive serve on 127.0.0.1, 20 hits, facets):", ""]
        out += ["| path | calls | p50 ms | p95 ms | max ms |", "| --- | --- | --- | --- | --- |"]
        out += [line(name, values) for name, values in http.items()]
    if args.cli_runs:
        cli = time_cli(args.db, args.cli_runs)
        out += ["", line("`newsarchive search --json` process (incl. Python start-up)", cli)]
    if args.ingest:
        without = ingest_rate(args.ingest, keep=False)
        with_index = ingest_rate(args.ingest, keep=True)
        out += [
            "",
            f"Ingest of {args.ingest:,} synthetic articles through upsert_articles (batches of"
            f" 500): {without:,.0f}/s without the derived index, {with_index:,.0f}/s with it"
            " kept in step by the writer (a tantivy commit at most every 2 s and at close;"
            f" timed to the close) ({with_index / without:.2f}x).",
        ]
    out += ["", f"Run time: {time.perf_counter() - started:.0f} s.", ""]
    report = "\n".join(out)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
