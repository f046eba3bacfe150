"""The ``newsarchive`` command line: a thin layer that turns the library's narrow
exceptions into one-line messages saying what to do next."""

from __future__ import annotations

import contextlib
import datetime
import html
import json
import logging
import re
import sqlite3
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import click

from newsarchive.archive import DEFAULT_DB, Archive, ArchiveError, open_archive
from newsarchive.limits import SIZE_SETTINGS, parse_size
from newsarchive.search import keep_in_step
from newsarchive.stopping import StopSignals


def db_option(fn):
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_DB,
        envvar="NEWSARCHIVE_DB",
        show_default=True,
        help="Archive file (env NEWSARCHIVE_DB).",
    )(fn)


def redis_option(fn):
    return click.option(
        "--redis",
        "redis_url",
        metavar="URL",
        envvar="NEWSARCHIVE_REDIS",
        help="Redis of a distributed crawl, redis://HOST:PORT/N (env NEWSARCHIVE_REDIS).",
    )(fn)


def sites_option(fn):
    return click.option(
        "--sites",
        "sites_file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="NEWSARCHIVE_SITES",
        help="Source registry (env NEWSARCHIVE_SITES; default seeds/sites.toml).",
    )(fn)


def limit_option(what: str):
    """``--limit``: how many ``what`` to show (20 by default)."""
    return click.option(
        "--limit",
        default=20,
        show_default=True,
        type=click.IntRange(1, 10_000),
        help=f"{what} to show.",
    )


@contextlib.contextmanager
def opened(db_path: Path, *, create: bool = True) -> Iterator[Archive]:
    try:
        archive = open_archive(db_path, create=create)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    keep_in_step(archive)
    try:
        yield archive
    finally:
        archive.close()


def command_line() -> str:
    return " ".join(["newsarchive", *sys.argv[1:]])


@contextlib.contextmanager
def stoppable(**options) -> Iterator[StopSignals]:
    """SIGINT and SIGTERM handled by the command for its duration (newsarchive.stopping):
    the first stops it gracefully, a second or the deadline at once."""
    stop = StopSignals(**options).install()
    try:
        yield stop
    finally:
        stop.uninstall()


def exit_if_stopped(stop: StopSignals, what: str) -> None:
    if stop.requested:
        click.echo(f"stopped by {stop.name}: {what}", err=True)
        sys.exit(stop.exit_status)


