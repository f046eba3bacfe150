"""One live progress line for a crawl on a terminal, in place of Scrapy's log.

Scrapy's own output (its log, LogStats' "Crawled N pages" every minute) is for
debugging: `newsarchive crawl` shows it only with -v or --log-file. A person watching a
crawl wants one line that says it is alive and how it is going:

    elmaouid: 312 pages (4.1/s), 120 new, 3 updated, 171 dropped, 2 errors, 85 queued

redrawn every second on stderr when it is a terminal (never in cron's mail), and
cleared when the crawl closes, so the summary follows on a clean line. Several crawls
in one process (``crawl --due``) share the line, one part each.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured

__all__ = ["ProgressLine", "progress_text"]

# The line's parts, one per running crawl, in the order they opened.
_PARTS: dict[str, str] = {}


def progress_text(source: str, stats: dict[str, Any], queued: int | None, seconds: float) -> str:
    """One crawl's part of the line, from its Scrapy stats."""
    pages = stats.get("response_received_count", 0)
    dropped = sum(v for k, v in stats.items() if k.startswith("newsarchive/dropped/"))
    # Download errors, but not the requests our own rules refused (robots.txt, the
    # archive's known URLs): Scrapy counts those as IgnoreRequest exceptions.
    ignored = stats.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0)
    errors = stats.get("newsarchive/failed", 0) + stats.get("downloader/exception_count", 0)
    errors -= ignored
    rate = pages / seconds if seconds > 0 else 0.0
    text = (
        f"{source}: {pages} pages ({rate:.1f}/s), {stats.get('newsarchive/new', 0)} new,"
        f" {stats.get('newsarchive/updated', 0)} updated, {dropped} dropped, {errors} errors"
    )
    return text if queued is None else f"{text}, {queued} queued"


class ProgressLine:
    """A Scrapy extension: the live line (setting NEWSARCHIVE_PROGRESS, off by default;
    the CLI turns it on when stderr is a terminal and the crawl is not --quiet)."""

    INTERVAL = 1.0

    def __init__(self, crawler: Any, stream: TextIO | None = None) -> None:
        self.crawler = crawler
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.task: Any = None
        self.name = ""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressLine:
        if not crawler.settings.getbool("NEWSARCHIVE_PROGRESS"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Any) -> None:
        from twisted.internet import task

        self.name = spider.name
        self.started = time.monotonic()
        self.task = task.LoopingCall(self.draw)
        self.task.start(self.INTERVAL, now=True)

    def _queued(self) -> int | None:
        slot = getattr(self.crawler.engine, "_slot", None)
        scheduler = getattr(slot, "scheduler", None)
        try:
            return len(scheduler) if scheduler is not None else None
        except TypeError:  # a scheduler without a length
            return None

    def draw(self) -> None:
        stats = self.crawler.stats.get_stats()
        _PARTS[self.name] = progress_text(
            self.name, stats, self._queued(), time.monotonic() - self.started
        )
        line = " | ".join(_PARTS.values())
        width = 200
        if len(line) > width:
            line = line[: width - 1] + "…"
        self.stream.write(f"\r\x1b[K{line}")
        self.stream.flush()

    def closed(self, spider: Any) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        _PARTS.pop(self.name, None)
        # Cleared, so the summary (or the next crawl's line) starts on a clean line.
        self.stream.write("\r\x1b[K" + (" | ".join(_PARTS.values())))
        self.stream.flush()
