"""Capture: every response a crawl fetches, kept as standard WARC 1.1 records (issue 8).

Articles, listings, feeds, sitemaps, robots.txt, redirects and 4xx/5xx errors alike: a
downloader middleware (:class:`CaptureMiddleware`) hands each response, with the request
that asked for it, to a writer thread (:class:`WarcWriter`), which writes a ``response``
and a ``request`` record (and, once the page's decision is known, a ``metadata`` record
with it) through warcio, gzipped per record, into rotating files
``warc/<source>/<source>-<YYYYmmddHHMMSS>-<serial>-<pid>~<host>.warc.gz`` beside the
archive (a new file past NEWSARCHIVE_WARC_MAX_SIZE, 1 GB as Heritrix's default). The
process id and host name end the name, as Heritrix's do, so the files of distributed
workers (newsarchive.distributed), each written beside its own NEWSARCHIVE_DB, never
share a name and can be gathered into one archive's ``warc/`` folder.

Why warcio and not scrapy-webarchive: scrapy-webarchive 0.5 pins Scrapy < 2.12 and
warcio 1.7.4 (we need Scrapy 2.15), writes on the reactor thread, one WARC per crawl
with no rotation, and reports no record offsets, which each ``pages`` and ``articles``
row needs. warcio is the maintained WARC library beneath it (and beneath pywb); what is
ours is only the Scrapy glue, the rotation and the writer thread.

What is recorded is what the server sent: the middleware sits outside Scrapy's
RedirectMiddleware (600) and HttpCompressionMiddleware (590), so it sees 3xx responses
before they are followed and bodies before they are decompressed (headers and body
agree: ``Content-Encoding: gzip`` with the gzipped bytes). Scrapy has already undone
chunked transfer coding, so that header is kept as ``X-Archive-Orig-Transfer-Encoding``
(a reader must not de-chunk the stored body). RobotsTxtMiddleware fetches robots.txt
through the engine's downloader, so its responses pass here too.

Where a record lands (file, offset and length of the response record's gzip member,
its WARC-Payload-Digest) is known only once the writer thread wrote it. The middleware
names each record up front (its WARC-Record-ID and a sequence number, in the request's
meta); the spider copies that name into the page's :class:`~newsarchive.items.Capture`
and the pipeline asks the writer for the location when it writes the page (:func:`resolve`).
A page whose record is not written yet waits for the pipeline's next batch, so the
crawl never waits on the disk but at its end. Extraction workers never see captures.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import queue
import re
import socket
import threading
import uuid
import weakref
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive import __version__
from newsarchive.items import Capture, PageRecord
from newsarchive.limits import parse_size

log = logging.getLogger(__name__)

# The folder beside the archive file that holds the WARC files, one folder per source.
WARC_DIR = "warc"
# Heritrix's default WARC file size.
DEFAULT_MAX_SIZE = 1_000_000_000
# Records waiting for the writer thread at most; a full queue makes the crawl wait (a
# disk slower than the network slows the crawl rather than filling the memory).
QUEUE_SIZE = 256
# The request meta key holding (url, record id, sequence) of the response's record.
META_KEY = "newsarchive_warc"
# Placed records kept for the pipeline to claim; a page is written seconds after its
# response, so older ones (redirect hops, robots.txt, retries) are only forgotten.
_KEEP_PLACED = 50_000
# How long the pipeline waits for the writer before storing a page without its capture.
RESOLVE_TIMEOUT = 60.0
# zlib's default level, as Heritrix and wget write their WARCs: warcio's own level 9 costs
# 1.75x the CPU (3.2 against 1.8 ms for a 137 KB news page) for 1% less disk.
GZIP_LEVEL = 6


class CaptureError(Exception):
    """A capture cannot be read back (not under the archive's WARC folder, not a
    response record, a damaged file)."""


def warc_root(archive_dir: str | Path) -> Path:
    return Path(archive_dir) / WARC_DIR


# --- the writer thread -------------------------------------------------------------------


@dataclass
class _Exchange:
    """One request and its response as fetched, for the writer thread."""

    record_id: str
    seq: int
    url: str
    date: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    ip_address: str | None = None


@dataclass
class _Description:
    """The decision on a page, as a metadata record about its response record."""

    url: str
    refers_to: str
    fields: list[tuple[str, str]] = field(default_factory=list)


_STOP = object()
# Every writer not closed yet, so a hard stop can freeze them at a record boundary.
_OPEN_WRITERS: weakref.WeakSet[WarcWriter] = weakref.WeakSet()


class WarcWriter:
    """Writes records to ``warc/<source>/`` in a thread of its own, rotating files
    past ``max_size`` bytes, and tells where each response record landed."""

    def __init__(
        self,
        archive_dir: str | Path,
        source: str,
        max_size: int = DEFAULT_MAX_SIZE,
        host: str | None = None,
        pid: int | None = None,
    ):
        self.archive_dir = Path(archive_dir)
        self.source = source
        self.max_size = max_size
        # Who writes, at the end of every file name: workers' files never collide.
        host = re.sub(r"[^A-Za-z0-9.-]+", "-", host or socket.gethostname()) or "host"
        self.writer_name = f"{os.getpid() if pid is None else pid}~{host}"
        self.folder = warc_root(archive_dir) / source
        self.queue: queue.Queue = queue.Queue(QUEUE_SIZE)
        self.placed: OrderedDict[str, Capture] = OrderedDict()
        self.done = threading.Condition()
        self.submitted = 0
        self.written = 0  # sequence numbers below this are written (or failed)
        self.failed: str | None = None
        self.bytes_written = 0
        # Held while a record is written: a hard stop takes it, so a file never ends
        # in the middle of a record.
        self.lock = threading.Lock()
        self._file: io.BufferedWriter | None = None
        self._name = ""
        self._serial = 0
        # Records are serialised by warcio uncompressed, then gzipped here (GZIP_LEVEL).
        self._warc = WARCWriter(None, gzip=False, warc_version="1.1")
        self._thread = threading.Thread(target=self._run, name=f"warc-{source}", daemon=True)
        self._thread.start()
        _OPEN_WRITERS.add(self)

    # -- called from the reactor thread --

    def next_seq(self) -> int:
        seq = self.submitted
        self.submitted += 1
        return seq

    def submit(self, exchange: _Exchange) -> None:
        self.queue.put(exchange)

    def describe(self, description: _Description) -> None:
        self.queue.put(description)

    def locate(
        self, pending: Iterable[tuple[str, int]], timeout: float
    ) -> tuple[dict[str, Capture], set[str]]:
        """Where the records ``pending`` (record id, sequence) landed, waiting up to
        ``timeout`` for the writer to get that far; and the ids it has not written yet.
        An id in neither failed or was forgotten."""
        pending = list(pending)
        if not pending:
            return {}, set()
        last = max(seq for _, seq in pending)
        with self.done:
            if timeout > 0:
                self.done.wait_for(
                    lambda: self.written > last or not self._thread.is_alive(), timeout
                )
            placed = {rid: self.placed.pop(rid) for rid, _ in pending if rid in self.placed}
            alive = self._thread.is_alive()
            queued = {rid for rid, seq in pending if seq >= self.written and alive}
            return placed, queued

    def close(self) -> None:
        """Write what is queued, close the file, end the thread."""
        if self._thread.is_alive():
            self.queue.put(_STOP)
            self._thread.join()
        _OPEN_WRITERS.discard(self)

    def freeze(self, timeout: float) -> None:
        """For a hard stop: wait (up to ``timeout``) for the record being written and
        write no more, so the file ends on a record boundary."""
        if self.lock.acquire(timeout=timeout) and self._file is not None:
            with contextlib.suppress(OSError):
                self._file.flush()

    # -- the thread --

    def _run(self) -> None:
        while (item := self.queue.get()) is not _STOP:
            try:
                if self.failed is None:
                    with self.lock:
                        self._write(item)
            except Exception as exc:  # the crawl goes on without captures; said once
                self.failed = str(exc)
                log.error("cannot write WARC files in %s: %s", self.folder, exc)
            if isinstance(item, _Exchange):
                with self.done:
                    self.written = item.seq + 1
                    self.done.notify_all()
        with self.lock, self.done:
            self._close_file()
            self.written = self.submitted
            self.done.notify_all()

    def _write(self, item: _Exchange | _Description) -> None:
        if self._file is None or self._file.tell() >= self.max_size:
            self._rotate()
        records = _records(self._warc, item)
        members = [self._member(record) for record in records]
        offset = self._file.tell()
        self._file.write(b"".join(members))
        # Flushed record by record: a hard stop or a kill -9 loses only the queue.
        self._file.flush()
        self.bytes_written += sum(map(len, members))
        if isinstance(item, _Exchange):
            digest = records[0].rec_headers.get_header("WARC-Payload-Digest")
            capture = Capture(self._name, offset, len(members[0]), digest, item.record_id)
            with self.done:
                self.placed[item.record_id] = capture
                while len(self.placed) > _KEEP_PLACED:
                    self.placed.popitem(last=False)

    def _member(self, record: Any) -> bytes:
        """One record as its own gzip member (how WARC files are gzipped, so a reader
        can seek to any record)."""
        self._warc.out = io.BytesIO()
        self._warc.write_record(record)
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(self._warc.out.getvalue()) + compressor.flush()

    def _rotate(self) -> None:
        self._close_file()
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            name = f"{self.source}-{stamp}-{self._serial:05d}-{self.writer_name}.warc.gz"
            self._serial += 1
            try:
                self._file = open(self.folder / name, "xb")  # noqa: SIM115 (kept open)
                break
            except FileExistsError:
                continue
        self._name = (self.folder / name).relative_to(self.archive_dir).as_posix()
        info = {
            "software": f"newsarchive/{__version__} (warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": self.source,
            "robots": "obey",
        }
        record = self._warc.create_warcinfo_record(name, info)
        self._file.write(self._member(record))

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _records(builder: WARCWriter, item: _Exchange | _Description) -> list[Any]:
    """The warcio records for one item: response then request, or one metadata."""
    if isinstance(item, _Description):
        payload = "".join(f"{name}: {value}\r\n" for name, value in item.fields).encode()
        return [
            builder.create_warc_record(
                item.url,
                "metadata",
                payload=io.BytesIO(payload),
                length=len(payload),
                warc_headers_dict={"WARC-Refers-To": item.refers_to},
            )
        ]
    common = {"WARC-Date": item.date}
    response_headers = {"WARC-Record-ID": item.record_id, **common}
    if item.ip_address:
        response_headers["WARC-IP-Address"] = item.ip_address
    try:
        reason = HTTPStatus(item.status).phrase
    except ValueError:
        reason = "Unknown"
    response = builder.create_warc_record(
        item.url,
        "response",
        payload=io.BytesIO(item.body),
        length=len(item.body),
        warc_headers_dict=response_headers,
        http_headers=StatusAndHeaders(
            f"{item.status} {reason}", item.headers, protocol=item.protocol
        ),
    )
    parts = urlsplit(item.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = builder.create_warc_record(
        item.url,
        "request",
        payload=io.BytesIO(item.request_body),
        length=len(item.request_body),
        warc_headers_dict={"WARC-Concurrent-To": item.record_id, **common},
        http_headers=StatusAndHeaders(
            f"{target} HTTP/1.1", item.request_headers, protocol=item.method
        ),
    )
    return [response, request]


def freeze_all(timeout: float = 1.0) -> None:
    """Before a hard stop's exit (newsarchive.stopping): every WARC file ends on a
    record boundary."""
    for writer in list(_OPEN_WRITERS):
        writer.freeze(timeout)


# --- Scrapy ------------------------------------------------------------------------------


def _header_list(headers: Any) -> list[tuple[str, str]]:
    """Scrapy's Headers as (name, value) text pairs, one per value (latin-1, as sent)."""
    pairs = []
    for name, values in headers.items():
        text = name.decode("latin-1")
        if text.lower() == "transfer-encoding":
            text = "X-Archive-Orig-Transfer-Encoding"  # the body is de-chunked already
        pairs.extend((text, value.decode("latin-1")) for value in values)
    return pairs


