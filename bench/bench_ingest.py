"""Benchmark `newsarchive ingest` on the ANT v2.1 corpus against raw sqlite3.

Run on demand (it never asserts timings):

    .venv/bin/python bench/bench_ingest.py [--corpus PATH] [--limit N] [--profile]

PATH defaults to ../shared/data/corpora/ant-v2.1 (the tar.xz in it, read in place).
What each timing holds:

- parse: decompress + read members + decode + ANT parse into Articles. Nothing written.
- ingest: `ingest_paths` end to end on a fresh archive: everything in "parse", plus the
  category merge, row building (JSON, content hash, word count), the Arabic search keys,
  the upsert (existing-row lookup, INSERT articles + articles_fts, 500 per
  transaction, each committed) and the crawl_runs bookkeeping.
- upsert: `Archive.upsert_articles` alone on the already-parsed Articles (fresh archive):
  "ingest" minus the parse, to tell the archive's cost from the reader's.
- raw: the same rows (built beforehand, untimed; duplicate URLs dropped, since the raw
  insert has no upsert) written with `sqlite3.executemany` into the same schema of a
  fresh archive (same PRAGMAs: WAL, synchronous=NORMAL), 500 rows per committed
  transaction, articles AND articles_fts, with the search keys computed inside the
  timed part by the same `index_key` function.

The ratio the project targets is ingest / raw >= 0.8 (articles per second). Each
timing is the best of --repeat runs (wall clock), printed with its CPU seconds (for
ingest: this process plus the reader process), since a shared machine's load moves wall
times by +-30% between runs.

``--bombs`` measures something else: the peak memory of ingesting archives that expand
to ``--bomb-mb`` (default 1,000 MB) from about 3.7 MB (a zip and a tar.gz, each with a
few seed files around one member of repeated Arabic text), each ingest in a fresh
subprocess: peak RSS of that process and of its reader process, what it reported, and
the time. ``--code DIR`` runs another checkout's ``newsarchive`` (an older commit, for
the figure before a change) with the same archives.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import pstats
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsarchive import archive as archive_module  # noqa: E402
from newsarchive.archive import (  # noqa: E402
    _INSERT_ARTICLE,
    _article_row,
    now_iso,
    open_archive,
)
from newsarchive.ingest import BadInput, collect_files, ingest_paths, read_path  # noqa: E402
from newsarchive.items import Article  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "corpora" / "ant-v2.1"


def corpus_inputs(corpus: Path) -> list[Path]:
    """The tar.xz of a corpus folder if it has one (the full corpus), else the folder."""
    if corpus.is_dir():
        archives = sorted(corpus.glob("*.tar.xz"))
        if archives:
            return archives
    return [corpus]


def parse_all(inputs: list[Path], limit: int | None) -> tuple[list[Article], int, float]:
    started = time.perf_counter()
    articles: list[Article] = []
    failed = 0
    for path in collect_files(inputs):
        for _label, result, _kind in read_path(path):
            if isinstance(result, BadInput):
                failed += 1
            else:
                articles.append(result)
            if limit and len(articles) + failed >= limit:
                return articles, failed, time.perf_counter() - started
    return articles, failed, time.perf_counter() - started


def db_size_mb(path: Path, conn) -> float:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return total / 1e6


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the reader process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def bench_ingest(inputs: list[Path], db: Path, profile: bool) -> tuple[float, float, int, float]:
    archive = open_archive(db)
    profiler = cProfile.Profile() if profile else None
    cpu = cpu_seconds()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = ingest_paths(archive, inputs, progress=False, command="bench_ingest")
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    count = archive.article_count()
    size = db_size_mb(db, archive.conn)
    archive.close()
    print(f"  {report.summary()}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    return elapsed, cpu, count, size


def bench_upsert(articles: list[Article], db: Path) -> tuple[float, float]:
    archive = open_archive(db)
    cpu = time.process_time()
    started = time.perf_counter()
    for _ in archive.upsert_articles(articles):
        pass
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    archive.close()
    return elapsed, cpu


def bench_raw(articles: list[Article], db: Path) -> tuple[float, float, int, float]:
    archive = open_archive(db)  # for the schema and PRAGMAs only
    conn = archive.conn
    fetched = now_iso()
    unique = {a.url: a for a in articles}  # the raw insert cannot upsert duplicates
    rows = [
        (_article_row(a, number, fetched, fetched), a.title, a.text)
        for number, a in enumerate(unique.values(), 1)
    ]
    index_key = archive_module.index_key
    cpu = time.process_time()
    started = time.perf_counter()
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_INSERT_ARTICLE, [row for row, _t, _x in chunk])
        conn.executemany(
            "INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
            [(row[0], index_key(title), index_key(text)) for row, title, text in chunk],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    size = db_size_mb(db, conn)
    archive.close()
    return elapsed, cpu, len(rows), size


# --- compression bombs ---------------------------------------------------------------------

_BOMB_LINE = "خبر عاجل: الحكومة تعلن عن إجراءات جديدة في الجزائر العاصمة اليوم.\n".encode()
_BOMB_SEEDS = {
    f"corpus/seed-{n}.txt": f"عنوان الخبر {n}\n\nelmaouid\n\nنص الخبر رقم {n}.\n".encode()
    for n in range(3)
}


class _Repeated:
    """``size`` bytes of one line over and over, read like a file (never held whole)."""

    def __init__(self, line: bytes, size: int):
        self.block = line * (1_048_576 // len(line) + 1)
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        out = bytearray()
        while len(out) < n:
            out += self.block[: n - len(out)]
        self.left -= n
        return bytes(out)


def build_bombs(folder: Path, size: int) -> list[Path]:
    """A zip and a tar.gz holding three seed files and ``corpus/bomb.txt``, ``size``
    bytes of one line of Arabic text repeated (zlib squeezes it about 290 times)."""
    # The bomb between seed files: a zip reads the others whatever their order, a
    # compressed tar only those before it.
    seeds = sorted(_BOMB_SEEDS)
    members = [seeds[0], "corpus/bomb.txt", *seeds[1:]]
    zipped = folder / "bomb.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in members:
            if name in _BOMB_SEEDS:
                archive.writestr(name, _BOMB_SEEDS[name])
                continue
            source = _Repeated(_BOMB_LINE, size)
            with archive.open(name, "w", force_zip64=True) as member:
                while chunk := source.read(1_048_576):
                    member.write(chunk)
    tarred = folder / "bomb.tar.gz"
    with tarfile.open(tarred, "w:gz", compresslevel=6) as archive:
        for name in members:
            data = _BOMB_SEEDS.get(name)
            info = tarfile.TarInfo(name)
            info.size = len(data) if data is not None else size
            archive.addfile(
                info, io.BytesIO(data) if data is not None else _Repeated(_BOMB_LINE, size)
            )
    return [zipped, tarred]


# Run in a fresh interpreter (argv: code dir, archive, db): the peak RSS of this process
# and of its reader process (a forked child: RUSAGE_CHILDREN once it has been joined).
_BOMB_RUN = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from newsarchive.archive import open_archive
from newsarchive.ingest import ingest_paths
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
archive = open_archive(Path(sys.argv[3]))
started = time.perf_counter()
try:
    report = ingest_paths(archive, [Path(sys.argv[2])], progress=False)
    outcome = report.summary()
    failures = [f"{f.path.rsplit('/', 1)[-1]}: {f.reason}" for f in report.failures]
except BaseException as exc:
    outcome, failures = f"{type(exc).__name__}: {exc}"[:300], []
seconds = time.perf_counter() - started
print(json.dumps({
    "before_mb": before / 1024,
    "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "reader_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "seconds": seconds,
    "outcome": outcome,
    "failures": failures,
}))
"""


