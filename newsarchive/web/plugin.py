"""newsarchive's Datasette plugin: right-to-left Arabic pages, a readable article page,
links from the article list and from the crawl history to each run's fetched pages,
readable page signals, and a read-only archive.

Pages people can read (issue 9): the archive's table and row pages are the plugin's own
templates (table-archive-*.html, row-archive-*.html) in Arabic, with column labels from
metadata.json (newsarchive.web.labels), capped facets and columns hidden by default
(newsarchive.web.tablepage); cells show links, times, lists and Arabic words
(newsarchive.web.cells); errors are Arabic pages (newsarchive.web.errors). An article's
revisions and ``/-/diff`` are word diffs (newsarchive.web.diffs).

Registered through the ``datasette`` entry point in pyproject.toml. Only hooks that
Datasette 0.65 documents are used (https://docs.datasette.io/en/0.65/plugin_hooks.html).

Arabic search: the full-text index holds search keys (newsarchive.arabic), so every
search goes through the one query function, ``newsarchive.search.search_archive``
(what ``newsarchive search`` runs): the search page ``/-/search``
(and ``/-/search.json``) ranks and highlights, and the articles table's ``?_search=`` is a
``filters_from_request`` hook that keeps the function's best matches. metadata.json names
no ``fts_table``, so Datasette's own ``_search`` (raw text against the keys) stays out.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.facets import ArrayFacet
from datasette.filters import FilterArguments
from datasette.utils.asgi import BadRequest, Response, asgi_static
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from newsarchive.arabic.bidi import balance_bidi
from newsarchive.web import capture, diffs, labels, saved, stories
from newsarchive.web.cells import readable_cell, url_html
from newsarchive.web.errors import error_page, error_status
from newsarchive.web.tablepage import column_choice, default_columns_middleware, page_words

log = logging.getLogger(__name__)

DATABASE_NAME = "archive"
PLUGIN_NAME = "newsarchive"
HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
CSS_FILE = "newsarchive.css"
DIFF_CSS = "newsarchive-diff.css"  # word diffs (newsarchive.web.diffs)
# How much of an article's text the table listing shows; the article page has the rest.
TEXT_PREVIEW_CHARS = 240

ASGIApp = Callable[..., Awaitable[None]]


def _ours(datasette: Any, database: str | None = None) -> bool:
    """The plugin is installed for every Datasette in the environment; it only changes
    instances that serve the archive (and, per table, only the archive's tables)."""
    if database is not None:
        return database == DATABASE_NAME
    return DATABASE_NAME in datasette.databases


# --- right-to-left pages -----------------------------------------------------------------

# Datasette 0.65's base.html writes a bare ``<html>`` outside any template block, so no
# template can set lang/dir; rewriting the opening tag of HTML responses is the one hook
# that reaches it without copying Datasette's templates.
_HTML_TAG = re.compile(rb"<html(?=[\s>])([^>]*)>", re.IGNORECASE)
_LANG_DIR = re.compile(rb"\s(?:lang|dir)\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)


def mark_rtl(body: bytes) -> bytes:
    """Give the first ``<html>`` tag of ``body`` ``lang="ar" dir="rtl"`` (replacing any
    lang/dir it had). A body without an ``<html>`` tag comes back unchanged."""
    match = _HTML_TAG.search(body)
    if match is None:
        return body
    attributes = _LANG_DIR.sub(b"", match.group(1))
    tag = b'<html lang="ar" dir="rtl"' + attributes + b">"
    return body[: match.start()] + tag + body[match.end() :]


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"content-type" and value.lower().startswith(b"text/html")
        for name, value in headers
    )


def rtl_middleware(app: ASGIApp, enabled: Callable[[], bool] = lambda: True) -> ASGIApp:
    """ASGI middleware: buffer each text/html response, mark its ``<html>`` tag RTL and
    send it with a corrected content-length. Other responses pass through untouched, as
    does everything while ``enabled()`` is false."""

    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not enabled():
            await app(scope, receive, send)
            return
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and _is_html(message["headers"]):
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            original = b"".join(chunks)
            body = mark_rtl(original)
            headers = list(start["headers"])
            if body != original:
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode("ascii")))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await app(scope, receive, capture)

    return wrapped


@hookimpl
def asgi_wrapper(datasette):
    # Datasette builds its app (for ds.client) inside its constructor, before
    # build_datasette has named the database, so ask per request whether it is ours.
    # Inside it, a table page's bare URL is redirected to its default columns
    # (newsarchive.web.tablepage).
    def ours() -> bool:
        return _ours(datasette)

    return lambda app: rtl_middleware(
        default_columns_middleware(app, datasette, DATABASE_NAME, ours), ours
    )


