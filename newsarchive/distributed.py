"""Crawling one source from many processes and machines through one Redis (issue 10).

The frontier is scrapy-redis's: the request queue (a sorted set by priority) and the
duplicate filter (a set of fingerprints) live in Redis, so every worker of a source
takes its requests from, and gives the requests it finds to, the same queue. What
scrapy-redis does not do, and this module adds:

* **In-flight recovery** (:class:`InflightQueue`): scrapy-redis pops a request, which
  is lost when its worker dies. Here the pop moves it, in one Lua script, into the
  source's in-flight hash under the worker's id; the worker deletes it once Scrapy has
  finished with it (its callback's requests queued, its items handed to the writer).
  Each worker keeps a heartbeat key that expires 10 s after its last beat; any live
  worker puts back in the queue the in-flight requests of a worker whose heartbeat is
  gone, so another worker fetches them.
* **Seeds once per run** (:class:`SeedOnce`): the first worker of a run claims it and
  pushes robots.txt, feeds, sitemaps, REST API and listing requests; later workers of
  the same run push none. A worker closes only when the queue and every worker's
  in-flight requests are empty; the last one ends the run (:class:`Worker`).
* **Politeness of the site as a whole** (:class:`SharedPoliteness`): the site's delay
  (the registry's, raised by robots.txt Crawl-delay) and Retry-After pauses are a
  "next request not before" time per host in Redis, and its concurrency a set of
  leases; a request waits for both before it goes out, so N workers are one polite
  crawler. Times come from Redis's clock, so machines' clocks need not agree.
* **One writer**: workers never open the archive. Their articles and page records go
  to a Redis stream (:class:`StreamPipeline`) that `newsarchive drain` writes
  (newsarchive.drain). The articles already archived, which an incremental crawl does
  not fetch again, come from a hash per source the writer keeps (``known:SOURCE``).

Keys (prefix ``newsarchive:``): ``SOURCE:requests``, ``SOURCE:seen``,
``SOURCE:inflight``, ``SOURCE:run``; ``run:TOKEN:stats``; ``worker:ID``; ``items``;
``known:SOURCE``; ``host:HOST`` and ``host:HOST:leases``; ``paused``; ``writer``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import tomllib
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from newsarchive import capture
from newsarchive.items import Article, Capture, PageRecord

log = logging.getLogger(__name__)

PREFIX = "newsarchive"
STREAM = f"{PREFIX}:items"
GROUP = "writer"
# A worker whose heartbeat is older than this is dead: its in-flight requests go back.
WORKER_TTL = 10
BEAT_SECONDS = 1.0
ENV = "NEWSARCHIVE_REDIS"


class DistributedError(Exception):
    """Redis cannot be used as asked (bad URL, server down)."""


# --- connecting --------------------------------------------------------------------------


def connect(url: str) -> redis.Redis:
    """A client for ``url`` (redis://HOST:PORT/N), checked with a PING."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        client.ping()
    except ValueError as exc:
        raise DistributedError(f"{url!r} is not a Redis URL (use redis://HOST:PORT/N)") from exc
    except redis.RedisError as exc:
        raise DistributedError(f"cannot reach Redis at {url}: {exc}") from exc
    return client


def registry_redis(sites_file: str | Path) -> str | None:
    """The ``[distributed] redis`` URL of the source registry, if it names one."""
    try:
        data = tomllib.loads(Path(sites_file).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None  # load_sites reports a bad registry
    section = data.get("distributed")
    return section.get("redis") if isinstance(section, dict) else None


def key(*parts: str) -> str:
    return ":".join((PREFIX, *parts))


class RedisAddon:
    """A Scrapy add-on (settings.ADDONS): a crawl given the NEWSARCHIVE_REDIS setting
    becomes a worker (:func:`worker_settings`), however it is started: `newsarchive
    crawl --redis`, or a scrapyd job handed by `newsarchive schedule --scrapyd --redis`
    (scrapyd passes settings, not options). Add-ons apply after the spider's own
    settings, so the registry's per-site delay goes to the shared budget instead."""

    def update_settings(self, settings: Any) -> None:
        url = settings.get("NEWSARCHIVE_REDIS")
        if url:
            for name, value in worker_settings(url).items():
                settings.set(name, value, priority="cmdline")


def worker_settings(url: str) -> dict[str, Any]:
    """The Scrapy settings that make a crawl one worker of a distributed crawl."""
    from newsarchive import settings as project

    return {
        "NEWSARCHIVE_REDIS": url,
        "REDIS_URL": url,
        "SCHEDULER": "newsarchive.distributed.RedisScheduler",
        "SCHEDULER_QUEUE_CLASS": "newsarchive.distributed.InflightQueue",
        "SCHEDULER_QUEUE_KEY": key("%(spider)s", "requests"),
        "SCHEDULER_DUPEFILTER_KEY": key("%(spider)s", "seen"),
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # The frontier outlives any one worker; the last one ends the run (Worker).
        "SCHEDULER_PERSIST": True,
        "ITEM_PIPELINES": {"newsarchive.distributed.StreamPipeline": 300},
        "DOWNLOADER_MIDDLEWARES": {
            **project.DOWNLOADER_MIDDLEWARES,
            "newsarchive.distributed.SharedPoliteness": 950,
        },
        "SPIDER_MIDDLEWARES": {"newsarchive.distributed.SeedOnce": 10},
        "EXTENSIONS": {**project.EXTENSIONS, "newsarchive.distributed.Worker": 500},
        # The shared budget paces each site: the local slot must send at once what it
        # lets through (a local delay after the shared one would bunch requests up), and
        # AutoThrottle, which adapts one process's delay, cannot speak for N of them.
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": project.CONCURRENT_REQUESTS,
    }


# --- items over the stream ---------------------------------------------------------------


def encode_item(item: Article | PageRecord) -> dict[str, str]:
    """An item as stream fields: its kind and its fields as JSON."""
    kind = "article" if isinstance(item, Article) else "page"
    return {"kind": kind, "data": json.dumps(asdict(item), ensure_ascii=False)}


def decode_item(kind: str, data: str) -> Article | PageRecord:
    fields = json.loads(data)
    if kind == "page":
        return _page(fields)
    page = fields.pop("page", None)
    return Article(**fields, page=_page(page) if page else None)


def _page(fields: dict[str, Any]) -> PageRecord:
    where = fields.pop("capture", None)
    return PageRecord(**fields, capture=Capture(**where) if where else None)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --- the frontier ------------------------------------------------------------------------

# Take the best request and keep it in-flight under the worker's id (KEYS: queue,
# in-flight hash, id counter; ARGV: worker id). The value is "worker\0score\0request".
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, ARGV[1] .. '\\0' .. r[2] .. '\\0' .. r[1])
return {tostring(id), r[1]}
"""
# Put one in-flight request back in the queue (KEYS: in-flight hash, queue; ARGV: id);
# a marker of work held in memory (no request: see Worker.hold) is dropped. Twice is
# harmless: the second finds nothing.
_REQUEUE = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local a = string.find(v, '\\0', 1, true)
local b = string.find(v, '\\0', a + 1, true)
local data = string.sub(v, b + 1)
if #data == 0 then return 0 end
redis.call('ZADD', KEYS[2], tonumber(string.sub(v, a + 1, b - 1)), data)
return 1
"""
INFLIGHT_META = "newsarchive_inflight"


class InflightQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop keeps the request in-flight (see the
    module) until its worker is done with it, so a dead worker's requests are not lost."""

    def __init__(self, server: redis.Redis, spider: Any, key: str, serializer: Any = None):
        super().__init__(server, spider, key, serializer)
        self.inflight = f"{self.key.removesuffix(':requests')}:inflight"
        self.worker_id = spider.crawler.newsarchive_worker_id
        self._pop = server.register_script(_POP)

    def pop(self, timeout: int = 0) -> Any:
        popped = self._pop(
            keys=[self.key, self.inflight, key("inflight-ids")], args=[self.worker_id]
        )
        if not popped:
            return None
        request = self._decode_request(popped[1])
        request.meta[INFLIGHT_META] = _text(popped[0])
        return request


class RedisScheduler(Scheduler):
    """scrapy-redis 0.9.1's scheduler, for Scrapy ≥ 2.13, which deprecated what it
    calls: ``stats.inc_value(..., spider=)`` and ``spider.log()``; so the methods that
    call them are redone without. Requests leaving for another worker keep no in-flight
    id of ours."""

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key, serializer=self.serializer
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if len(self.queue):
            log.info("joining a crawl with %d requests queued", len(self.queue))

    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        request.meta.pop(INFLIGHT_META, None)
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Any:
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


# --- workers -----------------------------------------------------------------------------


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """One crawl process's part in a distributed crawl: its heartbeat (with its counters,
    for `newsarchive stats --redis`), its in-flight bookkeeping, the recovery of dead
    workers' requests, and the end of the run once every worker's work is done."""

    # The run's counters the writer sums into the run record (the writer counts the
    # articles' outcomes itself).
    COUNTED = ("response_received_count", "newsarchive/known_not_refetched", "newsarchive/failed")

    def __init__(self, crawler: Any, client: redis.Redis):
        self.crawler = crawler
        self.client = client
        self.id = crawler.newsarchive_worker_id
        self.source = ""
        self.started = time.time()
        self.reported: dict[str, int] = {}
        self.beats = 0
        self.ttl = crawler.settings.getint("NEWSARCHIVE_WORKER_TTL", WORKER_TTL)
        self.loop: Any = None
        self._requeue = client.register_script(_REQUEUE)

    @classmethod
    def from_crawler(cls, crawler: Any) -> Worker:
        url = crawler.settings.get("NEWSARCHIVE_REDIS")
        if not url:
            raise NotConfigured
        crawler.newsarchive_worker_id = new_worker_id()
        worker = cls(crawler, redis.Redis.from_url(url))
        crawler.newsarchive_worker = worker
        crawler.signals.connect(worker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(worker.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(worker.spider_closed, signal=signals.spider_closed)
        return worker

    def keys(self, name: str) -> str:
        return key(self.source, name)

    @property
    def run(self) -> str:
        return _text(self.client.get(self.keys("run")) or b"")

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task

        self.source = spider.name
        self.beat()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(BEAT_SECONDS, now=False)

    def tick(self) -> None:
        """Every second: beat, let go of finished requests, recover dead workers', and
        wake the engine (idle, it looks at the queue only every 5 s)."""
        try:
            self.beat()
            stream = getattr(self.crawler, "newsarchive_stream", None)
            if stream is not None and stream.unsent:
                stream.send()
            self.release_finished()
            if self.beats % 3 == 0:
                self.recover_dead()
        except redis.RedisError as exc:
            log.warning("redis: %s", exc)
        engine = self.crawler.engine
        if engine is not None and engine._slot is not None:  # Scrapy's own heartbeat does this
            engine._slot.nextcall.schedule()

    def beat(self) -> None:
        self.beats += 1
        stats = self.crawler.stats.get_stats()
        figures = {
            "source": self.source,
            "started": self.started,
            "now": time.time(),
            "pages": stats.get("response_received_count", 0),
            "items": stats.get("item_scraped_count", 0),
        }
        pipe = self.client.pipeline()
        pipe.set(key("worker", self.id), json.dumps(figures), ex=self.ttl)
        run = self.run
        if run:
            for name in self.COUNTED + tuple(
                k for k in stats if k.startswith("newsarchive/dropped/")
            ):
                value = stats.get(name, 0)
                if isinstance(value, int) and value != self.reported.get(name, 0):
                    pipe.hincrby(key("run", run, "stats"), name, value - self.reported.get(name, 0))
                    self.reported[name] = value
        pipe.execute()

    def release_finished(self) -> None:
        """Delete our in-flight entries for the requests Scrapy has finished (no longer in
        the engine's in-progress set: their requests and items are handed on)."""
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        active = {r.meta.get(INFLIGHT_META) for r in slot.inprogress} if slot else set()
        inflight = self.keys("inflight")
        mine = [
            field
            for field, value in self.client.hgetall(inflight).items()
            if value.split(b"\0", 1)[0].decode() == self.id and _text(field) not in active
        ]
        marker = f"held:{self.id}".encode()
        mine = [field for field in mine if field != marker]
        # The marker first: no moment when neither it nor the requests keep the run open.
        stream = getattr(self.crawler, "newsarchive_stream", None)
        self.hold(
            getattr(self.crawler, "newsarchive_seeding", False)
            or bool(getattr(self.crawler.spider, "deferred", None))
            or bool(stream and stream.unsent)
        )
        if mine:
            self.client.hdel(inflight, *mine)

    def hold(self, holding: bool) -> None:
        """Whether this worker holds work in memory that will become requests or items:
        the seeds it is pushing, article URLs waiting for the REST API (the spider's
        ``deferred``), or items waiting for their WARC record (StreamPipeline). A marker
        in the in-flight hash says so, so no worker ends the run meanwhile; a dead
        worker's marker is dropped with it."""
        field = f"held:{self.id}"
        if holding:
            self.client.hset(self.keys("inflight"), field, f"{self.id}\0\0")
        else:
            self.client.hdel(self.keys("inflight"), field)

    def recover_dead(self) -> int:
        """Put back in the queue the in-flight requests of workers whose heartbeat is gone."""
        inflight = self.keys("inflight")
        owners: dict[str, list[bytes]] = {}
        for field, value in self.client.hgetall(inflight).items():
            owners.setdefault(value.split(b"\0", 1)[0].decode(), []).append(field)
        requeued = 0
        for owner, fields in owners.items():
            if owner == self.id or self.client.exists(key("worker", owner)):
                continue
            for field in fields:
                requeued += self._requeue(keys=[inflight, self.keys("requests")], args=[field])
            log.warning(
                "worker %s is gone: %d of its requests go back in the queue", owner, requeued
            )
        return requeued

    def spider_idle(self, spider: Any) -> None:
        """Close only when no worker has work: the queue and all in-flight are empty.
        (Counters always go to Redis before the in-flight entries are let go, so the run
        they count for is still open.)"""
        self.beat()
        self.release_finished()
        self.recover_dead()
        pipe = self.client.pipeline(transaction=True)
        pipe.zcard(self.keys("requests")).hlen(self.keys("inflight"))
        queued, inflight = pipe.execute()
        if queued or inflight:
            raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        try:
            self.release_finished()
            self.beat()
            if reason == "finished":
                self.end_run()
            self.client.delete(key("worker", self.id))
        except redis.RedisError as exc:
            log.warning("redis: %s", exc)

    def end_run(self) -> None:
        """Tell the writer the run is over (after every item of it, in the stream) and
        clear the frontier so the next crawl of the source starts afresh. Only one of
        the workers closing together does it (the run key is taken atomically)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.zcard(self.keys("requests")).hlen(self.keys("inflight")).get(self.keys("run"))
        queued, inflight, run = pipe.execute()
        if queued or inflight or not run:
            return
        if self.client.delete(self.keys("run")) == 0:
            return  # another worker ended it
        self.client.xadd(STREAM, {"kind": "end", "run": run, "source": self.source, "data": ""})
        self.client.delete(self.keys("seen"))
        log.info("run %s of %s is over: the frontier is cleared", _text(run), self.source)


class SeedOnce:
    """The spider's start() pushes its seeds (robots.txt, feeds, sitemaps, REST API,
    listings) in the first worker of a run only; the others read start() for its set-up
    (extraction pool, known articles) and drop what it yields. While the first pushes,
    its in-flight marker (Worker.hold) keeps the other workers from closing on an empty
    queue."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> SeedOnce:
        if not crawler.settings.get("NEWSARCHIVE_REDIS"):
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start: Any) -> Any:
        worker: Worker = self.crawler.newsarchive_worker
        client, source = worker.client, self.crawler.spider.name
        token = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        seeding = bool(client.set(key(source, "run"), token, nx=True))
        if seeding:
            self.crawler.newsarchive_seeding = True
            worker.hold(True)
            log.info("run %s of %s: this worker pushes the seeds", token, source)
        else:
            log.info("joining run %s of %s", worker.run, source)
        try:
            async for request in start:
                if seeding:
                    yield request
        finally:
            if seeding:
                self.crawler.newsarchive_seeding = False  # the marker goes at the next beat


# --- the items' way to the writer ----------------------------------------------------------


class StreamPipeline:
    """The item pipeline of a worker: every Article and PageRecord goes to the writer's
    stream (newsarchive.drain) tagged with its source and run; the known articles of an
    incremental crawl come from the writer's ``known:SOURCE`` hash.

    Captures (newsarchive.capture) stay in the worker's own WARC files, beside its
    NEWSARCHIVE_DB path on its machine: the page's record carries the file, offset,
    length and digest, placed here before it leaves, and the machine's name
    (``warc_host`` in its signals)."""

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.worker: Worker = crawler.newsarchive_worker
        # Items whose WARC record the writer thread has not written yet: sent once it
        # has (by a later item or the worker's tick), so the reactor never waits on the
        # disk but at close. While any wait, the worker holds the run open (Worker.hold).
        self.unsent: list[Article | PageRecord] = []
        crawler.newsarchive_known_articles = self.known_articles
        crawler.newsarchive_stream = self

    @classmethod
    def from_crawler(cls, crawler: Any) -> StreamPipeline:
        return cls(crawler)

    def known_articles(self, source: str) -> Any:
        known = self.worker.client.hgetall(key("known", source))
        if not known and not self.worker.client.exists(key("writer")):
            log.warning(
                "no known articles of %s in Redis: is `newsarchive drain` running? Every"
                " article found is fetched",
                source,
            )
        return ((_text(url), _text(modified)) for url, modified in known.items())

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article | PageRecord):
            self.unsent.append(item)
            self.send()
        return item

    def close_spider(self) -> None:
        self.send(final=True)

    def send(self, final: bool = False) -> None:
        """Send the items whose captures are placed (as ArchiveWriter.flush does on one
        machine); the ``final`` call waits for the WARC writer. The metadata record says
        what the worker knows, the decision: the outcome is the writer's, not known here."""
        pages = [page for page in map(_page_of, self.unsent) if page is not None]
        held = capture.resolve(self.crawler, pages, wait=final)
        ready = [item for item in self.unsent if id(_page_of(item)) not in held]
        self.unsent = [item for item in self.unsent if id(_page_of(item)) in held]
        if not ready:
            return
        run = self.worker.run
        placed = [page for page in map(_page_of, ready) if page and page.capture]
        capture.describe(self.crawler, placed, run_token=run)
        for page in placed:
            page.signals["warc_host"] = socket.gethostname()
        for item in ready:
            fields = encode_item(item)
            fields.update(run=run, source=self.worker.source)
            self.worker.client.xadd(STREAM, fields)


