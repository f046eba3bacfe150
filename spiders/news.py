"""The generic news spider every configured source reuses.

Discovery goes through Scrapy's downloader only (robots.txt, throttling, retries and
the cache apply to all of it): robots.txt sitemaps, configured feeds and sitemaps,
the WordPress REST API, and listing pages with pagination. Article pages are told
apart from listings by the registry's URL patterns and by the page's own metadata;
only articles reach the pipeline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from newsarchive import capture, discovery, stopping
from newsarchive.arabic.dates import find_date_in_text
from newsarchive.arabic.encoding import EncodingError
from newsarchive.decide import UrlProfile
from newsarchive.discovery import Entry
from newsarchive.extract import extract_page
from newsarchive.items import PageRecord
from newsarchive.page import clean_url
from newsarchive.seen import KnownArticles, UrlSet
from newsarchive.sites import Site, SitesError

log = logging.getLogger(__name__)

WP_PAGE_SIZE = 100
# How an Entry's channel names itself in the per-page record (Entry.authority).
_CHANNELS = {3: "wp-api", 2: "news-sitemap", 1: "feed"}
# Links in a site's navigation name sections, not stories.
_NAV = (
    "ancestor::nav or ancestor::header or ancestor::*[contains(@class, 'menu')"
    " or contains(@id, 'menu') or contains(@class, 'nav')]"
)
# Section-like paths that the article patterns refuse but that lead to articles.
_SECTION_PATH = r"/(?:category|categories|section|sections|topic|topics|قسم)/"


def later(value: str | None, than: str | None) -> bool:
    """Whether ISO date ``value`` is after ``than``, as instants: a sitemap's lastmod in
    UTC and the page's modified with +01:00 name the same moment in different words.
    Unknown on either side means no sign of a change."""
    if not value or not than:
        return False
    try:
        new, old = datetime.fromisoformat(value), datetime.fromisoformat(than)
    except ValueError:
        return False
    if (new.tzinfo is None) != (old.tzinfo is None) or len(value) <= 10 or len(than) <= 10:
        return new.date() > old.date()  # a bare date against a time: compare days
    return new > old


class NewsSpider(scrapy.Spider):
    """Crawl one news site. Configured sources are subclasses with ``site`` set
    (spiders/sources.py); ``scrapy crawl news -a url=https://example.dz/`` crawls an
    unconfigured site with automatic discovery."""

    name = "news"
    site: Site | None = None

    def __init__(
        self,
        url: str | None = None,
        since: str | None = None,
        refresh: str | bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if url:
            self.site = Site.for_url(url)
            self.name = self.site.name
        if self.site is None:
            raise SitesError("spider 'news' needs a site: scrapy crawl news -a url=https://…/")
        self.since = since
        self.refresh = refresh in (True, "1", "true", "yes")
        # What feeds, sitemaps and the REST API said of an article URL (newsarchive.
        # discovery.Entry), kept only while its request waits, for the extractor.
        self.hints: dict[str, Entry] = {}
        # Every URL seen, canonical URL archived and listing asked for, and the archive's
        # articles: a big site has hundreds of thousands, so 8 bytes each (issue 9;
        # newsarchive.seen).
        self.requested = UrlSet()
        # Article URLs whose page has been read or will never be asked for: hints that
        # come for them later are of no use.
        self.done = UrlSet()
        self.seen_canonical = UrlSet()
        self.known = KnownArticles()
        self.tried: dict[str, str] = {}
        self.wp_categories: dict[int, str] = {}
        self.wp_tags: dict[int, str] = {}
        # While the REST API is being read, article URLs found without a date (listings,
        # plain sitemaps) wait for it: it gives every post's exact dates, which the page
        # alone may not (a page dated only in its text gives the day, not the time).
        self.wp_pending = bool(self.site.wp_api)
        # URL → (how it was found, depth), while the REST API is read.
        self.deferred: dict[str, tuple[str, int]] = {}
        self.pool: ProcessPoolExecutor | None = None
        # The shape of this site's article URLs, learned from its feeds, sitemaps and API
        # and from the pages decided to be articles (newsarchive.decide.UrlProfile).
        self.profile = UrlProfile()
        self.listings_requested = UrlSet()

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        if cls.site is not None:
            # Per-site politeness from the registry; robots.txt Crawl-delay may raise it.
            settings.set("DOWNLOAD_DELAY", cls.site.delay, priority="spider")
            settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", cls.site.concurrency, "spider")
            if not cls.site.warc:  # `warc = false` in the registry (newsarchive.capture)
                settings.set("NEWSARCHIVE_WARC", False, priority="spider")
            if cls.site.max_pages:  # --max-pages on the command line still wins
                settings.set("CLOSESPIDER_PAGECOUNT", cls.site.max_pages, "spider")

    # -- helpers --

    def stat(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(f"newsarchive/{key}", count)

    def drop(self, reason: str) -> None:
        self.stat(f"dropped/{reason}")

    def record(
        self,
        response_or_url: Response | scrapy.Request | str,
        found_via: str,
        decision: str,
        reason: str,
        signals: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> PageRecord:
        """The per-page record for a page that is not archived (the pipeline stores it),
        with the capture of its response (a failed request's: its error response's)."""
        if isinstance(response_or_url, str):
            url, page_capture = response_or_url, None
        else:
            url, page_capture = response_or_url.url, capture.pending(response_or_url)
        if isinstance(response_or_url, Response):
            status = response_or_url.status
        return PageRecord(
            url=url,
            found_via=found_via,
            decision=decision,
            reason=reason,
            status=status,
            signals=signals or {},
            capture=page_capture,
        )

    def note(self, channel: str, outcome: str) -> None:
        """What discovery tried, for the run summary (and the loud empty-crawl error)."""
        self.tried[channel] = outcome

    def finish(self, url: str) -> Entry | None:
        """An article URL's page is read or will not be asked for: its hints, taken."""
        self.done.add(url)
        return self.hints.pop(url, None)

    def _discovery(
        self, url: str, callback: Any, priority: int = 10, **kwargs: Any
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.discovery_failed,
            cb_kwargs=kwargs,
            priority=priority,
        )

    def article_request(
        self, entry: Entry, found_via: str | None = None, depth: int = 1
    ) -> scrapy.Request | None:
        found_via = found_via or _CHANNELS.get(entry.authority, "sitemap")
        url = clean_url(entry.url)
        if found_via in ("wp-api", "news-sitemap", "feed", "sitemap") and (
            self.site.is_article_url(url)
        ):
            self.profile.learn(url)
        hint = self.hints.get(url)
        if hint is None:
            hint = entry
        elif hint is not entry:  # the same article from two channels: the more exact wins
            for name, value in entry.hints().items():
                if not getattr(hint, name) or entry.authority > hint.authority:
                    setattr(hint, name, value)
            hint.authority = max(hint.authority, entry.authority)
        if url in self.requested:
            if hint is entry and entry.hints() and url not in self.done:
                self.hints[url] = entry  # asked for from a listing, its page still to come
            return None
        if not self.site.is_article_url(url):
            self.drop("outside the article URL patterns")
            self.requested.add(url)
            self.finish(url)
            return None
        dated = hint.published or entry.listed
        if self.since and dated and dated[:10] < self.since:
            self.drop("older than --since")
            self.requested.add(url)
            self.finish(url)
            return None
        if self.wp_pending and not hint.published:
            self.hints[url] = hint
            self.deferred.setdefault(url, (found_via, depth))
            return None
        self.requested.add(url)
        self.deferred.pop(url, None)
        known = not self.refresh and url in self.known
        if known and not later(entry.modified, self.known.modified(url)):
            self.finish(url)
            self.stat("known_not_refetched")
            return None
        if hint.hints():
            self.hints[url] = hint  # until parse_article or article_failed takes it
        else:
            self.hints.pop(url, None)
        meta = {}
        if self.settings.get("NEWSARCHIVE_REDIS") and hint.hints():
            # Another worker may fetch it (newsarchive.distributed): the hints travel along.
            meta["newsarchive_hints"] = hint.hints()
        # Breadth first: an article d links from the start before a listing at d, before
        # an article at d + 1 (feeds and sitemaps count as depth 1).
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            priority=2 - 2 * depth,
            cb_kwargs={"found_via": found_via, "depth": depth},
            meta=meta,
        )

    def listing_request(self, url: str, found_via: str, depth: int) -> scrapy.Request | None:
        """A section or listing page to walk for article links, breadth first, at most
        NEWSARCHIVE_DISCOVERY_DEPTH links below the start pages."""
        url = clean_url(url)
        if url in self.listings_requested or url in self.requested:
            return None
        if depth > self.settings.getint("NEWSARCHIVE_DISCOVERY_DEPTH", 3):
            return None
        self.listings_requested.add(url)
        return self._discovery(
            url, self.parse_listing, priority=1 - 2 * depth, depth=depth, found_via=found_via
        )

    # -- start --

    async def start(self) -> AsyncIterator[scrapy.Request]:
        site = self.site
        self.crawler.signals.connect(self.idle, signal=signals.spider_idle)
        # The pipeline says which articles are archived already: the archive's, or in a
        # distributed crawl the writer's list in Redis (newsarchive.distributed).
        known_articles = getattr(self.crawler, "newsarchive_known_articles", None)
        if known_articles is not None:
            self.known = KnownArticles(known_articles(site.name))
        workers = self.settings.getint("NEWSARCHIVE_EXTRACT_WORKERS")
        if workers > 0:
            # forkserver: workers must not inherit the reactor's threads and sockets.
            # They leave SIGINT and SIGTERM to this process, which finishes the pages
            # in hand before it stops them (newsarchive.stopping).
            stopping.start_forkserver()
            self.pool = ProcessPoolExecutor(
                workers,
                mp_context=get_context("forkserver"),
                initializer=stopping.worker_initializer,
                initargs=(os.getpid(),),
            )
        yield self._discovery(site.url("/robots.txt"), self.parse_robots)
        for feed in site.feeds:
            yield self._discovery(site.url(feed), self.parse_feed)
        for sitemap in site.sitemaps:
            yield self._discovery(site.url(sitemap), self.parse_sitemap)
        if site.wp_api:
            yield self._discovery(
                site.url("/wp-json/wp/v2/categories?per_page=100"),
                self.parse_wp_terms,
                kind="categories",
            )
        for listing in site.listings or ("/",):
            url = clean_url(site.url(listing))
            self.listings_requested.add(url)
            yield self._discovery(url, self.parse_listing, depth=0, found_via="start")

    # -- discovery callbacks --

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        sitemaps = discovery.robots_sitemaps(response.text, response.url)
        self.note("robots.txt", f"{len(sitemaps)} sitemaps")
        yield self.record(response, "start", "not-article", "robots.txt")
        configured = {self.site.url(s) for s in self.site.sitemaps}
        for url in sitemaps:
            if url not in configured:
                yield self._discovery(url, self.parse_sitemap)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        entries = discovery.parse_feed(response.body, response.url)
        self.note(f"feed {response.url}", f"{len(entries)} entries")
        yield self.record(response, "discovery", "not-article", "feed", {"entries": len(entries)})
        self.stat("discovered/feed", len(entries))
        for entry in entries:
            if request := self.article_request(entry):
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        result = discovery.parse_sitemap(response.body)
        if result is None:
            self.note(f"sitemap {response.url}", "not a sitemap")
            yield self.record(response, "discovery", "not-article", "not a sitemap")
            return
        yield self.record(
            response, "discovery", "not-article", "sitemap", {"entries": len(result.entries)}
        )
        self.note(f"sitemap {response.url}", f"{len(result.entries)} {result.kind} entries")
        if result.kind == "sitemapindex":
            for entry in result.entries:
                yield self._discovery(entry.url, self.parse_sitemap)
            return
        self.stat("discovered/sitemap", len(result.entries))
        for entry in result.entries:
            if request := self.article_request(entry):
                yield request

    def wp_done(self) -> Iterator[scrapy.Request]:
        """The REST API is read (or absent): release the article URLs that waited."""
        self.wp_pending = False
        waiting, self.deferred = sorted(self.deferred.items()), {}
        for url, (found_via, depth) in waiting:
            entry = self.hints.get(url) or Entry(url=url)
            if request := self.article_request(entry, found_via, depth):
                yield request

    def idle(self) -> None:
        """Never close with URLs still waiting for the REST API."""
        if self.deferred:
            for request in self.wp_done():
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def parse_wp_terms(self, response: Response, kind: str) -> Iterator[scrapy.Request]:
        try:
            terms = discovery.wp_terms(json.loads(response.text))
        except (ValueError, TypeError, AttributeError):
            # The terms endpoints may be closed or broken while posts still answer: read
            # the posts without category names rather than give the API up.
            self.note(f"wp-json {kind}", "unexpected answer")
            yield self._wp_posts_request(1)
            return
        yield self.record(response, "discovery", "not-article", "REST API")
        if kind == "categories":
            self.wp_categories = terms
            yield self._discovery(
                self.site.url("/wp-json/wp/v2/tags?per_page=100"), self.parse_wp_terms, kind="tags"
            )
        else:
            self.wp_tags = terms
            yield self._wp_posts_request(1)

    def _wp_posts_request(self, page: int) -> scrapy.Request:
        query = {"per_page": WP_PAGE_SIZE, "page": page}
        if self.since:
            query["after"] = f"{self.since}T00:00:00"
        url = self.site.url(f"/wp-json/wp/v2/posts?{urlencode(query)}")
        return self._discovery(url, self.parse_wp_posts, page=page)

    def parse_wp_posts(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        try:
            posts = json.loads(response.text)
        except ValueError:
            posts = None
        if not isinstance(posts, list):
            self.note("wp-json posts", "unexpected answer")
            yield self.record(response, "discovery", "not-article", "REST API: not a post list")
            yield from self.wp_done()
            return
        yield self.record(response, "discovery", "not-article", "REST API")
        entries = discovery.parse_wp_posts(posts, self.wp_categories, self.wp_tags)
        total_pages = int(response.headers.get("X-WP-TotalPages", b"1") or 1)
        self.note("wp-json posts", f"{page}/{total_pages} pages read")
        self.stat("discovered/wp_api", len(entries))
        for entry in entries:
            if request := self.article_request(entry):
                yield request
        if page < total_pages:
            yield self._wp_posts_request(page + 1)
        else:
            yield from self.wp_done()

    def parse_listing(
        self, response: Response, depth: int, found_via: str = "listing", page_no: int = 1
    ) -> Iterator[Any]:
        if not hasattr(response, "css"):
            yield self.record(response, found_via, "not-article", "listing page is not HTML")
            return
        self.stat("listing_pages")
        yield self.record(response, found_via, "not-article", "listing page (discovery)")
        found = 0
        own: tuple[int, int] | None = None
        for request, matched, dated, recent in self._follow_links(response, depth):
            if request is not None:
                yield request
            found += matched
            if own is None and matched:
                own = (dated, recent)
        self.note(f"listing {urlsplit(response.url).path}", f"{found} article links")
        if self.since and own and own[0] and not own[1]:
            # Listings run newest first: a page whose every dated teaser is older than
            # --since ends the backfill of this listing.
            self.note(f"listing {urlsplit(response.url).path}", "all older than --since")
            return
        # Feeds the page announces (autodiscovery), once each.
        for href in response.css(
            'link[rel="alternate"][type*="rss"]::attr(href),'
            ' link[rel="alternate"][type*="atom"]::attr(href)'
        ).getall():
            url = urljoin(response.url, href)
            if "comments" not in url and url not in self.requested:
                self.requested.add(url)
                yield self._discovery(url, self.parse_feed)
        next_page = response.css(
            'link[rel="next"]::attr(href), a[rel="next"]::attr(href),'
            " a.next::attr(href), a.next-page::attr(href)"
        ).get()
        max_pages = self.settings.getint("NEWSARCHIVE_LISTING_DEPTH", 0) or 10_000
        if next_page and page_no < max_pages:
            url = clean_url(urljoin(response.url, next_page))
            if url not in self.listings_requested:
                self.listings_requested.add(url)
                # The next page of a listing is the same level of the site, not one deeper.
                yield self._discovery(
                    url,
                    self.parse_listing,
                    priority=1 - 2 * depth,
                    depth=depth,
                    found_via=found_via,
                    page_no=page_no + 1,
                )

    def _link_requests(self, response: Response, depth: int) -> Iterator[scrapy.Request]:
        """The requests of ``_follow_links`` alone, for pages that are not listings' own."""
        for request, *_ in self._follow_links(response, depth):
            if request is not None:
                yield request

    def _follow_links(
        self, response: Response, depth: int
    ) -> Iterator[tuple[scrapy.Request | None, int, int, int]]:
        """Requests for the links of a listing page: article candidates (by the registry's
        selectors and patterns) and, one level deeper, the sections it links to. Yields
        (request, article links matched, dated teasers, recent teasers) per selector."""
        selectors = self.site.listing_links or ("a",)
        # (dated, newer than --since) teasers of the page's own list: the first selector
        # that matches; later ones (sidebars, most-read) do not decide the pagination.
        for selector in selectors:
            matched = dated = recent = 0
            for link in response.css(selector):
                href = link.attrib.get("href")
                if not href:
                    continue
                url = clean_url(urljoin(response.url, href.strip()))
                if not self.site.is_article_url(url):
                    continue
                matched += 1
                listed = self._teaser_date(link) if self.since else None
                dated += bool(listed)
                recent += bool(listed and listed[:10] >= self.since)
                in_nav = link.xpath(_NAV).get() == "1"  # a boolean XPath: "0" or "1"
                request = self.article_request(
                    Entry(url=url, listed=listed), "section" if in_nav else "listing", depth + 1
                )
                if request is not None:
                    yield request, 0, 0, 0
            yield None, matched, dated, recent
        if depth + 1 > self.settings.getint("NEWSARCHIVE_DISCOVERY_DEPTH", 3):
            return
        # Sections the registry's patterns refuse as articles (WordPress /category/x/):
        # walked as listings, so articles linked only from a section are found.
        for link in response.css("a[href]"):
            url = clean_url(urljoin(response.url, link.attrib["href"].strip()))
            parts = urlsplit(url)
            if parts.hostname != self.site.domain or self.site.is_article_url(url):
                continue
            if re.search(_SECTION_PATH, parts.path) and not re.search(r"/page/\d+", parts.path):
                request = self.listing_request(url, "section", depth + 1)
                if request is not None:
                    yield request, 0, 0, 0

    def _teaser_date(self, link: Any) -> str | None:
        """The date printed in a link's teaser (the list item or article around it),
        such as TieLabs' "4 مارس 2024"."""
        teaser = link.xpath(
            "ancestor::*[self::li or self::article or contains(@class, 'post-item')][1]"
        )
        if not teaser:
            return None
        text = " ".join(" ".join(teaser[0].css("::text").getall()).split())[:400]
        return find_date_in_text(text)

    def discovery_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
            outcome = f"HTTP {status}"
        else:
            outcome = failure.getErrorMessage() or failure.type.__name__
        self.note(urlsplit(request.url).path or request.url, outcome)
        log.info("discovery %s: %s", request.url, outcome)
        if status is not None or "robots.txt" not in outcome:
            yield self.record(request, "discovery", "error", outcome, status=status)
        if "/wp-json/wp/v2/categories" in request.url or "/wp-json/wp/v2/tags" in request.url:
            # A closed terms endpoint does not mean there are no posts to read.
            yield self._wp_posts_request(1)
        elif "/wp-json/" in request.url:
            yield from self.wp_done()

    # -- articles --

    async def parse_article(
        self, response: Response, found_via: str = "listing", depth: int = 1
    ) -> AsyncIterator[Any]:
        url = clean_url(response.url)
        # Taken, not read: a fetched article's hints are never needed again.
        entry = self.finish(url)
        requested_url = clean_url(response.request.url)
        if requested_url != url:  # redirected: both URLs are done
            fallback = self.finish(requested_url)
            entry = entry or fallback
        hints = entry.hints() if entry else response.meta.get("newsarchive_hints")
        header_encoding = http_content_type_encoding(
            response.headers.get("Content-Type", b"").decode("latin-1")
        )
        args = (
            self.site.name,
            self.site.extraction,
            response.body,
            response.url,
            header_encoding,
            hints,
            found_via,
            self.profile.score(url),
        )
        try:
            if self.pool is not None:
                future = self.pool.submit(extract_page, *args)
                article, decision = await asyncio.wrap_future(future)
            else:
                article, decision = extract_page(*args)
        except EncodingError as exc:
            self.drop("undecodable page")
            log.warning("%s: %s", response.url, exc)
            yield self.record(response, found_via, "error", "undecodable page", {"error": str(exc)})
            return
        # What went into the decision besides the page, so `newsarchive reextract` can
        # run it again on the page's capture alone.
        inputs = {"hints": hints, "url_shape": args[-1]}
        if article is None:
            self.drop(decision.reason)
            decision.signals["inputs"] = inputs
            yield self.record(response, found_via, "not-article", decision.reason, decision.signals)
            follow = self.settings.getbool("NEWSARCHIVE_FOLLOW_ARTICLE_LINKS")
            if decision.kind == "listing" and depth < self.settings.getint(
                "NEWSARCHIVE_DISCOVERY_DEPTH", 3
            ):
                # A section page reached through a link: walk it as the listing it is.
                self.stat("listing_pages")
                for request in self._link_requests(response, depth):  # async: no yield from
                    yield request
            elif follow and decision.kind == "empty":
                for request in self._link_requests(response, depth):  # async: no yield from
                    yield request
            return
        self.profile.learn(url)
        record = article.page
        record.found_via, record.status = found_via, response.status
        record.capture = capture.pending(response)
        record.signals["inputs"] = inputs
        # The page's canonical_url is already clean_url'd.
        canonical = self.site.archived_url(url, article.url)
        if canonical in self.seen_canonical:
            self.drop("duplicate of an article already crawled")
            yield self.record(
                response,
                found_via,
                "not-article",
                "duplicate of an article already crawled",
                {"canonical": canonical},
            )
            return
        self.seen_canonical.add(canonical)
        article.url = record.url = canonical
        if canonical != url:
            record.signals["fetched_url"] = response.url
        article.source = self.site.name
        if self.since and article.published and article.published[:10] < self.since:
            self.drop("older than --since")
            yield self.record(
                response,
                found_via,
                "not-article",
                "older than --since",
                {"published": article.published},
            )
            return
        if self.settings.getbool("NEWSARCHIVE_FOLLOW_ARTICLE_LINKS") and depth < (
            self.settings.getint("NEWSARCHIVE_DISCOVERY_DEPTH", 3)
        ):
            for request in self._link_requests(response, depth):  # async: no yield from
                yield request
        yield article

    def article_failed(self, failure: Failure) -> Iterator[PageRecord]:
        found_via = failure.request.cb_kwargs.get("found_via", "listing")
        self.finish(clean_url(failure.request.url))
        if failure.check(HttpError):
            status = failure.value.response.status
            self.drop(f"HTTP {status}")
            yield self.record(failure.request, found_via, "error", f"HTTP {status}", status=status)
            return
        if "Forbidden by robots.txt" in failure.getErrorMessage():
            self.drop("forbidden by robots.txt")
            yield self.record(
                failure.request.url, found_via, "not-article", "forbidden by robots.txt"
            )
            return
        self.stat("failed")
        errors = self.crawler.stats.get_value("newsarchive/errors") or []
        errors.append(f"{failure.request.url}: {failure.getErrorMessage()}")
        self.crawler.stats.set_value("newsarchive/errors", errors[-100:])
        yield self.record(failure.request, found_via, "error", failure.getErrorMessage())

    def closed(self, reason: str) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