class CaptureMiddleware:
    """Downloader middleware: every HTTP response, as the server sent it, to the WARC
    writer of the crawl's source. Off with NEWSARCHIVE_WARC = False (``crawl --no-warc``,
    ``warc = false`` for a source in the registry)."""

    def __init__(self, crawler: Any, archive_dir: Path, max_size: int):
        self.crawler = crawler
        self.archive_dir = archive_dir
        self.max_size = max_size
        self.writer: WarcWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_WARC", True):
            raise NotConfigured
        max_size = parse_size(str(settings.get("NEWSARCHIVE_WARC_MAX_SIZE", DEFAULT_MAX_SIZE)))
        archive_dir = Path(settings.get("NEWSARCHIVE_DB")).parent
        middleware = cls(crawler, archive_dir, max_size)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        # After the pipeline's last flush (close_spider), which still describes pages.
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        self.writer = WarcWriter(self.archive_dir, spider.name, self.max_size)
        self.crawler.newsarchive_warc = self.writer

    def spider_closed(self, spider: Any) -> None:
        if self.writer is not None:
            self.writer.close()
            self.crawler.stats.set_value("newsarchive/warc_bytes", self.writer.bytes_written)

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        writer = self.writer
        if writer is None or "cached" in response.flags or not request.url.startswith("http"):
            return response
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        seq = writer.next_seq()
        request_headers = _header_list(request.headers)
        if not request.headers.get("Host"):
            request_headers.insert(0, ("Host", urlsplit(request.url).netloc))
        writer.submit(
            _Exchange(
                record_id=record_id,
                seq=seq,
                url=request.url,
                date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                method=request.method,
                request_headers=request_headers,
                request_body=request.body,
                protocol=response.protocol or "HTTP/1.1",
                status=response.status,
                headers=_header_list(response.headers),
                body=response.body,
                ip_address=str(response.ip_address) if response.ip_address else None,
            )
        )
        self.crawler.stats.inc_value("newsarchive/warc_records")
        request.meta[META_KEY] = (request.url, record_id, seq)
        return response


