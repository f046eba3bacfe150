"""Politeness Scrapy does not give out of the box.

- ``RobotsTxtFirstMiddleware``: no request reaches a host before that host's robots.txt
  rules are known. Scrapy's own middleware lets most requests through while robots.txt
  is still downloading (see the class for why).
- ``RobotsCrawlDelay``: Scrapy parses robots.txt but ignores its ``Crawl-delay``
  (https://www.rfc-editor.org/rfc/rfc9309 leaves it out; sites still use it). We apply
  it to the site's download slot as a floor that AutoThrottle cannot lower.
- ``RetryAfterMiddleware``: Scrapy retries 429 and 503 at once. A server that says
  ``Retry-After`` (RFC 9110 §10.2.3) is asking the whole site to wait, so we pause the
  site's download slot for that long (or an exponential backoff without the header)
  before the retry goes out.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)


def _slot(crawler: Any, request: Request) -> tuple[str, Any]:
    downloader = crawler.engine.downloader
    key = downloader.get_slot_key(request)
    return key, downloader.slots.get(key)


def _shared(crawler: Any, what: str, request: Request, seconds: float) -> None:
    """In a distributed crawl, tell every worker too (newsarchive.distributed's
    SharedPoliteness: ``floor`` for a Crawl-delay, ``pause`` for a Retry-After)."""
    shared = getattr(crawler, "newsarchive_politeness", None)
    if shared is not None:
        getattr(shared, what)(request, seconds)


class RobotsTxtFirstMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with every request to a host held until that host's
    robots.txt outcome is known: its rules, or none when it could not be fetched (Scrapy's
    own choice, kept: a robots.txt that fails to download allows everything).

    Works around Scrapy 2.14+ (``robot_parser`` became a coroutine there): while
    robots.txt downloads, the middleware keeps one Deferred per host and each waiting
    request awaits that same Deferred through ``maybe_deferred_to_future``. Awaiting a
    Deferred (``Deferred.asFuture``, or a bare ``await``) consumes its result: the first
    waiter gets the parser, the Deferred then holds None, and every later waiter is let
    through as if robots.txt allowed everything. With ``Disallow: /`` a crawl fetched its
    home page and REST API anyway. Here only the first request per host asks Scrapy for
    the parser; the others wait on a Deferred of their own.
    """

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self._outcomes: dict[str, Any] = {}  # netloc → RobotParser, or None: no rules
        self._waiting: dict[str, list[Deferred]] = {}

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        if netloc in self._outcomes:
            return self._outcomes[netloc]
        if netloc in self._waiting:
            waiter: Deferred = Deferred()
            self._waiting[netloc].append(waiter)
            return await maybe_deferred_to_future(waiter)
        self._waiting[netloc] = []
        try:
            parser = await super().robot_parser(request)
        except BaseException:
            # Only cancellation gets here (Scrapy turns download errors into None):
            # fail the waiting requests rather than leave them waiting for ever.
            for waiter in self._waiting.pop(netloc):
                waiter.cancel()
            raise
        self._outcomes[netloc] = parser
        for waiter in self._waiting.pop(netloc):
            waiter.callback(parser)
        return parser


class RobotsCrawlDelay:
    """Honour robots.txt ``Crawl-delay`` per site."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.floors: dict[str, float] = {}
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get(
            "USER_AGENT"
        )

    @classmethod
    def from_crawler(cls, crawler: Any) -> RobotsCrawlDelay:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        # After AutoThrottle has adjusted the slot for this response, lift it back up.
        crawler.signals.connect(ext.enforce, signal=signals.response_downloaded)
        return ext

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = robotparser.crawl_delay(self.user_agent)
        if not delay:
            return
        key, slot = _slot(self.crawler, request)
        self.floors[key] = float(delay)
        self.crawler.stats.set_value(f"newsarchive/crawl_delay/{key}", float(delay))
        log.info("robots.txt of %s asks for Crawl-delay %s s", key, delay)
        _shared(self.crawler, "floor", request, float(delay))
        if slot is not None:
            self._apply(slot, self.floors[key])

    def enforce(self, response: Response, request: Request, spider: Any) -> None:
        key, slot = _slot(self.crawler, request)
        if slot is not None and key in self.floors:
            self._apply(slot, self.floors[key])

    @staticmethod
    def _apply(slot: Any, floor: float) -> None:
        if slot.delay < floor:
            slot.delay = floor
        # Jitter would let a delay fall below the floor the site asked for.
        slot.jitter = 0.0


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RetryAfterMiddleware(RetryMiddleware):
    """RetryMiddleware that waits before retrying 429 and 503."""

    WAIT_CODES = (429, 503)

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 300.0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        middleware = super().from_crawler(crawler)
        # response_downloaded fires before the downloader takes the site's next request
        # (scrapy/core/downloader/__init__.py _download); process_response is too late.
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def wait_for(self, request: Request, response: Response) -> float:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            wait = self.backoff_base * 2 ** request.meta.get("retry_times", 0)
        return wait

    def response_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        if response.status not in self.WAIT_CODES or request.meta.get("dont_retry"):
            return
        wait = self.wait_for(request, response)
        if wait <= self.backoff_max:
            self._pause_slot(request, wait)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if response.status not in self.WAIT_CODES or request.meta.get("dont_retry"):
            return super().process_response(request, response)
        wait = self.wait_for(request, response)
        if wait > self.backoff_max:
            log.warning(
                "%s asks to wait %.0f s (more than RETRY_BACKOFF_MAX): giving up on %s",
                response.status,
                wait,
                request.url,
            )
            self.crawler.stats.inc_value("newsarchive/retry_after/too_long")
            return response
        retry = get_retry_request(
            request,
            reason=f"{response.status} (waiting {wait:.1f} s)",
            spider=self.crawler.spider,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
        )
        if retry is None:
            return response
        self.crawler.stats.inc_value("newsarchive/retry_after/waits")
        return retry

    def _pause_slot(self, request: Request, seconds: float) -> None:
        """Hold every request to this site for ``seconds``: the downloader leaves a
        slot alone while it has a pending ``latercall`` (scrapy/core/downloader)."""
        _shared(self.crawler, "pause", request, seconds)
        downloader = self.crawler.engine.downloader
        key, slot = _slot(self.crawler, request)
        if slot is None:
            return
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)
