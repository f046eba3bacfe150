"""Politeness measured on the wire: robots.txt Crawl-delay and Retry-After, as seen by
the local server's request log.

Times are the server's, stamped when a request is read and before it is answered (see
``SampleServer.requests``), so a pause the crawler takes after an answer shows in full,
however busy the machine; what load can shorten is only the gap between two requests
the crawler spaced out itself, by delaying the first one on its way more than the next.
"""

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


def requests_during(log: list[tuple], start: float, seconds: float) -> list[str]:
    """What reached the server in the ``seconds`` after ``start`` (a logged time)."""
    return [target for t, _, target, _ in log if start < t < start + seconds]


def test_robots_crawl_delay_spaces_every_request(site, tmp_path):
    delay = 0.4
    with serve(site, crawl_delay=delay) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        result = run_crawl(
            tmp_path / "archive.db", sites, "sample", settings={"CLOSESPIDER_PAGECOUNT": "14"}
        )
        times = [t for t, *_ in server.requests]
    assert result.returncode == 0, result.stderr[-2000:]
    # The first robots.txt fetch is what tells the crawler the delay; after it, every
    # request waits at least Crawl-delay (the registry's own delay is 0, concurrency 2,
    # so without it requests come in pairs a few milliseconds apart).
    spacing = gaps(times[1:])
    assert len(spacing) >= 10
    # The crawler spaces its requests from when it sent the previous one, so the gaps
    # seen here add up to at least the delay each, but for how late the first request
    # reached the server; a busy CPU can shift a single request by tens of milliseconds,
    # never by half the delay.
    assert sum(spacing) / len(spacing) >= 0.95 * delay, spacing
    assert min(spacing) >= 0.5 * delay, spacing


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
    # The retry waits out Retry-After: 2 s (80 % of it as a margin; without the pause
    # it goes out once the requests queued before it have, well within a second here).
    assert feed[1][0] - failed_at >= 0.8 * 2, feed
    # So does the rest of the site (some twenty requests without the pause), but for a
    # request already on its way before the crawler read the 503: the site allows two
    # at once, so at most one.
    during = requests_during(log, failed_at, 0.8 * 2)
    assert len(during) <= 1, f"the site was not left alone for Retry-After: {during}"


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
        log = list(server.requests)
    feed = [(t, s) for t, _, target, s in log if target == "/feed/"]
    assert result.returncode == 0, result.stderr[-2000:]
    assert [s for _, s in feed] == [429, 429, 200]
    # Exponential: 0.5 s after the first refusal, 1 s after the second (80 % as a margin),
    # for the whole site but a request already on its way, as above.
    for (refused_at, _), (next_at, _), wait in zip(feed, feed[1:], (0.5, 1), strict=False):
        assert next_at - refused_at >= 0.8 * wait, feed
        assert len(requests_during(log, refused_at, 0.8 * wait)) <= 1


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
