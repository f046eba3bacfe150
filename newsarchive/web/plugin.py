"""newsarchive's Datasette plugin: right-to-left Arabic pages, a readable article page,
links from the article list, and a read-only archive.

Registered through the ``datasette`` entry point in pyproject.toml. Only hooks that
Datasette 0.65 documents are used (https://docs.datasette.io/en/0.65/plugin_hooks.html).

Seam for Arabic search: the full-text index holds search keys (newsarchive.arabic), so a
``_search`` query must go through the same key function before it reaches FTS5. That
belongs in a ``filters_from_request`` hook (or a search route) added here; until then
Datasette's own ``?_search=`` works on the ``fts_table`` named in metadata.json.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.utils import urlsafe_components
from datasette.utils.asgi import asgi_static
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

log = logging.getLogger(__name__)

DATABASE_NAME = "archive"
PLUGIN_NAME = "newsarchive"
HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
CSS_FILE = "newsarchive.css"
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
    return lambda app: rtl_middleware(app, lambda: _ours(datasette))


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


@hookimpl
def register_routes(datasette):
    # Same URL Datasette would give a package plugin's static/ (see above); plugin routes
    # are matched before Datasette's own.
    return [(rf"^/-/static-plugins/{PLUGIN_NAME}/(?P<path>.*)$", asgi_static(STATIC_DIR))]


@hookimpl
def extra_css_urls(datasette):
    if not _ours(datasette):
        return []
    return [datasette.urls.static_plugins(PLUGIN_NAME, CSS_FILE)]


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
    seed files keep one paragraph per line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


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
    if table != "articles" or not _ours(datasette, database) or value is None:
        return None
    if column == "title":
        try:
            article_id = row["id"]
        except (IndexError, KeyError):
            return None
        href = datasette.urls.row(database, table, str(article_id))
        return Markup('<a class="article-link" href="{}">{}</a>').format(href, value)
    if column == "text" and isinstance(value, str) and len(value) > TEXT_PREVIEW_CHARS:
        # The listing is for scanning; whole articles made each row a page long.
        return value[:TEXT_PREVIEW_CHARS].rstrip() + " …"
    return None


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    if view_name != "row" or table != "articles" or not _ours(datasette, database):
        return {}

    async def article_revisions() -> dict[str, Any]:
        pks = urlsafe_components(request.url_vars["pks"])
        results = await datasette.get_database(database).execute(
            "SELECT id, title, published, modified, fetched, replaced FROM revisions"
            " WHERE article_id = ? ORDER BY id DESC",
            [pks[0]],
        )
        return {"article_revisions": [dict(r) for r in results.rows]}

    return article_revisions


# --- navigation --------------------------------------------------------------------------


@hookimpl
def menu_links(datasette):
    if not _ours(datasette):
        return []
    return [
        {"href": datasette.urls.table(DATABASE_NAME, "articles"), "label": "المقالات"},
        {"href": datasette.urls.table(DATABASE_NAME, "crawl_runs"), "label": "سجل الزحف"},
        {"href": datasette.urls.table(DATABASE_NAME, "sources"), "label": "المصادر"},
    ]


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
