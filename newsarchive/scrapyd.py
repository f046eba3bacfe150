"""Handing due crawls to scrapyd servers instead of running them here
(`newsarchive schedule --scrapyd URL`), through scrapyd's JSON API
(https://scrapyd.readthedocs.io/en/stable/api.html): listjobs.json for the jobs a
server holds, daemonstatus.json for its load, schedule.json to start a job.

A job runs the source's spider from the project deployed with scrapyd-deploy (the
[deploy] target in scrapy.cfg), given two settings as absolute paths: NEWSARCHIVE_DB,
the archive it writes to, and NEWSARCHIVE_SITES, the registry its spider is made from
(newsarchive.spiderloader). A server must therefore see the same files: the same
machine, or the same paths on a shared disk. Each due source goes to the server with
the fewest pending and running jobs; a source whose job is still pending or running on
any of them is not handed again. Every handoff is recorded in crawl_runs (kind
"scrapyd", the job in its command); the job records its crawl as any crawl does.

Distributed (``redis``, ``workers``): each due source gets ``workers`` jobs, each to
the least loaded server at that moment, so they spread over the servers; the jobs are
given the Redis URL (NEWSARCHIVE_REDIS) instead of the archive, share the source's
frontier there, and `newsarchive drain` writes what they find (newsarchive.distributed).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin, urlsplit
from urllib.request import Request, urlopen

from newsarchive.archive import open_archive
from newsarchive.crawl import due_sources
from newsarchive.schedule import seconds_until_next
from newsarchive.sites import load_sites, sites_path

log = logging.getLogger(__name__)

# The project name scrapyd-deploy gives the egg (scrapy.cfg, [deploy] project).
PROJECT = "newsarchive"
TIMEOUT = 10.0


class ScrapydError(Exception):
    """A scrapyd server could not be reached, or refused a request."""


def server_url(url: str) -> str:
    """``url`` as the base of scrapyd's API: http(s), ending in a slash. Raises
    ValueError for what is not an http(s) URL."""
    url = url.strip()
    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not a scrapyd URL (expected e.g. http://127.0.0.1:6800/)")
    return url if url.endswith("/") else f"{url}/"


def _why(exc: BaseException) -> str:
    """What went wrong with a connection, in a few words."""
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "name not resolved"
    if isinstance(reason, TimeoutError):
        return "timed out"
    return str(reason) or type(reason).__name__


@dataclass
class Server:
    """One scrapyd server."""

    url: str
    project: str = PROJECT
    timeout: float = TIMEOUT

    def _call(self, endpoint: str, query: dict | None = None, form: dict | None = None) -> dict:
        address = urljoin(self.url, endpoint) + (f"?{urlencode(query)}" if query else "")
        data = urlencode(form, doseq=True).encode() if form is not None else None
        try:
            with urlopen(Request(address, data=data), timeout=self.timeout) as response:
                payload = json.loads(response.read())
        except HTTPError as exc:
            if exc.code == 404:
                raise ScrapydError(
                    f"{self.url} is not a scrapyd server ({endpoint}: 404 Not Found)"
                ) from exc
            raise ScrapydError(
                f"scrapyd at {self.url} answered {exc.code} {exc.reason} to {endpoint}"
            ) from exc
        except (URLError, OSError) as exc:
            raise ScrapydError(f"cannot reach scrapyd at {self.url}: {_why(exc)}") from exc
        except ValueError as exc:
            raise ScrapydError(
                f"{self.url} is not a scrapyd server ({endpoint} did not answer JSON)"
            ) from exc
        if not isinstance(payload, dict) or payload.get("status") != "ok":
            message = payload.get("message") if isinstance(payload, dict) else payload
            if f"project '{self.project}' not found" in str(message):
                raise ScrapydError(
                    f"scrapyd at {self.url} has no project {self.project}: deploy it first"
                    " (scrapyd-deploy, with scrapy.cfg's [deploy] url pointing at it)"
                )
            raise ScrapydError(f"scrapyd at {self.url} refused {endpoint}: {message}")
        return payload

    def jobs(self) -> dict[str, str]:
        """The project's pending and running jobs: spider → job id."""
        listed = self._call("listjobs.json", {"project": self.project})
        return {job["spider"]: job["id"] for job in [*listed["pending"], *listed["running"]]}

    def load(self) -> int:
        """The server's pending and running jobs, all projects."""
        status = self._call("daemonstatus.json")
        return int(status["pending"]) + int(status["running"])

    def schedule(self, spider: str, settings: dict[str, str]) -> str:
        """Start a job of ``spider`` with these Scrapy settings; its id."""
        form = {
            "project": self.project,
            "spider": spider,
            "setting": [f"{name}={value}" for name, value in settings.items()],
        }
        try:
            return self._call("schedule.json", form=form)["jobid"]
        except ScrapydError as exc:
            if f"spider '{spider}' not found" not in str(exc):
                raise
            raise ScrapydError(
                f"scrapyd at {self.url} has no spider {spider}: deploy again (scrapyd-deploy;"
                " scrapyd lists the spiders when a version is added), and give scrapyd the"
                " same registry (env NEWSARCHIVE_SITES)"
            ) from exc


