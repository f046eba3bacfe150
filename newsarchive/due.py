"""When each source is next due for a crawl: the one rule behind `crawl --due`,
`schedule` and `schedule --scrapyd`.

A source is due once its interval (``interval`` in seeds/sites.toml) has passed since
the *start* of its last crawl that worked (status "ok"). From the start, not the end:
a source with a 6 h interval is then crawled every 6 h however long each crawl takes,
and an article published while a crawl ran is still new to the next one. The last run
of the source says the rest:

- never crawled: due now;
- stopped or killed ("interrupted", "killed"): due now, so the next crawl resumes (or
  restarts) it;
- still running here (``running`` says so: its lock is held): not due;
- failed or found nothing ("failed", "empty"), or "running" with no lock held here (a
  scrapyd job, a crawl on another machine, or one that died unnoticed): due again
  :data:`RETRY_AFTER` after that attempt started, or after the interval if it is
  shorter, and not before the interval has passed since the last crawl that worked. A
  site that is down is neither hammered at every pass nor left alone for a whole
  interval;
- handed to a scrapyd server (a run of kind "scrapyd") with no crawl started since:
  counted as an attempt, like a failure, so a job the server lost is handed again after
  RETRY_AFTER (newsarchive.scrapyd does not hand a source whose job is still pending or
  running on a server).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newsarchive.archive import Archive, open_archive
from newsarchive.sites import Site

# How long after a crawl that failed or found nothing the source is tried again (at
# most: a shorter interval wins).
RETRY_AFTER = timedelta(hours=1)
# Statuses of a run that was stopped before its end: due at once, so that it resumes.
UNFINISHED = ("interrupted", "killed")
# What seconds_until_due says when no source will ever be due by the clock alone (all
# running): look again after this long.
IDLE_SECONDS = 3600.0

NEVER = datetime.min.replace(tzinfo=UTC)


def _started(run: dict[str, Any] | None) -> datetime | None:
    return datetime.fromisoformat(run["started"]) if run else None


def due_time(
    site: Site,
    archive: Archive,
    running: Callable[[str], bool] | None = None,
) -> datetime | None:
    """When ``site`` is due (a time in the past: now), or None while its crawl runs."""
    if running is not None and running(site.name):
        return None
    interval = timedelta(seconds=site.interval)
    last = archive.last_run(site.name, "crawl")
    handoff = archive.last_run(site.name, "scrapyd")
    if handoff is not None and (last is None or handoff["id"] > last["id"]):
        attempt = handoff  # handed to scrapyd; the job has not recorded a crawl yet
    elif last is None or last["status"] in UNFINISHED:
        return NEVER
    else:
        attempt = last
    ok = archive.last_successful_run(site.name, "crawl")
    by_interval = _started(ok) + interval if ok else NEVER
    if ok is not None and attempt["id"] == ok["id"]:
        return by_interval
    return max(by_interval, _started(attempt) + min(interval, RETRY_AFTER))


def due_times(
    sites: dict[str, Site],
    db_path: Path,
    running: Callable[[str], bool] | None = None,
) -> dict[str, datetime | None]:
    """:func:`due_time` of every source."""
    with open_archive(db_path) as archive:
        archive.reap_dead_runs()  # a crawl killed outright is "killed", and due again
        return {name: due_time(site, archive, running) for name, site in sites.items()}


def due_sources(
    sites: dict[str, Site],
    db_path: Path,
    now: datetime | None = None,
    running: Callable[[str], bool] | None = None,
) -> list[str]:
    """The sources due now, the longest overdue first (registry order among equals)."""
    now = now or datetime.now(UTC)
    times = due_times(sites, db_path, running)
    due = [name for name, when in times.items() if when is not None and when <= now]
    return sorted(due, key=lambda name: times[name])


def seconds_until_due(
    sites: dict[str, Site],
    db_path: Path,
    now: datetime | None = None,
    running: Callable[[str], bool] | None = None,
) -> float:
    """How long until the next source falls due (0 if one is due now)."""
    now = now or datetime.now(UTC)
    waits = [
        max(0.0, (when - now).total_seconds())
        for when in due_times(sites, db_path, running).values()
        if when is not None
    ]
    return min(waits, default=IDLE_SECONDS)