def pending(request_or_response: Any) -> Capture | None:
    """The capture of this response (or of the response to this request), still to be
    placed by the writer; None when nothing was captured for it."""
    try:
        named = request_or_response.meta.get(META_KEY)
    except AttributeError:  # a response tied to no request
        return None
    # A request that inherited its redirect's capture, then failed, has none of its own.
    if named is None or named[0] != request_or_response.url:
        return None
    return Capture(record_id=named[1], seq=named[2])


def resolve(crawler: Any, pages: Iterable[PageRecord], *, wait: bool = True) -> set[int]:
    """Fill in where each page's capture landed (the pipeline calls this before it
    writes the pages). Without ``wait``, returns the ``id()`` of the pages whose record
    the writer has not written yet, for the caller to hold back: the crawl never waits
    on the disk. With it, waits for them (RESOLVE_TIMEOUT at most). A capture the
    writer could not place is dropped (the page is stored without one)."""
    waiting = [p for p in pages if p.capture is not None and p.capture.file is None]
    writer: WarcWriter | None = getattr(crawler, "newsarchive_warc", None)
    placed: dict[str, Capture] = {}
    queued: set[str] = set()
    if waiting and writer is not None:
        pending = {(p.capture.record_id, p.capture.seq) for p in waiting}
        placed, queued = writer.locate(pending, RESOLVE_TIMEOUT if wait else 0)
    held = set()
    for page in waiting:
        record_id = page.capture.record_id
        if record_id in queued and not wait:
            held.add(id(page))
        else:
            page.capture = placed.get(record_id)
    return held


