"""Saved searches on the web (issue 11): the list page, the save button's handler, and
an Atom feed (RFC 4287) of each saved search's newest matches.

The feed's entries come from the one search function (newsarchive.search), not from
SQL, so datasette-atom (which renders the rows of a SQL query) does not fit; the feed is
built with ElementTree, so it is well-formed whatever the titles hold. Arabic stays
readable in any reader: the feed and every entry say ``xml:lang``, titles are plain
text, and summaries are HTML wrapped in ``<div dir="rtl">`` so right-to-left text
keeps its direction inside a left-to-right reader.

Saving is the web's one write, and it touches only ``saved_searches``: it goes through
the archive's own function on a connection of its own (Datasette's are query-only) and,
as every POST in Datasette, needs the page's CSRF token.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

from datasette.utils.asgi import Response

log = logging.getLogger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED_ENTRIES = 50
_FILTERS = ("source", "since", "until", "category")

ET.register_namespace("", ATOM)


def feed_path(name: str) -> str:
    """The path of the Atom feed of the saved search ``name``."""
    return "/-/feeds/" + quote(name, safe="") + ".atom"


def search_path(saved: dict[str, Any]) -> str:
    """The search page's path for a saved search (its query and filters)."""
    args = {"q": saved["query"], **{k: saved[k] for k in _FILTERS if saved.get(k)}}
    return "/-/search?" + urlencode(args)


