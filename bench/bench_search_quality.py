"""Known-item search quality of the shipped search, end to end, on ANT v2.1.

Builds a real archive from the corpus through ``Archive.upsert_articles`` (the real
search keys and index), then asks ``search()`` (the function behind the CLI and
Datasette) two-word queries taken from article titles, as typed the ways readers type
them (bench/stemmer_eval.py's queries and perturbations: no hamza, ه for ة, ي for ى,
ال added or removed, tashkeel, singular/plural, clitics). The baseline is a plain FTS5
index (unicode61, raw text) of the same articles, bm25 with the same weights. Reports
recall@10 and MRR@10 per perturbation, and the search's mean time per query.

    .venv/bin/python bench/bench_search_quality.py [--docs 0 (all)] [--queries 1000]

The corpus is read in place from ../shared/data (never copied).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from stemmer_eval import DEFAULT_CORPUS, make_queries, read_corpus  # noqa: E402

from newsarchive.archive import open_archive  # noqa: E402
from newsarchive.items import Article  # noqa: E402
from newsarchive.search import SearchError, search  # noqa: E402
from newsarchive.searchwindow import TEXT_WEIGHT, TITLE_WEIGHT  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "search-quality.md"
ENGINES = ("fts5", "index")


def plain_index(docs) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(title, text, tokenize='unicode61')")
    db.executemany(
        "INSERT INTO fts (rowid, title, text) VALUES (?, ?, ?)",
        ((i, doc.title, doc.text) for i, doc in enumerate(docs)),
    )
    return db


def plain_search(db: sqlite3.Connection, words: list[str]) -> list[int]:
    expression = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    sql = (
        f"SELECT rowid FROM fts WHERE fts MATCH ?"
        f" ORDER BY bm25(fts, {TITLE_WEIGHT}, {TEXT_WEIGHT}) LIMIT 10"
    )
    try:
        return [row[0] for row in db.execute(sql, (expression,))]
    except sqlite3.OperationalError:
        return []


def reciprocal_rank(ranked: list[int], relevant: set[int]) -> float:
    return next((1.0 / (i + 1) for i, doc in enumerate(ranked) if doc in relevant), 0.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--docs", type=int, default=0, help="articles (0: the whole corpus)")
    parser.add_argument("--queries", type=int, default=1000, help="target articles")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        sys.exit(f"corpus not found: {args.corpus} (pass --corpus PATH)")
    started = time.perf_counter()
    docs = read_corpus(args.corpus, args.docs or None)
    queries = make_queries(docs, args.queries, args.seed, "rare")
    by_title: dict[str, set[int]] = {}
    for i, doc in enumerate(docs):
        by_title.setdefault(" ".join(doc.title.split()), set()).add(i)
    relevant = [by_title[" ".join(doc.title.split())] for doc in docs]

    with tempfile.TemporaryDirectory() as tmp, open_archive(Path(tmp) / "quality.db") as archive:
        build_started = time.perf_counter()
        batch = (
            Article(url=doc.url, title=doc.title, text=doc.text, language="ar") for doc in docs
        )
        for _ in archive.upsert_articles(batch):
            pass
        build_seconds = time.perf_counter() - build_started
        doc_of = {
            article_id: i
            for i, doc in enumerate(docs)
            for (article_id,) in archive.conn.execute(
                "SELECT id FROM articles WHERE url = ?", (doc.url,)
            )
        }
        plain = plain_index(docs)
        # search() with the derived index (what ships) and with the FTS5 window (the
        # fallback without it), on the same archive.
        ours: dict[str, dict[str, list[float]]] = {engine: {} for engine in ENGINES}
        baseline: dict[str, list[float]] = {}
        seconds = dict.fromkeys(ENGINES, 0.0)
        errors = 0
        for target, kind, words in queries:
            for engine in ENGINES:
                began = time.perf_counter()
                try:
                    hits = search(
                        archive, " ".join(words), limit=10, snippets=False, engine=engine
                    ).hits
                except SearchError:
                    hits, errors = [], errors + 1
                seconds[engine] += time.perf_counter() - began
                ranked = [doc_of[hit.id] for hit in hits]
                ours[engine].setdefault(kind, []).append(reciprocal_rank(ranked, relevant[target]))
            baseline.setdefault(kind, []).append(
                reciprocal_rank(plain_search(plain, words), relevant[target])
            )

    def cell(scores: list[float]) -> str:
        recall = sum(1 for s in scores if s > 0) / len(scores)
        return f"{recall:.3f} / {sum(scores) / len(scores):.3f}"

    counts = Counter(kind for _, kind, _ in queries)
    lines = [
        "| perturbation | n | plain FTS5 (unicode61) | search(), FTS5 window | search() |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind in dict.fromkeys(kind for _, kind, _ in queries):
        cells = " | ".join(cell(ours[engine][kind]) for engine in ENGINES)
        lines.append(f"| {kind} | {counts[kind]} | {cell(baseline[kind])} | {cells} |")
    pooled = {e: [s for scores in ours[e].values() for s in scores] for e in ENGINES}
    pooled_plain = [s for scores in baseline.values() for s in scores]
    cells = " | ".join(cell(pooled[engine]) for engine in ENGINES)
    lines.append(f"| **overall** | {len(queries)} | {cell(pooled_plain)} | {cells} |")
    report = "\n".join(
        [
            "# Search quality (bench/bench_search_quality.py)",
            "",
            f"ANT v2.1, {len(docs):,} unique articles archived through the real upsert path"
            f" in {build_seconds:.0f} s; {len({t for t, _, _ in queries}):,} target articles,"
            " two-word queries from the two rarest content words of each title"
            f" (seed {args.seed}), perturbed as in bench/stemmer_eval.py.",
            "Cells: recall@10 / MRR@10. A perturbation counts only the queries it changes.",
            "",
            *lines,
            "",
            "search(): the shipped search, ranking with the derived index (exact bm25);"
            " FTS5 window: the same function without it (engine='fts5').",
            f"search(): {1000 * seconds['index'] / len(queries):.1f} ms per query on average,"
            f" FTS5 window {1000 * seconds['fts5'] / len(queries):.1f} ms"
            f" (snippets off), {errors} queries refused. Run time:"
            f" {time.perf_counter() - started:.0f} s.",
            "",
        ]
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
