"""Politeness Scrapy does not give out of the box.

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
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.asyncio import call_later

log = logging.getLogger(__name__)


def _slot(crawler: Any, request: Request) -> tuple[str, Any]:
    downloader = crawler.engine.downloader
    key = downloader.get_slot_key(request)
    return key, downloader.slots.get(key)


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
        downloader = self.crawler.engine.downloader
        key, slot = _slot(self.crawler, request)
        if slot is None:
            return
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, downloader._latercall, slot)
