"""A full crawl, its re-crawl, and the memory a crawl holds per URL it has seen.

    .venv/bin/python bench/bench_recrawl.py [--articles 20000] [--corpus PATH]
        [--missing 100000] [--denied 200000] [--workers 2]

Issue 9, "Performance". On the ANT v2.1 corpus (read in place from
../shared/data/corpora/ant-v2.1, never copied; everything built is deleted afterwards)
served as the local sample site with politeness off, as bench_crawl.py serves it (its
helpers are imported from there):

1. **Crawl**: ``newsarchive crawl sample`` of a ``--articles`` site into a fresh archive:
   wall and CPU time, pages fetched, articles archived, peak RSS of the crawl's process
   tree and of the crawl process alone (bench_crawl.MemorySampler).
2. **Re-crawl** of the same, unchanged site into the same archive: the same figures, and
   every request the server saw, by kind (robots.txt, feeds, sitemaps, REST API, listing
   pages, article pages, other), with the listings' pagination walked against what the
   site has. Target: feeds, sitemaps and listings only, no article page fetched again.
3. **Memory per seen URL**: a small site (``--small-site`` articles) that also exposes
   many URLs it has no page for, each variant crawled into a fresh archive:
   ``missing``, a paginated listing (``/bulk/``, 500 links a page) of ``--missing``
   article-shaped URLs that answer 404 (each is queued, fetched and recorded);
   ``denied``, a sitemap index of ``--denied`` URLs outside the source's article
   patterns (10,000 per sitemap, as big sites split them), seen and never requested.
   A probe inside the crawl (bench/crawl_probe.py, a Scrapy extension enabled on the
   command line only) samples the crawl process's RSS and the size of each structure
   that grows per URL every 0.5 s; the RSS growth per 100,000 seen URLs is the slope of
   a least-squares fit of RSS against the URLs the spider has seen (``requested``),
   beyond the first 10 % of them. When the spider closes the probe adds the bytes each
   structure holds (``sys.getsizeof`` over its contents), to say what dominates. The
   archive's known articles, which every crawl loads to skip them, are weighed with
   tracemalloc on the archive of step 1. Target: <= 10 MB per 100,000 seen URLs.

``--texts`` ANT texts per body (default 1) and ``--page-kb`` padding (default 110) as in
bench_crawl.py. ANT v2.1 has 29,457 usable texts: when articles x texts needs more, texts
are reused with numbered titles (distinct URLs, titles and pages), and the report says so.

Wall-clock figures move with whatever else runs; the CPU figures (the crawl's rusage plus
its extraction workers', sampled) do not. Writes Markdown to stdout and to
bench/results/recrawl.md; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench_crawl import (  # noqa: E402
    CrawlRun,
    crawl_settings,
    pad_pages,
    publish,
    run_crawl,
    site_options,
    write_registry,
    write_seeds,
)
from crawl_probe import STRUCTURES  # noqa: E402

from newsarchive.archive import open_archive  # noqa: E402
from newsarchive.samplesite import ARTICLE_PATH_RE, SampleServer, build_site, serve  # noqa: E402
from newsarchive.samplesite import Response as SiteResponse  # noqa: E402
from newsarchive.settings import EXTENSIONS  # noqa: E402

RESULTS = REPO / "bench" / "results" / "recrawl.md"
PROBE = "bench.crawl_probe.CrawlProbe"
BULK_PER_PAGE = 500
SITEMAP_URLS = 10_000
KINDS = ("robots.txt", "feed", "sitemap", "REST API", "listing", "article", "other")
PAGED = re.compile(r"page/\d+/$")


# --- the server's log ------------------------------------------------------------------


def request_kind(target: str) -> str:
    """What a request asked the sample site for, from its path."""
    parts = urlsplit(target)
    path = parts.path
    if path == "/robots.txt":
        return "robots.txt"
    if path.startswith("/wp-json/"):
        return "REST API"
    if path.endswith((".xml", ".xml.gz")):
        return "sitemap"
    if re.search(r"/feed/(?:atom/)?$", path):
        return "feed"
    if ARTICLE_PATH_RE.match(path) or (path.endswith("/amp/") and ARTICLE_PATH_RE.match(path[:-4])):
        return "article"
    if path == "/" and parts.query:
        return "other"  # shortlinks (?p=), search
    if path == "/" or re.fullmatch(r"/page/\d+/", path):
        return "listing"
    if path.startswith(("/category/", "/tag/", "/author/", "/bulk/")):
        return "listing"
    return "other"


def listing_of(path: str) -> str:
    """The listing a paginated page belongs to: /category/x/page/3/ -> /category/x/."""
    return PAGED.sub("", path)


def by_kind(log: list[tuple[float, str, str, int]]) -> dict[str, Counter[int]]:
    """Requests per kind, as status -> count."""
    kinds: dict[str, Counter[int]] = {kind: Counter() for kind in KINDS}
    for _, _, target, status in log:
        kinds[request_kind(target)][status] += 1
    return kinds


def listing_pages(paths: list[str]) -> Counter[str]:
    """Pages per listing among ``paths`` (listing pages only)."""
    return Counter(listing_of(urlsplit(p).path) for p in paths if request_kind(p) == "listing")


# --- many URLs, few pages ---------------------------------------------------------------


def missing_url(i: int) -> str:
    """An article-shaped URL the site has no page for (404)."""
    return f"/2023/{1 + i % 12:02d}/{1 + i % 28:02d}/khabar-ghayr-mawjoud-{i:07d}/"


def denied_url(i: int) -> str:
    """A URL outside the sample source's article patterns (a video page)."""
    return f"/video/{i:07d}.html"


