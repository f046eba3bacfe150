"""The crawl's single writer: articles from the spider into the archive, and the run's
record in ``crawl_runs``."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem

from newsarchive.archive import Outcome, RunStats, open_archive
from newsarchive.items import Article

log = logging.getLogger(__name__)


class ArchivePipeline:
    # A killed crawl resumes from its job state, where these articles already count
    # as fetched: write at least this often, so a kill loses little.
    MAX_BATCH_SECONDS = 2.0

    def __init__(self, crawler: Any, db_path: str, batch_size: int):
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = batch_size
        self.batch: list[Article] = []
        self.last_flush = time.monotonic()
        self.write_failed = False
        self.archive = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        settings = crawler.settings
        pipeline = cls(
            crawler, settings.get("NEWSARCHIVE_DB"), settings.getint("NEWSARCHIVE_BATCH_SIZE")
        )
        # The run's status needs the finish reason, which only spider_closed carries
        # (it fires after close_spider).
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.archive = open_archive(self.db_path)
        site = getattr(spider, "site", None)
        if site is not None:
            self.archive.register_source(
                site.name, base_url=site.base_url, language=site.language, kind=site.cms
            )
        if "newsarchive" in sys.argv[0]:
            command = " ".join(["newsarchive", *sys.argv[1:]])
        else:  # scrapy's own command line has consumed its arguments by now
            command = f"scrapy crawl {spider.name}"
        self.run_id = self.archive.start_run("crawl", spider.name, command)
        # The spider reads the known URLs from here for incremental crawls.
        self.crawler.newsarchive_archive = self.archive

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            raise DropItem(f"not an Article: {type(item).__name__}")
        if not item.title or not item.text:
            self.crawler.stats.inc_value("newsarchive/dropped/no title or text")
            raise DropItem(f"{item.url}: no title or text")
        self.batch.append(item)
        if (
            len(self.batch) >= self.batch_size
            or time.monotonic() - self.last_flush >= self.MAX_BATCH_SECONDS
        ):
            self.flush()
        return item

    def flush(self) -> None:
        if not self.batch:
            return
        stats = self.crawler.stats
        for _, outcome in self.archive.upsert_articles(self.batch):
            stats.inc_value(f"newsarchive/{outcome.value}")
        self.batch = []
        self.last_flush = time.monotonic()

    def close_spider(self) -> None:
        try:
            self.flush()
        except Exception:
            self.write_failed = True
            raise

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.archive is None:
            return
        stats = self.crawler.stats
        run = run_stats(stats.get_stats())
        status = "failed" if self.write_failed else run_status(run, reason)
        self.archive.finish_run(self.run_id, run, status)
        stats.set_value("newsarchive/run_id", self.run_id)
        stats.set_value("newsarchive/status", status)
        self.archive.close()
        self.archive = None


def run_stats(values: dict[str, Any]) -> RunStats:
    """The run's counts from Scrapy's stats keys."""
    run = RunStats(
        pages=values.get("response_received_count", 0),
        new=values.get(f"newsarchive/{Outcome.NEW.value}", 0),
        updated=values.get(f"newsarchive/{Outcome.UPDATED.value}", 0),
        unchanged=values.get(f"newsarchive/{Outcome.UNCHANGED.value}", 0)
        + values.get("newsarchive/known_not_refetched", 0),
        failed=values.get("newsarchive/failed", 0),
    )
    for key, count in values.items():
        if key.startswith("newsarchive/dropped/"):
            run.dropped += count
            run.dropped_reasons[key.removeprefix("newsarchive/dropped/")] = count
    run.errors = list(values.get("newsarchive/errors", []))
    return run


def run_status(run: RunStats, finish_reason: str) -> str:
    if finish_reason in ("shutdown", "cancelled"):
        return "interrupted"
    if run.archived == 0:
        return "empty"
    return "ok"