def bench_bombs(size_mb: int, code: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="bench_bombs_") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        bombs = build_bombs(folder, size_mb * 1_000_000)
        print(f"built in {time.perf_counter() - started:.1f}s; code: {code}")
        for bomb in bombs:
            db = folder / f"{bomb.name}.db"
            run = subprocess.run(
                [sys.executable, "-c", _BOMB_RUN, str(code), str(bomb), str(db)],
                capture_output=True,
                text=True,
            )
            lines = run.stdout.strip().splitlines()
            if run.returncode or not lines:
                print(f"{bomb.name}: exit {run.returncode}: {run.stderr.strip()[-500:]}")
                continue
            figures = json.loads(lines[-1])
            print(
                f"{bomb.name}: {bomb.stat().st_size / 1e6:.2f} MB expanding to {size_mb:,} MB;"
                f" peak RSS {figures['self_mb']:.0f} MB (writer; {figures['before_mb']:.0f} MB"
                f" after imports), {figures['reader_mb']:.0f} MB (reader process);"
                f" {figures['seconds']:.1f}s\n  {figures['outcome']}"
            )
            for failure in figures["failures"]:
                print(f"  error: {failure}")


def cold_memo() -> None:
    """Empty the memo of word keys (newsarchive.arabic.normalize) the write path fills."""
    rules = importlib.import_module("newsarchive.arabic.normalize")
    rules._DEFAULT.term_key.cache_clear()


