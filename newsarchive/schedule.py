"""Running every source whose crawl interval has elapsed, each crawl in its own process.

`newsarchive schedule` loops; `newsarchive schedule --once` (or `crawl --due`) is one
pass for cron or a systemd timer. Each crawl is a `newsarchive crawl NAME` process, so
one site's failure or memory cannot take the others down, and a per-source lock (taken
by the crawl itself) keeps two crawls of one site from overlapping.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newsarchive.archive import open_archive
from newsarchive.crawl import UNFINISHED, due_sources
from newsarchive.sites import load_sites, sites_path

log = logging.getLogger(__name__)


@dataclass
class ScheduledRun:
    source: str
    returncode: int


def crawl_command(source: str, db_path: Path, sites_file: Path | None) -> list[str]:
    return [
        sys.executable,
        "-m",
        "newsarchive",
        "crawl",
        source,
        "--quiet",
        "--db",
        str(db_path),
        "--sites",
        str(sites_path(sites_file)),
    ]


def run_due(db_path: Path, sites_file: Path | None = None, *, jobs: int = 2) -> list[ScheduledRun]:
    """One pass: start a crawl process for every due source, at most ``jobs`` at once."""
    due = due_sources(load_sites(sites_file), db_path)
    finished: list[ScheduledRun] = []
    running: list[tuple[str, subprocess.Popen]] = []
    for source in due:
        while len(running) >= jobs:
            running = _reap(running, finished)
            time.sleep(0.2)
        log.info("crawling %s", source)
        running.append((source, subprocess.Popen(crawl_command(source, db_path, sites_file))))
    while running:
        running = _reap(running, finished)
        time.sleep(0.2)
    return finished


def _reap(
    running: list[tuple[str, subprocess.Popen]], finished: list[ScheduledRun]
) -> list[tuple[str, subprocess.Popen]]:
    still = []
    for source, process in running:
        code = process.poll()
        if code is None:
            still.append((source, process))
        else:
            finished.append(ScheduledRun(source, code))
    return still


def seconds_until_next(db_path: Path, sites_file: Path | None = None) -> float:
    """How long until the next source falls due (0 if one is due now)."""
    sites = load_sites(sites_file)
    now = datetime.now(UTC)
    waits = []
    with open_archive(db_path) as archive:
        for name, site in sites.items():
            last = archive.last_run(name, "crawl")
            if last is None or last["status"] in UNFINISHED:
                return 0.0
            elapsed = (now - datetime.fromisoformat(last["started"])).total_seconds()
            waits.append(max(0.0, site.interval - elapsed))
    return min(waits, default=3600.0)


def schedule_forever(
    db_path: Path, sites_file: Path | None = None, *, jobs: int = 2, poll: float = 60.0
) -> None:
    while True:
        for run in run_due(db_path, sites_file, jobs=jobs):
            log.warning("crawl of %s exited with %d", run.source, run.returncode)
        time.sleep(max(1.0, min(poll, seconds_until_next(db_path, sites_file))))
