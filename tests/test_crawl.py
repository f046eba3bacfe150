"""End to end: crawl the local sample site into a fresh archive and check every field."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlite_utils

from newsarchive.samplesite import PRIVATE_PATH, build_site, serve
from tests.crawling import BOILERPLATE, run_crawl, write_sites


def instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def site():
    return build_site()


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    """One crawl of the sample site, then a second one over the same archive."""
    tmp = tmp_path_factory.mktemp("crawl")
    with serve(site) as server:
        sites = write_sites(tmp / "sites.toml", server.base_url.rstrip("/"))
        db = tmp / "archive.db"
        first = run_crawl(db, sites, "sample")
        requests_after_first = list(server.requests)
        second = run_crawl(db, sites, "sample")
        requests_after_second = list(server.requests)
    return {
        "db": sqlite_utils.Database(db),
        "base": server.base_url.rstrip("/"),
        "first": first,
        "second": second,
        "requests_first": requests_after_first,
        "requests_second": requests_after_second[len(requests_after_first) :],
    }


def test_crawl_archives_exactly_the_articles(crawled, site):
    assert crawled["first"].returncode == 0, crawled["first"].stderr[-3000:]
    rows = list(crawled["db"]["articles"].rows)
    expected = {crawled["base"] + a.url for a in site.articles}
    assert {r["url"] for r in rows} == expected
    assert len(rows) == len(site.articles) == 12
    assert all(r["source"] == "sample" for r in rows)


def test_every_field_is_right(crawled, site):
    by_url = {r["url"]: r for r in crawled["db"]["articles"].rows}
    for sample in site.articles:
        want = sample.expected_article(crawled["base"])
        got = by_url[want.url]
        assert got["title"] == want.title, want.url
        assert words(got["text"]) == words(want.text), want.url
        assert BOILERPLATE not in got["text"]
        assert instant(got["published"]) == instant(want.published), want.url
        if want.modified:
            assert instant(got["modified"]) == instant(want.modified), want.url
        assert got["author"] == (want.author or "الموعد اليومي"), want.url
        assert set(want.categories) <= set(json.loads(got["categories"])), want.url
        assert got["language"] == "ar"


def test_windows_1256_and_body_dated_pages(crawled, site):
    by_url = {r["url"]: r for r in crawled["db"]["articles"].rows}
    cp1256 = [a for a in site.articles if a.encoding == "windows-1256"]
    body_dated = [a for a in site.articles if a.dated_in_body_only]
    assert cp1256 and body_dated
    for sample in cp1256:
        assert by_url[crawled["base"] + sample.url]["title"] == sample.title
    for sample in body_dated:
        # Never a silent 1 January: the day written in the text.
        published = by_url[crawled["base"] + sample.url]["published"]
        assert published[:10] == sample.published[:10]


def test_politeness_and_non_articles(crawled):
    paths = [r[2] for r in crawled["requests_first"]]
    assert "/robots.txt" in paths
    assert not any(p.startswith(PRIVATE_PATH.rstrip("/")) for p in paths), "robots.txt ignored"
    assert not any("utm_" in p or p.endswith("/amp/") for p in paths)


def test_run_is_recorded_with_reasons(crawled):
    runs = list(crawled["db"]["crawl_runs"].rows_where(order_by="id"))
    assert [r["status"] for r in runs] == ["ok", "ok"]
    first, second = runs
    assert first["kind"] == "crawl" and first["source"] == "sample"
    assert (first["new"], first["updated"]) == (12, 0)
    assert first["pages"] > 12
    reasons = json.loads(first["dropped_reasons"])
    assert reasons["HTTP 404"] == 1
    assert "12 new" in crawled["first"].stdout


def test_second_crawl_is_incremental(crawled):
    assert crawled["second"].returncode == 0, crawled["second"].stderr[-3000:]
    second = list(crawled["db"]["crawl_runs"].rows_where(order_by="id desc", limit=1))[0]
    assert (second["new"], second["updated"], second["unchanged"]) == (0, 0, 12)
    refetched = [r[2] for r in crawled["requests_second"] if r[2].startswith("/2024/")]
    assert refetched == [], "known articles were fetched again"
    assert crawled["db"]["articles"].count == 12
    assert crawled["db"]["revisions"].count == 0


def test_a_crawl_prints_its_summary_and_no_scrapy_log(crawled):
    """Without -v or --log-file: the summary, not Scrapy's ~115 lines, and no traceback."""
    first = crawled["first"]
    assert first.returncode == 0, first.stderr
    output = first.stdout + first.stderr
    assert output.startswith("sample: ok:"), output[:500]
    assert "[scrapy" not in output and "Traceback" not in output
    assert len(output.splitlines()) <= 12, output


