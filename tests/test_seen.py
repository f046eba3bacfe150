"""What a crawl remembers per URL stays a few bytes a URL (issue 9: <= 10 MB per 100,000
seen URLs; bench/bench_recrawl.py measures the whole crawl)."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from newsarchive.discovery import Entry
from newsarchive.seen import KeySet, KnownArticles, SeenFilter, UrlSet, url_key
from newsarchive.sites import Site
from spiders.sources import spider_for

N = 100_000


def allocated(build):
    """(what ``build()`` returns, bytes it still holds)."""
    tracemalloc.start()
    try:
        result = build()
        return result, tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


def test_a_key_set_is_a_set():
    keys = KeySet([5, -7])
    assert len(keys) == 2 and 5 in keys and -7 in keys and 6 not in keys
    assert keys.add(5) is False and keys.add(2**63 - 1) is True
    many = range(-5000, 5000, 3)
    keys.update(many)  # grows past its first array
    assert all(k in keys for k in many) and 5001 not in keys
    assert len(keys) == len(set(many) | {5, -7, 2**63 - 1})
    assert set(keys) == set(many) | {5, -7, 2**63 - 1}
    assert 1 in KeySet([0])  # 0 marks a free slot: the key 0 is kept as 1


def test_url_keys_are_the_same_in_every_process():
    # hash() of a str changes with PYTHONHASHSEED; a job directory outlives the process.
    assert url_key("https://example.dz/2024/01/05/khabar/") == url_key(
        "https://example.dz/2024/01/05/khabar/"
    )
    assert url_key("https://example.dz/a") != url_key("https://example.dz/b")
    assert url_key("https://example.dz/a") == 7472482008335279916  # blake2b, 8 bytes


def test_100000_seen_urls_take_under_4_mb():
    urls = [f"https://www.example.dz/2024/03/{i % 28:02d}/khabar-raqm-{i:07d}/" for i in range(N)]
    seen, size = allocated(lambda: UrlSet(urls))
    assert len(seen) == N and urls[12345] in seen and urls[0] + "x" not in seen
    assert size < 4 * 2**20, f"{size / 2**20:.1f} MB"  # a set of the strings: ~14 MB


def test_known_articles_take_under_6_mb_per_100000():
    articles = [
        (f"https://www.example.dz/2024/03/{i % 28:02d}/khabar-raqm-{i:07d}/", modified)
        for i in range(N)
        for modified in [
            None if i % 7 == 0 else f"2024-03-{1 + i % 28:02d}T10:{i % 60:02d}:00+01:00"
        ]
    ]
    known, size = allocated(lambda: KnownArticles(articles))
    assert len(known) == N
    assert size < 6 * 2**20, f"{size / 2**20:.1f} MB"  # the dict it replaces: ~29 MB
    for url, modified in articles[:50] + articles[-50:]:
        assert url in known and known.modified(url) == modified
    assert "https://www.example.dz/elsewhere/" not in known
    assert known.modified("https://www.example.dz/elsewhere/") is None


def test_the_duplicate_filter_resumes_from_its_job_directory(tmp_path):
    first = SeenFilter(str(tmp_path))
    assert not first.request_seen(Request("https://example.dz/feed/"))
    assert first.request_seen(Request("https://example.dz/feed/"))
    assert not first.request_seen(Request("https://example.dz/sitemap.xml"))
    first.close("shutdown")
    with open(tmp_path / "requests.seen64", "ab") as handle:
        handle.write(b"\x01\x02\x03")  # killed in the middle of a write
    again = SeenFilter(str(tmp_path))
    assert len(again.seen) == 2
    assert again.request_seen(Request("https://example.dz/feed/"))
    assert not again.request_seen(Request("https://example.dz/2024/01/05/khabar/"))
    again.close("finished")


def test_the_duplicate_filter_takes_under_40_bytes_a_request():
    dupefilter, n = SeenFilter(), 10_000  # Request objects are slow to make

    def crawl():  # each request dies once seen, as in a crawl (fingerprints are cached)
        for i in range(n):
            dupefilter.request_seen(Request(f"https://www.example.dz/2024/03/05/khabar-{i:07d}/"))

    _, size = allocated(crawl)
    assert len(dupefilter.seen) == n
    assert size < 40 * n, f"{size / n:.0f} bytes a request"  # RFPDupeFilter: ~93


@pytest.fixture
def spider():
    site = Site(
        name="sample",
        base_url="https://www.example.dz/",
        wp_api=False,
        article_patterns=(r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",),
    )
    spider = spider_for(site)()
    crawler = SimpleNamespace(settings=Settings({"NEWSARCHIVE_DISCOVERY_DEPTH": 3}))
    crawler.stats = MemoryStatsCollector(crawler)
    spider.crawler, spider.settings = crawler, crawler.settings
    return spider


def article_url(i: int) -> str:
    return f"https://www.example.dz/2024/03/05/khabar-{i:06d}/"


def test_hints_are_kept_only_while_their_page_is_awaited(spider):
    # Links from a listing say nothing the extractor needs: nothing kept per URL.
    for i in range(1000):
        assert spider.article_request(Entry(url=article_url(i)), "listing") is not None
    assert spider.hints == {}
    # A sitemap's lastmod is kept until the page is read, then let go.
    requests = [
        spider.article_request(Entry(url=article_url(i), modified="2024-03-06"))
        for i in range(1000, 1010)
    ]
    assert len(spider.hints) == 10
    for request in requests:
        assert spider.finish(request.url).modified == "2024-03-06"
    assert spider.hints == {}
    for i in range(1000):  # the listing's pages are read
        spider.finish(article_url(i))
    # Seen again later (another channel, a re-listed link): nothing new is kept.
    for i in range(1010):
        spider.article_request(Entry(url=article_url(i), published="2024-03-05T10:00:00+01:00"))
    assert spider.hints == {}
    # URLs outside the article patterns are remembered as seen, not kept.
    for i in range(1000):
        entry = Entry(url=f"https://www.example.dz/video/{i}.html", modified="2024-03-06")
        assert spider.article_request(entry) is None
    assert spider.hints == {} and len(spider.requested) == 2010


def test_a_feed_after_the_listing_still_hints_the_awaited_page(spider):
    request = spider.article_request(Entry(url=article_url(1)), "listing")
    feed = Entry(url=article_url(1), published="2024-03-05T10:00:00+01:00", authority=1)
    assert spider.article_request(feed) is None  # asked for once
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    assert spider.finish(response.url).published == "2024-03-05T10:00:00+01:00"


def test_known_articles_are_skipped_and_leave_nothing_behind(spider):
    spider.known = KnownArticles(
        [(article_url(i), "2024-03-05T10:00:00+01:00") for i in range(100)]
    )
    for i in range(100):
        spider.article_request(Entry(url=article_url(i), modified="2024-03-05T09:00:00Z"))
    assert spider.crawler.stats.get_value("newsarchive/known_not_refetched") == 100
    assert spider.hints == {}
    changed = Entry(url=article_url(200), modified="2024-03-06T09:00:00Z")
    spider.known = KnownArticles([(article_url(200), "2024-03-05T10:00:00+01:00")])
    assert spider.article_request(changed) is not None  # its sitemap says it changed