def _page_of(item: Article | PageRecord) -> PageRecord | None:
    return item.page if isinstance(item, Article) else item


# --- politeness for the site as a whole ----------------------------------------------------

# May a request go to this host now? (KEYS: host hash, its leases; ARGV: delay ms,
# concurrency, lease ttl ms, lease id.) 0: yes, leased; else milliseconds to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local delay = math.max(tonumber(ARGV[1]), tonumber(redis.call('HGET', KEYS[1], 'floor') or '0'))
local ready = math.max(tonumber(redis.call('HGET', KEYS[1], 'next') or '0'),
                       tonumber(redis.call('HGET', KEYS[1], 'paused') or '0'))
if ready > now then return ready - now end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 50 end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4])
redis.call('HSET', KEYS[1], 'next', now + delay)
return 0
"""
# Pause a host until now + ARGV[1] ms (KEYS: host hash, the paused set; ARGV[2]: host).
_PAUSE = """
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('HGET', KEYS[1], 'paused') or '0') then
  redis.call('HSET', KEYS[1], 'paused', until_ms)
  redis.call('ZADD', KEYS[2], until_ms, ARGV[2])
end
return until_ms
"""
LEASE_META = "newsarchive_lease"


class SharedPoliteness:
    """A downloader middleware, last before the download: each request waits until its
    host's shared budget lets it go (see the module). The delay and concurrency are the
    site's (registry), the delay raised by robots.txt Crawl-delay (``floor``, set by
    newsarchive.politeness.RobotsCrawlDelay) and held back by Retry-After pauses (set by
    RetryAfterMiddleware)."""

    def __init__(self, crawler: Any, client: redis.Redis):
        self.crawler = crawler
        self.client = client
        self.lease_ms = int((crawler.settings.getfloat("DOWNLOAD_TIMEOUT") + 10) * 1000)
        self._acquire = client.register_script(_ACQUIRE)
        self._pause = client.register_script(_PAUSE)
        crawler.newsarchive_politeness = self

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedPoliteness:
        url = crawler.settings.get("NEWSARCHIVE_REDIS")
        if not url:
            raise NotConfigured
        return cls(crawler, redis.Redis.from_url(url))

    @staticmethod
    def host(request: Any) -> str:
        return urlparse_cached(request).netloc

    def budget(self) -> tuple[float, int]:
        """The site's delay (seconds) and concurrency, from the registry."""
        site = getattr(self.crawler.spider, "site", None)
        if site is None:
            return 1.0, 1
        return float(site.delay), int(site.concurrency)

    async def process_request(self, request: Any, spider: Any = None) -> None:
        delay, concurrency = self.budget()
        host = self.host(request)
        lease = uuid.uuid4().hex
        args = [int(delay * 1000), concurrency, self.lease_ms, lease]
        keys = [key("host", host), key("host", host, "leases")]
        while wait := self._acquire(keys=keys, args=args):
            self.crawler.stats.inc_value("newsarchive/shared_politeness/waits")
            # At most a second at a time: a pause lifted or a delay changed meanwhile
            # (by another worker, by an operator) holds from then on.
            await asyncio.sleep(min(int(wait) / 1000, 1.0))
        request.meta[LEASE_META] = lease

    def release(self, request: Any) -> None:
        lease = request.meta.pop(LEASE_META, None)
        if lease:
            self.client.zrem(key("host", self.host(request), "leases"), lease)

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        self.release(request)
        return response

    def process_exception(self, request: Any, exception: Any, spider: Any = None) -> None:
        self.release(request)

    def floor(self, request: Any, seconds: float) -> None:
        """robots.txt's Crawl-delay for the host: no worker goes faster."""
        self.client.hset(key("host", self.host(request)), "floor", int(seconds * 1000))

    def pause(self, request: Any, seconds: float) -> None:
        """A Retry-After (or backoff) pause of the host, for every worker."""
        host = self.host(request)
        self._pause(keys=[key("host", host), key("paused")], args=[int(seconds * 1000), host])


