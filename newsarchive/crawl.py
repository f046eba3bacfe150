"""Running crawls from the command line (and from tests) with Scrapy's CrawlerProcess.

Each crawl keeps its job state in ``data/jobs/<source>/`` (Scrapy's JOBDIR) while it
runs, so a crawl stopped by a signal resumes where it stopped; a crawl that finished
cleanly removes it, so the next one starts afresh (incremental through the archive
instead), and so does a crawl after a hard stop or a kill, whose job state may be torn.

Stops (newsarchive.stopping): given a :class:`StopSignals`, the crawl owns SIGINT and
SIGTERM instead of Scrapy. The first signal stops every crawl gracefully (the pages in
hand are finished and archived, the run is recorded "interrupted"); a hard stop marks
the runs "interrupted" with their committed counts and removes their job state.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsarchive import capture, due
from newsarchive.archive import RunStats, interrupt_runs, open_archive
from newsarchive.sites import Site, SitesError, load_sites, sites_path
from newsarchive.stopping import StopSignals

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


def due_sources(
    sites: dict[str, Site], db_path: Path, now: datetime | None = None, jobs_dir: Path | None = None
) -> list[str]:
    """Sources due for a crawl, the longest overdue first (the rule: newsarchive.due);
    not those whose crawl is running here (its lock is held)."""
    jobs_dir = jobs_dir or db_path.parent / "jobs"
    return due.due_sources(sites, db_path, now, running=lambda name: crawl_running(jobs_dir, name))


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
    them truncated (a hard stop removes its job state). Else start afresh: articles
    already archived are not fetched again, so little is repeated but discovery."""
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


def crawl_running(jobs_dir: Path, source: str) -> bool:
    """Whether a crawl of ``source`` holds its lock (see :func:`_lock`) right now."""
    path = jobs_dir / f"{source}.lock"
    if not path.exists():
        return False
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


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
    log_file: Path | None = None,
    progress: bool = False,
    stop: StopSignals | None = None,
    redis_url: str | None = None,
) -> list[CrawlResult]:
    """Crawl the named sources (or site URLs) into the archive, all in one reactor.

    Scrapy's log goes to stderr at ``log_level``, or to ``log_file`` (at ``log_level``,
    else INFO); with neither it is off. ``progress`` draws the live line
    (newsarchive.progress) on stderr. A site that cannot be reached is not crawled: its
    result says why (status "unreachable") and its run is recorded as failed.

    With ``stop``, SIGINT and SIGTERM are handled by it rather than by Scrapy (see the
    module's docstring); ``stop.requested`` then tells whether the crawls were stopped.

    With ``redis_url`` each crawl is one worker of a distributed crawl of its source
    (newsarchive.distributed): no lock, no job state, and the archive is not opened
    (the writer, `newsarchive drain`, records the run); the results say what the
    worker fetched and handed on.
    """
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
        names += [n for n in due_sources(sites, db_path, jobs_dir=jobs_dir) if n not in names]
        if not names:
            return []
    if not names:
        raise CrawlError("name a source, a site URL, or --due; see `newsarchive crawl --help`")
    chosen = resolve_targets(names, sites)

    project = get_project_settings()
    project.set("NEWSARCHIVE_DB", str(db_path), priority="cmdline")
    if redis_url:  # a worker: newsarchive.distributed.RedisAddon does the rest
        project.set("NEWSARCHIVE_REDIS", redis_url, priority="cmdline")
    if log_file:
        project.set("LOG_FILE", str(log_file), priority="cmdline")
        project.set("LOG_LEVEL", log_level or "INFO", priority="cmdline")
    elif log_level:
        project.set("LOG_LEVEL", log_level, priority="cmdline")
    else:
        project.set("LOG_ENABLED", False, priority="cmdline")
        _warnings_as_lines()
    if progress:
        project.set("NEWSARCHIVE_PROGRESS", True, priority="cmdline")
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
            if not redis_url:  # N workers of one source share its frontier in Redis
                locks.append(_lock(jobs_dir, site.name))
    except CrawlError:
        for lock in locks:
            lock.close()
        raise
    # A site that is down is reported now, in seconds, and not crawled.
    results: list[CrawlResult] = []
    reachable = []
    for index, (site, url) in enumerate(chosen):
        problem = unreachable(url or site.base_url)
        if problem is None:
            reachable.append((site, url))
        else:
            results.append(_unreachable_result(db_path, site, problem, record=not redis_url))
            if locks:
                locks[index].close()
    chosen = reachable
    locks = [lock for lock in locks if not lock.closed]
    if not chosen:
        return results
    for site, url in chosen:
        spidercls = NewsSpider if url else spider_for(site)
        kwargs: dict[str, Any] = {"since": since, "refresh": refresh}
        if url:
            kwargs["url"] = url
        crawler = process.create_crawler(spidercls)
        jobdir = jobs_dir / site.name
        if not redis_url:  # the frontier in Redis is the job state
            crawler.settings.set("JOBDIR", str(jobdir), priority="cmdline")
            if jobdir.exists():
                _check_job_state(db_path, site.name, jobdir)
        process.crawl(crawler, **kwargs)
        crawlers.append((site, crawler, jobdir))
    if stop is not None:
        from twisted.internet import reactor

        jobdirs = [jobdir for _, _, jobdir in crawlers]
        stop.on_stop(lambda: reactor.callFromThread(_stop_crawls, process))
        if not redis_url:  # a worker has no run record or job state of its own
            stop.on_hard_stop(lambda: _hard_stop(db_path, jobdirs))
        stop.on_hard_stop(capture.freeze_all)
    if stop is not None and stop.requested:  # stopped while setting up: nothing ran
        for lock in locks:
            lock.close()
        return []
    process.start(install_signal_handlers=stop is None)
    for lock in locks:
        lock.close()
    if redis_url:
        return results + [_worker_result(site, crawler) for site, crawler, _ in crawlers]

    with open_archive(db_path) as archive:
        if stop is not None and stop.requested:
            # Crawls stopped before their spider closed (the signal came while it opened).
            archive.interrupt_runs()
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


