"""Re-extraction: today's page decision and extraction over the responses a crawl kept as
WARC (newsarchive.capture), never fetching anything (issue 8).

Which pages: for each URL, its latest capture that the page decision was taken on (the
``pages`` rows of article pages and of pages judged not to be one), among the sources,
the fetch dates and the URL asked for. Each is read back from its WARC file
(:func:`newsarchive.capture.read_capture`) and run through the crawl's own function,
:func:`newsarchive.extract.extract_page`, with what the crawl gave it besides the page
(the feed's or the REST API's hints, the URL-shape evidence; kept in the page's signals
as ``inputs``), in worker processes (newsarchive.extractpool). Then, as a crawl would:

- an article whose text or metadata came out different is updated, and a changed text
  keeps the old one as a revision with the reason "re-extracted";
- a page now recognised as an article is added;
- an article now judged not to be one is flagged (``articles.flagged`` says why), never
  deleted; the flag is cleared when a later re-extraction finds an article again.

Each page re-extracted gets a ``pages`` row of its own (same capture, same inputs, the
new decision), and the run is recorded in ``crawl_runs`` (kind "reextract") with its
counts, committed with the articles they count.

Restartable because it is idempotent rather than checkpointed: re-extracting a capture
twice with the same rules gives the same result, and a rerun picks for each URL the
latest capture row, which is the re-extraction's own when the killed run got that far:
its article comes back "unchanged", its flag is set again to the same value, and the
pages it never reached are done now. A rerun after Ctrl-C, a crash or a kill -9 ends
with the same articles as an uninterrupted run (tests/test_reextract.py kills one).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from w3lib.encoding import http_content_type_encoding

from newsarchive.arabic.encoding import EncodingError
from newsarchive.archive import Archive, Outcome, RunStats
from newsarchive.capture import CaptureError, read_capture
from newsarchive.extractpool import extract_in_order
from newsarchive.items import Article, Capture, PageRecord
from newsarchive.page import clean_url
from newsarchive.seen import UrlSet
from newsarchive.sites import Site, SitesError, load_sites
from newsarchive.warcread import extract_inputs

log = logging.getLogger(__name__)

__all__ = ["NothingToReextract", "ReextractError", "ReextractReport", "reextract"]

# Pages written per transaction at most, and seconds between two writes at most, so a
# stop or a kill loses little and the run's counts stay current.
BATCH = 200
FLUSH_SECONDS = 2.0
# Page rows read from the archive at a time.
_READ_CHUNK = 200


class ReextractError(Exception):
    """Re-extraction cannot start (a bad registry, an archive not in a file)."""


class NothingToReextract(ReextractError):
    """No stored capture matches what was asked."""


@dataclass
class ReextractReport:
    """What one :func:`reextract` call did."""

    run_id: int
    stats: RunStats = field(default_factory=RunStats)
    # (url, why) of the articles now judged not to be articles: flagged, kept.
    flagged: list[tuple[str, str]] = field(default_factory=list)
    status: str = "running"

    def summary(self) -> str:
        """The crawl's summary shape: a line of counts, then what was flagged and
        dropped, one line each."""
        s = self.stats
        lines = [
            f"reextract: {self.status}: {s.pages} pages re-extracted, {s.new} new,"
            f" {s.updated} updated, {s.unchanged} unchanged, {len(self.flagged)} flagged,"
            f" {s.dropped - len(self.flagged)} not articles, {s.failed} failed"
        ]
        if self.flagged:
            lines.append(f"  flagged {len(self.flagged)} (no longer articles; kept, not deleted):")
            lines += [f"      {url}: {why}" for url, why in self.flagged]
        others = {r: n for r, n in s.dropped_reasons.items() if not r.startswith(_FLAGGED)}
        for reason, count in sorted(others.items(), key=lambda kv: -kv[1]):
            lines.append(f"  not an article {count}: {reason}")
        lines += [f"  error: {message}" for message in s.errors]
        return "\n".join(lines)


_FLAGGED = "flagged: "


@dataclass
class _Job:
    """One capture to re-extract: its page row, and what its response said."""

    row: dict[str, Any]
    inputs: dict[str, Any]
    url: str = ""
    status: int | None = None
    error: str | None = None


def reextract(
    archive: Archive,
    sources: Sequence[str] = (),
    *,
    since: str | None = None,
    url: str | None = None,
    sites: Path | None = None,
    progress: bool = False,
    command: str = "reextract",
    stop: Callable[[], bool] | None = None,
    workers: int | None = None,
) -> ReextractReport:
    """Re-extract the latest capture of every URL of ``sources`` (all if none), fetched
    on or after ``since``, or of ``url`` alone, and record the run (see the module's
    docstring). ``stop()`` turning true ends it after the pages in hand (status
    "interrupted"). Raises :class:`NothingToReextract` when no capture matches, and
    :class:`ReextractError` for a bad registry."""
    if archive.path is None:
        raise ReextractError("re-extraction reads captures beside an archive file")
    try:
        registry = load_sites(sites)
    except SitesError as exc:
        raise ReextractError(str(exc)) from exc
    ids = archive.latest_captures(sources, since, url)
    if not ids:
        raise NothingToReextract(_nothing(sources, since, url))
    run_id = archive.start_run("reextract", ",".join(sources) or None, command)
    report = ReextractReport(run_id)
    writer = _Writer(archive, report)
    stopped = False

    def wanted() -> bool:
        nonlocal stopped
        stopped = stopped or (stop is not None and stop())
        return not stopped

    bar = _bar(progress, len(ids))
    try:
        jobs = _jobs(archive, ids, registry, wanted)
        for job, result in extract_in_order(jobs, workers):
            writer.take(job, result, registry)
            if bar is not None:
                bar.update()
        writer.flush()
        report.status = "interrupted" if stopped else "failed" if report.stats.failed else "ok"
    finally:
        if bar is not None:
            bar.close()
        if report.status == "running":  # an exception went by
            report.status = "failed"
        archive.finish_run(run_id, report.stats, report.status)
    log.info("%s", report.summary())
    return report


def _nothing(sources: Sequence[str], since: str | None, url: str | None) -> str:
    what = [f"of {', '.join(sources)}"] if sources else []
    what += [f"fetched since {since}"] if since else []
    what += [f"of {url}"] if url else []
    return (
        f"no stored capture {' '.join(what) or 'in this archive'} to re-extract; captures"
        " are kept by crawls with WARC capture on (the default; not with --no-warc)"
    )


def _bar(enabled: bool, total: int) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="page", file=sys.stderr, desc="reextract")


def _jobs(
    archive: Archive, ids: Sequence[int], registry: dict[str, Site], wanted: Callable[[], bool]
) -> Iterator[tuple[_Job, tuple | None]]:
    """extract_page's arguments for each capture, read back in this process; a capture
    that cannot be read passes through with its error."""
    directory = archive.path.parent
    for start in range(0, len(ids), _READ_CHUNK):
        for row in archive.pages_by_id(ids[start : start + _READ_CHUNK]):
            if not wanted():
                return
            signals = json.loads(row["signals"] or "{}")
            inputs = dict(signals.get("inputs") or {})
            inputs["source"] = row["source"] or ""
            job = _Job(row, inputs)
            try:
                captured = read_capture(
                    directory,
                    row["warc_file"],
                    row["warc_offset"],
                    row["warc_length"],
                    row["warc_digest"],
                    host=signals.get("warc_host"),
                )
            except (CaptureError, OSError) as exc:
                job.error = str(exc)
                yield job, None
                continue
            job.url, job.status = captured.url, captured.status
            site = registry.get(inputs["source"])
            yield (
                job,
                (
                    inputs["source"],
                    site.extraction if site else None,
                    captured.content,
                    captured.url,
                    http_content_type_encoding(captured.header("Content-Type") or ""),
                    *extract_inputs(inputs, row["found_via"] or ""),
                ),
            )


class _Writer:
    """Turns results into articles, page rows and flags, and writes them in batches."""

    def __init__(self, archive: Archive, report: ReextractReport) -> None:
        self.archive = archive
        self.report = report
        self.stats = report.stats
        self.articles: list[Article] = []
        self.pages: list[PageRecord] = []
        # Pages judged not articles: URL → why, flagged if an article is archived there.
        self.refused: dict[str, str] = {}
        self.seen = UrlSet()
        self.last_flush = time.monotonic()

    def take(self, job: _Job, result: Any, registry: dict[str, Site]) -> None:
        row = job.row
        self.stats.pages += 1
        if job.error is not None:
            self.stats.error(f"{row['url']}: {job.error}")
            return
        page = PageRecord(
            url=row["url"],
            found_via=row["found_via"] or "",
            decision="not-article",
            reason="",
            status=job.status,
            fetched=row["fetched"],
            capture=Capture(
                row["warc_file"], row["warc_offset"], row["warc_length"], row["warc_digest"]
            ),
        )
        if isinstance(result, Exception):
            undecodable = isinstance(result, EncodingError)
            why = "undecodable page" if undecodable else "extraction failed"
            page.decision, page.reason = "error", why
            page.signals = {"error": str(result), "inputs": job.inputs}
            if undecodable:  # as a crawl and an import count it: dropped, not a failure
                page.outcome = "skipped"
                self.stats.drop(why, row["url"])
            else:
                page.outcome = "failed"
                self.stats.error(f"{row['url']}: {why}: {result}")
            self.pages.append(page)
        else:
            self._decided(job, page, *result, registry)
        if len(self.pages) >= BATCH or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def _decided(
        self, job: _Job, page: PageRecord, article: Article | None, decision: Any, registry
    ) -> None:
        page.reason, page.signals = decision.reason, {**decision.signals, "inputs": job.inputs}
        if article is not None:
            source = job.inputs["source"]
            site = registry.get(source) or Site.judging(job.url)
            canonical = site.archived_url(clean_url(job.url), article.url)
            if canonical not in self.seen:
                self.seen.add(canonical)
                record = article.page
                record.url, record.found_via = canonical, page.found_via
                record.status, record.fetched = job.status, page.fetched
                record.capture = page.capture
                record.signals["inputs"] = job.inputs
                if canonical != clean_url(job.url):
                    record.signals["fetched_url"] = job.url
                article.url, article.source = canonical, source
                self.articles.append(article)
                return
            page.reason = "duplicate of an article already re-extracted"
            page.signals["canonical"] = canonical
        self.refused[page.url] = page.reason
        self.pages.append(page)

    def flush(self) -> None:
        """Articles first (one transaction with the run's counts), then the flags, then
        the page rows (with the counts again)."""
        archive, stats = self.archive, self.stats
        flags: dict[str, str | None] = {}
        if self.articles:
            written = list(
                archive.upsert_articles(
                    self.articles,
                    run_id=self.report.run_id,
                    count=self._count,
                    reason="re-extracted",
                    fetched_from_page=True,
                )
            )
            ids = archive.article_ids(a.url for a, _ in written)
            for article, outcome in written:
                if outcome is Outcome.FAILED:
                    stats.error(f"{article.url}: {article.page.reason}")
                else:
                    flags[article.url] = None
                article.page.outcome = outcome.value
                article.page.article_id = ids.get(article.url)
                self.pages.append(article.page)
            self.articles = []
        archived = archive.article_ids(self.refused)
        for url, why in self.refused.items():
            if url in archived:
                reason = f"not an article on re-extraction: {why}"
                flags[url] = reason
                self.report.flagged.append((url, reason))
                stats.drop(_FLAGGED + why, url)
            else:
                stats.drop(why, url)
        for page in self.pages:
            if page.url in archived and page.decision == "not-article":
                page.outcome, page.article_id = "flagged", archived[page.url]
        self.refused = {}
        archive.flag_articles(flags)
        archive.record_pages(self.pages, self.report.run_id, counts=stats)
        self.pages = []
        self.last_flush = time.monotonic()

    def _count(self, outcomes: list[tuple[Article, Outcome]]) -> RunStats:
        for _, outcome in outcomes:
            if outcome is not Outcome.FAILED:
                self.stats.count(outcome)
        return self.stats