def add_bulk_listing(server: SampleServer, count: int) -> int:
    """``/bulk/``, ``/bulk/page/N/``: ``count`` links to missing articles, 500 a page,
    in the markup the registry's listing_links select. Returns the number of pages."""
    pages = max(1, math.ceil(count / BULK_PER_PAGE))
    base = server.base_url
    for page in range(1, pages + 1):
        path = "/bulk/" if page == 1 else f"/bulk/page/{page}/"
        first = (page - 1) * BULK_PER_PAGE
        items = "".join(
            f'<li class="post-item"><h2 class="post-box-title"><a href="{base}{missing_url(i)}">'
            f"خبر رقم {i}</a></h2></li>\n"
            for i in range(first, min(count, first + BULK_PER_PAGE))
        )
        next_link = (
            f'<link rel="next" href="{base}/bulk/page/{page + 1}/" />' if page < pages else ""
        )
        body = (
            '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="UTF-8" />'
            f"<title>الأرشيف - صفحة {page}</title>{next_link}</head><body>"
            f'<ul id="posts-container">\n{items}</ul></body></html>\n'
        )
        server.pages[path] = SiteResponse(200, body.encode("utf-8"))
    return pages


def add_bulk_sitemaps(server: SampleServer, count: int) -> int:
    """``/bulk-sitemap.xml``, an index of sitemaps of ``count`` denied URLs, 10,000
    each. Returns the number of sitemaps."""
    base = server.base_url
    files = max(1, math.ceil(count / SITEMAP_URLS))
    locs = []
    for n in range(files):
        first = n * SITEMAP_URLS
        urls = "".join(
            f"<url><loc>{base}{denied_url(i)}</loc><lastmod>2024-03-01T10:00:00+01:00</lastmod>"
            "</url>\n"
            for i in range(first, min(count, first + SITEMAP_URLS))
        )
        path = f"/bulk-sitemap-{n + 1}.xml"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
        )
        server.pages[path] = SiteResponse(200, body.encode(), "application/xml; charset=UTF-8")
        locs.append(f"<sitemap><loc>{base}{path}</loc></sitemap>\n")
    index = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(locs)
        + "</sitemapindex>\n"
    )
    server.pages["/bulk-sitemap.xml"] = SiteResponse(
        200, index.encode(), "application/xml; charset=UTF-8"
    )
    return files