# --- operations --------------------------------------------------------------------------


def frontier_stats(client: redis.Redis) -> dict[str, Any]:
    """What `newsarchive stats --redis` shows: per source its queued and in-flight
    requests; the items waiting for the writer (unread and read but not committed); each
    live worker's pages and pages per second; the hosts paused now (Retry-After)."""
    sources = {}
    for name in client.scan_iter(key("*", "requests")):
        source = _text(name).split(":")[1]
        sources[source] = {
            "queued": client.zcard(name),
            "in_flight": client.hlen(key(source, "inflight")),
            "run": _text(client.get(key(source, "run")) or b"") or None,
        }
    for name in client.scan_iter(key("*", "inflight")):
        source = _text(name).split(":")[1]
        sources.setdefault(source, {"queued": 0, "in_flight": client.hlen(name), "run": None})
    workers = []
    for name in client.scan_iter(key("worker", "*")):
        raw = client.get(name)
        if raw is None:
            continue  # gone since the scan
        beat = json.loads(raw)
        seconds = max(beat["now"] - beat["started"], 1e-9)
        workers.append(
            {
                "worker": _text(name).removeprefix(key("worker", "")),
                "source": beat["source"],
                "pages": beat["pages"],
                "items": beat["items"],
                "pages_per_second": round(beat["pages"] / seconds, 2),
            }
        )
    seconds, micros = client.time()
    now_ms = seconds * 1000 + micros // 1000
    paused = [
        {"host": _text(host), "seconds_left": round((until - now_ms) / 1000, 1)}
        for host, until in client.zrangebyscore(key("paused"), now_ms, "+inf", withscores=True)
    ]
    return {
        "sources": dict(sorted(sources.items())),
        "items_waiting": client.xlen(STREAM) if client.exists(STREAM) else 0,
        "writer": _text(client.get(key("writer")) or b"") or None,
        "workers": sorted(workers, key=lambda w: (w["source"], w["worker"])),
        "paused_hosts": paused,
        "memory_bytes": client.info("memory")["used_memory"],
    }
