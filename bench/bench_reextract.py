"""Re-extraction from WARC against extraction alone, with 1 and 2 processes.

    .venv/bin/python bench/bench_reextract.py [--articles 2000] [--corpus PATH]

Builds the sample site from ANT v2.1 texts as bench_crawl.py does (read in place from
../shared/data/corpora/ant-v2.1, pages padded to ``--page-kb``), crawls it once with WARC
capture on (the default) into a fresh archive, then measures on the captured article
pages:

- (a) extraction alone: :func:`newsarchive.extract.extract_page` over the pages' bytes
  held in memory, with exactly the arguments re-extraction gives it (rules, hints, URL
  shape), in this process (1), and through the pool re-extraction uses with 2 worker
  processes (2, pool start-up included);
- (b) ``newsarchive reextract sample`` on a copy of the archive, as a subprocess, with
  NEWSARCHIVE_EXTRACT_WORKERS=0 (1 process: it extracts itself) and =2: every capture
  read back from its WARC file, decided, extracted, compared with the archive and
  recorded (a pages row each, the run's counts); start-up included.

Rates are pages per wall-clock second, and per CPU second of the whole process tree (on
a shared machine the CPU figure is the steadier one). Target: (b) >= 0.9 (a) at each
process count. Writes bench/results/reextract.md; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_crawl import (  # noqa: E402
    MemorySampler,
    crawl_settings,
    pad_pages,
    publish,
    run_crawl,
    site_options,
    write_registry,
    write_seeds,
)
from bench_warc_import import sampled_run  # noqa: E402

from newsarchive.archive import open_archive  # noqa: E402
from newsarchive.extractpool import _extract_one, extract_in_order  # noqa: E402
from newsarchive.reextract import _jobs  # noqa: E402
from newsarchive.samplesite import build_site, serve  # noqa: E402
from newsarchive.sites import load_sites  # noqa: E402

RESULTS = REPO / "bench" / "results" / "reextract.md"


@dataclass
class Rate:
    label: str
    processes: int
    pages: int
    wall: float
    cpu: float
    peak_mb: float = 0.0


def captured_args(db: Path, registry: Path) -> list[tuple]:
    """extract_page's arguments for every capture re-extraction would read."""
    with open_archive(db, create=False) as archive:
        sites = load_sites(registry)
        ids = archive.latest_captures(["sample"])
        return [args for _, args in _jobs(archive, ids, sites, lambda: True) if args]


def extraction_alone(pages: list[tuple], processes: int) -> Rate:
    """(a): the pages extracted in this process, or by a pool of ``processes``."""
    # The pool's workers descend from the forkserver: their CPU time is sampled.
    sampler = MemorySampler(os.getpid())
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    cpu, wall = time.process_time(), time.perf_counter()
    if processes == 1:
        for args in pages:
            _extract_one(args)
    else:
        for _ in extract_in_order(((None, args) for args in pages), processes):
            pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sampler.stop()
    thread.join()
    label = f"(a) extraction alone, {processes} process(es)"
    return Rate(label, processes, len(pages), wall, cpu + sum(sampler.cpu.values()))


def reextract_run(workdir: Path, crawled: Path, registry: Path, processes: int) -> Rate:
    """(b): `newsarchive reextract sample` on a copy of the crawled archive."""
    copy = workdir / f"reextract-{processes}"
    shutil.copytree(crawled, copy)
    db = copy / "archive.db"
    command = [sys.executable, "-m", "newsarchive", "reextract", "sample", "-q"]
    command += ["--db", str(db), "--sites", str(registry)]
    run = sampled_run(command, copy, 0 if processes == 1 else processes)
    print(run.output.strip(), flush=True)
    with sqlite3.connect(db) as conn:
        pages = conn.execute(
            "SELECT pages FROM crawl_runs WHERE kind = 'reextract' ORDER BY id DESC"
        ).fetchone()[0]
    label = f"(b) newsarchive reextract, {processes} process(es)"
    return Rate(label, processes, pages, run.wall, run.cpu, run.sampler.peak_tree_kb / 1024)


def report(args: argparse.Namespace, facts: dict[str, str], rates: list[Rate]) -> str:
    alone = {r.processes: r for r in rates if r.label.startswith("(a)")}
    lines = [
        f"# Re-extraction benchmark ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"`python bench/bench_reextract.py --articles {args.articles} --page-kb {args.page_kb}`",
        "",
        *(f"- {key}: {value}" for key, value in facts.items()),
        "",
        "| measure | pages | wall s | pages/s | vs (a) | pages per CPU-s | vs (a) | peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rate in rates:
        base = alone[rate.processes]
        per_s, per_cpu = rate.pages / rate.wall, rate.pages / rate.cpu
        vs_wall = per_s / (base.pages / base.wall)
        vs_cpu = per_cpu / (base.pages / base.cpu)
        peak = f"{rate.peak_mb:.0f}" if rate.peak_mb else ""
        lines.append(
            f"| {rate.label} | {rate.pages} | {rate.wall:.1f} | {per_s:.1f} | {vs_wall:.2f}"
            f" | {per_cpu:.1f} | {vs_cpu:.2f} | {peak} |"
        )
    lines += [
        "",
        "Target: (b) >= 0.9 (a) with the same number of processes. (b) includes the"
        " command's start-up, reading every capture back from its WARC file, the page"
        " decision, the comparison with the archive and a pages row per page.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    site_options(parser, articles=2000, texts=1)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-reextract-"))
    try:
        seeds = workdir / "seeds"
        seeds.mkdir()
        count = write_seeds(seeds, args.corpus, args.articles, args.texts, reuse=True)
        site = build_site(seeds)
        server = serve(site)
        crawled = workdir / "crawl"
        crawled.mkdir()
        try:
            pad_pages(server, site, args.page_kb)
            registry = write_registry(workdir / "sites.toml", server.base_url)
            crawl = run_crawl(crawled, crawled / "archive.db", registry, crawl_settings(2))
        finally:
            server.stop()
        warc_mb = sum(f.stat().st_size for f in (crawled / "warc").rglob("*.warc.gz")) / 1e6
        facts = {
            "articles": f"{count} (ANT v2.1, {args.texts} text per body, pages padded to"
            f" {args.page_kb} KB), crawled in {crawl.wall:.0f} s: {crawl.archived} archived",
            "WARC": f"{warc_mb:.0f} MB",
            "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        }
        print(*(f"{k}: {v}" for k, v in facts.items()), sep="\n", flush=True)
        pages = captured_args(crawled / "archive.db", registry)
        _extract_one(pages[0])  # imports and lazy tables, before timing
        rates = []
        for processes in (1, 2):
            rates.append(extraction_alone(pages, processes))
            print(rates[-1], flush=True)
            rates.append(reextract_run(workdir, crawled, registry, processes))
            print(rates[-1], flush=True)
        del pages
        publish(report(args, facts, rates), args.output)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