def _rfc3339(value: str | None) -> str | None:
    """An ISO 8601 date or date-time as an RFC 3339 date-time (Atom's), or None."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:  # a bare date or an unknown offset: read as UTC
        when = when.replace(tzinfo=UTC)
    return when.isoformat(timespec="seconds")


def atom_feed(
    saved: dict[str, Any],
    results: Any,
    *,
    feed_url: str,
    page_url: str,
    row_url: Any,
    changed: dict[int, str] | None = None,
) -> bytes:
    """The Atom document of a saved search: ``results`` are its newest matches
    (newsarchive.search.SearchResults, newest first); ``changed`` maps an article id to
    when it last changed (its entry's ``updated``), else its publication date is used."""
    changed = changed or {}
    feed = ET.Element(f"{{{ATOM}}}feed", {XML_LANG: "ar"})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    add(feed, "id", feed_url)
    add(feed, "title", f"{saved['name']} — newsarchive", type="text")
    add(feed, "subtitle", f"أحدث المقالات المطابقة لـ: {saved['query']}", type="text")
    add(feed, "link", rel="self", type="application/atom+xml", href=feed_url)
    add(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = add(feed, "author")
    add(author, "name", "newsarchive")
    add(feed, "generator", "newsarchive")
    stamps = []
    entries = []
    for hit in results.hits:
        updated = (
            _rfc3339(changed.get(hit.id)) or _rfc3339(hit.published) or _rfc3339(saved["created"])
        )
        stamps.append(updated)
        entry = ET.Element(f"{{{ATOM}}}entry", {XML_LANG: "ar"})
        original = hit.url if hit.url.startswith(("http://", "https://")) else None
        add(entry, "id", original or f"urn:newsarchive:article:{hit.id}")
        add(entry, "title", hit.title, type="text")
        add(entry, "updated", updated)
        if hit.published and (published := _rfc3339(hit.published)):
            add(entry, "published", published)
        add(entry, "link", rel="alternate", type="text/html", href=original or row_url(hit.id))
        if original:
            add(entry, "link", rel="related", type="text/html", href=row_url(hit.id))
        if hit.source:
            add(entry, "category", term=hit.source)
        # The snippet is escaped HTML with <mark>s; as type="html" it is text here, and
        # ElementTree escapes it once more, as RFC 4287 section 3.1.1.2 wants.
        add(entry, "summary", f'<div dir="rtl" lang="ar">{hit.snippet}</div>', type="html")
        entries.append(entry)
    newest = max((s for s in stamps if s), default=None)
    add(feed, "updated", newest or datetime.now(UTC).isoformat(timespec="seconds"))
    feed.extend(entries)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


async def saved_searches_page(datasette, request) -> Response:
    """``/-/saved-searches``: every saved search with links to its results and its
    feed; a POST (the search page's save button) saves one and comes back here."""
    from newsarchive.archive import ArchiveError, open_archive
    from newsarchive.search import SearchError
    from newsarchive.web.plugin import DATABASE_NAME, _ours, _search

    if not _ours(datasette):
        return Response.text("no archive here", status=404)
    database = DATABASE_NAME
    error = None
    if request.method == "POST":
        form = await request.post_vars()
        # Datasette's CSRF check (asgi-csrf) lets a POST without any cookie through; a
        # save must come from a page of this server, which set the token cookie.
        token = request.cookies.get("ds_csrftoken")
        if not token or form.get("csrftoken") != token:
            return Response.text(
                "the save form has expired: reload the search page and save again", status=403
            )
        if form.get("delete"):
            path = datasette.get_database(database).path
            with open_archive(path, create=False) as archive:
                archive.delete_saved_search(form["delete"])
            return Response.redirect(datasette.urls.path("/-/saved-searches"))
        name = (form.get("name") or "").strip()
        query = (form.get("q") or "").strip()
        filters = {k: (form.get(k) or "").strip() or None for k in _FILTERS}
        try:
            await _search(datasette, query, limit=1, snippets=False, **filters)
            path = datasette.get_database(database).path
            with open_archive(path, create=False) as archive:
                archive.save_search(name, query, **filters)
        except (SearchError, ValueError, ArchiveError) as exc:
            error = str(exc)
        else:
            return Response.redirect(datasette.urls.path("/-/saved-searches"))
    db = datasette.get_database(database)
    rows = await db.execute("SELECT * FROM saved_searches ORDER BY name")
    saved = [dict(row) for row in rows.rows]
    context = {
        "saved": saved,
        "error": error,
        "feed_path": lambda name: datasette.urls.path(feed_path(name)),
        "search_path": lambda row: datasette.urls.path(search_path(row)),
    }
    html = await datasette.render_template(
        "newsarchive-saved.html", context, request=request, view_name="saved-searches"
    )
    return Response.html(html, status=400 if error else 200)


async def feed(datasette, request) -> Response:
    """``/-/feeds/NAME.atom``: the newest matches of a saved search, as Atom."""
    from newsarchive.search import SearchError
    from newsarchive.web.plugin import DATABASE_NAME, _ours, _search

    if not _ours(datasette):
        return Response.text("no archive here", status=404)
    database = DATABASE_NAME
    name = unquote(request.url_vars["name"])
    db = datasette.get_database(database)
    rows = await db.execute("SELECT * FROM saved_searches WHERE name = ?", [name])
    if not rows.rows:
        return Response.text(f"no saved search called {name!r}", status=404)
    saved = dict(rows.rows[0])
    filters = {k: saved[k] for k in _FILTERS if saved.get(k)}
    try:
        results = await _search(
            datasette, saved["query"], order="recent", limit=FEED_ENTRIES, **filters
        )
    except SearchError as exc:
        return Response.text(f"saved search {name!r}: {exc}", status=400)
    # An entry's updated: the article's own modified date, else published (in the
    # hit), else when the archive first stored it.
    ids = json.dumps([hit.id for hit in results.hits])
    dates = await db.execute(
        "SELECT id, coalesce(modified, published, first_seen) FROM articles"
        " WHERE id IN (SELECT value FROM json_each(?))",
        [ids],
    )
    body = atom_feed(
        saved,
        results,
        changed={row[0]: row[1] for row in dates.rows},
        feed_url=datasette.absolute_url(request, datasette.urls.path(feed_path(name))),
        page_url=datasette.absolute_url(request, datasette.urls.path(search_path(saved))),
        row_url=lambda article_id: datasette.absolute_url(
            request, datasette.urls.row(database, "articles", str(article_id))
        ),
    )
    return Response(body, content_type="application/atom+xml; charset=utf-8")