def test_log_file_holds_scrapys_log(tmp_path, site):
    with serve(site) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        log = tmp_path / "crawl.log"
        result = run_crawl(tmp_path / "archive.db", sites, "sample", "--log-file", str(log))
    assert result.returncode == 0, result.stderr
    assert "[scrapy" not in result.stdout + result.stderr
    text = log.read_text(encoding="utf-8")
    assert "[scrapy.core.engine] INFO: Spider opened" in text


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:9/", "connection refused"),
        ("http://no-such-host.invalid/", "name not resolved"),
    ],
)
def test_an_unreachable_site_is_one_clear_line(tmp_path, url, problem):
    """No retries of every discovery channel: the site is checked first, and the run is
    recorded as failed so health sees it."""
    db = tmp_path / "archive.db"
    sites = write_sites(tmp_path / "sites.toml", url.rstrip("/"))
    result = run_crawl(db, sites, "sample")
    assert result.returncode == 1
    host = url.split("/")[2].split(":")[0]
    assert (
        f"error: cannot reach {host}: {problem}; check the URL ({url}), the network, or"
        " whether the site is up"
    ) in result.stderr.splitlines()
    assert "Traceback" not in result.stderr and "[scrapy" not in result.stderr
    (run,) = sqlite_utils.Database(db)["crawl_runs"].rows
    assert run["status"] == "failed" and problem in run["errors"]


def test_a_crawl_that_finds_nothing_fails_loudly(tmp_path):
    # A registry whose article pattern matches nothing the site has.
    with serve(build_site()) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"), "^/nothing/$")
        result = run_crawl(tmp_path / "archive.db", sites, "sample")
    assert result.returncode == 1
    assert "archived no articles" in result.stderr
    assert "feed" in result.stderr and "robots.txt" in result.stderr


def test_unknown_source_is_a_clear_error(tmp_path):
    with serve(build_site()) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        result = run_crawl(tmp_path / "archive.db", sites, "nosuchsite")
    assert result.returncode == 1
    assert "unknown source nosuchsite" in result.stderr
    assert "Traceback" not in result.stderr


def test_unconfigured_site_by_url_with_automatic_discovery(tmp_path, site):
    """No registry entry: feeds, sitemaps, REST API and links found from the home page;
    robots.txt is what keeps the crawler out of /private/."""
    with serve(site) as server:
        sites = write_sites(tmp_path / "sites.toml", "http://unused.invalid")
        db = tmp_path / "archive.db"
        result = run_crawl(db, sites, server.base_url)
        paths = [r[2] for r in server.requests]
    assert result.returncode == 0, result.stderr[-3000:]
    archive = sqlite_utils.Database(db)
    base = server.base_url.rstrip("/")
    assert {r["url"] for r in archive["articles"].rows} == {base + a.url for a in site.articles}
    run = next(archive["crawl_runs"].rows)
    assert run["source"] == "127_0_0_1"
    assert json.loads(run["dropped_reasons"])["forbidden by robots.txt"] == 1
    assert not any(p.startswith(PRIVATE_PATH.rstrip("/")) for p in paths)


