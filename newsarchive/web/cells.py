"""Table cells people can read: what the plugin's ``render_cell`` hook shows for the
archive's values when no table-specific rendering applies.

- A web address is a left-to-right link that does not hand the archive's address to the
  site (``rel="noopener noreferrer nofollow"``). Without ``dir="ltr"`` a right-to-left
  cell moves the trailing slash of ``https://site/`` to the front: "/https://site".
- A timestamp is a ``<time>`` showing date and minutes, its UTC offset when not UTC, and
  the stored value in full as its tooltip.
- Categories and tags (JSON arrays) are a short list of words.
- Stored English words (a run's status, a page's decision…) are shown in Arabic, the
  stored value as tooltip (newsarchive.web.labels).
- Empty JSON (``[]``, ``{}``) is an empty cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from newsarchive.web import labels

__all__ = ["EMPTY", "foreign_key_html", "readable_cell", "time_html", "time_text", "url_html"]

# Datasette shows its own rendering when a hook returns something falsy, so an empty cell
# is a non-breaking space (Datasette's own empty cell).
EMPTY = Markup("&nbsp;")
URL_REL = "noopener noreferrer nofollow"
LIST_COLUMNS = {("articles", "categories"), ("articles", "tags")}
# The archive's foreign keys (newsarchive.archive's schema), by column.
FOREIGN_KEYS = {("pages", "run_id"): "crawl_runs", ("pages", "article_id"): "articles"}
_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<minutes>\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?"
)


def url_html(url: str, text: str | None = None) -> Markup:
    """A left-to-right link to an absolute http(s) ``url`` (checked by the caller)."""
    return Markup('<a href="{}" dir="ltr" rel="{}">{}</a>').format(url, URL_REL, text or url)


def _time_parts(value: str) -> tuple[str, str, str | None] | None:
    """Date, minutes and (if not UTC) offset of an ISO 8601 timestamp, else None."""
    match = _TIMESTAMP.fullmatch(value.strip())
    if match is None:
        return None
    offset = match["offset"]
    if offset in ("Z", "+00:00", "-00:00", "+0000"):
        offset = None
    return match["date"], match["minutes"], offset


def time_text(value: str) -> str | None:
    """A timestamp as plain text, "YYYY-MM-DD HH:MM" (and its offset when not UTC)."""
    parts = _time_parts(value)
    return " ".join(p for p in parts if p) if parts else None


def time_html(value: str) -> Markup | None:
    """An ISO 8601 timestamp as ``<time>``, or None if ``value`` is not one."""
    parts = _time_parts(value)
    if parts is None:
        return None
    date, minutes, offset = parts
    # Date and time may go on two lines in a narrow column, but never break inside.
    shown = Markup('<span class="date">{}</span> <span class="clock">{}</span>').format(
        date, minutes
    )
    if offset:
        shown += Markup(' <span class="utc-offset">{}</span>').format(offset)
    return Markup('<time datetime="{}" title="{}" dir="ltr">{}</time>').format(value, value, shown)


def foreign_key_html(value: dict, href: str) -> Markup:
    """An expanded foreign key (Datasette passes ``{"value", "label"}``): the other row's
    label (a time shown as one) linking to it, and its id."""
    label = value.get("label")
    key = value.get("value")
    shown = (time_html(label) if isinstance(label, str) else None) or label
    if shown in (None, "") or label == key:
        return Markup('<a href="{}">{}</a>').format(href, key)
    return Markup('<a href="{}">{}</a> <bdi class="fk-id">#{}</bdi>').format(href, shown, key)


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return None


def readable_cell(
    table: str | None, column: str, value: Any, row_url: Callable[[str, str], str]
) -> Markup | None:
    """The cell for ``value`` of ``table.column``, or None for Datasette's rendering.
    ``row_url(table, key)`` is the address of a row of the archive."""
    if (table, column) in FOREIGN_KEYS and isinstance(value, dict) and "value" in value:
        return foreign_key_html(value, row_url(FOREIGN_KEYS[(table, column)], str(value["value"])))
    if table is None or not isinstance(value, str):
        return None
    word = labels.value_label(table, column, value)
    if word is not None:
        return Markup('<span title="{}">{}</span>').format(value, word)
    stripped = value.strip()
    if stripped in ("[]", "{}"):
        return EMPTY
    if (table, column) in LIST_COLUMNS and isinstance(terms := _json(value), list):
        items = Markup("").join(Markup("<li>{}</li>").format(term) for term in terms)
        return Markup('<ul class="cell-terms">{}</ul>').format(items) if terms else EMPTY
    if _is_web_address(stripped):
        return url_html(stripped)
    return time_html(value)


def _is_web_address(value: str) -> bool:
    parts = urlsplit(value)
    return (
        parts.scheme.lower() in ("http", "https")
        and bool(parts.netloc)
        and not any(c.isspace() for c in value)
    )
