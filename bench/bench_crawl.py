"""Crawl throughput: plain trafilatura vs our extractor vs a full crawl, on the same pages.

    .venv/bin/python bench/bench_crawl.py [--articles 5000] [--corpus PATH] [--workers 0,1,2]

Builds a temporary seeds folder from the ANT v2.1 corpus (read in place from
../shared/data/corpora/ant-v2.1, never copied into the repo; deleted afterwards), serves it
as the local sample site (newsarchive.samplesite) on 127.0.0.1 with politeness off, and
measures, on the same article pages:

- (a) ``trafilatura.bare_extraction(html, url=..., with_metadata=True)``, one process;
- (b) ``ArticleExtractor("sample", rules).extract(html, url)``, one process, the rules of
  the registry's ``sample`` entry;
- (c) ``newsarchive crawl sample`` into a fresh archive, as a subprocess, once per value of
  NEWSARCHIVE_EXTRACT_WORKERS: article pages archived per wall-clock second, and the peak
  RSS of the crawl's process tree (parent + forkserver + extraction workers, sampled from
  /proc every 0.2 s; the max of the sum) and of the parent alone. W=0 and W=1 run pinned to
  CPU 0 with ``taskset -c 0`` (one core); larger W run unpinned.

Every rate is given twice: per wall-clock second (what the targets mean) and per CPU
second (``time.process_time`` for (a) and (b), like bench_extract.py; the crawl tree's
rusage from ``os.wait4`` for (c)), because on a shared machine other work slows the
wall-clock figures but not the CPU ones.
During the one-core crawls the server is moved off CPU 0 (when the machine has another),
so it does not compete with the crawl it serves.

Page weight: a sample-site page built from one ANT text is ~35 KB, while the real Arabic
news pages in ../shared/data are 70-350 KB (10-60 KB of script and style, 800-1800
elements, 130-440 links). So each seed body joins ``--texts`` ANT texts (default 3), and
``--page-kb`` (default 110) pads every article page up to that size with what real pages
carry: a "latest news" sidebar widget of other articles' headlines (links, thumbnails,
dates) and an inline script. ``--page-kb 0`` serves the pages unpadded.

Writes a Markdown table to stdout and to bench/results/crawl.md; asserts nothing.

Capture overhead (issue 8): ``--compare-warc`` skips (a) and (b) and crawls, for each
``--workers`` value, with WARC capture on and off (NEWSARCHIVE_WARC, the same site and
server, ``--rounds`` times alternating which goes first), and reports pages/s with and
without, their ratio, and the WARC written: MB per 1,000 archived articles (discovery
pages included) and per response. Written to bench/results/capture.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from newsarchive.arabic.encoding import EncodingError  # noqa: E402
from newsarchive.extract import ArticleExtractor  # noqa: E402
from newsarchive.samplesite import (  # noqa: E402
    BOILERPLATE_LINES,
    CP1256_POSITIONS,
    SampleServer,
    SampleSite,
    build_site,
    serve,
)
from newsarchive.sites import load_sites  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "corpora" / "ant-v2.1"
RESULTS = REPO / "bench" / "results" / "crawl.md"
CAPTURE_RESULTS = REPO / "bench" / "results" / "capture.md"
FIELD_RE = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S) for name in ("URL", "TITLE", "TEXT")}
# The registry entry tests/crawling.py writes, with politeness off (delay 0, 8 in flight).
ARTICLE_PATTERN = r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$"
SIDEBAR_END = b"</div><!-- .theiaStickySidebar /-->"
BODY_END = b"</body>"


# --- seeds from ANT ---------------------------------------------------------------------


def ant_documents(corpus: Path) -> Iterator[tuple[str, str]]:
    """(title, text) of every ANT article with both, in archive order, duplicates skipped."""
    archives = sorted(corpus.glob("*.tar.xz")) if corpus.is_dir() else [corpus]
    if not archives or not archives[0].exists():
        sys.exit(f"no ANT corpus (*.tar.xz) at {corpus}: pass --corpus")
    seen: set[str] = set()
    for path in archives:
        with tarfile.open(path) as tar:
            for member in tar:
                if not member.isfile() or not member.name.endswith(".txt"):
                    continue
                raw = tar.extractfile(member).read().decode("utf-8", "replace")
                fields = {name: regex.search(raw) for name, regex in FIELD_RE.items()}
                if not (fields["TITLE"] and fields["TEXT"]):
                    continue
                url = fields["URL"].group(1).strip() if fields["URL"] else member.name
                title = " ".join(fields["TITLE"].group(1).split())
                text = fields["TEXT"].group(1).strip()
                # ANT v2.1 holds 1,187 duplicate URLs (its README); one page per article.
                if url in seen or not title or len(text.split()) < 40:
                    continue
                seen.add(url)
                yield title, text


def reused_documents(corpus: Path) -> Iterator[tuple[str, str]]:
    """``ant_documents`` over and over: from the second pass on, a title is numbered
    (" (2)", " (3)"...), so no two seed articles share one."""
    for round_no in itertools.count(1):
        empty = True
        for title, text in ant_documents(corpus):
            empty = False
            yield (title if round_no == 1 else f"{title} ({round_no})"), text
        if empty:
            return


def write_seeds(
    seeds_dir: Path, corpus: Path, articles: int, texts: int, *, reuse: bool = False
) -> int:
    """N seed files (title, blank, source, blank, body), each body ``texts`` ANT texts.
    Returns the number written (fewer when the corpus runs out, unless ``reuse``: then
    the corpus is read again, see ``reused_documents``)."""
    docs = reused_documents(corpus) if reuse else ant_documents(corpus)
    written = 0
    while written < articles:
        group = [doc for _, doc in zip(range(texts), docs, strict=False)]
        if not group:
            break
        body = "\n".join(text for _, text in group)
        # The sample site serves these positions as windows-1256 bytes; a text with
        # characters outside that code page (emoji, some punctuation) cannot be one.
        if written in CP1256_POSITIONS:
            try:
                (group[0][0] + body).encode("cp1256")
            except UnicodeEncodeError:
                continue
        path = seeds_dir / f"{written:05d}_ant-{written:05d}.txt"
        path.write_text(f"{group[0][0]}\n\nANT v2.1\n\n{body}\n", encoding="utf-8")
        written += 1
    return written


# --- page weight ------------------------------------------------------------------------


def _widget_item(base: str, url: str, title: str, image: str, date: str) -> str:
    return (
        '<li class="widget-single-post-item widget-post-list tie-standard">'
        f'<div class="post-widget-thumbnail"><a aria-label="{title}" href="{base}{url}"'
        f' class="post-thumb"><img width="220" height="150" src="{base}{image}"'
        ' class="attachment-jannah-image-small size-jannah-image-small tie-small-image'
        ' wp-post-image" alt="" loading="lazy" /></a></div><div class="post-widget-body">'
        f'<a class="post-title the-subtitle" href="{base}{url}">{title}</a>'
        f'<div class="post-meta"><span class="date meta-item tie-icon">{date}</span></div>'
        "</div></li>\n"
    )


def _script(size: int) -> bytes:
    """An inline theme/analytics script of about ``size`` bytes (real pages carry 10-60 KB)."""
    line = (
        'tie.ajax_load_more.push({"id":%d,"nonce":"a1b2c3d4e5","lazy":true,'
        '"breakpoints":[320,768,1024],"ad_slot":"div-gpt-ad-%d-0"});\n'
    )
    chunks, total, i = [], 0, 0
    while total < size:
        chunk = line % (i, 1_600_000_000 + i)
        chunks.append(chunk)
        total += len(chunk)
        i += 1
    return ('<script type="text/javascript">\n' + "".join(chunks) + "</script>\n").encode()


def pad_pages(server: SampleServer, site: SampleSite, page_kb: int) -> None:
    """Bring every article page up to about ``page_kb`` KB with a latest-news sidebar
    widget (other articles' headlines) and an inline script, as real theme pages carry."""
    if page_kb <= 0:
        return
    target = page_kb * 1000
    latest = site.latest
    script = _script(min(24_000, target // 5))
    for index, art in enumerate(site.articles):
        page = server.pages[art.url]
        room = target - len(page.body) - len(script)
        items: list[str] = []
        k = index
        while room > 0 and latest:
            other = latest[k % len(latest)]
            k += 1
            if other is art:
                continue
            item = _widget_item(server.base_url, other.url, other.title, other.image, other.date_ar)
            items.append(item)
            room -= len(item.encode(art.encoding, "xmlcharrefreplace"))
        widget = (
            '<div id="posts-list-widget-3" class="container-wrapper widget posts-list">'
            '<div class="widget-title the-global-title"><div class="the-subtitle">آخر الأخبار'
            '</div></div><ul class="posts-list-items widget-posts-wrapper">\n'
            + "".join(items)
            + "</ul></div><!-- .widget /-->\n"
        ).encode(art.encoding, "xmlcharrefreplace")
        body = page.body.replace(SIDEBAR_END, widget + SIDEBAR_END, 1)
        page.body = body.replace(BODY_END, script + BODY_END, 1)


# --- (a) and (b) ------------------------------------------------------------------------


@dataclass
class Page:
    url: str
    body: bytes
    header_encoding: str | None


def fetch_pages(server: SampleServer, site: SampleSite) -> list[Page]:
    pages = []
    for art in site.articles:
        with urllib.request.urlopen(server.url(art), timeout=30) as response:
            charset = response.headers.get_content_charset()
            pages.append(Page(server.url(art), response.read(), charset))
    return pages


def time_plain(pages: list[Page]) -> tuple[float, float, int]:
    """(pages/s CPU, pages/s wall, pages with text) for plain trafilatura."""
    found = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for page in pages:
        doc = trafilatura.bare_extraction(page.body, url=page.url, with_metadata=True)
        found += bool(doc is not None and doc.text)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return len(pages) / cpu, len(pages) / wall, found


def time_ours(pages: list[Page], source: str, rules: object) -> tuple[float, float, int]:
    """(pages/s CPU, pages/s wall, articles) for the project's extractor."""
    extractor = ArticleExtractor(source, rules)  # type: ignore[arg-type]
    found = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for page in pages:
        try:
            article = extractor.extract(page.body, page.url, header_encoding=page.header_encoding)
        except EncodingError:
            article = None
        found += article is not None
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return len(pages) / cpu, len(pages) / wall, found


# --- (c) --------------------------------------------------------------------------------


def write_registry(
    path: Path,
    base_url: str,
    *,
    feeds: tuple[str, ...] = ("/feed/",),
    sitemaps: tuple[str, ...] = ("/sitemap_index.xml",),
    listings: tuple[str, ...] = ("/", "/category/local/"),
    wp_api: bool = True,
) -> Path:
    """The `sample` source at ``base_url``, politeness off (tests/crawling.py's shape);
    the discovery channels may be changed."""

    def toml_list(paths: tuple[str, ...]) -> str:
        return "[" + ", ".join(f'"{p}"' for p in paths) + "]"

    lines = [
        "[sites.sample]",
        f'base_url = "{base_url}/"',
        f"feeds = {toml_list(feeds)}",
        f"sitemaps = {toml_list(sitemaps)}",
        f"listings = {toml_list(listings)}",
        f"wp_api = {str(wp_api).lower()}",
        'listing_links = ["h2.post-box-title a", "h3.post-title a"]',
        f"article_patterns = ['{ARTICLE_PATTERN}']",
        "delay = 0",
        "concurrency = 8",
        "[sites.sample.extract]",
        'title = ["h1.entry-title", "h1.post-title"]',
        'body = ["div.entry-content", "div.entry"]',
        'date = ["span.tie-date"]',
        'default_author = "الموعد اليومي"',
        f'boilerplate = ["{BOILERPLATE_LINES[0]}"]',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc/PID/task/*/children."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            continue  # exited between listing and reading
    return pids


def _cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (proc(5): fields 14 and 15 of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class MemorySampler:
    """Peak RSS of a process tree (sum) and of its root, sampled every ``interval`` s."""

    root: int
    interval: float = 0.2
    peak_tree_kb: int = 0
    peak_root_kb: int = 0
    most_processes: int = 0
    # Last CPU seconds seen per descendant: the extraction workers are the forkserver's
    # children, so the crawl's own rusage never includes them.
    cpu: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.root)
            self.peak_tree_kb = max(self.peak_tree_kb, sum(_rss_kb(p) for p in pids))
            self.peak_root_kb = max(self.peak_root_kb, _rss_kb(self.root))
            self.most_processes = max(self.most_processes, len(pids))
            for pid in pids[1:]:
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), _cpu_seconds(pid))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()


@dataclass
class CrawlRun:
    workers: int
    pinned: bool
    wall: float
    cpu: float
    archived: int
    responses: int
    peak_tree_mb: float
    peak_parent_mb: float
    processes: int
    returncode: int
    stderr_tail: str
    # The run's crawl_runs row (pages, new, updated, failed, status...).
    run: dict = field(default_factory=dict)
    # Bytes of WARC the crawl wrote (warc/ beside its archive); None: capture off.
    warc_bytes: int | None = None


def crawl_settings(workers: int, warc: bool = True) -> dict[str, str]:
    """Politeness off (delay 0, 8 requests in flight, AutoThrottle off, robots.txt
    obeyed), ``workers`` extraction processes, WARC capture on or off."""
    return {
        "NEWSARCHIVE_WARC": "1" if warc else "0",
        "AUTOTHROTTLE_ENABLED": "0",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "ROBOTSTXT_OBEY": "1",
        "NEWSARCHIVE_EXTRACT_WORKERS": str(workers),
        "LOG_LEVEL": "WARNING",
    }


def crawl(
    workdir: Path,
    registry: Path,
    workers: int,
    pin: bool,
    server_cpus: set[int],
    profile: Path | None = None,
    warc: bool = True,
    name: str = "",
) -> CrawlRun:
    """One `newsarchive crawl sample` into a fresh archive under ``workdir``."""
    run_dir = workdir / (name or f"crawl-w{workers}")
    run_dir.mkdir()
    profile_out = profile / f"{run_dir.name}.collapsed" if profile is not None else None
    run = run_crawl(
        run_dir,
        run_dir / "archive.db",
        registry,
        crawl_settings(workers, warc),
        pin=pin,
        server_cpus=server_cpus,
        profile_out=profile_out,
    )
    if warc:
        run.warc_bytes = sum(f.stat().st_size for f in (run_dir / "warc").rglob("*.warc.gz"))
    shutil.rmtree(run_dir, ignore_errors=True)  # a 5,000-page crawl keeps ~0.2 GB of WARC
    return run


def run_crawl(
    run_dir: Path,
    db: Path,
    registry: Path,
    settings: dict[str, str],
    *,
    pin: bool = False,
    server_cpus: set[int] | None = None,
    profile_out: Path | None = None,
    env: dict[str, str] | None = None,
) -> CrawlRun:
    """`newsarchive crawl sample --db DB` as a subprocess in ``run_dir`` (an existing
    archive is crawled again, incrementally), its process tree's RSS and CPU sampled."""
    command = [sys.executable, "-m", "newsarchive", "crawl", "sample", "--db", str(db)]
    command += ["--sites", str(registry)]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    if profile_out is not None:
        # py-spy (pip install py-spy; not a project dependency): collapsed stacks of the
        # crawl and its extraction workers, for flamegraph.pl or a grep.
        spy = Path(sys.executable).with_name("py-spy")
        spy_command = [str(spy), "record", "--subprocesses", "--rate", "200", "--format", "raw"]
        command = [*spy_command, "--output", str(profile_out), "--", *command]
    if pin:
        command = ["taskset", "-c", "0", *command]
    all_cpus = os.sched_getaffinity(0)
    # The server thread lives in this process: keep it off the crawl's core.
    os.sched_setaffinity(0, (server_cpus or all_cpus) if pin else all_cpus)
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    stderr_path = run_dir / "stderr.txt"
    try:
        with open(stderr_path, "w") as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(
                command, cwd=run_dir, env=env, stdout=subprocess.DEVNULL, stderr=stderr
            )
            sampler = MemorySampler(process.pid)
            thread = threading.Thread(target=sampler.run, daemon=True)
            thread.start()
            # wait4: the crawl's own CPU time, exact; its descendants' come from sampling.
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            process.returncode = returncode = os.waitstatus_to_exitcode(status)
            sampler.stop()
            thread.join()
    finally:
        os.sched_setaffinity(0, all_cpus)
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        archived = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        row = conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    tail = stderr_path.read_text(errors="replace")[-2000:]
    return CrawlRun(
        workers=int(settings.get("NEWSARCHIVE_EXTRACT_WORKERS", -1)),
        pinned=pin,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime + sum(sampler.cpu.values()),
        archived=archived,
        responses=row["pages"] if row else 0,
        peak_tree_mb=sampler.peak_tree_kb / 1024,
        peak_parent_mb=sampler.peak_root_kb / 1024,
        processes=sampler.most_processes,
        returncode=returncode,
        stderr_tail=tail,
        run=dict(row) if row else {},
    )


# --- report -----------------------------------------------------------------------------


def _heading(title: str, facts: dict[str, str]) -> list[str]:
    """A report's title, the command that made it and the facts of the run."""
    return [
        f"# {title} ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        "`" + " ".join(["python bench/bench_crawl.py", *sys.argv[1:]]) + "`",
        "",
        *(f"- {name}: {value}" for name, value in facts.items()),
        "",
    ]


def report(
    args: argparse.Namespace,
    facts: dict[str, str],
    a: tuple[float, float, int],
    b: tuple[float, float, int],
    runs: list[CrawlRun],
) -> str:
    lines = [
        *_heading("Crawl benchmark", facts),
        "| measure | pages/s | vs (a) | pages per CPU-s | peak RSS tree / parent (MB) | notes |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        f"| (a) trafilatura.bare_extraction, 1 process | {a[1]:.1f} | 1.00 | {a[0]:.1f} | | "
        f"{a[2]} with text |",
        f"| (b) ArticleExtractor.extract, 1 process | {b[1]:.1f} | {b[1] / a[1]:.2f} | "
        f"{b[0]:.1f} ({b[0] / a[0]:.2f}) | | {b[2]} articles; target >= 0.85 |",
    ]
    for run in runs:
        rate, per_cpu = run.archived / run.wall, run.archived / run.cpu
        where = "taskset -c 0 (1 core)" if run.pinned else f"unpinned ({os.cpu_count()} cores)"
        note = f"{run.archived} archived / {run.responses} responses in {run.wall:.1f} s"
        if run.returncode:
            note += f"; exit {run.returncode}"
        lines.append(
            f"| (c) crawl, NEWSARCHIVE_EXTRACT_WORKERS={run.workers}, {where} | {rate:.1f} | "
            f"{rate / a[1]:.2f} | {per_cpu:.1f} ({per_cpu / a[0]:.2f})"
            f" | {run.peak_tree_mb:.0f} / {run.peak_parent_mb:.0f} "
            f"({run.processes} processes) | {note} |"
        )
    lines += [
        "",
        "Targets: (b) >= 0.85 (a); (c) >= 0.8 (a) on one core, growing with cores; peak RSS",
        "<= 400 MB for a 5,000-page crawl. (c) counts wall time of the whole `newsarchive",
        "crawl` process (start-up, discovery, listings, archive writes included).",
    ]
    return "\n".join(lines) + "\n"


def report_capture(facts: dict[str, str], pairs: list[tuple[CrawlRun, CrawlRun]]) -> str:
    """Capture overhead: each (with WARC, without) pair of crawls, and the WARC's size."""
    lines = [
        *_heading("Capture (WARC) overhead", facts),
        "| crawl | pages/s with WARC | pages/s without | ratio | pages per CPU-s with / without"
        " | peak RSS tree with / without (MB) | WARC MB | MB per 1,000 articles"
        " | KB per response |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |",
    ]
    for on, off in pairs:
        where = "taskset -c 0 (1 core)" if on.pinned else f"unpinned ({os.cpu_count()} cores)"
        with_rate, without = on.archived / on.wall, off.archived / off.wall
        megabytes = (on.warc_bytes or 0) / 1e6
        lines.append(
            f"| W={on.workers}, {where}, {on.archived} / {off.archived} archived"
            f" | {with_rate:.1f} | {without:.1f} | {with_rate / without:.2f}"
            f" | {on.archived / on.cpu:.1f} / {off.archived / off.cpu:.1f}"
            f" | {on.peak_tree_mb:.0f} / {off.peak_tree_mb:.0f} | {megabytes:.1f}"
            f" | {megabytes / max(1, on.archived) * 1000:.1f}"
            f" | {(on.warc_bytes or 0) / 1000 / max(1, on.responses):.1f} |"
        )
    for workers in sorted({on.workers for on, _ in pairs}):
        same = [(on, off) for on, off in pairs if on.workers == workers]
        wall = [
            sum(run.archived for run in side) / sum(run.wall for run in side)
            for side in zip(*same, strict=True)
        ]
        cpu = [
            sum(run.archived for run in side) / sum(run.cpu for run in side)
            for side in zip(*same, strict=True)
        ]
        lines.append(
            f"| W={workers}, all {len(same)} pairs pooled | {wall[0]:.1f} | {wall[1]:.1f}"
            f" | {wall[0] / wall[1]:.2f} | {cpu[0]:.1f} / {cpu[1]:.1f} ({cpu[0] / cpu[1]:.2f})"
            " | | | | |"
        )
    lines += [
        "",
        "Target: pages/s with WARC >= 0.9x without. The WARC holds every response (articles,",
        "listings, feeds, sitemaps, robots.txt; request, response and metadata records, each",
        "gzipped), so MB per 1,000 articles counts the discovery pages too.",
    ]
    return "\n".join(lines) + "\n"


def compare_warc(
    workdir: Path, registry: Path, workers: list[int], rounds: int, server_cpus: set[int]
) -> list[tuple[CrawlRun, CrawlRun]]:
    """For each worker count, ``rounds`` pairs of crawls with and without WARC,
    alternating which goes first; each pair's runs, with capture first."""
    pairs = []
    for w in workers:
        for round_no in range(rounds):
            runs = {}
            for warc in (True, False) if round_no % 2 == 0 else (False, True):
                name = f"crawl-w{w}-r{round_no}-{'warc' if warc else 'nowarc'}"
                runs[warc] = run = crawl(
                    workdir, registry, w, w <= 1, server_cpus, warc=warc, name=name
                )
                print(
                    f"W={w} {'with' if warc else 'without'} WARC: {run.archived} in"
                    f" {run.wall:.1f} s = {run.archived / run.wall:.1f} pages/s"
                    + (f", {run.warc_bytes / 1e6:.1f} MB of WARC" if warc else ""),
                    flush=True,
                )
                if run.returncode:
                    print(run.stderr_tail, file=sys.stderr)
            pairs.append((runs[True], runs[False]))
    return pairs


def publish(table: str, output: Path) -> None:
    """The report to stdout and to ``output``."""
    print(table)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(table, encoding="utf-8")


def site_options(parser: argparse.ArgumentParser, articles: int, texts: int) -> None:
    """The options that shape the sample site built from ANT."""
    parser.add_argument("--articles", type=int, default=articles)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--texts", type=int, default=texts, help="ANT texts joined per article")
    parser.add_argument("--page-kb", type=int, default=110, help="pad pages to this; 0: off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    site_options(parser, articles=5000, texts=3)
    parser.add_argument("--workers", default="0,1,2", help="NEWSARCHIVE_EXTRACT_WORKERS values")
    parser.add_argument(
        "--extract-pages", type=int, default=1000, help="pages timed for (a) and (b), spread evenly"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--profile", type=Path, help="record each crawl with py-spy into this folder"
    )
    parser.add_argument(
        "--compare-warc",
        action="store_true",
        help="crawl with and without WARC capture instead (bench/results/capture.md)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="pairs per worker count")
    args = parser.parse_args()
    if args.compare_warc and args.output == RESULTS:
        args.output = CAPTURE_RESULTS
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    cpus = sorted(os.sched_getaffinity(0))
    server_cpus = set(cpus[1:]) or set(cpus)

    workdir = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    try:
        seeds = workdir / "seeds"
        seeds.mkdir()
        started = time.perf_counter()
        count = write_seeds(seeds, args.corpus, args.articles, args.texts)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        site = build_site(seeds)
        built = time.perf_counter() - started
        started = time.perf_counter()
        server = serve(site)
        rendered = time.perf_counter() - started
        pad_pages(server, site, args.page_kb)
        try:
            pages = fetch_pages(server, site)
            sizes = [len(page.body) for page in pages]
            facts = {
                "articles": f"{count} (ANT v2.1, {args.texts} texts per body)",
                "mean article page": f"{statistics.mean(sizes) / 1000:.1f} KB "
                f"(min {min(sizes) / 1000:.0f}, max {max(sizes) / 1000:.0f}; "
                f"padded to {args.page_kb} KB)"
                if args.page_kb
                else f"{statistics.mean(sizes) / 1000:.1f} KB (unpadded)",
                "seeds / build_site / serve (render)": f"{seeded:.1f} s / {built:.1f} s / "
                f"{rendered:.1f} s",
                "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
                f"trafilatura {trafilatura.__version__}",
            }
            print(*(f"{k}: {v}" for k, v in facts.items()), sep="\n", flush=True)
            if args.compare_warc:
                registry = write_registry(workdir / "sites.toml", server.base_url)
                load = os.getloadavg()[1]
                pairs = compare_warc(workdir, registry, workers, args.rounds, server_cpus)
                # Other work on the machine moves wall-clock rates; CPU rates much less.
                facts["load average (5 min) before / after"] = (
                    f"{load:.1f} / {os.getloadavg()[1]:.1f}"
                )
                publish(report_capture(facts, pairs), args.output)
                return
            rules = load_sites()["sample"].extraction
            # The pages are alike, so an even spread of them times (a) and (b) as well as
            # all of them, in a fraction of the time on a 5,000-page run.
            step = max(1, len(pages) // max(1, args.extract_pages))
            pages = pages[::step][: args.extract_pages]
            facts["pages timed for (a) and (b)"] = str(len(pages))
            # Warm both paths (imports, lazy tables, compiled selectors) before timing.
            time_plain(pages[:5])
            time_ours(pages[:5], "sample", rules)
            a = time_plain(pages)
            print(f"(a) plain trafilatura: {a[0]:.1f} pages/s", flush=True)
            b = time_ours(pages, "sample", rules)
            print(f"(b) ArticleExtractor:  {b[0]:.1f} pages/s", flush=True)
            del pages
            registry = write_registry(workdir / "sites.toml", server.base_url)
            runs = []
            for w in workers:
                run = crawl(workdir, registry, w, w <= 1, server_cpus, args.profile)
                print(
                    f"(c) W={w}: {run.archived} in {run.wall:.1f} s = "
                    f"{run.archived / run.wall:.1f} pages/s, peak RSS {run.peak_tree_mb:.0f} MB",
                    flush=True,
                )
                if run.returncode:
                    print(run.stderr_tail, file=sys.stderr)
                runs.append(run)
        finally:
            server.stop()
        publish(report(args, facts, a, b, runs), args.output)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
