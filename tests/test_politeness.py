"""Politeness measured on the wire: robots.txt Crawl-delay and Retry-After, as seen by
the local server's request log."""

from __future__ import annotations

import pytest

from newsarchive.politeness import retry_after_seconds
from newsarchive.samplesite import build_site, serve
from tests.crawling import run_crawl, write_sites


@pytest.fixture(scope="module")
def site():
    return build_site()


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_robots_crawl_delay_spaces_every_request(site, tmp_path):
    with serve(site, crawl_delay=0.4) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        result = run_crawl(
            tmp_path / "archive.db", sites, "sample", settings={"CLOSESPIDER_PAGECOUNT": "14"}
        )
        times = [t for t, *_ in server.requests]
    assert result.returncode == 0, result.stderr[-2000:]
    # The first robots.txt fetch is what tells the crawler the delay; after it, every
    # request waits at least Crawl-delay (the registry's own delay is 0, concurrency 2).
    spacing = gaps(times[1:])
    assert len(spacing) >= 10
    assert min(spacing) >= 0.38, spacing


def test_retry_after_pauses_the_site_then_retries(site, tmp_path):
    with serve(site) as server:
        server.fail_next("/feed/", status=503, times=1, retry_after=2)
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        result = run_crawl(
            tmp_path / "archive.db",
            sites,
            "sample",
            # With no delay at all Scrapy's downloader dispatches a burst of queued
            # requests at once; a small delay makes them one at a time.
            settings={"DOWNLOAD_DELAY": "0.05", "CLOSESPIDER_PAGECOUNT": "10"},
        )
        log = list(server.requests)
    assert result.returncode == 0, result.stderr[-2000:]
    feed = [(t, status) for t, _, target, status in log if target == "/feed/"]
    assert [status for _, status in feed] == [503, 200]
    failed_at = feed[0][0]
    later = [t for t, *_ in log if t > failed_at]
    assert later[0] - failed_at >= 1.9, "the site was not left alone for Retry-After"
    assert feed[1][0] - failed_at >= 1.9


def test_429_without_retry_after_backs_off(site, tmp_path):
    with serve(site) as server:
        server.fail_next("/feed/", status=429, times=2, retry_after=None)
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        result = run_crawl(
            tmp_path / "archive.db",
            sites,
            "sample",
            settings={
                "DOWNLOAD_DELAY": "0.05",
                "CLOSESPIDER_PAGECOUNT": "30",
                "RETRY_BACKOFF_BASE": "0.5",
            },
        )
        feed = [(t, s) for t, _, target, s in server.requests if target == "/feed/"]
    assert result.returncode == 0, result.stderr[-2000:]
    assert [s for _, s in feed] == [429, 429, 200]
    # Exponential: 0.5 s after the first refusal, 1 s after the second.
    assert feed[1][0] - feed[0][0] >= 0.45
    assert feed[2][0] - feed[1][0] >= 0.95


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(b"120", 120.0), ("7", 7.0), (None, None), (b"soon", None)],
)
def test_retry_after_header_forms(header, seconds):
    assert retry_after_seconds(header) == seconds


def test_retry_after_http_date_is_relative_to_now():
    from email.utils import formatdate
    from time import time

    wait = retry_after_seconds(formatdate(time() + 30, usegmt=True))
    assert 28 <= wait <= 31
