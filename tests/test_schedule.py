"""Scheduling: due sources are crawled once per interval, each in its own process,
and two crawls of one site never overlap."""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils

from newsarchive.archive import RunStats, open_archive
from newsarchive.crawl import due_sources
from newsarchive.samplesite import build_site, serve
from newsarchive.schedule import run_due, seconds_until_next
from newsarchive.sites import load_sites
from tests.crawling import run_crawl, write_sites


def test_run_due_crawls_once_per_interval(tmp_path):
    db = tmp_path / "archive.db"
    with serve(build_site()) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        assert due_sources(load_sites(sites), db) == ["sample"]
        first = run_due(db, sites)
        second = run_due(db, sites)  # the 6h default interval has not elapsed
    assert [(r.source, r.returncode) for r in first] == [("sample", 0)]
    assert second == []
    assert sqlite_utils.Database(db)["articles"].count == 12
    assert 0 < seconds_until_next(db, sites) <= 6 * 3600


def test_crawl_due_crawls_what_is_due_and_then_nothing(tmp_path):
    db = tmp_path / "archive.db"
    with serve(build_site()) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        first = run_crawl(db, sites, "--due", "--quiet")
        second = run_crawl(db, sites, "--due", "--quiet")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("sample: ok: ")
    assert sqlite_utils.Database(db)["articles"].count == 12
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "nothing is due"


def test_an_interval_that_elapsed_is_due_again(tmp_path):
    db = tmp_path / "archive.db"
    sites = write_sites(tmp_path / "sites.toml", "http://127.0.0.1:9")
    with open_archive(db) as archive:
        run = archive.start_run("crawl", "sample", "test")
        archive.conn.execute(
            "UPDATE crawl_runs SET started = '2020-01-01T00:00:00+00:00' WHERE id = ?", (run,)
        )
    assert due_sources(load_sites(sites), db) == ["sample"]
    assert seconds_until_next(db, sites) == 0


