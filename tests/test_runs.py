"""Runs tell the truth whatever their end (issue 9): a run's counts are committed with
the articles they count, a run records the process behind it, and a "running" run whose
process is gone is marked "killed" by the next command, keeping its counts.
(End to end, with real crawls stopped and killed: test_stops.py.)"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess

import pytest

from newsarchive import stopping
from newsarchive.archive import RunStats, open_archive
from newsarchive.migrations import MIGRATIONS


def test_run_counts_are_committed_with_the_batch_they_count(archive, articles):
    run_id = archive.start_run("ingest", None, "test")
    stats = RunStats()

    def count(outcomes):
        for _, outcome in outcomes:
            stats.count(outcome)
        stats.pages = stats.archived
        return stats

    def stream():
        for _ in range(7):
            yield articles()
        raise RuntimeError("the process dies here")

    with pytest.raises(RuntimeError):
        for _ in archive.upsert_articles(stream(), batch_size=3, run_id=run_id, count=count):
            pass
    run = archive.db["crawl_runs"].get(run_id)
    # Two batches of three landed, each with its counts; the seventh article did not.
    assert archive.article_count() == 6
    assert (run["status"], run["new"], run["pages"]) == ("running", 6, 6)


def test_a_run_records_its_process_and_a_dead_one_is_marked_killed(archive):
    live = archive.start_run("crawl", "a", "test")
    run = archive.db["crawl_runs"].get(live)
    assert (run["pid"], run["host"]) == (os.getpid(), socket.gethostname())
    assert run["pid_start"] == stopping.start_token(os.getpid())
    gone = subprocess.Popen(["true"])
    gone.wait()
    others = [
        ("dead", gone.pid, socket.gethostname(), None),
        ("reused pid", os.getpid(), socket.gethostname(), "another/start"),
        ("other container", gone.pid, socket.gethostname(), "boot/pid:[1]/123"),
        ("other host", gone.pid, "elsewhere.example", None),
        ("before schema 3", None, None, None),
    ]
    ids = {name: archive.start_run("crawl", name, "test") for name, *_ in others}
    for name, pid, host, token in others:
        archive.conn.execute(
            "UPDATE crawl_runs SET pid = ?, host = ?, pid_start = ?, new = 7 WHERE id = ?",
            (pid, host, token, ids[name]),
        )
    assert sorted(archive.reap_dead_runs()) == sorted([ids["dead"], ids["reused pid"]])
    status = {r["source"]: (r["status"], r["new"]) for r in archive.db["crawl_runs"].rows}
    assert status == {
        "a": ("running", 0),
        "dead": ("killed", 7),
        "reused pid": ("killed", 7),
        "other host": ("running", 7),
        "other container": ("running", 7),
        "before schema 3": ("running", 7),
    }


def test_a_schema_2_archive_gains_the_run_process_columns(tmp_path):
    path = tmp_path / "archive.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "\nPRAGMA user_version = 2;")
    conn.execute(
        "INSERT INTO crawl_runs (kind, source, started, status, new)"
        " VALUES ('crawl', 'old', '2024-01-01T00:00:00+00:00', 'running', 3)"
    )
    conn.commit()
    conn.close()
    with open_archive(path) as archive:
        assert {"pid", "host", "pid_start"} <= set(archive.db["crawl_runs"].columns_dict)
        assert archive.reap_dead_runs() == []  # no pid: it cannot be told dead
        assert archive.last_run("old")["new"] == 3


def test_process_alive():
    assert stopping.process_alive(os.getpid(), stopping.start_token(os.getpid()))
    assert not stopping.process_alive(os.getpid(), "another/start")
    child = subprocess.Popen(["true"])
    child.wait()
    assert not stopping.process_alive(child.pid)
    assert not stopping.process_alive(0)