# --- runs -------------------------------------------------------------------------------


def probed_settings(workers: int, probe_file: Path) -> dict[str, str]:
    """bench_crawl's settings plus the probe, the project's own extensions kept."""
    return {
        **crawl_settings(workers),
        "EXTENSIONS": json.dumps({**EXTENSIONS, PROBE: 900}),
        "BENCH_PROBE_FILE": str(probe_file),
    }


def read_probe(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def probe_event(samples: list[dict], event: str) -> dict:
    return next((s for s in reversed(samples) if s.get("event") == event), {})


def growth(samples: list[dict], key: str = "requested") -> dict[str, float]:
    """RSS against URLs seen, past start-up (the first 10 % of the URLs): the
    least-squares slope in MB per 100,000, and the plain difference end - start over the
    URLs seen in between. And, once every URL is seen, RSS against the responses that
    still come (the queued URLs fetched), in MB per 100,000 responses."""
    rows = [s for s in samples if s.get("event") != "deep" and key in s]
    if not rows:
        return {}
    top = max(s[key] for s in rows)
    past = [s for s in rows if s[key] >= 0.1 * top]
    result = {"seen": top, "samples": len(past)}
    if len(past) >= 3 and len({s[key] for s in past}) >= 2:
        fit = statistics.linear_regression([s[key] for s in past], [s["rss_kb"] for s in past])
        result["fit_mb"] = fit.slope * 100_000 / 1024
    start, end = past[0], probe_event(samples, "closed") or rows[-1]
    result["rss_start_mb"] = start["rss_kb"] / 1024
    result["rss_end_mb"] = end["rss_kb"] / 1024
    if top > start[key]:
        result["diff_mb"] = (end["rss_kb"] - start["rss_kb"]) / 1024 * 100_000 / (top - start[key])
    all_seen = next(s for s in rows if s[key] == top)
    fetched = end.get("responses", 0) - all_seen.get("responses", 0)
    if fetched >= 10_000:
        grown = end["rss_kb"] - all_seen["rss_kb"]
        result["fetch_mb"] = grown / 1024 * 100_000 / fetched
        result["fetched"] = fetched
    return result


def known_bytes(db: Path) -> tuple[int, int]:
    """(articles, bytes) of ``Archive.known_articles`` for the sample source, as a crawl
    loads them at its start (Python allocations, tracemalloc)."""
    with open_archive(db) as archive:
        tracemalloc.start()
        known = archive.known_articles("sample")
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    return len(known), size


def one_run(
    name: str, workdir: Path, db: Path, registry: Path, workers: int, keep: Path | None
) -> tuple[CrawlRun, list[dict]]:
    run_dir = workdir / name
    run_dir.mkdir()
    probe_file = run_dir / "probe.jsonl"
    run = run_crawl(run_dir, db, registry, probed_settings(workers, probe_file))
    if run.returncode:
        print(run.stderr_tail, file=sys.stderr)
    if keep is not None and probe_file.exists():
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(probe_file, keep / f"{name}.probe.jsonl")
    return run, read_probe(probe_file)


# --- report -----------------------------------------------------------------------------


def _statuses(counter: Counter[int]) -> str:
    return ", ".join(f"{n} × {status}" for status, n in sorted(counter.items())) or ""


def table_head(labels: list[str], columns: list[str], align: str = "---:") -> list[str]:
    """A Markdown table's head: ``labels`` then one column per name in ``columns``."""
    return [
        "| " + " | ".join([*labels, *columns]) + " |",
        "| --- | " + " | ".join([align] * (len(labels) - 1 + len(columns))) + " |",
    ]


def crawl_section(
    runs: dict[str, tuple[CrawlRun, list[dict]]],
    kinds: dict[str, dict[str, Counter[int]]],
    pagination: list[tuple[str, int, int, int]],
) -> list[str]:
    lines = [
        "## Crawl and re-crawl",
        "",
        "| run | wall s | CPU s | requests | pages recorded | articles new / updated"
        " / in archive | peak RSS tree / parent (MB) | exit |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for name, (run, _) in runs.items():
        total = sum(sum(c.values()) for c in kinds[name].values())
        lines.append(
            f"| {name} | {run.wall:.1f} | {run.cpu:.1f} | {total} | {run.responses} | "
            f"{run.run.get('new', '?')} / {run.run.get('updated', '?')} / {run.archived} | "
            f"{run.peak_tree_mb:.0f} / {run.peak_parent_mb:.0f} ({run.processes} processes)"
            f" | {run.returncode} |"
        )
    lines += [
        "",
        "Requests the server saw, by kind (count × status):",
        "",
        *table_head(["kind"], list(runs), "---"),
    ]
    for kind in KINDS:
        cells = [kinds[name][kind] for name in runs]
        if any(cells):
            lines.append(
                f"| {kind} | "
                + " | ".join(f"{sum(c.values())} ({_statuses(c)})" for c in cells)
                + " |"
            )
    lines += [
        "",
        "Listing pages walked, per listing (and how many pages of it the site has):",
        "",
        *table_head(["listing", "pages on the site"], list(runs)),
        *(
            f"| `{path}` | {have} | {first} | {second} |"
            for path, have, first, second in pagination
        ),
    ]
    lines += [
        "",
        "What the crawl held per URL when the spider closed: entries, and KB (`sys.getsizeof`"
        " over each structure's contents, each object counted once, in this order):",
        "",
        *table_head(["structure"], list(runs)),
    ]
    ends = {name: probe_event(samples, "closed") for name, (_, samples) in runs.items()}
    deep = {
        name: probe_event(samples, "deep").get("bytes", {}) for name, (_, samples) in runs.items()
    }
    for structure in STRUCTURES:
        if any(structure in ends[name] for name in runs):
            cells = [
                f"{ends[name].get(structure, '')} ({deep[name].get(structure, 0) / 1024:.0f} KB)"
                for name in runs
            ]
            if structure == "profile":  # a Counter of URL shapes: its length is URLs learned
                cells = [cell.replace(" (", " learned (", 1) for cell in cells]
            lines.append(f"| {structure} | " + " | ".join(cells) + " |")
    for name in runs:
        stats = ", ".join(
            f"{key.split('/', 1)[1]} {value}"
            for key, value in sorted(ends[name].get("stats", {}).items())
            if key.split("/", 1)[1] in ("known_not_refetched", "listing_pages")
        )
        lines.append(f"\n{name}: {stats or 'no counts'}.")
    return lines


def memory_section(
    bulk: dict[str, tuple[CrawlRun, list[dict], dict[str, float]]], known: tuple[int, int]
) -> list[str]:
    lines = [
        "## Memory per seen URL",
        "",
        "| variant | URLs seen | pages recorded | wall s | CPU s | crawl RSS at 10 % of the"
        " URLs → end (MB) | MB per 100k seen: fit / end − start | MB per 100k fetched once"
        " all are seen | peak RSS tree (MB) |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |",
    ]
    nan = float("nan")
    for name, (run, _, grown) in bulk.items():
        fetching = (
            f"{grown['fetch_mb']:.1f} ({grown['fetched']} fetched)" if "fetch_mb" in grown else ""
        )
        lines.append(
            f"| {name} | {grown.get('seen', 0)} | {run.responses} | {run.wall:.1f} | "
            f"{run.cpu:.1f} | {grown.get('rss_start_mb', 0):.0f} → "
            f"{grown.get('rss_end_mb', 0):.0f} | {grown.get('fit_mb', nan):.1f} / "
            f"{grown.get('diff_mb', nan):.1f} | {fetching} | {run.peak_tree_mb:.0f} |"
        )
    deep = {name: probe_event(s, "deep").get("bytes", {}) for name, (_, s, _) in bulk.items()}
    closed = {name: probe_event(s, "closed") for name, (_, s, _) in bulk.items()}
    short = [name.split(":")[0] for name in bulk]
    lines += [
        "",
        "What holds it when the spider closes: bytes per seen URL (`sys.getsizeof` over each"
        " structure's contents, each object counted once, in this order; entries in brackets):",
        "",
        *table_head(["structure"], short),
    ]
    for structure in STRUCTURES:
        if not any(structure in d for d in deep.values()):
            continue
        cells = []
        for name, (_, _, grown) in bulk.items():
            size, entries = deep[name].get(structure), closed[name].get(structure)
            seen = grown.get("seen") or 1
            cells.append(f"{size / seen:.0f} ({entries})" if size is not None else "")
        lines.append(f"| {structure} | " + " | ".join(cells) + " |")
    lines.append(
        "| all | "
        + " | ".join(
            f"{sum(deep[name].values()) / (grown.get('seen') or 1):.0f}"
            for name, (_, _, grown) in bulk.items()
        )
        + " |"
    )
    count, size = known
    if count:
        lines += [
            "",
            "Known articles, which every crawl of a source loads to skip them: the dict"
            f" `Archive.known_articles` returns (tracemalloc) takes {size / count:.0f} bytes"
            f" an article ({size / count * 100_000 / 2**20:.1f} MB per 100,000 archived"
            f" articles; {count} here); what the spider keeps of it is the `known` row above.",
        ]
    return lines


def report(
    facts: dict[str, str],
    runs: dict[str, tuple[CrawlRun, list[dict]]],
    kinds: dict[str, dict[str, Counter[int]]],
    pagination: list[tuple[str, int, int, int]],
    bulk: dict[str, tuple[CrawlRun, list[dict], dict[str, float]]],
    known: tuple[int, int],
) -> str:
    lines = [
        f"# Crawl, re-crawl and memory per seen URL ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        "`" + " ".join(["python bench/bench_recrawl.py", *sys.argv[1:]]) + "`",
        "",
        *(f"- {name}: {value}" for name, value in facts.items()),
        "",
    ]
    if runs:
        lines += [*crawl_section(runs, kinds, pagination), ""]
    if bulk:
        lines += [*memory_section(bulk, known), ""]
    lines += [
        "Targets: the re-crawl fetches feeds, sitemaps and listings only; <= 10 MB of RSS per",
        "100,000 seen URLs.",
    ]
    return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    site_options(parser, articles=20_000, texts=1)
    parser.add_argument("--workers", type=int, default=2, help="NEWSARCHIVE_EXTRACT_WORKERS")
    parser.add_argument("--missing", type=int, default=100_000, help="404 URLs in /bulk/")
    parser.add_argument("--denied", type=int, default=200_000, help="denied URLs in sitemaps")
    parser.add_argument("--small-site", type=int, default=20, help="articles of step 3's site")
    parser.add_argument("--skip-crawl", action="store_true", help="step 3 only")
    parser.add_argument("--keep", type=Path, help="copy each run's probe samples here")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-recrawl-"))
    facts: dict[str, str] = {
        "machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "crawl settings": "politeness off (delay 0, 8 in flight, AutoThrottle off, robots.txt"
        f" obeyed), NEWSARCHIVE_EXTRACT_WORKERS={args.workers}, unpinned",
    }
    runs: dict[str, tuple[CrawlRun, list[dict]]] = {}
    kinds: dict[str, dict[str, Counter[int]]] = {}
    pagination: list[tuple[str, int, int, int]] = []
    known = (0, 0)
    try:
        seeds = workdir / "seeds"
        seeds.mkdir()
        wanted = args.small_site if args.skip_crawl else max(args.articles, args.small_site)
        count = write_seeds(seeds, args.corpus, wanted, args.texts)
        reused = count < wanted
        if reused:
            count = write_seeds(seeds, args.corpus, wanted, args.texts, reuse=True)
        if not args.skip_crawl:
            started = time.perf_counter()
            site = build_site(seeds)
            server = serve(site)
            pad_pages(server, site, args.page_kb)
            facts["site"] = (
                f"{count} articles, {args.texts} ANT text(s) per body"
                + (", texts reused with numbered titles (the corpus ran out)" if reused else "")
                + f", pages padded to {args.page_kb} KB; {len(server.pages)} paths served;"
                f" built in {time.perf_counter() - started:.0f} s"
            )
            print(*(f"{k}: {v}" for k, v in facts.items()), sep="\n", flush=True)
            db = workdir / "archive.db"
            registry = write_registry(workdir / "sites.toml", server.base_url)
            paths: dict[str, list[str]] = {}
            try:
                for name in ("crawl", "re-crawl"):
                    mark = len(server.requests)
                    runs[name] = one_run(name, workdir, db, registry, args.workers, args.keep)
                    log = server.requests[mark:]
                    kinds[name] = by_kind(log)
                    run = runs[name][0]
                    print(
                        f"{name}: {len(log)} requests, {run.archived} archived, "
                        f"{run.wall:.1f} s wall, {run.cpu:.1f} s CPU, peak RSS "
                        f"{run.peak_tree_mb:.0f} / {run.peak_parent_mb:.0f} MB",
                        flush=True,
                    )
                    paths[name] = [target for _, _, target, _ in log]
                have = listing_pages(list(server.pages))
                first, second = listing_pages(paths["crawl"]), listing_pages(paths["re-crawl"])
                pagination = [
                    (path, have[path], first[path], second[path])
                    for path in sorted(set(first) | set(second), key=lambda p: -second[p])
                ]
            finally:
                server.stop()
                del server, site
            known = known_bytes(db)

        # Step 3: a small site with many URLs it has no pages for.
        small = workdir / "small-seeds"
        small.mkdir()
        for path in sorted(seeds.glob("*.txt"))[: args.small_site]:
            shutil.copy(path, small / path.name)
        server = serve(build_site(small))
        bulk: dict[str, tuple[CrawlRun, list[dict], dict[str, float]]] = {}
        try:
            variants = []
            if args.missing:
                pages = add_bulk_listing(server, args.missing)
                variants.append(
                    (
                        f"missing: {args.missing} article URLs answering 404, listed"
                        f" {BULK_PER_PAGE} a page on {pages} listing pages",
                        {"feeds": (), "sitemaps": (), "listings": ("/bulk/",), "wp_api": False},
                    )
                )
            if args.denied:
                files = add_bulk_sitemaps(server, args.denied)
                variants.append(
                    (
                        f"denied: {args.denied} URLs outside the article patterns, in {files}"
                        " sitemaps",
                        {
                            "feeds": (),
                            "sitemaps": ("/bulk-sitemap.xml",),
                            "listings": (),
                            "wp_api": False,
                        },
                    )
                )
            for n, (label, discovery) in enumerate(variants):
                registry = write_registry(workdir / f"bulk-{n}.toml", server.base_url, **discovery)
                run, samples = one_run(
                    f"bulk-{n}",
                    workdir,
                    workdir / f"bulk-{n}.db",
                    registry,
                    args.workers,
                    args.keep,
                )
                grown = growth(samples)
                bulk[label] = (run, samples, grown)
                print(
                    f"{label}: {grown.get('seen')} seen, {run.wall:.1f} s, "
                    f"{grown.get('fit_mb', float('nan')):.1f} MB per 100k (fit), "
                    f"{grown.get('diff_mb', float('nan')):.1f} (end - start)",
                    flush=True,
                )
        finally:
            server.stop()
        publish(report(facts, runs, kinds, pagination, bulk, known), args.output)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
