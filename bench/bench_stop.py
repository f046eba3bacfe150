"""Time from Ctrl-C to exit: a crawl of the local sample site stopped at random moments.

    .venv/bin/python bench/bench_stop.py [--tries 20] [--articles 300] [--latency 0.05]
    .venv/bin/python bench/bench_stop.py --newsarchive ../main/.venv/bin/python --no-write

Serves a sample site of ``--articles`` articles (the bundled seeds, renamed and numbered,
in a temporary folder) with ``python -m newsarchive.samplesite --latency L`` (L seconds
before each answer, a slow site), measures how long one whole crawl takes, then runs
crawls, each into a fresh archive and in a session of its own, until ``--tries`` were
stopped: SIGINT goes to the crawl's whole process group (as a terminal's Ctrl-C does)
at a moment drawn uniformly from the start of the process to 90% of a whole crawl (a
crawl that ends first does not count). For every try: the seconds from the signal to
the exit, the exit status, the run's status, whether the run's counts match the
archive, whether the stop was graceful or hard (the deadline or a second signal), and
whether a process of the group outlived the crawl.

``--newsarchive PYTHON`` runs the crawls with another checkout's interpreter (its
``newsarchive``), to compare; the site is served by this one.

Writes a Markdown table to stdout and to bench/results/stop.md; asserts nothing. A try
that has not exited 30 s after the signal is counted as a hang and killed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "stop.md"
SEEDS = REPO / "seeds"
HANG = 30.0


def write_seeds(folder: Path, articles: int) -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    for number in range(articles):
        lines = seeds[number % len(seeds)].read_text(encoding="utf-8").split("\n")
        lines[0] = f"{lines[0]} {number}"
        lines[4] = f"{lines[4]} (العدد {number})"
        (folder / f"{number:04d}_khabar-{number}.txt").write_text("\n".join(lines), "utf-8")


def write_registry(path: Path, base_url: str) -> Path:
    """The `sample` source (tests/crawling.py's shape): no delay, 2 requests in flight."""
    path.write_text(
        "\n".join(
            [
                "[sites.sample]",
                f'base_url = "{base_url}/"',
                'feeds = ["/feed/"]',
                'sitemaps = ["/sitemap_index.xml"]',
                'listings = ["/", "/category/local/"]',
                'listing_links = ["h2.post-box-title a", "h3.post-title a"]',
                "article_patterns = ['^/\\d{4}/\\d{2}/\\d{2}/[a-z0-9-]+/$']",
                "delay = 0",
                "concurrency = 2",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def group_alive(pgid: int) -> list[int]:
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            alive.append(int(stat.parent.name))
    return alive


PYTHON = sys.executable  # whose newsarchive crawls (--newsarchive)


def crawl_command(db: Path, registry: Path, workers: int | None) -> list[str]:
    command = [PYTHON, "-m", "newsarchive", "crawl", "sample", "--db", str(db)]
    command += ["--sites", str(registry), "-s", "AUTOTHROTTLE_ENABLED=0"]
    if workers is not None:
        command += ["-s", f"NEWSARCHIVE_EXTRACT_WORKERS={workers}"]
    return command


def one_try(work: Path, registry: Path, moment: float, workers: int | None) -> dict:
    work.mkdir()
    db = work / "archive.db"
    stderr = work / "stderr.txt"
    with stderr.open("w") as err:
        crawl = subprocess.Popen(
            crawl_command(db, registry, workers),
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        time.sleep(moment)
        finished_before = crawl.poll() is not None
        sent = time.monotonic()
        hung = False
        if not finished_before:
            os.killpg(crawl.pid, signal.SIGINT)
        try:
            crawl.wait(timeout=HANG)
            took = time.monotonic() - sent
        except subprocess.TimeoutExpired:
            took = HANG
            hung = True
            os.killpg(crawl.pid, signal.SIGKILL)
            crawl.wait()
    time.sleep(1.0)
    leftover = group_alive(crawl.pid)
    for pid in leftover:  # our own crawl's helpers, by pid
        os.kill(pid, signal.SIGKILL)
    status, counts_match = "-", "-"
    if db.exists():
        conn = sqlite3.connect(db)
        try:
            row = conn.execute("SELECT status, new FROM crawl_runs ORDER BY id").fetchone()
            if row:
                status = row[0]
                counts_match = (
                    "yes"
                    if row[1] == conn.execute("SELECT count(*) FROM articles").fetchone()[0]
                    else "NO"
                )
        except sqlite3.Error:
            pass
        finally:
            conn.close()
    text = stderr.read_text(errors="replace")
    return {
        "moment": moment,
        "took": took,
        "code": crawl.returncode,
        "status": status,
        "counts": counts_match,
        "stop": "finished first"
        if finished_before
        else "HUNG (killed)"
        if hung
        else "hard"
        if "stopping at once" in text
        else "before the run"
        if status == "-"
        else "graceful",
        "traceback": "Traceback" in text or "Aborted!" in text,
        "leftover": len(leftover),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--workers", type=int, help="NEWSARCHIVE_EXTRACT_WORKERS (default: ours)")
    parser.add_argument("--seed", type=int, default=9, help="random seed for the moments")
    parser.add_argument("--newsarchive", help="interpreter whose newsarchive crawls")
    parser.add_argument("--no-write", action="store_true", help="stdout only")
    args = parser.parse_args()
    global PYTHON
    PYTHON = args.newsarchive or sys.executable

    tmp = Path(tempfile.mkdtemp(prefix="bench-stop-"))
    server = None
    try:
        seeds = tmp / "seeds"
        seeds.mkdir()
        write_seeds(seeds, args.articles)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "newsarchive.samplesite", "--seeds", str(seeds)]
            + ["--port", str(port), "--latency", str(args.latency)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert server.stdout is not None
        line = server.stdout.readline()
        base = re.search(r"(http://\S+)/", line)
        if base is None:
            sys.exit(f"the sample site did not start: {line!r}")
        registry = write_registry(tmp / "sites.toml", base.group(1))

        started = time.monotonic()
        whole = tmp / "whole"
        whole.mkdir()
        subprocess.run(
            crawl_command(whole / "archive.db", registry, args.workers),
            cwd=whole,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        duration = time.monotonic() - started
        print(f"one whole crawl: {duration:.1f} s ({args.articles} articles)", flush=True)

        moments = random.Random(args.seed)
        results = []
        # Not quite to the end: a crawl can be quicker than the timed one. A crawl that
        # ends before its signal does not count (and the moments draw nearer).
        upper = 0.9 * duration
        number = 0
        while sum(r["stop"] != "finished first" for r in results) < args.tries:
            if number >= 2 * args.tries:
                break
            moment = moments.uniform(0.1, upper)
            result = one_try(tmp / f"try-{number:02d}", registry, moment, args.workers)
            results.append(result)
            number += 1
            if result["stop"] == "finished first":
                upper = 0.9 * moment
            print(
                f"try {number:2d}: Ctrl-C at {moment:5.2f} s, exit after"
                f" {result['took']:5.2f} s, status {result['code']}, run {result['status']},"
                f" {result['stop']}",
                flush=True,
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    stopped = [r for r in results if r["stop"] != "finished first"]
    times = sorted(r["took"] for r in stopped)
    lines = [
        "# Ctrl-C to exit (bench/bench_stop.py)",
        "",
        f"{time.strftime('%Y-%m-%d')}; {os.cpu_count()} CPUs, load average"
        f" {os.getloadavg()[0]:.1f} at the end. A crawl of {args.articles} articles of the"
        f" local sample site ({args.latency} s per answer, 2 requests in flight, extraction"
        f" workers: {args.workers if args.workers is not None else 'default'};"
        f" newsarchive of {'this checkout' if sys.executable == PYTHON else PYTHON}) takes"
        f" {duration:.1f} s; SIGINT to its process group at a random moment of it.",
        "",
        "| try | Ctrl-C at (s) | to exit (s) | exit status | run | counts = archive"
        " | stop | traceback | processes left |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for number, r in enumerate(results, start=1):
        lines.append(
            f"| {number} | {r['moment']:.2f} | {r['took']:.2f} | {r['code']} | {r['status']}"
            f" | {r['counts']} | {r['stop']} | {'yes' if r['traceback'] else 'no'}"
            f" | {r['leftover']} |"
        )
    if times:
        lines += [
            "",
            f"Stopped {len(times)} times: worst {times[-1]:.2f} s, median"
            f" {statistics.median(times):.2f} s (hangs counted as {HANG:.0f} s);"
            f" hard stops (deadline) {sum(r['stop'] == 'hard' for r in stopped)};"
            f" hangs (not exited {HANG:.0f} s after the signal)"
            f" {sum(r['stop'].startswith('HUNG') for r in stopped)}.",
        ]
    report = "\n".join(lines) + "\n"
    print()
    print(report)
    if not args.no_write:
        RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
