"""The crawl's single writer: articles from the spider into the archive, a ``pages`` row
for every page the spider looked at, and the run's record in ``crawl_runs``.

The spider yields an :class:`Article` (its ``page`` the PageRecord of the page it came
from, decision "article") for each article, and a bare :class:`PageRecord` for each page
it did not archive (listings, errors...). Page records are buffered and written in the
same flush as the article batch, once the articles' outcomes are known."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem

from newsarchive import capture
from newsarchive.archive import PAGE_DECISIONS, Outcome, RunStats, now_iso, open_archive
from newsarchive.items import Article, PageRecord
from newsarchive.limits import MAX_ARTICLE_SIZE, parse_size
from newsarchive.search import keep_in_step

log = logging.getLogger(__name__)


class ArchiveWriter:
    """Articles and page records into one run of the archive, in batches: the write
    path of a crawl (:class:`ArchivePipeline`) and of the distributed crawl's writer
    (newsarchive.drain). ``stats`` is Scrapy's stats collector, or anything with its
    ``inc_value`` and ``get_stats``: the run's counts are read from it. ``crawler``, in
    a crawl, is where the WARC writer is (newsarchive.capture): the pages' captures are
    placed and described with it; the drain has none (its workers placed them)."""

    # A killed crawl resumes from its job state, where these articles already count
    # as fetched: write at least this often, so a kill loses little.
    MAX_BATCH_SECONDS = 2.0

    def __init__(self, archive: Any, run_id: int, stats: Any, batch_size: int, crawler: Any = None):
        self.archive = archive
        self.crawler = crawler
        self.run_id = run_id
        self.stats = stats
        self.batch_size = batch_size
        self.batch: list[Article] = []
        # Page records waiting for the next flush (those of the batch's articles join
        # them once their outcome is known).
        self.pages: list[PageRecord] = []
        # Example URLs per reason a page was not archived, for the run summary.
        self.not_archived = RunStats()  # only its examples are used
        self.error_reasons: set[str] = set()
        self.last_flush = time.monotonic()

    def add(self, item: Any) -> None:
        """Take an Article or a PageRecord; DropItem for an article with nothing in it."""
        if isinstance(item, PageRecord):
            self.keep_page(item)
        elif not isinstance(item, Article):
            raise DropItem(f"not an Article or PageRecord: {type(item).__name__}")
        elif not item.title or not item.text:
            reason = "no title or text"
            self.stats.inc_value(f"newsarchive/dropped/{reason}")
            page = item.page or PageRecord(item.url, "unknown", "not-article", reason)
            page.decision, page.reason, page.outcome = "not-article", reason, "skipped"
            self.keep_page(page)
            self.flush_if_due()
            raise DropItem(f"{item.url}: {reason}")
        else:
            if item.page is None:
                # Every archived article has its page row, whatever the spider gave.
                item.page = PageRecord(item.url, "unknown", "article", "article")
            item.page.fetched = item.page.fetched or now_iso()
            self.batch.append(item)
        self.flush_if_due()

    def keep_page(self, page: PageRecord) -> None:
        if page.decision not in PAGE_DECISIONS:
            log.error("%s: page record with an unknown decision %r", page.url, page.decision)
            return
        page.fetched = page.fetched or now_iso()
        if page.decision != "article":
            self.not_archived.example(page.reason, page.url)
        if page.decision == "error":
            self.error_reasons.add(page.reason)
        self.pages.append(page)

    def flush_if_due(self) -> None:
        if (
            len(self.batch) >= self.batch_size
            or len(self.pages) >= self.batch_size
            or time.monotonic() - self.last_flush >= self.MAX_BATCH_SECONDS
        ):
            self.flush()

    def flush(self, final: bool = False) -> list[tuple[Article, Outcome]]:
        """Write the article batch, then every page record waiting (the articles' with
        their outcome and article id); the articles written and their outcomes. The
        run's counts go into both transactions, so after a kill -9 they still match the
        articles and pages written.

        Captures are placed first (newsarchive.capture), so both rows say where the
        response is: an item whose WARC record is not written yet waits for the next
        flush, and the ``final`` one waits for the WARC writer."""
        pages = [*self.pages, *(a.page for a in self.batch if a.page)]
        held = capture.resolve(self.crawler, pages, wait=final)
        batch, self.batch = _split(self.batch, lambda article: id(article.page) in held)
        pages, self.pages = _split(self.pages, lambda page: id(page) in held)
        if held and not batch and not pages:
            return []  # all waits for the WARC writer: nothing to write yet
        written = []
        if batch:
            written = list(
                self.archive.upsert_articles(batch, run_id=self.run_id, count=self.count)
            )
            ids = self.archive.article_ids(article.url for article, _ in written)
            for article, outcome in written:
                if outcome is Outcome.FAILED:
                    # Refused by the archive's rule (never in a transaction): counted
                    # here, committed with the page records below.
                    self.stats.inc_value(f"newsarchive/{outcome.value}")
                if article.page is not None:
                    article.page.outcome = outcome.value
                    article.page.article_id = ids.get(article.url)
                    pages.append(article.page)
        self.archive.record_pages(pages, self.run_id, counts=self.run_counts())
        capture.describe(self.crawler, pages, self.run_id)
        self.last_flush = time.monotonic()
        return written

    def count(self, outcomes: list[tuple[Article, Outcome]]) -> RunStats:
        """Count a batch's outcomes (inside its transaction); the run's counts so far."""
        for _, outcome in outcomes:
            self.stats.inc_value(f"newsarchive/{outcome.value}")
        return self.run_counts()

    def run_counts(self) -> RunStats:
        run = run_stats(self.stats.get_stats())
        # Examples of what went wrong: the reasons pages were dropped for and the errors,
        # not the discovery pages (feeds, sitemaps...) that did their job.
        run.examples = {
            reason: urls
            for reason, urls in self.not_archived.examples.items()
            if reason in run.dropped_reasons or reason in self.error_reasons
        }
        return run


class ArchivePipeline:
    """The crawl's item pipeline: an :class:`ArchiveWriter` for the crawl's run."""

    MAX_BATCH_SECONDS = ArchiveWriter.MAX_BATCH_SECONDS

    def __init__(self, crawler: Any, db_path: str, batch_size: int):
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = batch_size
        self.write_failed = False
        self.archive = None
        self.writer: ArchiveWriter | None = None

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
        self.archive = keep_in_step(open_archive(self.db_path))
        # The largest article stored (newsarchive.limits; --set takes bytes or 8MB).
        self.archive.max_article_size = parse_size(
            str(self.crawler.settings.get("NEWSARCHIVE_MAX_ARTICLE_SIZE", MAX_ARTICLE_SIZE))
        )
        site = getattr(spider, "site", None)
        if site is not None:
            self.archive.register_source(
                site.name, base_url=site.base_url, language=site.language, kind=site.cms
            )
        if "newsarchive" in sys.argv[0]:
            command = " ".join(["newsarchive", *sys.argv[1:]])
        else:  # scrapy's own command line has consumed its arguments by now
            command = f"scrapy crawl {spider.name}"
        run_id = self.archive.start_run("crawl", spider.name, command)
        self.writer = ArchiveWriter(
            self.archive, run_id, self.crawler.stats, self.batch_size, self.crawler
        )
        self.writer.MAX_BATCH_SECONDS = self.MAX_BATCH_SECONDS
        self.crawler.stats.set_value("newsarchive/run_id", run_id)
        # The spider reads the known URLs from here for incremental crawls.
        self.crawler.newsarchive_known_articles = self.known_articles

    @property
    def run_id(self) -> int | None:
        return self.writer.run_id if self.writer else None

    def known_articles(self, source: str) -> Any:
        """(url, modified) of the source's archived articles."""
        known = self.archive.known_articles(source)
        return ((url, modified) for url, (_, modified) in known.items())

    def process_item(self, item: Any) -> Any:
        self.writer.add(item)
        return item

    def close_spider(self) -> None:
        try:
            self.writer.flush(final=True)
        except Exception:
            self.write_failed = True
            raise

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.archive is None:
            return
        stats = self.crawler.stats
        run = self.writer.run_counts()
        status = "failed" if self.write_failed else run_status(run, reason)
        self.archive.finish_run(self.writer.run_id, run, status)
        stats.set_value("newsarchive/run_id", self.writer.run_id)
        stats.set_value("newsarchive/status", status)
        self.archive.close()
        self.archive = None


def _split(items: list, held: Callable[[Any], bool]) -> tuple[list, list]:
    """(the items ready, the items ``held`` back), each in its order."""
    ready, kept = [], []
    for item in items:
        (kept if held(item) else ready).append(item)
    return ready, kept


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