def interrupt_crawl(server, db, sites, signal_number):
    """Start a crawl, stop it with ``signal_number`` once it has fetched a few articles."""
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "newsarchive", "crawl", "sample", "--db", str(db)]
    command += ["--sites", str(sites), "-s", "AUTOTHROTTLE_ENABLED=0"]
    command += ["-s", "DOWNLOAD_DELAY=0.3", "-s", "NEWSARCHIVE_EXTRACT_WORKERS=0"]
    crawl = subprocess.Popen(
        command, cwd=db.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(1 for r in server.requests if r[2].startswith("/2024/")) >= 3:
            break
        time.sleep(0.05)
    crawl.send_signal(signal_number)
    crawl.wait(timeout=60)
    return len(server.requests)


def test_an_interrupted_crawl_resumes_where_it_stopped(tmp_path, site):
    import signal

    db = tmp_path / "archive.db"
    with serve(site) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        first_run = interrupt_crawl(server, db, sites, signal.SIGTERM)
        assert (tmp_path / "jobs" / "sample").exists(), "no job state was kept"
        resumed = run_crawl(db, sites, "sample")
        second = [r[2] for r in server.requests[first_run:]]
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming the interrupted crawl of sample" in resumed.stderr
    archive = sqlite_utils.Database(db)
    assert archive["articles"].count == 12
    # Discovery already done before the stop is not repeated.
    assert "/feed/" not in second and "/sitemap_index.xml" not in second
    assert [r["status"] for r in archive["crawl_runs"].rows] == ["interrupted", "ok"]
    assert not (tmp_path / "jobs" / "sample").exists(), "finished job state not cleaned up"


def test_a_killed_crawl_starts_afresh_without_refetching_articles(tmp_path, site):
    import signal

    db = tmp_path / "archive.db"
    with serve(site) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        first_run = interrupt_crawl(server, db, sites, signal.SIGKILL)
        archived = {r["url"] for r in sqlite_utils.Database(db)["articles"].rows}
        again = run_crawl(db, sites, "sample")
        second = [r[2] for r in server.requests[first_run:]]
    assert again.returncode == 0, again.stderr[-2000:]
    assert "starts afresh" in again.stderr
    archive = sqlite_utils.Database(db)
    assert archive["articles"].count == 12
    base = server.base_url.rstrip("/")
    assert not [p for p in second if base + p in archived], "archived articles fetched again"
    assert [r["status"] for r in archive["crawl_runs"].rows] == ["killed", "ok"]


def test_since_backfills_only_newer_articles_and_stops_paginating(tmp_path, site):
    since = "2024-03-05"  # newer than every post in /category/local/
    with serve(site) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        result = run_crawl(tmp_path / "archive.db", sites, "sample", "--since", since)
        paths = [r[2] for r in server.requests]
    assert result.returncode == 0, result.stderr[-2000:]
    base = server.base_url.rstrip("/")
    archived = {r["url"] for r in sqlite_utils.Database(tmp_path / "archive.db")["articles"].rows}
    assert archived == {base + a.url for a in site.articles if a.published[:10] >= since}
    older = {a.url for a in site.articles if a.published[:10] < since}
    assert not older & set(paths), "articles older than --since were fetched"
    assert len(archived) == 1
    # /category/local/ lists 5 posts, 3 a page, all older: its page 2 is never fetched.
    assert "/category/local/" in paths
    assert "/category/local/page/2/" not in paths


def test_progress_line_draws_and_clears():
    """The live line (newsarchive.progress) from a crawl's stats, redrawn in place."""
    import io

    from newsarchive.progress import ProgressLine, progress_text

    stats = {
        "response_received_count": 40,
        "newsarchive/new": 12,
        "newsarchive/updated": 1,
        "newsarchive/dropped/HTTP 404": 2,
        "newsarchive/dropped/listing or section page": 5,
        "downloader/exception_count": 3,
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 2,
    }
    assert progress_text("elmaouid", stats, 7, 10.0) == (
        "elmaouid: 40 pages (4.0/s), 12 new, 1 updated, 7 dropped, 1 errors, 7 queued"
    )

    class Stats:
        def get_stats(self):
            return stats

    class Crawler:
        stats = Stats()
        engine = None

    class Spider:
        name = "elmaouid"

    stream = io.StringIO()
    line = ProgressLine(Crawler(), stream)
    line.name = Spider.name
    line.draw()
    assert stream.getvalue().startswith("\r\x1b[Kelmaouid: 40 pages")
    line.closed(Spider())
    assert stream.getvalue().endswith("\r\x1b[K")
