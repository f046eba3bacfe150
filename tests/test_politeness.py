"""Politeness measured on the wire: robots.txt rules, its Crawl-delay and Retry-After, as
seen by the local server's request log.

Times are the server's, stamped when a request is read and before it is answered (see
``SampleServer.requests``), so a pause the crawler takes after an answer shows in full,
however busy the machine; what load can shorten is only the gap between two requests
the crawler spaced out itself, by delaying the first one on its way more than the next.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlite_utils
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, TextResponse
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager

from newsarchive.politeness import RobotsTxtFirstMiddleware, retry_after_seconds
from newsarchive.samplesite import Response, build_site, serve
from tests.crawling import run_crawl, write_sites


@pytest.fixture(scope="module")
def site():
    return build_site()


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def requests_during(log: list[tuple], start: float, seconds: float) -> list[str]:
    """What reached the server in the ``seconds`` after ``start`` (a logged time)."""
    return [target for t, _, target, _ in log if start < t < start + seconds]


class RobotsTxtOnHold:
    """Just enough of a crawler for the robots.txt middleware: its engine answers the
    robots.txt download with ``answer`` (a status and body, or an exception) once
    ``release`` is set."""

    def __init__(self, answer: tuple[int, bytes] | Exception):
        self.settings = Settings({"ROBOTSTXT_OBEY": True})
        self.signals = SignalManager()
        self.stats = self
        self.engine = self
        self.spider = None
        self.answer = answer
        self.release = asyncio.Event()
        self.fetched: list[str] = []

    def inc_value(self, key: str, count: int = 1) -> None:
        pass

    async def download_async(self, request: Request) -> TextResponse:
        self.fetched.append(request.url)
        await self.release.wait()
        if isinstance(self.answer, Exception):
            raise self.answer
        status, body = self.answer
        return TextResponse(request.url, status=status, body=body)


async def robots_outcomes(answer: tuple[int, bytes] | Exception, requests: int = 5):
    """What the middleware decides for requests that all arrive while robots.txt loads."""
    crawler = RobotsTxtOnHold(answer)
    middleware = RobotsTxtFirstMiddleware(crawler)

    async def decide(number: int) -> str:
        try:
            await middleware.process_request(Request(f"https://news.example/{number}/"))
        except IgnoreRequest:
            return "forbidden"
        return "allowed"

    decisions = [asyncio.ensure_future(decide(n)) for n in range(requests)]
    await asyncio.sleep(0.05)
    undecided = not any(d.done() for d in decisions)
    crawler.release.set()
    return crawler.fetched, undecided, await asyncio.gather(*decisions)


@pytest.mark.parametrize(
    ("answer", "decision"),
    [
        ((200, b"User-agent: *\nDisallow: /\n"), "forbidden"),
        ((404, b"<html><body>Not found</body></html>"), "allowed"),
        # Scrapy's own choice, kept: a robots.txt that cannot be fetched allows all.
        (ConnectionRefusedError("connection refused"), "allowed"),
    ],
)
def test_every_request_waits_for_robots_txt(answer, decision):
    fetched, undecided, decisions = asyncio.run(robots_outcomes(answer))
    assert fetched == ["https://news.example/robots.txt"]
    assert undecided, "a request was decided before robots.txt was known"
    # Scrapy's own middleware gives the rules to the first two and lets the others pass.
    assert decisions == [decision] * 5


def serve_robots_txt(server, *disallow: str) -> None:
    """Make the site's robots.txt disallow these paths for every user agent."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallow), ""]
    lines.append(f"Sitemap: {server.base_url}/sitemap_index.xml")
    body = ("\n".join(lines) + "\n").encode()
    server.pages["/robots.txt"] = Response(200, body, "text/plain; charset=utf-8")


def test_disallow_all_means_robots_txt_and_nothing_else(site, tmp_path):
    with serve(site) as server:
        serve_robots_txt(server, "/")
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        result = run_crawl(tmp_path / "archive.db", sites, "sample")
        paths = [target for _, _, target, _ in server.requests]
    # The spider asks for robots.txt itself too (for its Sitemap lines): allowed by RFC 9309.
    assert paths and set(paths) == {"/robots.txt"}, paths
    assert result.returncode == 1
    assert "archived no articles" in result.stderr
    assert "Forbidden by robots.txt" in result.stderr
    assert sqlite_utils.Database(tmp_path / "archive.db")["articles"].count == 0


def test_a_disallowed_section_is_never_fetched(site, tmp_path):
    # The feed, the REST API and the start listing /category/local/ are among the first
    # requests, sent while robots.txt is still on its way; /2024/02/ holds articles the
    # sitemaps and the home page list.
    sections = ("/feed/", "/wp-json/", "/category/", "/2024/02/")
    with serve(site) as server:
        serve_robots_txt(server, *sections)
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        db = tmp_path / "archive.db"
        result = run_crawl(db, sites, "sample")
        paths = [target for _, _, target, _ in server.requests]
    assert result.returncode == 0, result.stderr[-2000:]
    assert paths[0] == "/robots.txt"
    assert not [p for p in paths if p.startswith(sections)], paths
    archive = sqlite_utils.Database(db)
    base = server.base_url.rstrip("/")
    forbidden = {base + a.url for a in site.articles if a.url.startswith("/2024/02/")}
    assert forbidden
    archived = {row["url"] for row in archive["articles"].rows}
    assert archived == {base + a.url for a in site.articles} - forbidden
    run = next(archive["crawl_runs"].rows)
    assert json.loads(run["dropped_reasons"])["forbidden by robots.txt"] == len(forbidden)
    recorded = archive["pages"].rows_where("reason = ?", ["forbidden by robots.txt"])
    assert {row["url"] for row in recorded} == forbidden


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