def test_a_second_crawl_of_the_same_site_is_refused(tmp_path):
    db = tmp_path / "archive.db"
    sites = write_sites(tmp_path / "sites.toml", "http://127.0.0.1:9")
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    with open(jobs / "sample.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_crawl(db, sites, "sample")
    assert result.returncode == 1
    assert "a crawl of sample is already running" in result.stderr


def test_schedule_once_command(tmp_path):
    from click.testing import CliRunner

    from newsarchive.cli import cli

    db = tmp_path / "archive.db"
    with serve(build_site()) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        args = ["schedule", "--once", "--db", str(db), "--sites", str(sites)]
        first = CliRunner().invoke(cli, args)
        second = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "sample: ok"
    assert second.output.strip() == "nothing is due"


def _run(archive, status: str, hours_ago: float, kind: str = "crawl") -> int:
    """A finished run of `sample` with ``status`` that started ``hours_ago``."""
    from newsarchive.archive import RunStats

    if kind == "scrapyd":
        run = archive.record_handoff("sample", "scrapyd http://127.0.0.1:6800/ job x")
    else:
        run = archive.start_run(kind, "sample", "test")
        if status != "running":
            archive.finish_run(run, RunStats(), status)
    started = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")
    archive.conn.execute("UPDATE crawl_runs SET started = ? WHERE id = ?", (started, run))
    return run


@pytest.mark.parametrize(
    ("runs", "due"),
    [
        ([], True),  # never crawled
        ([("ok", 1)], False),  # the 6 h interval has not passed
        ([("ok", 7)], True),
        # A failure is tried again an hour after it started, not at every pass...
        ([("ok", 7), ("failed", 0.5)], False),
        ([("ok", 7), ("failed", 1.5)], True),
        ([("ok", 7), ("empty", 0.5)], False),
        # ...and does not bring the next crawl before the interval since the last success.
        ([("ok", 3), ("failed", 2)], False),
        ([("failed", 2)], True),
        # Stopped or killed: resume at once.
        ([("ok", 1), ("interrupted", 0.5)], True),
        ([("ok", 1), ("killed", 0.5)], True),
        # "running" with no crawl holding its lock here (scrapyd, another machine, or
        # dead): an attempt, like a failure.
        ([("ok", 7), ("running", 0.5)], False),
        ([("ok", 7), ("running", 1.5)], True),
        # Handed to scrapyd, no crawl recorded since: an attempt, like a failure.
        ([("ok", 7), ("scrapyd", 0.5)], False),
        ([("ok", 7), ("scrapyd", 1.5)], True),
        ([("scrapyd", 7), ("ok", 0.5)], False),  # the job's crawl worked
    ],
)
def test_when_a_source_is_due(tmp_path, runs, due):
    db = tmp_path / "archive.db"
    sites = load_sites(write_sites(tmp_path / "sites.toml", "http://127.0.0.1:9"))
    with open_archive(db) as archive:
        for status, hours_ago in runs:
            kind = "scrapyd" if status == "scrapyd" else "crawl"
            _run(archive, status, hours_ago, kind)
    assert due_sources(sites, db) == (["sample"] if due else [])
    wait = seconds_until_next(db, tmp_path / "sites.toml")
    assert (wait == 0) if due else (wait > 0)


def test_a_crawl_that_holds_its_lock_is_not_due(tmp_path):
    db = tmp_path / "archive.db"
    sites = load_sites(write_sites(tmp_path / "sites.toml", "http://127.0.0.1:9"))
    with open_archive(db) as archive:
        _run(archive, "running", 8)
    (tmp_path / "jobs").mkdir()
    with open(tmp_path / "jobs" / "sample.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert due_sources(sites, db) == []
    assert due_sources(sites, db) == ["sample"]


def test_the_longest_overdue_goes_first(tmp_path):
    db = tmp_path / "archive.db"
    registry = tmp_path / "sites.toml"
    registry.write_text(
        "".join(f'[sites.{n}]\nbase_url = "http://127.0.0.1:9/"\n' for n in ("a", "b", "c")),
        encoding="utf-8",
    )
    with open_archive(db) as archive:
        for name, hours_ago in (("a", 7), ("b", 30)):
            run = archive.start_run("crawl", name, "test")
            archive.finish_run(run, RunStats(), "ok")
            started = datetime.now(UTC) - timedelta(hours=hours_ago)
            archive.conn.execute(
                "UPDATE crawl_runs SET started = ? WHERE id = ?", (started.isoformat(), run)
            )
    assert due_sources(load_sites(registry), db) == ["c", "b", "a"]


def test_at_most_jobs_crawls_run_at_once_each_in_its_own_process(tmp_path, monkeypatch):
    """Each crawl is a process of its own (here a stand-in that logs its start and end,
    and ends only once the test lets it)."""
    import sys
    import threading
    import time

    from newsarchive import schedule

    registry = tmp_path / "sites.toml"
    names = ("a", "b", "c", "d")
    registry.write_text(
        "".join(f'[sites.{n}]\nbase_url = "http://127.0.0.1:9/"\n' for n in names),
        encoding="utf-8",
    )
    log, release = tmp_path / "log", tmp_path / "release"
    script = (
        "import os, sys, time\n"
        "def say(what): open(sys.argv[2], 'a').write(f'{sys.argv[1]} {what} {os.getpid()}\\n')\n"
        "say('start')\n"
        "while not os.path.exists(sys.argv[3]): time.sleep(0.05)\n"
        "say('end')\n"
    )
    monkeypatch.setattr(
        schedule,
        "crawl_command",
        lambda source, db, sites: [sys.executable, "-c", script, source, str(log), str(release)],
    )

    def events() -> list[list[str]]:
        return [line.split() for line in log.read_text().splitlines()] if log.exists() else []

    runs = []
    scheduler = threading.Thread(
        target=lambda: runs.extend(run_due(tmp_path / "archive.db", registry, jobs=2))
    )
    scheduler.start()
    deadline = time.monotonic() + 60
    while len(events()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # time enough for a third crawl to start, were it allowed to
    started = [e for e in events() if e[1] == "start"]
    release.touch()
    scheduler.join(60)
    assert len(started) == 2
    assert sorted((r.source, r.returncode) for r in runs) == [(n, 0) for n in names]
    running = most = 0
    for _, what, _ in events():
        running += 1 if what == "start" else -1
        most = max(most, running)
    assert most == 2
    pids = {pid for _, what, pid in events() if what == "start"}
    assert len(pids) == 4 and str(os.getpid()) not in pids