class _MessageOnly(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"  # never a traceback


def _warnings_as_lines() -> None:
    """With Scrapy's log off, our own warnings ("resuming the interrupted crawl…", an
    article the archive refused) still reach the user: one line each, no traceback."""
    ours = logging.getLogger("newsarchive")
    if not any(getattr(h, "newsarchive_lines", False) for h in ours.handlers):
        handler = logging.StreamHandler()
        handler.setLevel(logging.WARNING)
        handler.setFormatter(_MessageOnly())
        handler.newsarchive_lines = True  # type: ignore[attr-defined]
        ours.addHandler(handler)


def unreachable(url: str, timeout: float = 5.0) -> str | None:
    """Why the site at ``url`` cannot be reached ("connection refused", "name not
    resolved", "timed out"), or None when a TCP connection opens. Checked before a crawl
    so a site that is down costs seconds and one clear line, not Scrapy's retries of
    every discovery channel. Skipped behind a proxy (only the proxy can tell)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if os.environ.get(f"{scheme}_proxy") or os.environ.get(f"{scheme.upper()}_PROXY"):
        return None
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except socket.gaierror:
        return "name not resolved"
    except ConnectionRefusedError:
        return "connection refused"
    except TimeoutError:
        return "timed out"
    except OSError as exc:
        return (exc.strerror or str(exc)).lower()


def _worker_result(site: Site, crawler: Any) -> CrawlResult:
    """What one worker of a distributed crawl did (the run is the writer's to record)."""
    stats = crawler.stats.get_stats()
    reason = stats.get("finish_reason", "failed")
    status = {"finished": "ok", "shutdown": "interrupted"}.get(reason, reason)
    run = {"pages": stats.get("response_received_count", 0)}
    run["items"] = stats.get("item_scraped_count", 0)
    return CrawlResult(site.name, status, run, dict(getattr(crawler.spider, "tried", {}) or {}))


def _unreachable_result(
    db_path: Path, site: Site, problem: str, *, record: bool = True
) -> CrawlResult:
    """A failed run for a site that could not be reached, so health and stats see it
    (``record`` false: a distributed worker, which never opens the archive)."""
    host = urlsplit(site.base_url).hostname or site.base_url
    message = f"cannot reach {host}: {problem}"
    tried = {"the site": message, "url": site.base_url}
    if not record:
        return CrawlResult(site.name, "unreachable", {}, tried)
    with open_archive(db_path) as archive:
        run_id = archive.start_run("crawl", site.name, f"newsarchive crawl {site.name}")
        archive.finish_run(run_id, RunStats(failed=1, errors=[message]), "failed")
        run = archive.db["crawl_runs"].get(run_id)
    return CrawlResult(site.name, "unreachable", run, tried)


def _stop_crawls(process: Any) -> None:
    """Stop every crawl of ``process`` gracefully, in the reactor: the engine closes the
    spider with reason "shutdown" once the requests in flight are answered and their
    items archived, and Scrapy writes the job state. Asked again every 0.2 s until each
    engine runs: a crawl whose spider is still opening ignores Scrapy's own stop request
    and would crawl on."""
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import task

    def tick() -> None:
        for crawler in list(process.crawlers):
            engine = crawler._engine  # None until the crawl starts (scrapy.crawler)
            if engine is None or not engine.running:
                continue
            engine.pause()  # no new request goes to the downloader
            returned = _return_unsent(engine)
            if returned:
                log.info("%d requests not sent yet go back to the job state", returned)
            crawler.crawling = False
            deferred_from_coro(engine.stop_async()).addErrback(
                lambda failure: log.debug("stopping: %s", failure.getErrorMessage())
            )

    task.LoopingCall(tick).start(0.2)


def _return_unsent(engine: Any) -> int:
    """Take the requests waiting in the downloader for their turn (a polite delay keeps
    up to CONCURRENT_REQUESTS of them there, and Scrapy's graceful stop would send them
    all, one delay apart) back to the scheduler, which writes them to the job state, so
    a resumed crawl sends them. The waiting request ends as ignored, with no errback: it
    is not a failure of the page."""
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    scheduler = engine.scheduler
    if scheduler is None:
        return 0
    returned = 0
    for slot in list(engine.downloader.slots.values()):
        while slot.queue:
            request, waiting = slot.queue.popleft()
            # Seen already: the duplicate filter would refuse it.
            scheduler.enqueue_request(request.replace(dont_filter=True))
            request.errback = None
            waiting.errback(Failure(IgnoreRequest("stopping: returned to the job state")))
            returned += 1
    return returned


def _hard_stop(db_path: Path, jobdirs: list[Path]) -> None:
    """Before a hard stop's exit: the runs are interrupted with the counts they
    committed, and their job state, which Scrapy had no time to close, is dropped.
    Renamed first: the reactor still runs meanwhile, and must not leave a half-written
    job state where the next crawl would resume from it."""
    interrupt_runs(db_path)
    for jobdir in jobdirs:
        torn = jobdir.with_name(f"{jobdir.name}.torn-{os.getpid()}")
        with contextlib.suppress(OSError):
            jobdir.rename(torn)
        shutil.rmtree(torn, ignore_errors=True)
