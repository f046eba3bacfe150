"""A Scrapy extension for bench_recrawl.py: what a crawl holds in memory as it goes.

Never in the project's settings: the benchmark enables it on its crawl's command line
(``-s EXTENSIONS=...`` with the project's own extensions kept, ``-s
BENCH_PROBE_FILE=PATH``). Every ``BENCH_PROBE_INTERVAL`` seconds (default 0.5) it appends
one JSON line to PATH: the process's RSS, and the length of every structure that grows
with the URLs a crawl sees (Scrapy's duplicate filter, the spider's sets and dicts, the
scheduler's queue). When the spider closes it writes a last sample, then the bytes each
structure holds: ``sys.getsizeof`` over its contents, each object counted once, in the
order of ``STRUCTURES`` (a URL string that is both a key of ``hints`` and a member of
``requested`` counts for ``requested``). Those are estimates (allocator rounding and free
slots not included); the RSS is the truth.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

# The spider's attributes that hold something per URL, then Scrapy's duplicate filter
# (its fingerprints) and what the spider learns in bulk.
STRUCTURES = (
    "requested",
    "done",
    "hints",
    "deferred",
    "seen_canonical",
    "listings_requested",
    "known",
    "fingerprints",
    "profile",
)


def rss_kb() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def deep_size(obj: Any, seen: set[int]) -> int:
    """Bytes of ``obj`` and everything it holds that ``seen`` does not already hold."""
    total, stack = 0, [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type | ModuleType | FunctionType):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, str | bytes | int | float | bool) or item is None:
            continue
        elif hasattr(item, "__dict__"):
            stack.append(item.__dict__)
        else:
            stack.extend(gc.get_referents(item))
    return total


class CrawlProbe:
    def __init__(self, crawler: Any, path: str, interval: float) -> None:
        self.crawler = crawler
        self.path = Path(path)
        self.interval = interval
        self.task: LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProbe:
        settings = crawler.settings
        if not settings.get("BENCH_PROBE_FILE"):
            raise NotConfigured
        probe = cls(
            crawler,
            settings.get("BENCH_PROBE_FILE"),
            settings.getfloat("BENCH_PROBE_INTERVAL", 0.5),
        )
        crawler.signals.connect(probe.opened, signal=signals.spider_opened)
        crawler.signals.connect(probe.closed, signal=signals.spider_closed)
        return probe

    def structures(self) -> dict[str, Any]:
        spider, engine = self.crawler.spider, self.crawler.engine
        found = {name: getattr(spider, name, None) for name in STRUCTURES}
        scheduler = getattr(engine, "scheduler", None) if engine else None
        df = getattr(scheduler, "df", None)
        # RFPDupeFilter's set, or newsarchive.seen.SeenFilter's.
        found["fingerprints"] = getattr(df, "_fingerprints", getattr(df, "seen", None))
        return {name: value for name, value in found.items() if value is not None}

    def write(self, line: dict[str, Any]) -> None:
        with open(self.path, "a") as handle:
            handle.write(json.dumps(line) + "\n")

    def sample(self, event: str = "sample") -> None:
        line: dict[str, Any] = {
            "event": event,
            "t": round(time.monotonic() - self.started, 2),
            "rss_kb": rss_kb(),
        }
        for name, value in self.structures().items():
            try:
                line[name] = len(value)
            except TypeError:
                continue
        stats = self.crawler.stats
        line["responses"] = stats.get_value("response_received_count", 0)
        line["enqueued"] = stats.get_value("scheduler/enqueued", 0)
        line["dequeued"] = stats.get_value("scheduler/dequeued", 0)
        if event == "closed":  # what the spider counted (known_not_refetched, drops...)
            line["stats"] = {
                key: value
                for key, value in stats.get_stats().items()
                if key.startswith("newsarchive/") and isinstance(value, int | float)
            }
        self.write(line)

    def opened(self, spider: Any) -> None:
        self.task = LoopingCall(self.sample)
        self.task.start(self.interval, now=True)

    def closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.sample("closed")
        seen: set[int] = set()
        sizes = {name: deep_size(value, seen) for name, value in self.structures().items()}
        self.write({"event": "deep", "bytes": sizes})
