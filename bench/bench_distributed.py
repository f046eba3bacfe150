"""Distributed crawl throughput (issue 10): N workers sharing one Redis, plus the writer.

    .venv/bin/python bench/bench_distributed.py [--articles 5000] [--corpus PATH]
        [--workers 1,2,4] [--sites 20] [--delay 0.5] [--polite-articles 2000]

Starts its own redis-server on 127.0.0.1 (Debian's) and serves local sample sites built
from the ANT v2.1 corpus (read in place from ../shared/data/corpora/ant-v2.1; pages
padded to 110 KB as in bench_crawl.py). Measures:

- (a) politeness off: one site of ``--articles`` articles (delay 0, 8 in flight) crawled
  by one ordinary process without Redis (the baseline), then by 1, 2 and 4 worker
  processes (`newsarchive crawl sample --redis`, extraction inline in each) while
  `newsarchive drain` writes: pages/s from the first worker's start to the last item's
  commit, the stream's largest backlog, and the CPU seconds of the workers, the writer
  and redis-server (which part saturates first);
- (b) politeness on: ``--sites`` sites of ``--polite-articles / --sites`` articles each, each
  with ``--delay`` seconds between requests and one in flight, crawled by the same
  worker counts (each worker runs all the sources): pages/s against the sites' budget
  (sites / delay);
- (c) the writer alone: the articles of (a) and their page records put on a fresh stream,
  then written by the drain into a fresh archive: items and articles committed per
  second;
- (d) Redis memory (INFO used_memory) per 100,000 queued requests (scrapy-redis's sorted
  set of pickled requests, the shape our spider makes), per 100,000 seen fingerprints
  (its duplicate filter) and per 100,000 known articles (the writer's URL → date hash).

Writes a Markdown report to stdout and bench/results/distributed.md; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_crawl import (  # noqa: E402
    _cpu_seconds,
    pad_pages,
    site_options,
    write_registry,
    write_seeds,
)

from newsarchive.archive import open_archive  # noqa: E402
from newsarchive.distributed import STREAM, encode_item, key  # noqa: E402
from newsarchive.drain import Drain  # noqa: E402
from newsarchive.items import Article, PageRecord  # noqa: E402
from newsarchive.samplesite import build_site, serve  # noqa: E402
from tests.crawling import start_redis  # noqa: E402

RESULTS = REPO / "bench" / "results" / "distributed.md"
HUNDRED_K = 100_000


@dataclass
class Run:
    """One distributed crawl: N workers and the writer."""

    label: str
    workers: int
    wall: float = 0.0
    pages: int = 0
    archived: int = 0
    backlog: int = 0
    peak_memory: int = 0
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.wall if self.wall else 0.0


def _wait_cpu(process: subprocess.Popen) -> float:
    """Wait for ``process``; its CPU seconds (and its children's) from wait4."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def crawl(
    tmp: Path, registry: Path, sources: list[str], url: str, redis_pid: int, n: int, label: str
) -> Run:
    import redis as redis_client

    client = redis_client.Redis.from_url(url)
    client.flushall()
    db = tmp / f"{label}-{n}.db"
    newsarchive = [sys.executable, "-m", "newsarchive"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": tmp}
    run = Run(label, n)
    redis_cpu = _cpu_seconds(redis_pid)
    started = time.perf_counter()
    drain = subprocess.Popen(
        [*newsarchive, "drain", "--until-done", "--redis", url, "--db", str(db)], **quiet
    )
    settings = ["-s", "NEWSARCHIVE_EXTRACT_WORKERS=0", "-s", "LOG_LEVEL=WARNING"]
    workers = [
        subprocess.Popen(
            [*newsarchive, "crawl", *sources, "--redis", url, "--sites", str(registry), "-q"]
            + settings,
            **quiet,
        )
        for _ in range(n)
    ]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            run.backlog = max(run.backlog, client.xlen(STREAM) if client.exists(STREAM) else 0)
            run.peak_memory = max(run.peak_memory, client.info("memory")["used_memory"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run.cpu["workers"] = sum(_wait_cpu(worker) for worker in workers)
    run.cpu["writer"] = _wait_cpu(drain)
    run.wall = time.perf_counter() - started
    done.set()
    sampler.join()
    run.cpu["redis"] = _cpu_seconds(redis_pid) - redis_cpu
    with open_archive(db) as archive:
        run.archived = archive.article_count()
        rows = archive.conn.execute("SELECT sum(pages) FROM crawl_runs WHERE kind = 'crawl'")
        run.pages = rows.fetchone()[0] or 0
    print(
        f"{label} N={n}: {run.pages} pages, {run.archived} archived in {run.wall:.1f} s ="
        f" {run.rate:.1f} pages/s; backlog max {run.backlog}; CPU s {run.cpu}",
        flush=True,
    )
    return run


def single(tmp: Path, registry: Path) -> Run:
    """The baseline: one ordinary `newsarchive crawl sample` (no Redis), extraction
    inline, into a fresh archive, on the same machine at the same moment."""
    run = Run("one process, no Redis", 1)
    db = tmp / "single.db"
    command = [sys.executable, "-m", "newsarchive", "crawl", "sample", "--sites", str(registry)]
    command += ["--db", str(db), "-q", "-s", "NEWSARCHIVE_EXTRACT_WORKERS=0"]
    command += ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0"]
    command += ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=tmp)
    run.cpu = {"workers": _wait_cpu(process), "writer": 0.0, "redis": 0.0}
    run.wall = time.perf_counter() - started
    with open_archive(db) as archive:
        run.archived = archive.article_count()
        run.pages = archive.conn.execute("SELECT sum(pages) FROM crawl_runs").fetchone()[0]
    print(f"baseline: {run.pages} pages in {run.wall:.1f} s = {run.rate:.1f} pages/s", flush=True)
    return run


def writer_alone(tmp: Path, url: str, source_db: Path) -> dict[str, float]:
    """The articles of ``source_db`` and a page record each on a fresh stream, then
    timed through the drain into a fresh archive."""
    import redis as redis_client

    client = redis_client.Redis.from_url(url)
    client.flushall()
    with open_archive(source_db) as archive:
        rows = list(archive.db["articles"].rows)
    pipe = client.pipeline(transaction=False)
    for row in rows:
        article = Article.from_json(
            {
                **row,
                "categories": json.loads(row["categories"] or "[]"),
                "tags": json.loads(row["tags"] or "[]"),
            },
            source="sample",
        )
        article.page = PageRecord(article.url, "sitemap", "article", "article", status=200)
        listing = PageRecord(article.url + "?listing", "listing", "not-article", "listing page")
        for item in (article, listing):
            pipe.xadd(STREAM, {**encode_item(item), "run": "bench", "source": "sample"})
    pipe.xadd(STREAM, {"kind": "end", "run": "bench", "source": "sample", "data": ""})
    pipe.execute()
    items = 2 * len(rows) + 1
    with open_archive(tmp / "writer-alone.db") as archive:
        started = time.perf_counter()
        cpu = time.process_time()
        Drain(client, archive).run(until_done=True)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        archived = archive.article_count()
    result = {
        "items": items,
        "articles": archived,
        "seconds": wall,
        "items_per_s": items / wall,
        "articles_per_s": archived / wall,
        "cpu_s": cpu,
    }
    print(f"writer alone: {result}", flush=True)
    return result


def memory_per_100k(url: str, base: str) -> dict[str, float]:
    """Redis used_memory per 100,000 queued requests, seen fingerprints, known articles."""
    import redis as redis_client
    import scrapy
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue

    from spiders.sources import spider_for

    client = redis_client.Redis.from_url(url)
    client.flushall()
    spider = spider_for(next(iter(_sites(base).values())))()
    queue = PriorityQueue(client, spider, key("%(spider)s", "requests"))
    seen = RFPDupeFilter(client, key(spider.name, "seen"))
    requests = [
        scrapy.Request(
            f"{base}/2024/{1 + n % 12:02d}/{1 + n % 28:02d}/akhbar-watania-maqal-{n}/",
            callback=spider.parse_article,
            errback=spider.article_failed,
            priority=-2,
            cb_kwargs={"found_via": "sitemap", "depth": 1},
        )
        for n in range(HUNDRED_K)
    ]
    figures = {}

    def used() -> int:
        return client.info("memory")["used_memory"]

    before = used()
    for request in requests:
        queue.push(request)
    figures["queued requests"] = used() - before
    before = used()
    for request in requests:
        seen.request_seen(request)
    figures["seen fingerprints"] = used() - before
    before = used()
    known = {request.url: "2024-05-01T10:00:00+01:00" for request in requests}
    items = list(known.items())
    for start in range(0, len(items), 5000):
        client.hset(key("known", "sample"), mapping=dict(items[start : start + 5000]))
    figures["known articles"] = used() - before
    print(f"memory per 100k: { {k: f'{v / 1e6:.1f} MB' for k, v in figures.items()} }")
    return figures


def _sites(base: str):
    from newsarchive.sites import load_sites

    return load_sites(write_registry(Path(tempfile.mkdtemp()) / "sites.toml", base))


def many_sites_registry(path: Path, servers: list, delay: float) -> tuple[Path, list[str]]:
    """One source per server (site01...), each with ``delay`` and one request in flight."""
    parts, names = [], []
    for n, server in enumerate(servers, 1):
        name = f"site{n:02d}"
        text = write_registry(path.with_suffix(".one"), server.base_url).read_text()
        text = text.replace("[sites.sample", f"[sites.{name}")
        text = text.replace("delay = 0", f"delay = {delay}").replace(
            "concurrency = 8", "concurrency = 1"
        )
        parts.append(text)
        names.append(name)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path, names


def report(args, facts, off, polite, writer, memory) -> str:
    lines = [
        f"# Distributed crawl benchmark ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"`python bench/bench_distributed.py --articles {args.articles} --workers"
        f" {args.workers} --sites {args.sites} --delay {args.delay} --polite-articles"
        f" {args.polite_articles}`",
        "",
        *(f"- {k}: {v}" for k, v in facts.items()),
        "",
        "| crawl | workers | pages | archived | wall s | pages/s | writer backlog max |"
        " CPU s workers / writer / redis | Redis peak MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for run in off + polite:
        cpu = run.cpu
        lines.append(
            f"| {run.label} | {run.workers} | {run.pages} | {run.archived} | {run.wall:.1f} |"
            f" {run.rate:.1f} | {run.backlog} | {cpu['workers']:.0f} / {cpu['writer']:.0f} /"
            f" {cpu['redis']:.1f} | {run.peak_memory / 1e6:.1f} |"
        )
    budget = args.sites / args.delay
    lines += [
        "",
        f"Politeness budget of the {args.sites} sites: {budget:.0f} requests/s"
        f" ({args.sites} sites, one request each every {args.delay:g} s).",
        "",
        f"Writer alone: {writer['items']} items ({writer['articles']} articles and a page"
        f" record each) committed in {writer['seconds']:.1f} s = {writer['items_per_s']:.0f}"
        f" items/s, {writer['articles_per_s']:.0f} articles/s ({writer['cpu_s']:.1f} CPU s).",
        "",
        "| Redis memory per 100,000 | MB | bytes each |",
        "| --- | ---: | ---: |",
        *(
            f"| {name} | {used / 1e6:.1f} | {used / HUNDRED_K:.0f} |"
            for name, used in memory.items()
        ),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    site_options(parser, articles=5000, texts=3)
    parser.add_argument("--workers", default="1,2,4", help="worker processes per crawl")
    parser.add_argument("--sites", type=int, default=20, help="sites of the polite crawl")
    parser.add_argument("--delay", type=float, default=0.5, help="their delay (s)")
    parser.add_argument(
        "--polite-articles", type=int, default=2000, help="articles over all those sites"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",") if n.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    try:
        redis_server, url = start_redis(tmp)
    except FileNotFoundError:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    try:
        seeds = tmp / "seeds"
        seeds.mkdir()
        count = write_seeds(seeds, args.corpus, args.articles, args.texts)
        facts = {
            "articles": f"{count} (ANT v2.1, {args.texts} texts per body, pages padded to"
            f" {args.page_kb} KB)",
            "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]},"
            f" redis-server {_redis_version(url)}",
        }
        site = build_site(seeds)
        with serve(site) as server:
            pad_pages(server, site, args.page_kb)
            registry = write_registry(tmp / "sites.toml", server.base_url)
            off = [single(tmp, registry)]
            off += [
                crawl(tmp, registry, ["sample"], url, redis_server.pid, n, "off") for n in counts
            ]
            memory = memory_per_100k(url, server.base_url)
        writer = writer_alone(tmp, url, tmp / "single.db")
        polite = polite_runs(tmp, args, url, redis_server.pid, counts)
        text = report(args, facts, off, polite, writer, memory)
        print(text)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    finally:
        redis_server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def polite_runs(tmp: Path, args, url: str, redis_pid: int, counts: list[int]) -> list[Run]:
    """(b): ``args.sites`` sites of ``args.articles / args.sites`` articles each (the
    same texts on each: the sample site decides which positions are windows-1256 pages),
    each served on its own port."""
    per_site = max(1, args.polite_articles // args.sites)
    servers = []
    try:
        for n in range(args.sites):
            folder = tmp / f"seeds-{n:02d}"
            folder.mkdir()
            write_seeds(folder, args.corpus, per_site, args.texts)
            site = build_site(folder)
            server = serve(site)
            servers.append(server)
            pad_pages(server, site, args.page_kb)
        registry, names = many_sites_registry(tmp / "polite.toml", servers, args.delay)
        return [crawl(tmp, registry, names, url, redis_pid, n, "polite") for n in counts]
    finally:
        for server in servers:
            server.stop()


def _redis_version(url: str) -> str:
    import redis as redis_client

    return redis_client.Redis.from_url(url).info("server")["redis_version"]


if __name__ == "__main__":
    main()
