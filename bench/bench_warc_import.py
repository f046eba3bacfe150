"""WARC import: `newsarchive ingest FILE.warc.gz` records/s and peak RSS, at two sizes.

    .venv/bin/python bench/bench_warc_import.py [--articles 5000] [--corpus PATH] [--workers 2]

Builds the sample site from ANT v2.1 texts (read in place from
../shared/data/corpora/ant-v2.1, as bench_crawl.py does, pages padded to ``--page-kb``),
and writes its pages into a WARC the way a crawler records a site: for each article a
request record and the response (HTML, gzip per record), and for one article in two its
image (a non-HTML response to skip), plus the home page, the category pages and the feed.
The WARC is written straight from the rendered pages with warcio's writer (no HTTP: what
is measured is the import). Then ``newsarchive ingest`` reads it into a fresh archive, as
a subprocess whose process tree's RSS is sampled (bench_crawl.MemorySampler), once at
``--articles`` and once at twice as many: flat memory means the same peak at both.

Writes a Markdown report to stdout and to bench/results/warc_import.md; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sqlite3
import subprocess
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
    pad_pages,
    publish,
    site_options,
    write_registry,
    write_seeds,
)
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from newsarchive.samplesite import SampleServer, build_site, serve  # noqa: E402

RESULTS = REPO / "bench" / "results" / "warc_import.md"


def write_warc(path: Path, server: SampleServer, site) -> dict[str, int]:
    """The site's pages as a crawler's WARC; counts of records by kind."""
    counts = {"request": 0, "HTML response": 0, "image response": 0}

    def exchange(target: str) -> None:
        page = server.pages[target]
        url = server.url(target)
        http = StatusAndHeaders(
            f"{page.status} OK",
            [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))],
            protocol="HTTP/1.1",
        )
        response = writer.create_warc_record(
            url, "response", payload=io.BytesIO(page.body), http_headers=http
        )
        request = writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", [], is_http_request=True),
        )
        writer.write_request_response_pair(request, response)
        counts["request"] += 1
        kind = "HTML response" if "html" in page.content_type else "image response"
        counts[kind] += 1

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for target in ["/", *(c.url for c in site.categories), "/feed/"]:
            if target in server.pages:
                exchange(target)
        for index, art in enumerate(site.articles):
            exchange(art.url)
            if index % 2 == 0:
                exchange(art.image)
    return counts


@dataclass
class Import:
    articles: int
    records: int
    warc_mb: float
    wall: float
    cpu: float
    archived: int
    peak_tree_mb: float
    peak_parent_mb: float
    processes: int
    summary: str


@dataclass
class Sampled:
    """One command's run: what it printed, its exit status, wall and CPU seconds of its
    process tree, and its peak RSS (bench_crawl.MemorySampler)."""

    output: str
    returncode: int
    wall: float
    cpu: float
    sampler: MemorySampler


def sampled_run(command: list[str], cwd: Path, workers: int) -> Sampled:
    """``command`` (a newsarchive command) with NEWSARCHIVE_EXTRACT_WORKERS=``workers``,
    its process tree's RSS and CPU sampled while it runs."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NEWSARCHIVE_EXTRACT_WORKERS": str(workers)}
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    sampler = MemorySampler(process.pid)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    output = process.stdout.read()
    # wait4: the command's own CPU time, exact; its workers' comes from sampling.
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    sampler.stop()
    thread.join()
    cpu = usage.ru_utime + usage.ru_stime + sum(sampler.cpu.values())
    return Sampled(output, os.waitstatus_to_exitcode(status), wall, cpu, sampler)


def run_import(workdir: Path, warc: Path, registry: Path, workers: int, records: int) -> Import:
    """`newsarchive ingest WARC` into a fresh archive, its process tree sampled."""
    db = workdir / f"{warc.stem}-w{workers}.db"
    command = [sys.executable, "-m", "newsarchive", "ingest", str(warc), "-q"]
    command += ["--db", str(db), "--sites", str(registry)]
    run = sampled_run(command, workdir, workers)
    if run.returncode:
        print(run.output, file=sys.stderr)
    with sqlite3.connect(db) as conn:
        archived = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    return Import(
        articles=0,
        records=records,
        warc_mb=warc.stat().st_size / 1e6,
        wall=run.wall,
        cpu=run.cpu,
        archived=archived,
        peak_tree_mb=run.sampler.peak_tree_kb / 1024,
        peak_parent_mb=run.sampler.peak_root_kb / 1024,
        processes=run.sampler.most_processes,
        summary=run.output.splitlines()[0] if run.output else "",
    )


def report(args: argparse.Namespace, facts: dict[str, str], runs: list[Import]) -> str:
    lines = [
        f"# WARC import benchmark ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"`python bench/bench_warc_import.py --articles {args.articles} --workers"
        f" {args.workers} --page-kb {args.page_kb}`",
        "",
        *(f"- {key}: {value}" for key, value in facts.items()),
        "",
        "| WARC | records | MB | workers | wall s | records/s | article pages/s"
        " | archived | CPU s | peak RSS tree / parent (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        lines.append(
            f"| {run.articles} articles | {run.records} | {run.warc_mb:.0f} | {args.workers}"
            f" | {run.wall:.1f} | {run.records / run.wall:.0f} | {run.archived / run.wall:.1f}"
            f" | {run.archived} | {run.cpu:.0f} | {run.peak_tree_mb:.0f} /"
            f" {run.peak_parent_mb:.0f} ({run.processes} processes) |"
        )
    lines += ["", "Summaries printed by `newsarchive ingest`:", ""]
    lines += [f"- {run.articles}: `{run.summary}`" for run in runs]
    if len(runs) == 2:
        small, big = runs
        lines += [
            "",
            f"Twice the records: peak RSS of the tree {big.peak_tree_mb / small.peak_tree_mb:.2f}x,"
            f" of the ingest process {big.peak_parent_mb / small.peak_parent_mb:.2f}x"
            " (flat memory: about 1x).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    site_options(parser, articles=5000, texts=1)
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 3))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-warc-"))
    try:
        facts = {"machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"}
        runs = []
        for articles in (args.articles, 2 * args.articles):
            seeds = workdir / f"seeds-{articles}"
            seeds.mkdir()
            count = write_seeds(seeds, args.corpus, articles, args.texts, reuse=True)
            site = build_site(seeds)
            server = serve(site)
            try:
                pad_pages(server, site, args.page_kb)
                warc = workdir / f"site-{count}.warc.gz"
                counts = write_warc(warc, server, site)
                registry = write_registry(workdir / f"sites-{count}.toml", server.base_url)
            finally:
                server.stop()
            records = sum(counts.values())
            facts[f"{count} articles"] = ", ".join(f"{n} {kind}" for kind, n in counts.items())
            run = run_import(workdir, warc, registry, args.workers, records)
            run.articles = count
            print(
                f"{count} articles: {records} records in {run.wall:.1f} s ="
                f" {records / run.wall:.0f} records/s, peak RSS {run.peak_tree_mb:.0f} MB",
                flush=True,
            )
            runs.append(run)
            shutil.rmtree(seeds)
        publish(report(args, facts, runs), args.output)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