# --- templates and static files ----------------------------------------------------------


@hookimpl
def prepare_jinja2_environment(env: Environment, datasette) -> None:
    # Datasette looks for a plugin's templates/ and static/ only when the entry point is a
    # package (importlib.resources.files raises TypeError for a module on Python 3.11),
    # and ours is the module newsarchive.web.plugin. Our loader goes *after* Datasette's,
    # so --template-dir still wins and ``default:row.html`` still resolves.
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES_DIR))])
    env.filters["json_list"] = json_list
    env.filters["paragraphs"] = paragraphs
    env.filters["http_url"] = http_url
    env.filters["bidi"] = balance_bidi
    env.filters["revision_reason"] = lambda reason: labels.REVISION_REASON.get(reason, reason)


@hookimpl
def register_routes(datasette):
    # Same URL Datasette would give a package plugin's static/ (see above); plugin routes
    # are matched before Datasette's own.
    return [
        (rf"^/-/static-plugins/{PLUGIN_NAME}/(?P<path>.*)$", asgi_static(STATIC_DIR)),
        (r"^/-/search(?P<as_json>\.json)?$", search_page),
        (r"^/-/health$", health_page),
        (r"^/-/saved-searches$", saved.saved_searches_page),
        (r"^/-/feeds/(?P<name>[^/]+)\.atom$", saved.feed),
        (r"^/-/diff$", diffs.diff_page),
        (capture.ROUTE, capture.capture_page),
    ]


@hookimpl
def extra_css_urls(datasette):
    if not _ours(datasette):
        return []
    return [datasette.urls.static_plugins(PLUGIN_NAME, name) for name in (CSS_FILE, DIFF_CSS)]


# --- template helpers (Jinja filters) ----------------------------------------------------


def json_list(value: Any) -> list[str]:
    """A JSON array column (categories, tags) as a list; anything else as []."""
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return [str(v) for v in parsed] if isinstance(parsed, list) else []


def paragraphs(text: str | None) -> list[str]:
    """The stored text split into paragraphs: one per non-blank line (extraction and
    seed files keep one paragraph per line), bidi controls balanced in each."""
    return [balance_bidi(line.strip()) for line in (text or "").splitlines() if line.strip()]


def http_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None: ``seed:`` keys and
    ``javascript:`` URLs must never become links."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


# --- the article list and page -----------------------------------------------------------


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None or not _ours(datasette, database):
        return None
    if column == "warc_file" and table in ("articles", "pages"):
        cell = capture.capture_cell(datasette, table, row, value)
    elif table == "articles":
        cell = _article_cell(row, value, column, datasette, database)
    elif table == "pages" and column == "signals":
        cell = signals_html(value)
    elif table == "crawl_runs":
        cell = _run_cell(row, value, column, datasette, database)
    else:
        cell = None
    # Links, times, lists and Arabic words for everything else (newsarchive.web.cells).
    if cell is not None:
        return cell
    return readable_cell(table, column, value, lambda t, key: datasette.urls.row(database, t, key))


def _article_cell(row, value, column, datasette, database):
    if column == "title":
        try:
            article_id = row["id"]
        except (IndexError, KeyError):
            return None
        href = datasette.urls.row(database, "articles", str(article_id))
        return Markup('<a class="article-link" href="{}">{}</a>').format(
            href, balance_bidi(str(value))
        )
    if column == "text" and isinstance(value, str) and len(value) > TEXT_PREVIEW_CHARS:
        # The listing is for scanning; whole articles made each row a page long.
        return balance_bidi(value[:TEXT_PREVIEW_CHARS].rstrip() + " …")
    if column in ("text", "description", "author") and isinstance(value, str):
        # Shown as is, but an override opened in them ends inside their cell.
        balanced = balance_bidi(value)
        return balanced if balanced is not value else None
    return None


