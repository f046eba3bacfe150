"""A page as it was fetched (issue 8): ``/-/capture/pages/ID`` and ``/-/capture/articles/ID``.

The capture is shown as plain text (the WARC record's URL, date and digest, the HTTP
status line and headers, then the payload decoded to text) or, with ``.warc``, handed
over as its one WARC record (``application/warc``, a download that pywb, ReplayWeb.page
or warcio open). Never as HTML: a fetched page served from the archive's own origin
could run its scripts there, so both answers forbid sniffing and sandbox themselves.

The URL names a row, never a file: the file, offset and length come from that row of
``pages`` or ``articles``, and :func:`newsarchive.capture.read_capture` refuses any file
outside the archive's ``warc/`` folder.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from datasette.utils.asgi import Response
from markupsafe import Markup

from newsarchive.arabic.encoding import EncodingError, decode_html
from newsarchive.capture import CapturedResponse, CaptureError, read_capture

ROUTE = r"^/-/capture/(?P<table>pages|articles)/(?P<row_id>\d+)(?P<as_warc>\.warc)?$"
# Whatever the payload holds, the browser treats it as the inert text or file it is.
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}


def capture_path(table: str, row_id: Any, as_warc: bool = False) -> str:
    """The route's path for one row's capture (without the Datasette base URL)."""
    return f"/-/capture/{table}/{row_id}" + (".warc" if as_warc else "")


def capture_cell(datasette: Any, table: str, row: Any, value: Any) -> Markup | None:
    """A ``warc_file`` cell: the file's name, linking to the row's capture."""
    try:
        row_id = row["id"]
    except (IndexError, KeyError):
        return None
    href = datasette.urls.path(capture_path(table, row_id))
    return Markup(
        '<a class="capture-link" href="{}" rel="nofollow"><bdi dir="ltr">{}</bdi></a>'
    ).format(href, Path(str(value)).name)


async def capture_page(datasette: Any, request: Any) -> Response:
    from newsarchive.web.plugin import DATABASE_NAME

    table, row_id = request.url_vars["table"], int(request.url_vars["row_id"])
    if DATABASE_NAME not in datasette.databases:
        return Response.text("no archive is served here", status=404, headers=SAFE_HEADERS)
    db = datasette.get_database(DATABASE_NAME)
    # The row's digest is checked against the record read (a replaced file is refused,
    # not shown as this page's; not the URL: an article's is its canonical one, which
    # may differ from the URL fetched); a page fetched by a distributed worker names its
    # machine, for the message when its file is not here.
    host = "json_extract(signals, '$.warc_host')" if table == "pages" else "NULL"
    result = await db.execute(
        f"SELECT warc_file, warc_offset, warc_length, warc_digest, {host} AS host"
        f" FROM {table} WHERE id = ?",
        [row_id],
    )
    row = result.first()
    if row is None or row["warc_file"] is None:
        return Response.text(
            f"{table} {row_id} has no capture (crawled without WARC, or not crawled)",
            status=404,
            headers=SAFE_HEADERS,
        )
    try:
        captured = await asyncio.to_thread(
            read_capture,
            Path(db.path).parent,
            *row[:4],
            host=row["host"],
        )
    except CaptureError as exc:
        return Response.text(
            f"capture of {table} {row_id}: {exc}", status=404, headers=SAFE_HEADERS
        )
    if request.url_vars.get("as_warc"):
        name = f"{table}-{row_id}.warc.gz"
        headers = {**SAFE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(captured.raw, content_type="application/warc", headers=headers)
    return Response.text(as_text(captured), headers=SAFE_HEADERS)


def as_text(captured: CapturedResponse) -> str:
    """The capture as a reader checks it: record, status line, headers, payload text."""
    lines = [
        f"WARC-Target-URI: {captured.url}",
        f"WARC-Date: {captured.date}",
        f"WARC-Payload-Digest: {captured.digest}",
        "",
        f"HTTP {captured.status}",
        *(f"{name}: {value}" for name, value in captured.headers),
        "",
    ]
    return "\n".join(lines) + "\n" + _payload_text(captured)


def _payload_text(captured: CapturedResponse) -> str:
    """The payload as text, by the page's own charset rules (windows-1256 and
    mis-declared pages included, newsarchive.arabic.encoding), else UTF-8 with
    replacement characters."""
    content_type = captured.header("Content-Type") or ""
    charset = content_type.partition("charset=")[2].split(";")[0].strip() or None
    try:
        return decode_html(captured.content, charset)[0]
    except EncodingError:
        return captured.content.decode("utf-8", errors="replace")
