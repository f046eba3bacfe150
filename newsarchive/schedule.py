"""Running every source whose crawl interval has elapsed, each crawl in its own process.

`newsarchive schedule` loops; `newsarchive schedule --once` (or `crawl --due`) is one
pass for cron or a systemd timer. Each crawl is a `newsarchive crawl NAME` process, so
one site's failure or memory cannot take the others down, and a per-source lock (taken
by the crawl itself) keeps two crawls of one site from overlapping.

Stops: each crawl runs in a session of its own, so a Ctrl-C at the terminal reaches the
scheduler only; it passes every SIGINT or SIGTERM it gets on to its crawls (which stop
gracefully at the first, at once at the second), starts no new one, and waits for them.
A crawl still running after SCHEDULER_GRACE seconds is killed (and marked "killed" by
the next command).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from newsarchive import stopping
from newsarchive.crawl import crawl_running, due_sources
from newsarchive.due import seconds_until_due
from newsarchive.sites import load_sites, sites_path

# The crawls' own deadline, their hard stop, and a margin: under 10 s in all.
SCHEDULER_GRACE = stopping.GRACE_SECONDS + stopping.HARD_STOP_DB_WAIT + 0.5

log = logging.getLogger(__name__)


@dataclass
class ScheduledRun:
    source: str
    returncode: int


@dataclass
class _Crawl:
    source: str
    process: subprocess.Popen
    signals_sent: int = 0  # how many of the scheduler's stop signals it was given


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


class Scheduler:
    """Starts due crawls, at most ``jobs`` at once, and stops them with ``stop``: once
    it is requested no crawl starts, and its signals go to the running ones."""

    def __init__(
        self,
        db_path: Path,
        sites_file: Path | None = None,
        *,
        jobs: int = 2,
        stop: stopping.StopSignals | None = None,
    ):
        self.db_path = db_path
        self.sites_file = sites_file
        self.jobs = jobs
        self.stop = stop
        self.running: list[_Crawl] = []
        if stop is not None:
            stop.on_hard_stop(self.kill)

    @property
    def stopping(self) -> bool:
        return self.stop is not None and self.stop.requested

    def run_due(self) -> list[ScheduledRun]:
        """One pass: a crawl process for every due source; returns when all ended."""
        due = due_sources(load_sites(self.sites_file), self.db_path)
        finished: list[ScheduledRun] = []
        for source in due:
            while len(self.running) >= self.jobs and not self.stopping:
                self._reap(finished)
                time.sleep(0.2)
            if self.stopping:
                break
            log.info("crawling %s", source)
            command = crawl_command(source, self.db_path, self.sites_file)
            self.running.append(_Crawl(source, subprocess.Popen(command, start_new_session=True)))
        while self.running:
            self._reap(finished)
            if self.running:
                time.sleep(0.2)
        return finished

    def forever(self, poll: float = 60.0) -> None:
        """Run due crawls until stopped (for ever without ``stop``)."""
        while not self.stopping:
            for run in self.run_due():
                if run.returncode:
                    log.warning("crawl of %s exited with %d", run.source, run.returncode)
            wait = max(1.0, min(poll, seconds_until_next(self.db_path, self.sites_file)))
            if self.stop is None:
                time.sleep(wait)
            elif self.stop.wait(wait):
                break

    def _reap(self, finished: list[ScheduledRun]) -> None:
        still = []
        for crawl in self.running:
            code = crawl.process.poll()
            if code is not None:
                finished.append(ScheduledRun(crawl.source, code))
                continue
            still.append(crawl)
            while self.stop is not None and crawl.signals_sent < self.stop.count:
                crawl.process.send_signal(self.stop.signum or signal.SIGINT)
                crawl.signals_sent += 1
        self.running = still

    def kill(self) -> None:
        """The scheduler's hard stop: crawls that outlived their own deadline are killed."""
        for crawl in self.running:
            if crawl.process.poll() is None:
                log.warning("the crawl of %s did not stop: killing it", crawl.source)
                os.killpg(crawl.process.pid, signal.SIGKILL)


def run_due(
    db_path: Path,
    sites_file: Path | None = None,
    *,
    jobs: int = 2,
    stop: stopping.StopSignals | None = None,
) -> list[ScheduledRun]:
    """One pass: start a crawl process for every due source, at most ``jobs`` at once."""
    return Scheduler(db_path, sites_file, jobs=jobs, stop=stop).run_due()


def seconds_until_next(db_path: Path, sites_file: Path | None = None) -> float:
    """How long until the next source falls due (0 if one is due now)."""
    jobs_dir = db_path.parent / "jobs"
    return seconds_until_due(
        load_sites(sites_file), db_path, running=lambda name: crawl_running(jobs_dir, name)
    )


def schedule_forever(
    db_path: Path,
    sites_file: Path | None = None,
    *,
    jobs: int = 2,
    poll: float = 60.0,
    stop: stopping.StopSignals | None = None,
) -> None:
    """Run due crawls until ``stop`` is requested (for ever without one)."""
    Scheduler(db_path, sites_file, jobs=jobs, stop=stop).forever(poll)