@dataclass
class Handoff:
    """A due source and what became of it: handed to ``server`` as ``job``, or left
    there because its earlier ``job`` is still pending or running (``queued``)."""

    source: str
    server: str
    job: str
    queued: bool = False


@dataclass
class Pass:
    """One pass over the due sources."""

    handoffs: list[Handoff] = field(default_factory=list)
    # One line per server that could not be reached or refused a job.
    errors: list[str] = field(default_factory=list)


def job_settings(
    db_path: Path, sites_file: Path | None, redis: str | None = None
) -> dict[str, str]:
    """The settings every job is given: where the archive and the registry are, or in
    a distributed crawl the Redis (its workers never open the archive)."""
    where = {"NEWSARCHIVE_REDIS": redis} if redis else {"NEWSARCHIVE_DB": str(db_path.resolve())}
    return {**where, "NEWSARCHIVE_SITES": str(sites_path(sites_file).resolve())}


def hand_due(
    db_path: Path,
    sites_file: Path | None,
    servers: list[Server],
    *,
    redis: str | None = None,
    workers: int = 1,
) -> Pass:
    """One pass: hand every due source to the least loaded server (``workers`` jobs
    of it with ``redis``). Raises ScrapydError when no server answers; a server that
    fails alone is an entry in ``errors``."""
    sites = load_sites(sites_file)
    result = Pass()
    loads: dict[str, int] = {}
    queued: dict[str, tuple[str, str]] = {}  # spider → (server, job)
    answering = []
    for server in servers:
        try:
            jobs = server.jobs()
            loads[server.url] = server.load()
        except ScrapydError as exc:
            result.errors.append(str(exc))
            continue
        answering.append(server)
        for spider, job in jobs.items():
            queued.setdefault(spider, (server.url, job))
    if not answering:
        raise ScrapydError("; ".join(result.errors))
    settings = job_settings(db_path, sites_file, redis)
    for source in due_sources(sites, db_path):
        if source in queued:
            result.handoffs.append(Handoff(source, *queued[source], queued=True))
            continue
        for _ in range(workers if redis else 1):
            _hand(source, answering, loads, settings, db_path, result)
    return result


def _hand(
    source: str,
    servers: list[Server],
    loads: dict[str, int],
    settings: dict[str, str],
    db_path: Path,
    result: Pass,
) -> None:
    """Hand one job of ``source`` to the least loaded of ``servers``, and record it."""
    server = min(servers, key=lambda s: loads[s.url])
    try:
        job = server.schedule(source, settings)
    except ScrapydError as exc:
        result.errors.append(str(exc))
        return
    loads[server.url] += 1
    with open_archive(db_path) as archive:
        archive.record_handoff(source, f"scrapyd {server.url} job {job}")
    log.info("handed %s to scrapyd at %s: job %s", source, server.url, job)
    result.handoffs.append(Handoff(source, server.url, job))


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


def hand_forever(
    db_path: Path,
    sites_file: Path | None,
    servers: list[Server],
    *,
    report: Callable[[Pass], Any],
    poll: float = 60.0,
    wait: Callable[[float], bool] = _sleep,
    redis: str | None = None,
    workers: int = 1,
) -> None:
    """Hand due sources to the servers as they fall due, until ``wait(seconds)`` says
    to stop (it returns True). The first pass raises ScrapydError when no server
    answers; after that, an unreachable server is reported and tried again."""
    first = True
    while True:
        try:
            report(hand_due(db_path, sites_file, servers, redis=redis, workers=workers))
        except ScrapydError as exc:
            if first:
                raise
            report(Pass(errors=[str(exc)]))
        first = False
        # Right after a pass, a source still due is one that could not be handed (its
        # job still queued, its server failing): look again in `poll` seconds, not at once.
        until = seconds_until_next(db_path, sites_file)
        if wait(min(poll, until) if until > 0 else poll):
            return