class CLI(click.Group):
    """Turns the database errors users can meet into one-line messages, and a Ctrl-C
    where no command handles it into exit status 130 (no "Aborted!", no traceback)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise click.ClickException(
                    "the archive is busy (another crawl or ingest is writing to it);"
                    " try again when it has finished"
                ) from exc
            raise click.ClickException(f"the archive could not be read or written: {exc}") from exc


@click.group(cls=CLI)
@click.version_option(package_name="newsarchive")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """newsarchive: crawl Arabic news sites into a searchable SQLite archive.

    Every command takes --db PATH (env NEWSARCHIVE_DB, default data/archive.db).
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--url", help="Canonical URL of a single saved .html page.")
@click.option("--source", help="Source name for inputs that do not carry one.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@sites_option
@db_option
def ingest(
    paths: tuple[Path, ...],
    url: str | None,
    source: str | None,
    quiet: bool,
    sites_file: Path | None,
    db_path: Path,
) -> None:
    """Load seed files, corpora, saved pages and WARC files into the archive.

    PATHS are files or folders (searched recursively). Understood: seed .txt files
    (title, blank line, source, blank line, body; UTF-8 or windows-1256), ANT corpus
    XML files, .tar/.tar.gz/.tar.xz/.zip archives of those (read in place), JSON
    Lines of articles (.jsonl), and one saved .html page with --url.

    WARC files (.warc, .warc.gz, .wacz) written by any crawler (wget --warc-file,
    Heritrix, Browsertrix, CC-NEWS) are streamed: each HTML response gets the crawl's
    own article-or-not decision and extraction, and a page record; other records
    (requests, images, redirects...) are skipped and counted by kind, damaged ones
    reported by offset. A page's source is the registry's (--sites) for its host,
    else the host's name.

    Re-ingesting the same input changes nothing; changed text becomes a revision.
    A bad file, record or archive member is reported with its path (and line); the
    rest still lands and the exit status is 1. Empty documents are skipped and
    counted, not failures. Size limits (env NEWSARCHIVE_MAX_ARTICLE_SIZE, 2 MB;
    NEWSARCHIVE_MAX_FILE_SIZE, 64 MB; NEWSARCHIVE_MAX_COMPRESSION_RATIO, 100) keep
    bad input small; the message says which to raise. Ctrl-C (or SIGTERM) stops
    reading: what was read is archived, the run is "interrupted", and the exit
    status is 130 (143).

    Example:

        newsarchive ingest seeds/

        newsarchive ingest ../shared/data/corpora/ant-v2.1

        newsarchive ingest CC-NEWS-20240101000000-00001.warc.gz
    """
    from newsarchive.archive import interrupt_runs
    from newsarchive.ingest import IngestError, ingest_paths

    with stoppable() as stop, opened(db_path) as archive:
        stop.on_hard_stop(lambda: interrupt_runs(db_path))
        try:
            report = ingest_paths(
                archive,
                list(paths),
                url=url,
                source=source,
                progress=not quiet,
                command=command_line(),
                stop=lambda: stop.requested,
                sites=sites_file,
            )
        except IngestError as exc:
            raise click.ClickException(str(exc)) from exc
    for failure in report.failures:
        click.echo(f"error: {failure.path}: {failure.reason}", err=True)
    click.echo(report.summary())
    exit_if_stopped(stop, "what was read before the stop is archived")
    if report.failures:
        sys.exit(1)


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The page's URL (resolves relative links, identifies it).")
@click.option("--source", default="", help="Source name whose extraction rules apply.")
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
@click.option(
    "--explain",
    is_flag=True,
    help="Also print the decision (article or not), every signal behind it, and how each "
    "field was found.",
)
@sites_option
@db_option
def extract(
    file: Path,
    url: str | None,
    source: str,
    as_json: bool,
    explain: bool,
    sites_file: Path | None,
    db_path: Path,
) -> None:
    """Extract the article from one saved HTML page, offline.

    Runs the same decision and extraction as a crawl (is it an article at all, then
    trafilatura plus the Arabic fallbacks for dates, bylines and encodings) and
    prints url, title, author, published, modified, language, text, description,
    categories, tags, image and agency. Nothing is written: --db is accepted like on
    every command, and the archive is not touched (`newsarchive ingest FILE --url
    URL` archives a saved page). With --explain, a page that is not an article says
    why instead of failing silently.

    Example:

        newsarchive extract page.html --url https://www.elmaouid.dz/x/ --json

        newsarchive extract page.html --url https://www.example.eg/news/1 --explain
    """
    from newsarchive.arabic.encoding import EncodingError
    from newsarchive.extract import explain_file
    from newsarchive.sites import SitesError, extraction_rules_for

    try:
        rules = extraction_rules_for(source, sites_file) if source else None
        article, decision = explain_file(file, url=url, source=source, rules=rules)
    except (EncodingError, SitesError, OSError) as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    explanation = {
        "decision": decision.decision,
        "kind": decision.kind,
        "reason": decision.reason,
        "score": decision.score,
        "signals": {k: v for k, v in decision.signals.items() if k != "fields"},
        "fields": decision.signals.get("fields") or {},
    }
    if article is None:
        if as_json and explain:
            click.echo(json.dumps({"explain": explanation}, ensure_ascii=False, indent=2))
        elif explain:
            _echo_explanation(explanation)
        raise click.ClickException(
            f"{file}: not archived as an article: {decision.reason}"
            f" ({decision.signals.get('why') or 'no text'})"
            + ("" if explain else "; add --explain to see every signal")
        )
    data = article.to_json()
    if as_json:
        if explain:
            data["explain"] = explanation
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if explain:
        _echo_explanation(explanation)
        click.echo()
    for name, value in data.items():
        if name != "text" and value:
            click.echo(f"{name}: {'، '.join(value) if isinstance(value, list) else value}")
    click.echo()
    click.echo(data["text"])


def _echo_explanation(explanation: dict) -> None:
    click.echo(
        f"decision: {explanation['decision']} ({explanation['kind']}),"
        f" score {explanation['score']:+.1f}: {explanation['reason']}"
    )
    signals = explanation["signals"]
    for line in signals.get("evidence") or []:
        click.echo(f"  {line}")
    for name, value in signals.items():
        if name not in ("evidence", "why", "score") and value not in (None, [], {}):
            click.echo(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
    for name, value in explanation["fields"].items():
        if isinstance(value, dict):
            for key, item in value.items():
                if item not in (None, [], {}):
                    click.echo(f"  {name}.{key}: {json.dumps(item, ensure_ascii=False)}")
        else:
            click.echo(f"  {name}: {json.dumps(value, ensure_ascii=False)}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8001, show_default=True, help="Port to listen on.")
@db_option
def serve(host: str, port: int, db_path: Path) -> None:
    """Serve the archive with Datasette: right-to-left Arabic pages, facets,
    article pages, the crawl history and Arabic search. Read-only.

    Example:

        newsarchive serve --port 8001
    """
    from newsarchive.web import ServeError, bind
    from newsarchive.web import serve as serve_web

    with opened(db_path, create=False):
        pass  # migrate before Datasette opens it read-only; refuse a mistyped path
    try:
        sock = bind(host, port)  # before saying it serves: a busy port is one line
    except ServeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"serving {db_path} at http://{host}:{port}/ (Ctrl-C stops)")
    serve_web(db_path, host=host, port=port, sock=sock)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Instead: the distributed crawls of this Redis (queues, writer, workers, pauses).",
)
@sites_option
@db_option
def stats(as_json: bool, redis_url: str | None, sites_file: Path | None, db_path: Path) -> None:
    """Articles per source, oldest and newest, the last runs, the pages of the
    latest run that recorded any, counted by decision and reason, and each source's
    health (see `newsarchive health`).

    A run's status is ok, empty, failed, running, interrupted (stopped by Ctrl-C or
    SIGTERM) or killed (its process died before the end: kill -9, a crash; marked so
    by the next command). Its counts are always those of the articles it archived.

    With --redis URL, the distributed crawls instead: requests queued and in flight per
    source, items waiting for the writer (newsarchive drain), each live worker's pages
    and pages per second, and the hosts paused now by a Retry-After.

    Example:

        newsarchive stats

        newsarchive stats --redis redis://10.0.0.5:6379/0
    """
    if redis_url:
        _redis_stats(redis_url, as_json)
        return
    with opened(db_path, create=False) as archive:
        archive.reap_dead_runs()  # a run whose process died shows as "killed"
        figures = archive.stats()
        health = _source_health(archive, sites_file)
    if as_json:
        figures["health"] = [h.as_dict() for h in health]
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(f"{figures['articles']} articles, {figures['revisions']} revisions in {db_path}")
    rows = [
        (s["source"] or "-", s["articles"], s["oldest"] or "-", s["newest"] or "-")
        for s in figures["sources"]
    ]
    _table(("source", "articles", "oldest", "newest"), rows)
    if figures["runs"]:
        click.echo("\nlast runs:")
        runs = [
            (
                r["id"],
                r["kind"],
                r["source"] or "-",
                r["started"],
                r["status"],
                r["pages"],
                r["new"],
                r["updated"],
                r["unchanged"],
                r["failed"],
                r["dropped"],
            )
            for r in figures["runs"]
        ]
        header = ("id", "kind", "source", "started", "status", "pages", "new", "updated")
        _table((*header, "unchanged", "failed", "dropped"), runs)
        statuses = {r["status"] for r in figures["runs"]}
        if "interrupted" in statuses:
            click.echo("interrupted: stopped by Ctrl-C or SIGTERM; the next crawl resumes it")
        if "killed" in statuses:
            click.echo(
                "killed: its process died before the end (kill -9, a crash); the counts"
                " are those it had committed"
            )
    last_pages = figures.get("last_run_pages")
    if last_pages:
        click.echo(f"\npages of run {last_pages['run_id']}, by decision and reason:")
        rows = [(d["decision"], d["reason"] or "-", d["pages"]) for d in last_pages["decisions"]]
        _table(("decision", "reason", "pages"), rows)
    if health:
        click.echo("\nsource health (newsarchive health --check exits 1 when one is unhealthy):")
        _echo_health(health)


def _redis_stats(url: str, as_json: bool) -> None:
    from newsarchive.distributed import frontier_stats

    figures = frontier_stats(_check_redis(url))
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    writer = figures["writer"] or "none running (start `newsarchive drain`)"
    click.echo(f"{figures['items_waiting']} items waiting for the writer; writer: {writer}")
    click.echo(f"redis memory: {figures['memory_bytes'] / 1e6:.1f} MB")
    if not figures["sources"] and not figures["workers"]:
        click.echo("no distributed crawl in this Redis")
    if figures["sources"]:
        rows = [
            (s, f["queued"], f["in_flight"], f["run"] or "-") for s, f in figures["sources"].items()
        ]
        _table(("source", "queued", "in flight", "run"), rows)
    if figures["workers"]:
        click.echo("\nworkers:")
        rows = [
            (w["worker"], w["source"], w["pages"], w["items"], w["pages_per_second"])
            for w in figures["workers"]
        ]
        _table(("worker", "source", "pages", "items", "pages/s"), rows)
    for host in figures["paused_hosts"]:
        click.echo(f"paused: {host['host']} for {host['seconds_left']} s more (Retry-After)")


def _source_health(archive: Archive, sites_file: Path | None) -> list:
    from newsarchive.health import assess_all, registry_intervals

    return assess_all(archive.source_activity(), registry_intervals(sites_file))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _echo_health(report: list) -> None:
    rows = [
        (
            h.source,
            h.state,
            (h.last_success or "-")[:16],
            "-" if h.new_per_crawl is None else h.new_per_crawl,
            h.trend,
            "/".join(_percent(h.missing.get(k)) for k in ("date", "byline", "category"))
            if h.missing
            else "-",
            _percent(h.dropped_share),
            _percent(h.error_rate),
            (h.newest_article or "-")[:16],
        )
        for h in report
    ]
    header = ("source", "state", "last success", "new/crawl", "trend")
    _table((*header, "no date/byline/cat", "dropped", "errors", "newest article"), rows)
    for h in report:
        for flag in h.flags:
            click.echo(f"  {h.source}: {flag}")


@cli.command()
@click.option("--check", is_flag=True, help="Exit 1 naming the unhealthy sources (for monitoring).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@sites_option
@db_option
def health(check: bool, as_json: bool, sites_file: Path | None, db_path: Path) -> None:
    """Is each source still yielding and still extracted well? Per source: the last
    successful crawl, new articles per crawl and their trend, the share of its newest
    articles missing a date, byline or category, the share of the last crawl's pages
    dropped and failed, and its newest article; with a flag when a source stops
    yielding, fails, or its extraction quality drops (a layout change).

    Example:

        newsarchive health

        newsarchive health --check || mail -s "newsarchive" me@example.org
    """
    with opened(db_path, create=False) as archive:
        report = _source_health(archive, sites_file)
    if as_json:
        click.echo(json.dumps([h.as_dict() for h in report], ensure_ascii=False, indent=2))
    elif report:
        _echo_health(report)
    else:
        click.echo("no sources yet: crawl or ingest something first")
    unhealthy = [h.source for h in report if h.state == "unhealthy"]
    if check and unhealthy:
        click.echo(f"unhealthy: {', '.join(unhealthy)}", err=True)
        sys.exit(1)


def _iso_day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A YYYY-MM-DD date, compared as text with ISO dates: 20240101 or 2024-W01-1
    would drop everything."""
    if value is None:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            datetime.date.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise click.BadParameter("use YYYY-MM-DD")


@cli.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--since",
    metavar="DATE",
    callback=_iso_day,
    help="Only pages fetched on or after DATE (YYYY-MM-DD).",
)
@click.option("--url", help="Only the page at this URL.")
@sites_option
@click.option("--quiet", "-q", is_flag=True, help="Only the summary (no progress bar).")
@db_option
def reextract(
    sources: tuple[str, ...],
    since: str | None,
    url: str | None,
    sites_file: Path | None,
    quiet: bool,
    db_path: Path,
) -> None:
    """Run today's page decision and extraction again over the stored WARC captures
    of the SOURCES' pages (all sources if none), fetching nothing.

    For each page, its latest capture is read back and decided and extracted as a
    crawl would, with the crawl's hints (feeds, REST API) and the registry's rules of
    today, in worker processes (env NEWSARCHIVE_EXTRACT_WORKERS). Articles whose text
    or metadata changed are updated; a changed text is kept as a revision (reason:
    "re-extracted"); pages now recognised as articles are added; articles now
    judged not to be articles are flagged (articles.flagged), never deleted, and
    listed. Each page gets a decision record and the run is recorded (kind
    "reextract"). Ctrl-C stops after the pages in hand; running it again, after a
    stop or a kill, ends with the same archive as a run never stopped.

    Example:

        newsarchive reextract elmaouid

        newsarchive reextract --since 2024-01-01

        newsarchive reextract --url https://www.elmaouid.dz/2024/01/15/x/
    """
    from newsarchive.archive import interrupt_runs
    from newsarchive.reextract import ReextractError, reextract

    with stoppable() as stop, opened(db_path, create=False) as archive:
        stop.on_hard_stop(lambda: interrupt_runs(db_path))
        try:
            report = reextract(
                archive,
                sources,
                since=since,
                url=url,
                sites=sites_file,
                progress=not quiet and sys.stderr.isatty(),
                command=command_line(),
                stop=lambda: stop.requested,
            )
        except ReextractError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())
    exit_if_stopped(stop, "run it again to finish; what is done is kept")
    if report.status == "failed":
        sys.exit(1)


@cli.command()
@db_option
def reindex(db_path: Path) -> None:
    """Rebuild the Arabic full-text index and the search index from the stored text.

    Run it after upgrading newsarchive when the Arabic search rules changed, or
    when the search index beside the archive (ARCHIVE.search/) is missing.
    """
    from newsarchive.search import SearchError, rebuild_index

    with opened(db_path, create=False) as archive:
        count = archive.reindex()
        try:
            rebuild_index(archive)
        except SearchError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"reindexed {count} articles")


@cli.group()
def warc() -> None:
    """The WARC captures of crawled pages (kept in warc/SOURCE/ beside the archive)."""


@warc.command("export")
@click.option("--source", required=True, help="The source whose captures to export.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only captures made on or after DATE (YYYY-MM-DD, UTC).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="NAME.wacz (default: SOURCE.wacz, or SOURCE-since-DATE.wacz) or NAME.warc.gz.",
)
@db_option
def warc_export(
    source: str, since: datetime.datetime | None, output: Path | None, db_path: Path
) -> None:
    """Write a source's captures as a WACZ (or one WARC file) for replay tools.

    Every response the crawls fetched (articles, listings, feeds, sitemaps,
    robots.txt, redirects, errors), byte for byte as captured, with a CDXJ index and
    the source's articles as the collection's pages. ReplayWeb.page and pywb open it.

    Example:

        newsarchive warc export --source elmaouid --since 2026-12-01

        newsarchive warc export --source elmaouid -o elmaouid.warc.gz
    """
    from newsarchive.warcexport import ExportError, export

    day = since.date().isoformat() if since else None
    output = output or Path(f"{source}-since-{day}.wacz" if day else f"{source}.wacz")
    try:
        result = export(db_path, source, output, day)
    except (ExportError, ArchiveError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{result.path}: {result.responses} responses ({result.records} records) from"
        f" {result.files} WARC files" + (f", {result.pages} article pages" if result.pages else "")
    )
    for name in result.damaged:
        click.echo(f"warning: {name} ends in a damaged record; what came before it is in", err=True)


def _scrapy_log_level(ctx: click.Context) -> str | None:
    """Scrapy's log level for -v (INFO) and -vv (DEBUG); None (no log) without."""
    verbose = ctx.find_root().params.get("verbose", 0)
    return {0: None, 1: "INFO"}.get(verbose, "DEBUG")


@cli.command()
@click.argument("query")
@click.option("--source", help="Only articles from this source.")
@click.option(
    "--since", metavar="DATE", help="Only articles published on or after DATE (YYYY-MM-DD)."
)
@click.option("--until", metavar="DATE", help="Only articles published on or before DATE.")
@click.option("--category", help="Only articles in this category.")
@click.option("--recent", is_flag=True, help="Newest first instead of most relevant first.")
@limit_option("Results")
@click.option("--json", "as_json", is_flag=True, help="Print the results as a JSON list.")
@click.option(
    "--all-copies",
    is_flag=True,
    help="Show every copy of a story (wire copies, seed and crawled twins), not one each.",
)
@click.option(
    "--save",
    "save_as",
    metavar="NAME",
    help="Also save the search and its filters as NAME (replacing one of that name),"
    " to follow as an Atom feed on the Datasette page /-/saved-searches.",
)
@db_option
def search(
    query: str,
    source: str | None,
    since: str | None,
    until: str | None,
    category: str | None,
    recent: bool,
    limit: int,
    as_json: bool,
    all_copies: bool,
    save_as: str | None,
    db_path: Path,
) -> None:
    """Search the archive's articles, best match first, one hit per story.

    Arabic spelling variants match: with or without hamza (أحمد, احمد), ة or ه,
    ى or ي, tashkeel, ال and clitics (والمدرسة), singular or plural. QUERY holds
    words (all required), "quoted phrases", OR between two words, and -word to
    exclude one. Titles count more than body text. A query that starts with -
    goes after --, as in: newsarchive search -- -x y.

    Every match is ranked (bm25 over the search index beside the archive) and
    counted exactly; without that index (newsarchive reindex builds it) a common
    word ranks its newest matches and the count says "about".

    The copies of one story (a wire dispatch printed by several papers, a seed
    file and its crawled page) show once, at the best-ranked copy, with "also
    in:" and the sources of the others; the count is of stories. --all-copies
    shows and counts every copy.

    --json prints a ranked list of objects: id, url, title, source, published,
    snippet (HTML: the original text, escaped, matches in <mark>), score,
    story_id and also_in (the sources of the story's other copies).

    Example:

        newsarchive search "مستشفى البليدة"

        newsarchive search 'الجزائر -وهران' --since 2024-01-01 --json

        newsarchive search 'فيضانات' --source aps --save 'فيضانات وأج'
    """
    from newsarchive.search import SearchError, search_archive

    with opened(db_path, create=False) as archive:
        try:
            results = search_archive(
                archive.conn,
                query,
                source=source,
                since=since,
                until=until,
                category=category,
                limit=limit,
                order="recent" if recent else "relevance",
                all_copies=all_copies,
            )
        except SearchError as exc:
            raise click.ClickException(str(exc)) from exc
        if not all_copies and not _stories_grouped(archive):
            # Too big to group when opened (newsarchive.stories.AUTO_GROUP): say why
            # copies show apart, on stderr so --json stays one document.
            click.echo(
                "note: this archive's stories are not grouped yet, so copies of one story"
                " show apart; run `newsarchive stories --rebuild`",
                err=True,
            )
        if save_as is not None:
            filters = dict(source=source, since=since, until=until, category=category)
            try:
                replaced = archive.save_search(save_as, query, **filters)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
            how = "replaced the saved search" if replaced else "saved the search as"
            feed = "/-/feeds/" + urllib.parse.quote(" ".join(save_as.split()), safe="") + ".atom"
            # On stderr, so --json output stays one JSON document.
            click.echo(
                f"{how} {save_as!r}; newsarchive serve gives its Atom feed at {feed}", err=True
            )
    if as_json:
        hits = [hit.to_json() for hit in results.hits]
        click.echo(json.dumps(hits, ensure_ascii=False, indent=2))
        return
    if not results.hits:
        click.echo(f"no articles match {query!r}")
        return
    about = "" if results.total_exact else "about "
    counted = results.counting
    click.echo(f"{about}{results.total} {counted} match; the first {len(results.hits)}:")
    rows = [
        (
            rank,
            _plain(hit.title_html, 60),
            hit.source or "-",
            (hit.published or "-")[:10],
            _plain(hit.snippet, 90),
        )
        for rank, hit in enumerate(results.hits, start=1)
    ]
    _table(("#", "title", "source", "date", "snippet"), rows)
    for rank, hit in enumerate(results.hits, start=1):
        if hit.also_in:
            click.echo(f"#{rank} also in: {', '.join(hit.also_in)}")


def _stories_grouped(archive: Archive) -> bool:
    from newsarchive.stories import grouped

    return grouped(archive.conn)


@cli.command()
@click.option(
    "--rebuild",
    is_flag=True,
    help="Group every article anew (after an upgrade that changed the grouping, or"
    " for an archive grouped before it had stories).",
)
@limit_option("Stories")
@db_option
def stories(rebuild: bool, limit: int, db_path: Path) -> None:
    """List the stories with the most copies, or regroup the archive (--rebuild).

    A story is one text across its copies: a wire dispatch printed by several
    papers (their own bylines, datelines, intros and closing lines), a seed file
    and its crawled page, an article and its AMP or print twin. Every write keeps
    the articles' story ids current; search shows one hit per story, and the
    article page lists the story's copies, the first publication marked.

    Example:

        newsarchive stories

        newsarchive stories --rebuild
    """
    from newsarchive import stories as grouping

    with opened(db_path, create=False) as archive:
        if rebuild:
            with _bar("grouping", archive.article_count()) as bar:
                count = grouping.rebuild(archive.conn, bar.update)
            total = archive.conn.execute(
                "SELECT count(DISTINCT story_id) FROM articles"
            ).fetchone()[0]
            click.echo(f"grouped {count} articles into {total} stories")
            return
        if not grouping.grouped(archive.conn):
            raise click.ClickException(
                "this archive's articles are not grouped into stories yet;"
                " run `newsarchive stories --rebuild`"
            )
        found = grouping.largest(archive.conn, limit)
    if not found:
        click.echo("no story has more than one copy: every article is its own story")
        return
    rows = [
        (
            story.id,
            f"{story.copies} copies",
            f"{story.sources} sources",
            (story.first.published or "-")[:10],
            _plain(html.escape(story.first.title), 50),
            story.first.url,
        )
        for story in found
    ]
    _table(("story", "copies", "sources", "first", "title", "first publication"), rows)


def _bar(label: str, total: int):
    """A progress bar on stderr when it is a terminal (tqdm), silent otherwise."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=" articles", disable=not sys.stderr.isatty())


def _plain(fragment: str, width: int) -> str:
    """An HTML fragment of the search as plain text (marks dropped, entities decoded),
    cut to ``width`` characters so the table stays readable; bidi controls balanced
    after the cut, so a title's override cannot reverse the columns after it."""
    from newsarchive.arabic.bidi import balance_bidi

    text = html.unescape(re.sub(r"</?mark>", "", fragment))
    return balance_bidi(text if len(text) <= width else text[: width - 1].rstrip() + "…")


def _table(header: tuple, rows: list[tuple]) -> None:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@cli.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--due", is_flag=True, help="Also crawl every source that is due (see schedule --help)."
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after fetching N pages.")
@click.option(
    "--since",
    callback=_iso_day,
    help="Only articles published on or after DATE (YYYY-MM-DD).",
)
@click.option(
    "--refresh", is_flag=True, help="Re-fetch known articles even if nothing says they changed."
)
@sites_option
@click.option(
    "--no-warc",
    is_flag=True,
    help="Do not keep the fetched responses as WARC (kept by default in warc/SOURCE/"
    " beside the archive).",
)
@click.option("--quiet", "-q", is_flag=True, help="Only the summary (no progress line).")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write Scrapy's log there (INFO, or DEBUG with -vv); it is off otherwise, but for -v.",
)
@click.option(
    "--set",
    "-s",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting, e.g. -s AUTOTHROTTLE_ENABLED=0 (repeatable).",
)
@redis_option
@db_option
@click.pass_context
def crawl(
    ctx: click.Context,
    targets: tuple[str, ...],
    due: bool,
    max_pages: int | None,
    since: str | None,
    refresh: bool,
    sites_file: Path | None,
    no_warc: bool,
    quiet: bool,
    log_file: Path | None,
    overrides: tuple[str, ...],
    redis_url: str | None,
    db_path: Path,
) -> None:
    """Crawl configured sources (names from seeds/sites.toml) or any site URL.

    Discovery uses robots.txt sitemaps, feeds, sitemaps, the WordPress REST API and
    listing pages, politely (robots.txt and its Crawl-delay, AutoThrottle, retries
    that honour Retry-After). Known articles are not fetched again unless a feed or
    sitemap says they changed. Every response fetched is kept as WARC in
    warc/SOURCE/ beside the archive (--no-warc, or `warc = false` for a source, keeps
    none); `newsarchive warc export` packs them for replay tools. A worker (--redis)
    never opens the archive: it keeps its WARCs beside its own NEWSARCHIVE_DB path on
    its machine, to be copied into the archive's warc/ folder (see the README).

    Ctrl-C or SIGTERM stops it within 10 s: the pages in hand are archived, the run
    is "interrupted" and the next crawl resumes where it stopped; a second Ctrl-C
    stops at once (the next crawl then starts afresh). After a hard kill the next one
    fetches only what is not archived yet.

    On a terminal one live line shows the crawl's progress (pages fetched and per
    second, articles new and updated, dropped, errors, queue), then a summary; Scrapy's
    log is shown with -v (-vv: debug) or written with --log-file. A site that cannot be
    reached is reported in seconds ("cannot reach HOST: connection refused").

    Exits with status 1 when a crawl archives no article, listing what it tried;
    130 when stopped by Ctrl-C, 143 by SIGTERM.

    With --redis (or the registry's [distributed] redis) this process is one worker
    of a crawl shared through Redis: start as many as you like, here or on other
    machines; they share the frontier and each site's politeness, and never open the
    archive: `newsarchive drain` writes what they find. See "Crawling from many
    machines" in the README.

    Example:

        newsarchive crawl elmaouid --max-pages 200

        newsarchive crawl https://www.example.dz/ --since 2024-01-01

        newsarchive crawl --due
    """
    from newsarchive.crawl import CrawlError, run_crawls

    settings = {}
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{override!r}: use NAME=VALUE", param_hint="--set")
        name = name.strip()
        if name in SIZE_SETTINGS:
            try:
                if parse_size(value) <= 0:
                    raise ValueError
            except ValueError:
                raise click.BadParameter(
                    f"{name}={value!r} is not a positive size such as 8000000 or 8MB",
                    param_hint="--set",
                ) from None
        settings[name] = value
    if no_warc:
        settings["NEWSARCHIVE_WARC"] = False
    redis_url = redis_url or _registry_redis(sites_file)
    if redis_url:
        _check_redis(redis_url)
    else:
        with opened(db_path):
            pass  # fail early on a bad --db, before the reactor starts
    with stoppable() as stop:
        try:
            results = run_crawls(
                list(targets),
                db_path=db_path,
                sites_file=sites_file,
                due=due,
                max_pages=max_pages,
                since=since,
                refresh=refresh,
                log_level=_scrapy_log_level(ctx),
                log_file=log_file,
                progress=not quiet and sys.stderr.isatty(),
                settings=settings,
                stop=stop,
                redis_url=redis_url,
            )
        except CrawlError as exc:
            raise click.ClickException(str(exc)) from exc
    if not results:
        exit_if_stopped(stop, "no crawl had started")
        click.echo("nothing is due")
        return
    db_argument = ""
    if ctx.get_parameter_source("db_path") == click.core.ParameterSource.COMMANDLINE:
        db_argument = f" --db {db_path}"
    failed = False
    for result in results:
        run = result.run or {}
        if result.status == "unreachable":  # nothing was fetched: the one line says it
            failed = True
            click.echo(
                f"error: {result.tried['the site']}; check the URL ({result.tried['url']}),"
                " the network, or whether the site is up",
                err=True,
            )
            continue
        if redis_url:
            click.echo(
                f"{result.source}: worker {result.status}: {run.get('pages', 0)} pages fetched,"
                f" {run.get('items', 0)} items sent to the writer (newsarchive drain)"
            )
            continue
        click.echo(
            f"{result.source}: {result.status}: {run.get('pages', 0)} pages fetched,"
            f" {run.get('new', 0)} new, {run.get('updated', 0)} updated,"
            f" {run.get('unchanged', 0)} unchanged, {run.get('dropped', 0)} dropped,"
            f" {run.get('failed', 0)} failed"
        )
        _echo_dropped(run)
        if result.page_decisions and run.get("id"):
            click.echo(
                f"  see why: newsarchive serve{db_argument}, then"
                f" http://127.0.0.1:8001/archive/pages?run_id={run['id']}"
            )
        if result.status == "interrupted":
            continue  # said below
        if not result.ok:
            failed = True
            click.echo(
                f"error: the crawl of {result.source} archived no articles ({result.status})."
                " It tried:",
                err=True,
            )
            for channel, outcome in result.tried.items():
                click.echo(f"  {channel}: {outcome}", err=True)
            if not result.tried:
                click.echo("  nothing answered: is the site reachable?", err=True)
    exit_if_stopped(stop, "the next crawl resumes where this one stopped")
    if failed:
        sys.exit(1)


def _registry_redis(sites_file: Path | None) -> str | None:
    from newsarchive.distributed import registry_redis
    from newsarchive.sites import sites_path

    return registry_redis(sites_path(sites_file))


def _check_redis(url: str):
    """A client for ``url``, or the one-line error saying what is wrong."""
    from newsarchive.distributed import DistributedError, connect

    try:
        return connect(url)
    except DistributedError as exc:
        raise click.ClickException(f"{exc}; start redis-server or fix --redis") from exc


@cli.command()
@click.option(
    "--until-done", is_flag=True, help="Exit once no crawl is running and every item is written."
)
@redis_option
@sites_option
@db_option
def drain(until_done: bool, redis_url: str | None, sites_file: Path | None, db_path: Path) -> None:
    """Write what the workers of distributed crawls find into the archive: the one
    writer (one per Redis). Articles and page records are written through the same
    path as a crawl's and acknowledged only once committed, so a killed drain loses
    and doubles nothing: the next one writes what it had read. It records each run,
    and keeps in Redis the archived articles the workers do not fetch again.

    Runs until Ctrl-C or SIGTERM (it finishes the batch in hand), or with
    --until-done until no worker is left and the stream is written.

    Example:

        newsarchive drain --redis redis://10.0.0.5:6379/0
    """
    from newsarchive.drain import drain as run_drain

    redis_url = redis_url or _registry_redis(sites_file)
    if not redis_url:
        raise click.UsageError("name the crawl's Redis: --redis redis://HOST:PORT/N")
    _check_redis(redis_url)
    with opened(db_path):
        pass
    from newsarchive.distributed import DistributedError

    with stoppable() as stop:
        try:
            report = run_drain(
                redis_url, db_path, until_done=until_done, stop=lambda: stop.requested
            )
        except DistributedError as exc:
            raise click.ClickException(str(exc)) from exc
    for run_id, source, status in report.finished:
        click.echo(f"run {run_id} of {source}: {status}")
    click.echo(f"{report.items} items written in {report.batches} batches to {db_path}")
    exit_if_stopped(stop, "the next drain writes what is left")


def _echo_dropped(run: dict) -> None:
    """Each reason pages were dropped for, with its count and a few example URLs."""
    reasons = json.loads(run.get("dropped_reasons") or "{}")
    examples = json.loads(run.get("dropped_examples") or "{}")
    for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        click.echo(f"  dropped {count}: {reason}")
        for url in examples.get(reason, []):
            click.echo(f"      {url}")
    # Errors the spider counted as failures rather than drops.
    for reason, urls in examples.items():
        if reason not in reasons:
            click.echo(f"  error: {reason}")
            for url in urls:
                click.echo(f"      {url}")


def _scrapyd_urls(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    from newsarchive.scrapyd import server_url

    urls = []
    for value in values:
        for url in filter(None, (part.strip() for part in value.split(","))):
            try:
                urls.append(server_url(url))
            except ValueError as exc:
                raise click.BadParameter(str(exc)) from exc
    return list(dict.fromkeys(urls))


@cli.command()
@click.option("--once", is_flag=True, help="One pass (for cron or a systemd timer), then exit.")
@click.option(
    "--jobs",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Crawls at once (run here, not on scrapyd).",
)
@click.option(
    "--scrapyd",
    "scrapyd_urls",
    multiple=True,
    metavar="URL",
    callback=_scrapyd_urls,
    help="Hand due crawls to this scrapyd server instead (repeatable, or a comma list).",
)
@redis_option
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="With --scrapyd and --redis: jobs per due source, spread over the servers.",
)
@sites_option
@db_option
def schedule(
    once: bool,
    jobs: int,
    scrapyd_urls: list[str],
    redis_url: str | None,
    workers: int,
    sites_file: Path | None,
    db_path: Path,
) -> None:
    """Crawl every source whose interval (seeds/sites.toml) has elapsed, each in
    its own process, at most --jobs at once, and keep doing so until stopped.

    A source is due when its interval has passed since the start of its last crawl
    that worked; a crawl that was stopped or killed is due at once (it resumes), one
    that failed or found nothing an hour after it started (or after the interval, if
    shorter). Two crawls of one source never overlap, whether started here or by hand.
    Ctrl-C or SIGTERM passes the stop on to the running crawls and waits for them
    (exit status 130, 143).

    With --scrapyd, due crawls are handed to scrapyd servers (the project deployed
    there with scrapyd-deploy), each to the one with the fewest jobs, and recorded in
    crawl_runs; the jobs write to this --db and read this --sites, by the same paths.
    With --redis too, each due source gets --workers jobs, spread over the servers,
    that share its crawl through Redis; `newsarchive drain` writes what they find.

    Example:

        newsarchive schedule

        newsarchive schedule --once   # from cron: */15 * * * *

        newsarchive schedule --scrapyd http://127.0.0.1:6800/

        newsarchive schedule --scrapyd http://w1:6800/,http://w2:6800/ --redis
        redis://10.0.0.5:6379/0 --workers 4
    """
    if scrapyd_urls:
        if redis_url:
            _check_redis(redis_url)
        _schedule_on_scrapyd(scrapyd_urls, once, sites_file, db_path, redis_url, workers)
        return
    if workers > 1:
        raise click.UsageError("--workers spreads jobs over scrapyd servers: give --scrapyd URL")
    from newsarchive.schedule import SCHEDULER_GRACE, Scheduler
    from newsarchive.sites import SitesError

    with opened(db_path):
        pass
    # Every signal goes on to the crawls, which stop at once at their second.
    with stoppable(grace=SCHEDULER_GRACE, hard_on_second=False) as stop:
        scheduler = Scheduler(db_path, sites_file, jobs=jobs, stop=stop)
        try:
            if not once:
                click.echo("crawling sources as they fall due (Ctrl-C stops)")
                scheduler.forever()
                exit_if_stopped(stop, "the crawls it ran resume at the next pass")
                return
            runs = scheduler.run_due()
        except SitesError as exc:
            raise click.ClickException(str(exc)) from exc
    if not runs:
        click.echo("nothing is due")
    for run in runs:
        click.echo(f"{run.source}: {_crawl_outcome(run.returncode)}")
    exit_if_stopped(stop, "the crawls it ran resume at the next pass")
    if any(run.returncode for run in runs):
        sys.exit(1)


def _schedule_on_scrapyd(
    urls: list[str],
    once: bool,
    sites_file: Path | None,
    db_path: Path,
    redis_url: str | None,
    workers: int,
) -> None:
    from newsarchive.scrapyd import ScrapydError, Server, hand_due, hand_forever
    from newsarchive.sites import SitesError

    with opened(db_path):
        pass
    servers = [Server(url) for url in urls]
    errors: list[str] = []
    passes = 0

    def report(result) -> None:
        nonlocal passes
        passes += 1
        if not once and passes == 1:  # said once a server has answered
            click.echo(f"handing sources to {', '.join(urls)} as they fall due (Ctrl-C stops)")
        for handoff in result.handoffs:
            if handoff.queued:
                click.echo(
                    f"{handoff.source}: already queued at {handoff.server} (job {handoff.job})"
                )
            else:
                click.echo(f"{handoff.source}: handed to {handoff.server} (job {handoff.job})")
        if once and not result.handoffs and not result.errors:
            click.echo("nothing is due")
        for error in result.errors:
            click.echo(f"error: {error}", err=True)
        errors.extend(result.errors)

    try:
        spread = {"redis": redis_url, "workers": workers}
        if once:
            report(hand_due(db_path, sites_file, servers, **spread))
        else:
            # Nothing runs here but the polling: a signal ends the wait between passes.
            with stoppable() as stop:
                hand_forever(db_path, sites_file, servers, report=report, wait=stop.wait, **spread)
            exit_if_stopped(stop, "the jobs handed to scrapyd run on")
    except (ScrapydError, SitesError) as exc:
        raise click.ClickException(str(exc)) from exc
    if errors:
        sys.exit(1)


def _crawl_outcome(returncode: int) -> str:
    if returncode == 0:
        return "ok"
    if returncode in (130, 143):
        return "interrupted"
    return "failed"
