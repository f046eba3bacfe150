"""What the archive's table pages need beyond Datasette's own: columns hidden by default,
and the helpers their templates (templates/newsarchive-table.html and friends) call for
Arabic labels, descriptions and capped facets. The hooks that use them are in
:mod:`newsarchive.web.plugin`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from newsarchive.web import labels
from newsarchive.web.cells import time_text

__all__ = [
    "FACET_VALUES_SHOWN",
    "column_choice",
    "default_columns_middleware",
    "describe_table_view",
    "facet_label",
    "facet_values",
    "hidden_columns_url",
    "ordered_facets",
    "page_words",
]

ASGIApp = Callable[..., Awaitable[None]]


# --- columns hidden by default -----------------------------------------------------------

# Datasette 0.65 leaves a column out of a table page with ?_nocol=, but has no way to make
# that the default (https://github.com/simonw/datasette/issues/1989). A table's
# ``plugins.newsarchive.hide_columns`` in metadata.json is applied by redirecting its bare
# HTML page to the same URL with ``_nocol=`` for each: the URL says what is hidden,
# Datasette's own links (sort, facets, next page, the column menu) keep it, and a
# ``_col``/``_nocol`` the reader chose wins. JSON, CSV and ``_format=`` are left alone.
_CHOSEN_COLUMNS = {"_col", "_nocol", "_format"}


async def hidden_columns_url(datasette, database: str, path: str, query: bytes) -> bytes | None:
    """Where to send a GET of ``path?query`` so the table's hidden-by-default columns are
    left out, or None to serve it as asked. The query is kept byte for byte."""
    names = {name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
    if names & _CHOSEN_COLUMNS:
        return None
    tables = datasette.metadata("tables", database=database) or {}
    for table in tables:
        if path != datasette.urls.table(database, table):
            continue
        hide = labels.plugin_settings(datasette, database, table).get("hide_columns")
        db = datasette.get_database(database)
        if not hide or not await db.table_exists(table):
            return None
        # An older archive may lack a column; Datasette answers 400 to an unknown _nocol.
        present = set(await db.table_columns(table))
        nocol = urlencode([("_nocol", column) for column in hide if column in present])
        if not nocol:
            return None
        return path.encode("utf-8") + b"?" + (query + b"&" if query else b"") + nocol.encode()
    return None


def default_columns_middleware(app: ASGIApp, datasette, database: str, enabled) -> ASGIApp:
    """ASGI middleware: redirect (302) a table page to its default columns (see above)
    while ``enabled()``."""

    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD") and enabled():
            query = scope.get("query_string", b"")
            location = await hidden_columns_url(datasette, database, scope["path"], query)
            if location is not None:
                headers = [(b"location", location), (b"content-length", b"0")]
                await send({"type": "http.response.start", "status": 302, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
        await app(scope, receive, send)

    return wrapped


async def column_choice(datasette, request, database: str, table: str) -> dict[str, Any]:
    """What the table page says about its columns: ``hidden`` (the columns left out),
    ``show_all_url`` (every column, as ``_col=`` for each in table order: ``_nocol`` cannot
    say "none", and a bare URL hides the defaults again) and ``default_url``."""
    db = datasette.get_database(database)
    pks = set(await db.primary_keys(table))
    columns = [c for c in await db.table_columns(table) if c not in pks]
    shown = set(request.args.getlist("_col")) if "_col" in request.args else set(columns)
    shown -= set(request.args.getlist("_nocol"))
    kept = [
        (name, value)
        for name, value in parse_qsl(request.query_string, keep_blank_values=True)
        if name not in ("_col", "_nocol", "_next")
    ]
    query = urlencode(kept)
    return {
        "hidden": [c for c in columns if c not in shown],
        "show_all_url": request.path + "?" + urlencode(kept + [("_col", c) for c in columns]),
        "default_url": request.path + ("?" + query if query else ""),
        "has_defaults": bool(
            labels.plugin_settings(datasette, database, table).get("hide_columns")
        ),
    }


# --- Arabic words for the pages ---------------------------------------------------------

# Facet values shown before the "more" control; the rest unfold in place.
FACET_VALUES_SHOWN = 5


def page_words(datasette, database: str | None, table: str | None) -> dict[str, Any]:
    """Template helpers for every page of the archive (``extra_template_vars``): Arabic
    labels for columns, stored values, tables and filter operators (newsarchive.web.labels),
    and the capped, ordered facets of a table page."""

    def column_label(column: str, other_table: str | None = None) -> str:
        return labels.column_label(datasette, database, other_table or table, column)

    def describe(filters, sort=None, sort_desc=None, search=None, **search_counts) -> list[str]:
        return describe_table_view(
            column_label, table, filters, sort, sort_desc, search, **search_counts
        )

    return {
        "column_label": column_label,
        "value_label": lambda column, value: labels.value_label(table, column, value),
        "table_title": lambda name=None: labels.table_label(datasette, database, name or table),
        "lookup_label": labels.lookup_label,
        "describe_table_view": describe,
        "ordered_facets": lambda facets: ordered_facets(datasette, database, table, facets),
        "facet_values": facet_values,
        "facet_label": lambda column, item: facet_label(table, column, item),
    }


def facet_label(table: str | None, column: str, item: dict) -> str:
    """The words for one facet value: Arabic for a stored English word, a foreign key's
    label (a time as text) with its id, else the value; "—" for none."""
    value, label = item.get("value"), item.get("label")
    word = labels.value_label(table, column, value)
    if word:
        return word
    if label not in (None, "") and label != value:
        shown = time_text(label) if isinstance(label, str) else None
        return f"#{value} · {shown or label}"
    return "—" if value in (None, "") else str(value)


def facet_values(results: list[dict], shown: int = FACET_VALUES_SHOWN) -> tuple[list, list]:
    """A facet's values split into those shown (the first ``shown`` and any selected one)
    and the rest, which the page folds under "المزيد"."""
    first = [v for i, v in enumerate(results) if i < shown or v.get("selected")]
    return first, [v for v in results if not any(v is f for f in first)]


def ordered_facets(datasette, database: str | None, table: str | None, facets: list) -> list:
    """Facets in the order metadata.json lists them (Datasette sorts by how many values
    each has, which put a 26-value categories facet first); others after, as given."""
    configured = (datasette.table_metadata(database, table) if database and table else {}).get(
        "facets"
    ) or []
    names = [f if isinstance(f, str) else next(iter(f.values()), "") for f in configured]
    rank = {name: i for i, name in enumerate(names)}
    return sorted(facets, key=lambda facet: rank.get(facet["name"], len(rank)))


def describe_table_view(
    column_label: Callable[[str], str],
    table: str | None,
    filters,
    sort: str | None,
    sort_desc: str | None,
    search: str | None,
    search_total: int | None = None,
    search_kept: int | None = None,
) -> list[str]:
    """What a table page shows, in Arabic: the search, each filter, the order (Datasette
    says it in English as ``human_description_en``)."""
    parts = []
    if search:
        found = f"نتائج البحث عن «{search}»"
        if search_total is not None and search_kept is not None and search_total > search_kept:
            found += f" (أفضل {search_kept:,} من {search_total:,})"
        parts.append(found)
    for column, lookup, value in filters.selections() if filters is not None else []:
        operator = labels.lookup_label(lookup)
        if lookup in ("isnull", "notnull", "isblank", "notblank"):
            parts.append(f"{column_label(column)} {operator}")
        else:
            shown = labels.value_label(table, column, value) or value
            parts.append(f"{column_label(column)} {operator} «{shown}»")
    if sort or sort_desc:
        direction = "تنازليًا" if sort_desc else "تصاعديًا"
        parts.append(f"مرتبة حسب {column_label(sort or sort_desc)} {direction}")
    return parts
