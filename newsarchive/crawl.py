"""Running crawls from the command line (and from tests) with Scrapy's CrawlerProcess.

Each crawl keeps its job state in ``data/jobs/<source>/`` (Scrapy's JOBDIR) while it
runs, so a killed crawl resumes where it stopped; a crawl that finished cleanly
removes it, so the next one starts afresh (incremental through the archive instead).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsarchive.archive import open_archive
from newsarchive.sites import Site, SitesError, load_sites, sites_path

log = logging.getLogger(__name__)


class CrawlError(Exception):
    """A crawl could not be started as asked."""


@dataclass
class CrawlResult:
    """One crawl's outcome, as recorded in crawl_runs."""

    source: str
    status: str
    run: dict[str, Any]
    tried: dict[str, str] = field(default_factory=dict)
    # The run's pages per (decision, reason), from the pages table: dicts with
    # decision, reason and pages (the count), most first.
    page_decisions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# A crawl that did not finish is due again at once, to resume (or restart) it.
UNFINISHED = ("interrupted", "killed")


def due_sources(sites: dict[str, Site], db_path: Path, now: datetime | None = None) -> list[str]:
    """Sources whose interval has elapsed since their last crawl started, and those
    whose last crawl was interrupted or killed."""
    now = now or datetime.now(UTC)
    due = []
    with open_archive(db_path) as archive:
        archive.reap_dead_runs()
        for name, site in sites.items():
            last = archive.last_run(name, "crawl")
            if last is None or last["status"] in UNFINISHED:
                due.append(name)
                continue
            started = datetime.fromisoformat(last["started"])
            if (now - started).total_seconds() >= site.interval:
                due.append(name)
    return due


def resolve_targets(targets: list[str], sites: dict[str, Site]) -> list[tuple[Site, str | None]]:
    """(site, URL) for each target: a registry name (URL None) or a site URL."""
    chosen: list[tuple[Site, str | None]] = []
    unknown = []
    for target in targets:
        if target in sites:
            chosen.append((sites[target], None))
        elif "://" in target or "." in target:
            try:
                chosen.append((Site.for_url(target), target))
            except SitesError as exc:
                raise CrawlError(str(exc)) from exc
        else:
            unknown.append(target)
    if unknown:
        raise CrawlError(
            f"unknown source {', '.join(unknown)}; known sources: {', '.join(sorted(sites))}"
            " (or give a site URL)"
        )
    return chosen


def _check_job_state(db_path: Path, source: str, jobdir: Path) -> None:
    """Resume from job state only if the last crawl stopped cleanly (Ctrl-C, SIGTERM):
    Scrapy writes its disk queues on shutdown, and a crawl killed outright can leave
    them truncated. Else start afresh: articles already archived are not fetched
    again, so little is repeated but discovery."""
    with open_archive(db_path) as archive:
        archive.reap_dead_runs()  # a crawl killed outright is "killed" from here on
        last = archive.last_run(source, "crawl")
        if last is not None and last["status"] == "interrupted":
            log.warning("resuming the interrupted crawl of %s from %s", source, jobdir)
            return
        if last is not None and last["status"] == "running" and last["pid"] is None:
            # A run from before runs recorded their process; we hold its source's lock.
            archive.mark_killed([last["id"]])
    log.warning(
        "the last crawl of %s was killed; its job state may be damaged, so this crawl"
        " starts afresh (articles already archived are not fetched again)",
        source,
    )
    shutil.rmtree(jobdir, ignore_errors=True)


def _lock(jobs_dir: Path, source: str):
    """Hold ``jobs/<source>.lock`` for the crawl, so a scheduled crawl and a manual
    one of the same site never run at once (the lock dies with the process)."""
    jobs_dir.mkdir(parents=True, exist_ok=True)
    handle = open(jobs_dir / f"{source}.lock", "w")  # noqa: SIM115 (held until the end)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise CrawlError(f"a crawl of {source} is already running; try again later") from exc
    return handle


def run_crawls(
    targets: list[str],
    *,
    db_path: Path,
    sites_file: Path | None = None,
    due: bool = False,
    max_pages: int | None = None,
    since: str | None = None,
    refresh: bool = False,
    jobs_dir: Path | None = None,
    settings: dict[str, Any] | None = None,
    log_level: str | None = None,
) -> list[CrawlResult]:
    """Crawl the named sources (or site URLs) into the archive, all in one reactor."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    # Outside the checkout there is no scrapy.cfg to name the settings module.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsarchive.settings")
    # The spider loader builds one spider per registry entry from this registry.
    os.environ["NEWSARCHIVE_SITES"] = str(sites_path(sites_file))
    try:
        sites = load_sites(sites_file)
    except SitesError as exc:
        raise CrawlError(str(exc)) from exc
    names = list(dict.fromkeys(targets))  # `crawl a a` is one crawl of a
    if due:
        names += [n for n in due_sources(sites, db_path) if n not in names]
        if not names:
            return []
    if not names:
        raise CrawlError("name a source, a site URL, or --due; see `newsarchive crawl --help`")
    chosen = resolve_targets(names, sites)

    project = get_project_settings()
    project.set("NEWSARCHIVE_DB", str(db_path), priority="cmdline")
    if log_level:
        project.set("LOG_LEVEL", log_level, priority="cmdline")
    if max_pages:
        project.set("CLOSESPIDER_PAGECOUNT", max_pages, priority="cmdline")
    for key, value in (settings or {}).items():
        project.set(key, value, priority="cmdline")
    jobs_dir = jobs_dir or db_path.parent / "jobs"

    from spiders.news import NewsSpider
    from spiders.sources import spider_for

    # Scrapy installs its own log handler (LOG_LEVEL); drop the CLI's to avoid doubles.
    for handler in logging.root.handlers[:]:
        logging.root.removeHandler(handler)
    process = CrawlerProcess(project)
    crawlers = []
    locks = []
    try:
        for site, _ in chosen:
            locks.append(_lock(jobs_dir, site.name))
    except CrawlError:
        for lock in locks:
            lock.close()
        raise
    for site, url in chosen:
        spidercls = NewsSpider if url else spider_for(site)
        kwargs: dict[str, Any] = {"since": since, "refresh": refresh}
        if url:
            kwargs["url"] = url
        crawler = process.create_crawler(spidercls)
        jobdir = jobs_dir / site.name
        crawler.settings.set("JOBDIR", str(jobdir), priority="cmdline")
        if jobdir.exists():
            _check_job_state(db_path, site.name, jobdir)
        process.crawl(crawler, **kwargs)
        crawlers.append((site, crawler, jobdir))
    process.start()
    for lock in locks:
        lock.close()

    results = []
    with open_archive(db_path) as archive:
        for site, crawler, jobdir in crawlers:
            stats = crawler.stats.get_stats()
            run_id = stats.get("newsarchive/run_id")
            run = archive.db["crawl_runs"].get(run_id) if run_id else {}
            status = run.get("status") or stats.get("newsarchive/status", "failed")
            spider = crawler.spider
            tried = dict(getattr(spider, "tried", {}) or {})
            decisions = archive.page_decisions(run_id) if run_id else []
            results.append(CrawlResult(site.name, status, run, tried, decisions))
            if stats.get("finish_reason") in ("finished", "closespider_pagecount"):
                shutil.rmtree(jobdir, ignore_errors=True)
    return results
