"""The one writer of a distributed crawl: `newsarchive drain --redis URL`.

Workers (newsarchive.distributed) put their articles and page records on a Redis
stream; this reads it through a consumer group and writes each item through the same
path as a one-machine crawl (pipelines.ArchiveWriter: Archive.upsert_articles, then
record_pages), and acknowledges (XACK) a batch only after its transactions commit. A
writer killed mid-batch leaves its entries pending in the group; the next one claims
them first (XAUTOCLAIM) and writes them again, which the idempotent upsert makes
harmless: nothing is lost and no article is doubled (a page record written just before
the kill may be recorded twice).

It also keeps, for the workers, the archived articles of each source (the hash
``known:SOURCE``: URL → modified date), which an incremental crawl does not fetch
again: filled from the archive when the writer starts, then with every article it
writes. And it records the runs: a run starts with its first item, its counts are the
articles' outcomes plus the workers' counters (``run:TOKEN:stats``), and it finishes
when the last worker's "end" entry comes, after all of the run's items.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from scrapy.exceptions import DropItem

from newsarchive.archive import Archive, Outcome, open_archive
from newsarchive.distributed import GROUP, STREAM, DistributedError, _text, decode_item, key
from newsarchive.pipelines import ArchiveWriter, run_status
from newsarchive.search import keep_in_step
from newsarchive.stopping import process_alive

log = logging.getLogger(__name__)

LOCK_SECONDS = 30
# Entries a pass reads, and how long it waits for one (ms).
BATCH = 500
BLOCK_MS = 1000
KNOWN_CHUNK = 5000


class RunCounts:
    """The stats of one run as the writer sees them (what ArchiveWriter needs of Scrapy's
    stats collector): the outcomes it counts itself, plus the counters the workers add
    to ``run:TOKEN:stats`` (pages fetched, drops by reason, failures)."""

    def __init__(self, client: redis.Redis, token: str, counts: dict[str, int] | None = None):
        self.client = client
        self.token = token
        self.own: dict[str, int] = dict(counts or {})

    def inc_value(self, name: str, count: int = 1) -> None:
        self.own[name] = self.own.get(name, 0) + count

    def get_stats(self) -> dict[str, Any]:
        merged = {_text(k): int(v) for k, v in self.client.hgetall(self.stats_key).items()}
        for name, count in self.own.items():
            merged[name] = merged.get(name, 0) + count
        return merged

    @property
    def stats_key(self) -> str:
        return key("run", self.token, "stats")


@dataclass
class DrainReport:
    """What a drain did: items written, and the runs it finished (id, source, status)."""

    items: int = 0
    batches: int = 0
    finished: list[tuple[int, str, str]] = field(default_factory=list)


class Drain:
    """The writer: see the module."""

    def __init__(self, client: redis.Redis, archive: Archive, *, batch_size: int = BATCH):
        self.client = client
        self.archive = archive
        self.batch_size = batch_size
        self.consumer = f"{socket.gethostname()}:{os.getpid()}"
        self.writers: dict[str, ArchiveWriter] = {}
        self.report = DrainReport()

    # -- set-up --

    def lock(self) -> None:
        """Be the only writer (a second would write the same items twice at once)."""
        if not self.client.set(key("writer"), self.consumer, nx=True, ex=LOCK_SECONDS):
            holder = _text(self.client.get(key("writer")) or b"?")
            host, _, pid = holder.rpartition(":")
            if host == socket.gethostname() and pid.isdigit() and not process_alive(int(pid)):
                self.keep_lock()  # its writer died here (kill -9): no need to wait
                return
            raise DistributedError(
                f"another drain ({holder}) is writing from this Redis; stop it first, or wait"
                f" {LOCK_SECONDS} s if it was killed"
            )

    def keep_lock(self) -> None:
        self.client.set(key("writer"), self.consumer, ex=LOCK_SECONDS)

    def unlock(self) -> None:
        if _text(self.client.get(key("writer")) or b"") == self.consumer:
            self.client.delete(key("writer"))

    def open_group(self) -> None:
        try:  # from the stream's start: items put before any writer ran count too
            self.client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def publish_known(self) -> None:
        """Give the workers each source's archived articles, once (then kept by writes)."""
        sources = [row[0] for row in self.archive.conn.execute("SELECT name FROM sources")]
        for source in sources:
            target = key("known", source)
            if self.client.exists(target):
                continue
            known = self.archive.known_articles(source)
            pairs = [(url, modified or "") for url, (_, modified) in known.items()]
            for start in range(0, len(pairs), KNOWN_CHUNK):
                self.client.hset(target, mapping=dict(pairs[start : start + KNOWN_CHUNK]))

    # -- reading --

    def claim_pending(self) -> list[tuple[bytes, dict]]:
        """The entries a killed writer read but never acknowledged."""
        claimed: list[tuple[bytes, dict]] = []
        start = "0-0"
        while True:
            start, entries, *_ = self.client.xautoclaim(
                STREAM, GROUP, self.consumer, min_idle_time=0, start_id=start, count=500
            )
            claimed += [(entry_id, fields) for entry_id, fields in entries if fields]
            if _text(start) == "0-0":
                return claimed

    def read(self, block_ms: int = BLOCK_MS) -> list[tuple[bytes, dict]]:
        answer = self.client.xreadgroup(
            GROUP, self.consumer, {STREAM: ">"}, count=self.batch_size, block=block_ms
        )
        return [entry for _, entries in answer for entry in entries] if answer else []

    # -- writing --

    def writer_for(self, token: str, source: str) -> ArchiveWriter:
        """The run's writer: its crawl_runs row, made on its first item (and found again,
        with its counts, by a writer restarted mid-run)."""
        if token in self.writers:
            return self.writers[token]
        run_id = self.client.hget(key("runs"), token)
        counts: dict[str, int] = {}
        if run_id is not None:
            run = self.archive.db["crawl_runs"].get(int(run_id))
            outcomes = (Outcome.NEW, Outcome.UPDATED, Outcome.UNCHANGED)
            counts = {f"newsarchive/{o.value}": run[o.value] for o in outcomes}
        else:
            self.archive.register_source(source)
            run_id = self.archive.start_run("crawl", source, f"newsarchive crawl {source} --redis")
            self.client.hset(key("runs"), token, run_id)
        stats = RunCounts(self.client, token, counts)
        writer = ArchiveWriter(self.archive, int(run_id), stats, self.batch_size)
        writer.MAX_BATCH_SECONDS = float("inf")  # the drain flushes each batch itself
        self.writers[token] = writer
        return writer

    def write(self, entries: list[tuple[bytes, dict]]) -> None:
        """Write a batch of entries, then acknowledge them."""
        if not entries:
            return
        ends: list[tuple[str, str]] = []
        touched: dict[str, tuple[str, ArchiveWriter]] = {}
        for _, fields in entries:
            kind, token = _text(fields[b"kind"]), _text(fields[b"run"])
            source = _text(fields[b"source"])
            if kind == "end":
                ends.append((token, source))
                continue
            writer = self.writer_for(token, source)
            touched[token] = (source, writer)
            try:
                writer.add(decode_item(kind, _text(fields[b"data"])))
            except DropItem as exc:
                log.info("%s", exc)
        for source, writer in touched.values():
            self.remember(source, writer.flush())
        for token, source in ends:
            self.finish(token, source)
        ids = [entry_id for entry_id, _ in entries]
        # Written: acknowledged, and deleted (the stream holds only what waits).
        self.client.pipeline(transaction=True).xack(STREAM, GROUP, *ids).xdel(
            STREAM, *ids
        ).execute()
        self.report.items += len(entries)
        self.report.batches += 1

    def remember(self, source: str, written: list) -> None:
        """Archived articles join the source's known list the workers read."""
        known = {
            article.url: article.modified or ""
            for article, outcome in written
            if outcome is not Outcome.FAILED
        }
        if known:
            self.client.hset(key("known", source), mapping=known)

    def finish(self, token: str, source: str) -> None:
        writer = self.writer_for(token, source)
        writer.flush()
        run = writer.run_counts()
        status = run_status(run, "finished")
        self.archive.finish_run(writer.run_id, run, status)
        self.client.delete(writer.stats.stats_key)
        self.client.hdel(key("runs"), token)
        del self.writers[token]
        self.report.finished.append((writer.run_id, source, status))
        log.info("run %d of %s finished: %s", writer.run_id, source, status)

    # -- the loop --

    def crawls_running(self) -> bool:
        """Whether any worker lives or any run is open (its items may still come)."""
        return bool(
            next(self.client.scan_iter(key("worker", "*"), count=1000), None)
            or self.client.hlen(key("runs"))
            or next(self.client.scan_iter(key("*", "run"), count=1000), None)
        )

    def run(self, *, until_done: bool = False, stop: Callable[[], bool] = lambda: False) -> None:
        """Write until ``stop()`` says so, or with ``until_done`` until the crawls it
        saw (running, or by their items) are over and every item is written."""
        self.lock()
        try:
            self.open_group()
            self.publish_known()
            self.write(self.claim_pending())
            seen = False
            while not stop():
                self.keep_lock()
                entries = self.read()
                self.write(entries)
                running = self.crawls_running()
                seen = seen or running or self.report.items > 0
                if until_done and seen and not entries and not running:
                    self.write(self.read(block_ms=1))
                    return
        finally:
            self.unlock()


def drain(
    url: str,
    db_path: Path,
    *,
    until_done: bool = False,
    stop: Callable[[], bool] = lambda: False,
) -> DrainReport:
    """Run the writer of the Redis at ``url`` into the archive at ``db_path``."""
    from newsarchive.distributed import connect

    client = connect(url)
    with keep_in_step(open_archive(db_path)) as archive:
        writer = Drain(client, archive)
        started = time.monotonic()
        writer.run(until_done=until_done, stop=stop)
        log.info("%d items in %.1f s", writer.report.items, time.monotonic() - started)
        return writer.report