def describe(
    crawler: Any,
    pages: Iterable[PageRecord],
    run_id: int | None = None,
    run_token: str | None = None,
) -> None:
    """Write a metadata record per captured page: how it was found and what was decided,
    so the WARC files alone tell which pages became articles. A distributed worker knows
    no outcome (the writer decides it) nor the archive's run id, only its run's token:
    what is not known is left out, never written empty."""
    writer: WarcWriter | None = getattr(crawler, "newsarchive_warc", None)
    if writer is None:
        return
    for page in pages:
        if page.capture is None or page.capture.record_id is None:
            continue
        fields = [
            ("found-via", page.found_via),
            ("decision", page.decision),
            ("reason", page.reason),
        ]
        if page.outcome:
            fields.append(("outcome", page.outcome))
        if run_id is not None:
            fields.append(("run-id", str(run_id)))
        if run_token:
            fields.append(("run-token", run_token))
        # One line per field (application/warc-fields): free text is squeezed onto it;
        # the signals' JSON already is one line (its strings escape line breaks), and is
        # kept as is, so re-extraction and re-import read the crawl's inputs exactly.
        clean = [(name, " ".join(str(value).split())) for name, value in fields]
        if page.signals:
            clean.append(("signals", json.dumps(page.signals, ensure_ascii=False, default=str)))
        writer.describe(_Description(page.url, page.capture.record_id, clean))


# --- reading back ------------------------------------------------------------------------