def best(runs: list[tuple]) -> tuple:
    return min(runs, key=lambda run: run[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, help="parse/insert at most N articles (raw, upsert)")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs (default 1)")
    parser.add_argument("--profile", action="store_true", help="cProfile the ingest run")
    parser.add_argument("--bombs", action="store_true", help="peak memory on compression bombs")
    parser.add_argument("--bomb-mb", type=int, default=1000, help="what a bomb expands to")
    parser.add_argument("--code", type=Path, default=REPO, help="checkout to run (--bombs)")
    args = parser.parse_args()
    if args.bombs:
        bench_bombs(args.bomb_mb, args.code.resolve())
        return
    if not args.corpus.exists():
        sys.exit(f"../shared/data not found: {args.corpus}")
    inputs = corpus_inputs(args.corpus)
    print(f"corpus: {', '.join(str(p) for p in inputs)}")

    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        tmp_path = Path(tmp)

        def fresh(name: str) -> Path:
            for old in tmp_path.glob(name + "*"):
                old.unlink()
            return tmp_path / name

        articles, failed, parse_s = parse_all(inputs, args.limit)
        parsed = len(articles) + failed
        print(
            f"parse : {parsed} documents ({failed} not articles) in {parse_s:.2f}s = "
            f"{parsed / parse_s:,.0f} docs/s"
        )

        ingest_rate = None
        raw_runs, upsert_runs, ingest_runs = [], [], []
        for _ in range(args.repeat):
            # Interleaved, so a burst of load on a shared machine hits all three; each
            # starts with the search-key memo empty, or the later ones would be timed
            # with the words the earlier ones keyed.
            if not args.limit:
                cold_memo()
                ingest_runs.append(bench_ingest(inputs, fresh("ingest.db"), args.profile))
            cold_memo()
            upsert_runs.append(bench_upsert(articles, fresh("upsert.db")))
            cold_memo()
            raw_runs.append(bench_raw(articles, fresh("raw.db")))

        if ingest_runs:
            ingest_s, ingest_cpu, ingest_rows, ingest_mb = best(ingest_runs)
            ingest_rate = len(articles) / ingest_s
            print(
                f"ingest: {len(articles)} articles ({ingest_rows} rows) in {ingest_s:.2f}s "
                f"(CPU {ingest_cpu:.1f}s) = {ingest_rate:,.0f} articles/s; "
                f"{ingest_mb / ingest_rows * 1000:.2f} MB per 1,000 articles ({ingest_mb:.1f} MB)"
            )
        else:
            print("ingest: skipped with --limit (it reads the whole corpus)")

        upsert_s, upsert_cpu = best(upsert_runs)
        upsert_rate = len(articles) / upsert_s
        print(
            f"upsert: {len(articles)} parsed articles in {upsert_s:.2f}s (CPU {upsert_cpu:.1f}s)"
            f" = {upsert_rate:,.0f} articles/s"
        )

        raw_s, raw_cpu, raw_rows, raw_mb = best(raw_runs)
        raw_rate = raw_rows / raw_s
        print(
            f"raw   : {raw_rows} rows in {raw_s:.2f}s (CPU {raw_cpu:.1f}s) = {raw_rate:,.0f} "
            f"rows/s; {raw_mb / raw_rows * 1000:.2f} MB per 1,000 articles"
        )

        if ingest_rate:
            print(f"ratio ingest/raw = {ingest_rate / raw_rate:.2f} (target >= 0.8)")
        print(f"ratio upsert/raw = {upsert_rate / raw_rate:.2f} (the archive alone, no parse)")


if __name__ == "__main__":
    main()
