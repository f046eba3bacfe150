"""Search latency on a large archive: the query function, the CLI and Datasette over HTTP.

Build the archive first (once; it is reused):

    .venv/bin/python bench/build_big_archive.py --articles 1000000 --db /tmp/newsarchive-big.db
    .venv/bin/python bench/bench_search_latency.py --db /tmp/newsarchive-big.db

Measures p50/p95 over a fixed mixed query set (common and rare words, two words, a
phrase, OR, exclusion, filters, newest-first) through ``search()`` (with and
without facets), a few runs of the ``newsarchive search`` process, and ``newsarchive
serve`` on 127.0.0.1: the search page, its JSON and the articles table's ``?_search=``.
For contrast it times plain FTS5 ``ORDER BY bm25`` over every match once per query, and
reports the index size per 1,000 articles. Never asserts: it writes figures.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsarchive.archive import open_archive  # noqa: E402
from newsarchive.query import parse_query  # noqa: E402
from newsarchive.search import search  # noqa: E402
from newsarchive.searchwindow import TEXT_WEIGHT, TITLE_WEIGHT  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "search-latency.md"

# (kind, query, filters)
QUERIES: list[tuple[str, str, dict[str, str]]] = [
    ("common word", "في", {}),
    ("common word", "الرئيس", {}),
    ("common word", "قال", {}),
    ("frequent word", "سوريا", {}),
    ("frequent word", "ترامب", {}),
    ("rare word", "زلزال", {}),
    ("rare word", "مستشفيات", {}),
    ("rare word", "الفيضانات", {}),
    ("two words", "الرئيس الأمريكي", {}),
    ("two words", "وزير الخارجية", {}),
    ("two words", "كأس العالم", {}),
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
    ("newest first", "الرئيس", {"order": "recent"}),
    ("newest first", "زلزال", {"order": "recent"}),
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(name: str, values: list[float]) -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.1f} |"
        f" {percentile(values, 0.95):.1f} | {max(values):.1f} |"
    )


def time_function(db: Path, rounds: int, facets: bool) -> tuple[list[float], list[str]]:
    timings: list[float] = []
    tops: list[str] = []
    with open_archive(db) as archive:
        for round_number in range(rounds):
            for kind, query, options in QUERIES:
                options = dict(options)
                order = options.pop("order", "relevance")
                began = time.perf_counter()
                results = search(archive, query, order=order, facets=facets, **options)
                timings.append(1000 * (time.perf_counter() - began))
                if round_number == 0 and not facets:
                    top = results.hits[0].title[:70] if results.hits else "(none)"
                    about = "" if results.total_exact else "~"
                    tops.append(
                        f"| {kind} | `{query}` {options or ''} | {about}{results.total:,} | {top} |"
                    )
    return timings, tops


def time_plain_bm25(db: Path) -> list[str]:
    """Plain FTS5 ranking of every match (what Datasette's own search would pay)."""
    rows = []
    with open_archive(db) as archive:
        for _kind, query, options in QUERIES:
            if options:
                continue
            expression = parse_query(query).fts_expression()
            began = time.perf_counter()
            archive.conn.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
                f" ORDER BY bm25(articles_fts, {TITLE_WEIGHT}, {TEXT_WEIGHT}) LIMIT 20",
                (expression,),
            ).fetchall()
            rows.append(f"| `{query}` | {1000 * (time.perf_counter() - began):.0f} |")
    return rows


def time_cli(db: Path, runs: int) -> list[float]:
    timings = []
    for _kind, query, options in QUERIES[:runs]:
        args = [sys.executable, "-m", "newsarchive", "search", query, "--db", str(db), "--json"]
        for name, value in options.items():
            args += ["--recent"] if name == "order" else [f"--{name}", value]
        began = time.perf_counter()
        subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
        timings.append(1000 * (time.perf_counter() - began))
    return timings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def time_http(db: Path, rounds: int) -> dict[str, list[float]]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    timings: dict[str, list[float]] = {"search page": [], "search JSON": [], "table _search": []}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/search", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("newsarchive serve did not start") from None
                time.sleep(0.3)
        for _ in range(rounds):
            for _kind, query, options in QUERIES:
                args = {"q": query, **options}
                paths = {
                    "search page": "/-/search?" + urllib.parse.urlencode(args),
                    "search JSON": "/-/search.json?" + urllib.parse.urlencode(args),
                }
                if not options:
                    paths["table _search"] = "/archive/articles?" + urllib.parse.urlencode(
                        {"_search": query}
                    )
                for name, path in paths.items():
                    began = time.perf_counter()
                    with urllib.request.urlopen(base + path, timeout=60) as response:
                        response.read()
                    timings[name].append(1000 * (time.perf_counter() - began))
    finally:
        server.terminate()
        server.wait(timeout=20)
    return timings


def index_size(db: Path) -> tuple[int, int, int]:
    with open_archive(db) as archive:
        articles = archive.article_count()
        fts = archive.conn.execute("SELECT sum(length(block)) FROM articles_fts_data").fetchone()[0]
    return articles, fts, db.stat().st_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/newsarchive-big.db"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=6)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.db.exists():
        sys.exit(f"{args.db} not found; build it with bench/build_big_archive.py")
    started = time.perf_counter()
    articles, fts_bytes, file_bytes = index_size(args.db)
    # One warm-up round so every figure is for a warm page cache.
    time_function(args.db, 1, False)
    function, tops = time_function(args.db, args.rounds, False)
    with_facets, _ = time_function(args.db, args.rounds, True)
    plain = time_plain_bm25(args.db)
    cli_runs = time_cli(args.db, args.cli_runs)
    http = time_http(args.db, args.rounds)
    report = "\n".join(
        [
            "# Search latency (bench/bench_search_latency.py)",
            "",
            f"Archive: {args.db}, {articles:,} articles; index (articles_fts_data)"
            f" {fts_bytes / 1e6:,.0f} MB = {fts_bytes / articles:,.0f} bytes per article"
            f" ({fts_bytes / articles * 1000 / 1e6:.2f} MB per 1,000 articles); whole file"
            f" {file_bytes / 1e9:.1f} GB. {len(QUERIES)} queries x {args.rounds} rounds,"
            " warm cache, one client at a time.",
            "",
            "| path | calls | p50 ms | p95 ms | max ms |",
            "| --- | --- | --- | --- | --- |",
            summary("search() (20 hits, snippets)", function),
            summary("search() + facets", with_facets),
            *(summary(f"HTTP {name}", values) for name, values in http.items()),
            summary("`newsarchive search --json` process (incl. start-up)", cli_runs),
            "",
            "Plain FTS5 `ORDER BY bm25(...) LIMIT 20` over every match (one run each):",
            "",
            "| query | ms |",
            "| --- | --- |",
            *plain,
            "",
            "Top hit per query (relevance check; ~ = estimated total):",
            "",
            "| kind | query | matches | top hit |",
            "| --- | --- | --- | --- |",
            *tops,
            "",
            f"Run time: {time.perf_counter() - started:.0f} s.",
            "",
        ]
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
