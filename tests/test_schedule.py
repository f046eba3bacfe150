"""Scheduling: due sources are crawled once per interval, each in its own process,
and two crawls of one site never overlap."""

from __future__ import annotations

import fcntl

import sqlite_utils

from newsarchive.archive import open_archive
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