@dataclass
class CapturedResponse:
    """One response record read back: the HTTP response as the server sent it."""

    url: str
    date: str
    status: int
    headers: list[tuple[str, str]]
    # The payload as stored: still content-encoded (gzip...) when the server sent it so.
    body: bytes
    # The payload with its Content-Encoding undone: what the page's HTML parser reads.
    content: bytes
    digest: str | None
    record_id: str
    # The record's gzip member, byte for byte (a WARC of one record).
    raw: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def capture_path(archive_dir: str | Path, warc_file: str, host: str | None = None) -> Path:
    """The file a row's ``warc_file`` names, refused unless it is a WARC file under the
    archive's WARC folder (a row cannot send a reader elsewhere). ``host`` is the
    machine that wrote it, when a distributed worker did (``warc_host`` in the page's
    signals), for the message when the file is missing."""
    root = warc_root(archive_dir).resolve()
    if not warc_file or Path(warc_file).is_absolute() or "\\" in warc_file:
        raise CaptureError(f"{warc_file!r} is not a WARC file of this archive")
    path = (Path(archive_dir) / warc_file).resolve()
    if not path.is_relative_to(root) or not path.name.endswith((".warc.gz", ".warc")):
        raise CaptureError(f"{warc_file!r} is not a WARC file of this archive")
    if not path.is_file():
        raise CaptureError(missing(warc_file, host))
    return path


def missing(warc_file: str, host: str | None = None) -> str:
    """What to say of a WARC file that is not in the archive's folder."""
    if host:
        return (
            f"{warc_file} is missing: it was written on {host} by a distributed worker;"
            f" copy that worker's {WARC_DIR}/ folder next to the archive"
        )
    return f"{warc_file} is missing (moved or deleted?)"


def read_capture(
    archive_dir: str | Path,
    warc_file: str,
    offset: int,
    length: int,
    digest: str | None = None,
    *,
    url: str | None = None,
    host: str | None = None,
) -> CapturedResponse:
    """The response record at ``offset`` (``length`` bytes) of ``warc_file``, a path
    relative to the archive's directory, as the ``pages`` and ``articles`` rows name
    it (``digest`` and ``url`` the row's, when given, are checked against the record's:
    a file of the same name from another machine holds other records). ``host`` is the
    row's ``warc_host``, for the message when the file is missing. Raises CaptureError
    for anything else."""
    path = capture_path(archive_dir, warc_file, host)
    if offset is None or length is None or offset < 0 or length <= 0:
        raise CaptureError("no capture location")
    with open(path, "rb") as handle:
        handle.seek(offset)
        raw = handle.read(length)
    if len(raw) != length:
        raise CaptureError(f"{warc_file} is shorter than its rows say (truncated?)")
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(raw))))
        if record.rec_type != "response" or record.http_headers is None:
            raise CaptureError(f"{warc_file} @{offset} is a {record.rec_type} record")
        body = record.raw_stream.read()
        content = _decoded(record, body)
    except CaptureError:
        raise
    except Exception as exc:
        raise CaptureError(f"{warc_file} @{offset} is not a readable WARC record: {exc}") from exc
    _check_is_meant(record, warc_file, offset, digest, url)
    return CapturedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        date=record.rec_headers.get_header("WARC-Date"),
        status=int(record.http_headers.get_statuscode() or 0),
        headers=list(record.http_headers.headers),
        body=body,
        content=content,
        digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        raw=raw,
    )


def _check_is_meant(
    record: Any, warc_file: str, offset: int, digest: str | None, url: str | None
) -> None:
    """Refuse a record other than the row's: the file was replaced by another of the
    same name (say a worker's, gathered from another machine)."""
    found_url = record.rec_headers.get_header("WARC-Target-URI")
    found_digest = record.rec_headers.get_header("WARC-Payload-Digest")
    if (digest and found_digest != digest) or (url and found_url != url):
        raise CaptureError(
            f"{warc_file} @{offset} holds another record ({found_url}) than the archive's:"
            " the file was replaced (a file of the same name from another machine?)"
        )


def _decoded(record: Any, body: bytes) -> bytes:
    """``body`` with its Content-Encoding undone by warcio, as readers of WARC do."""
    if not record.http_headers.get_header("Content-Encoding"):
        return body
    record.raw_stream = io.BytesIO(body)
    return record.content_stream().read()