def _json_value(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def _json_object(value: Any) -> dict[str, Any] | None:
    parsed = _json_value(value)
    return parsed if isinstance(parsed, dict) else None


def signals_html(value: Any) -> Markup | None:
    """A page's signals (a JSON object) whole, as JSON with one signal a line, Arabic
    left readable: they are the evidence for the decision. Anything else keeps
    Datasette's rendering."""
    signals = _json_object(value)
    if not signals:
        return None
    lines = ",\n".join(
        f"  {json.dumps(name, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
        for name, v in signals.items()
    )
    return Markup('<pre class="page-signals">{}</pre>').format("{\n" + lines + "\n}")


def _run_cell(row, value, column, datasette, database):
    """The crawl history leads to the run's pages: its page count to all of them, each
    dropped reason to the pages dropped for it."""
    try:
        run_id = row["id"]
    except (IndexError, KeyError):
        return None

    def pages_url(**args: Any) -> str:
        query = urlencode({"run_id": run_id, **args})
        return datasette.urls.table(database, "pages") + "?" + query

    if column == "pages" and value:
        return Markup('<a class="run-pages" href="{}">{}</a>').format(pages_url(), value)
    if column == "dropped_reasons" and (reasons := _json_object(value)):
        # Each reason in Arabic (its stored wording as tooltip), most pages first.
        items = Markup("").join(
            Markup('<li><a href="{}" title="{}">{}</a> <bdi class="count">{}</bdi></li>').format(
                pages_url(reason=r), r, labels.reason_label(r), n
            )
            for r, n in sorted(
                reasons.items(), key=lambda kv: -kv[1] if isinstance(kv[1], int) else 0
            )
        )
        return Markup('<ul class="run-reasons">{}</ul>').format(items)
    if column == "dropped_examples" and (examples := _json_object(value)):
        # Up to 3 URLs per reason: folded, or the table grows a column of long URLs.
        items, shown = Markup(""), 0
        for reason, urls in examples.items():
            urls = urls if isinstance(urls, list) else []
            shown += len(urls)
            links = Markup(" ").join(
                url_html(link)
                if (link := http_url(str(url)))
                else Markup("<bdi>{}</bdi>").format(url)
                for url in urls
            )
            items += Markup('<dt title="{}">{}</dt><dd>{}</dd>').format(
                reason, labels.reason_label(reason), links
            )
        return Markup(
            '<details class="run-examples"><summary>أمثلة ({})</summary><dl>{}</dl></details>'
        ).format(shown, items)
    if column == "errors" and isinstance(errors := _json_value(value), list) and errors:
        items = Markup("").join(
            Markup('<li dir="auto" title="{}">{}</li>').format(e, e) for e in errors
        )
        return Markup('<ol class="run-errors">{}</ol>').format(items)
    return None


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    if not _ours(datasette):
        return {}

    async def inner() -> dict[str, Any]:
        context = page_words(datasette, database, table)
        if view_name == "table" and database == DATABASE_NAME and request is not None:
            context["column_choice"] = await column_choice(datasette, request, database, table)
        if view_name == "row" and table == "articles" and database == DATABASE_NAME:
            context.update(await diffs.revision_context(datasette, database, request))
            context.update(await stories.article_story(datasette, database, request))
        return context

    return inner


# --- Arabic search ----------------------------------------------------------------------

# Deeper pages than this would ask search_archive past its MAX_RESULTS.
MAX_PAGE = 400
# Results per search page, and how many of the best matches the articles table keeps for
# ?_search= (the table sorts them its own way: by date unless told otherwise).
SEARCH_PAGE_SIZE = 20
TABLE_SEARCH_HITS = 500
_SEARCH_ARGS = ("source", "since", "until", "category")


async def _search(datasette, text: str, **options: Any):
    from newsarchive.search import search_archive

    db = datasette.get_database(DATABASE_NAME)
    return await db.execute_fn(lambda conn: search_archive(conn, text, **options))


def _month_range(month: str) -> tuple[str, str] | None:
    """The first and last day of YYYY-MM, for a month facet's link."""
    if not re.fullmatch(r"\d{4}-\d{2}", month) or not 1 <= int(month[5:]) <= 12:
        return None
    days = calendar.monthrange(int(month[:4]), int(month[5:]))[1]
    return f"{month}-01", f"{month}-{days:02d}"


async def search_page(datasette, request) -> Response:
    """``/-/search?q=…``: ranked, highlighted results with source and month facets and
    pagination; ``/-/search.json`` returns the same page as JSON."""
    from newsarchive.search import SearchError

    if not _ours(datasette):
        return Response.text("no archive here", status=404)
    as_json = bool(request.url_vars.get("as_json"))
    text = request.args.get("q", "").strip()
    filters = {name: request.args.get(name, "").strip() or None for name in _SEARCH_ARGS}
    order = "recent" if request.args.get("order") == "recent" else "relevance"
    # ?copies=all: every copy of a story, not one hit per story (newsarchive.stories).
    all_copies = request.args.get("copies") == "all"
    try:
        page = min(max(1, int(request.args.get("page", "1"))), MAX_PAGE)
    except ValueError:
        page = 1
    results, error = None, None
    if text:
        try:
            results = await _search(
                datasette,
                text,
                **filters,
                order=order,
                limit=SEARCH_PAGE_SIZE,
                offset=(page - 1) * SEARCH_PAGE_SIZE,
                facets=True,
                all_copies=all_copies,
            )
        except SearchError as exc:
            error = str(exc)
    if as_json:
        if error:
            return Response.json({"ok": False, "error": error}, status=400)
        return Response.json(_results_json(results, text))
    context = {
        "q": text,
        "filters": filters,
        "order": order,
        "all_copies": all_copies,
        "page": page,
        "results": results,
        "error": error,
        "page_size": SEARCH_PAGE_SIZE,
        "search_url": lambda **changes: _search_url(datasette, request, **changes),
        "month_range": _month_range,
        "row_url": lambda article_id: datasette.urls.row(DATABASE_NAME, "articles", article_id),
    }
    html = await datasette.render_template(
        "newsarchive-search.html", context, request=request, view_name="search"
    )
    return Response.html(html, status=400 if error else 200)


def _results_json(results, text: str) -> dict[str, Any]:
    if results is None:
        return {"ok": True, "q": text, "total": 0, "total_exact": True, "hits": []}
    return {
        "ok": True,
        "q": text,
        "total": results.total,
        "total_exact": results.total_exact,
        "counting": results.counting,
        "ranked": results.ranked,
        "offset": results.offset,
        "limit": results.limit,
        "hits": [{**hit.to_json(), "title_html": hit.title_html} for hit in results.hits],
        "facets": {name: [list(pair) for pair in pairs] for name, pairs in results.facets.items()},
    }


def _search_url(datasette, request, **changes: Any) -> str:
    """This search's URL with some arguments changed (None removes one); a change of
    anything but the page goes back to page 1."""
    args = {key: request.args.get(key) for key in ("q", *_SEARCH_ARGS, "order", "copies", "page")}
    if "page" not in changes:
        args["page"] = None
    args.update(changes)
    query = urlencode({k: v for k, v in args.items() if v not in (None, "")})
    return datasette.urls.path("/-/search") + ("?" + query if query else "")


@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    # trylast: our extra_context is merged after Datasette's own search_filters, whose
    # supports_search is False because metadata.json names no fts_table for articles.
    if table != "articles" or not _ours(datasette, database):
        return None

    async def inner() -> FilterArguments:
        from newsarchive.search import SearchError

        text = request.args.get("_search", "").strip()
        context = {"supports_search": True, "search": text}
        if not text:
            return FilterArguments([], extra_context=context)
        try:
            results = await _search(datasette, text, limit=TABLE_SEARCH_HITS, snippets=False)
        except SearchError as exc:
            raise BadRequest(f"search: {exc}") from None
        ids = [hit.id for hit in results.hits]
        # For the page's Arabic description (describe_table_view).
        context.update(search_total=results.total, search_kept=len(ids))
        described = f'search matches "{text}"'
        if results.total > len(ids):
            about = "" if results.total_exact else "about "
            # The table's facets count the rows it holds; /-/search counts every match.
            described += (
                f" (the {len(ids)} best of {about}{results.total:,}; facets count these,"
                " the search page counts all)"
            )
        return FilterArguments(
            ["id IN (SELECT value FROM json_each(:newsarchive_search_ids))"],
            {"newsarchive_search_ids": json.dumps(ids)},
            [described],
            context,
        )

    return inner


# --- facets ------------------------------------------------------------------------------


class CategoryFacet(ArrayFacet):
    """Datasette 0.65's array facet de-duplicates whole rows (``distinct j.value,
    inner.*``), copying every article's text: on 30,000 articles it passes the facet time
    limit and silently vanishes. The same facet over (id, categories) only takes ~70 ms.
    Configured as ``{"categories": "categories"}``, URL ``_facet_categories=``."""

    type = "categories"

    async def suggest(self):
        return []

    async def facet_results(self):
        whole = self.sql
        self.sql = f"select id, categories from ({whole})"
        try:
            results, timed_out = await super().facet_results()
        finally:
            self.sql = whole
        for result in results:
            result["type"] = self.type
            result["toggle_url"] = result["toggle_url"].replace(
                "_facet_array=", "_facet_categories="
            )
        return results, timed_out


@hookimpl
def register_facet_classes():
    return [CategoryFacet]


# --- navigation --------------------------------------------------------------------------


@hookimpl
def menu_links(datasette):
    if not _ours(datasette):
        return []
    return [
        {"href": datasette.urls.path("/-/search"), "label": "البحث"},
        {"href": datasette.urls.path("/-/saved-searches"), "label": "عمليات البحث المحفوظة"},
        {"href": datasette.urls.table(DATABASE_NAME, "articles"), "label": "المقالات"},
        {"href": datasette.urls.table(DATABASE_NAME, "crawl_runs"), "label": "سجل الزحف"},
        {"href": datasette.urls.path("/-/health"), "label": "صحة المصادر"},
        {"href": datasette.urls.table(DATABASE_NAME, "pages"), "label": "الصفحات المجلوبة"},
        {"href": datasette.urls.table(DATABASE_NAME, "sources"), "label": "المصادر"},
    ]


# --- error pages -------------------------------------------------------------------------


@hookimpl
def handle_exception(datasette, request, exception):
    # Datasette 0.65 renders errors with error.html outside render_template (no plugin CSS,
    # English words); JSON requests keep its JSON errors.
    if not _ours(datasette) or datasette.pdb or request.path.endswith(".json"):
        return None
    status, detail = error_status(exception)
    return lambda: error_page(datasette, request, status, detail)


@hookimpl
def forbidden(datasette, request, message):
    if not _ours(datasette):
        return None
    return lambda: error_page(datasette, request, 403, message)


# --- read-only ---------------------------------------------------------------------------


@hookimpl
def prepare_connection(conn, database, datasette):
    # Datasette 0.65 reads a mutable database over mode=ro connections; its one way to
    # write is a canned query marked "write": true, run on a separate write connection.
    # query_only makes SQLite refuse any write on every archive connection, so nothing on
    # the web can change the archive whatever metadata is passed in.
    # https://www.sqlite.org/pragma.html#pragma_query_only
    if _ours(datasette, database):
        conn.execute("PRAGMA query_only = 1")


# --- source health (/-/health) ------------------------------------------------------------

HEALTH_STATES = {"unhealthy": "معتل", "warning": "تنبيه", "ok": "سليم", "new": "جديد"}
HEALTH_TRENDS = {"rising": "في ازدياد", "steady": "ثابت", "falling": "في تراجع"}
HEALTH_TRENDS |= {"stopped": "توقف", "-": "غير معروف بعد"}
HEALTH_LABELS = {
    "stale": "لا زحف ناجحا منذ مدة:",
    "stopped": "توقف المصدر عن تقديم مقالات جديدة:",
    "errors": "صفحات فاشلة كثيرة:",
    "dropped": "كل الصفحات مستبعدة:",
    "quality": "تراجعت جودة الاستخراج (تغيّر تصميم الموقع؟):",
    "failed": "فشل آخر زحف.",
    "killed": "أوقف آخر زحف قسرا.",
}


def _health_bars(per_day: list[tuple[str, int]], days: int = 30) -> list[tuple]:
    """(day, count, x, height) for the last ``days`` days, oldest first, in a 300×40 box."""
    from datetime import UTC, datetime, timedelta

    counts = dict(per_day)
    today = datetime.now(UTC).date()
    span = [(today - timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
    top = max((counts.get(day, 0) for day in span), default=0) or 1
    return [
        (day, counts.get(day, 0), i * 10, round(38 * counts.get(day, 0) / top))
        for i, day in enumerate(span)
    ]


async def health_page(datasette, request) -> Response:
    """``/-/health``: each source's health (newsarchive.health) with its articles per day."""
    import sqlite_utils

    from newsarchive.archive import Archive
    from newsarchive.health import assess_all, registry_intervals

    if not _ours(datasette):
        return Response.text("no archive here", status=404)
    db = datasette.get_database(DATABASE_NAME)
    activity = await db.execute_fn(
        lambda conn: Archive(sqlite_utils.Database(conn)).source_activity()
    )
    context = {
        "report": assess_all(activity, registry_intervals()),
        "states": HEALTH_STATES,
        "trends": HEALTH_TRENDS,
        "labels": HEALTH_LABELS,
        "bars": _health_bars,
        "zip": zip,
    }
    html = await datasette.render_template(
        "newsarchive-health.html", context, request=request, view_name="health"
    )
    return Response.html(html)
