"""Read WARC files written by other tools (wget ``--warc-file``, Heritrix, Browsertrix,
Common Crawl's CC-NEWS): ``.warc``, ``.warc.gz`` and ``.wacz``.

Records are streamed with warcio's ArchiveIterator, one at a time, so memory stays flat
however big the file; a ``.wacz`` (a zip, https://specs.webrecorder.net/wacz/1.1.1/) has
its ``archive/*.warc.gz`` members streamed from the zip without being extracted to disk.
Only HTML responses are wanted (:class:`WarcResponse`): every other record (requests,
metadata, revisits, warcinfo, DNS lookups, images, CSS, scripts, PDFs, redirects and
errors) is a :class:`SkippedRecord` counted by its kind. A payload is read only up to
``NEWSARCHIVE_MAX_FILE_SIZE`` (newsarchive.limits), after any transfer and content
encoding is undone.

Damage is expected in other people's files: a truncated last record (a crawler killed
mid-write), garbage between records, a record whose headers do not parse. warcio stops
at the first bad record (its iterator cannot go on after an error), so the reader looks
for the next record start itself (the next gzip member, or the next ``WARC/1.x`` line of
a plain file) and carries on from there: every readable record is read, and each
damaged stretch is reported once as a :class:`Damaged` with its offset.

:func:`read_warc` turns a file into ``newsarchive ingest`` items: each HTML response is
decided and extracted by the crawl's own function in worker processes
(newsarchive.extractpool), its source is the registry's entry for its host, or the
host's name. A WARC of our own (``newsarchive warc export``, or a crawl's WARC files)
also holds, in a metadata record per page, what the crawl gave the extractor besides the
page (the feed's or REST API's hints, the URL-shape evidence, how the page was found):
it is given again (:func:`described`), so re-importing an export leaves the archive's
articles as they are.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from w3lib.encoding import http_content_type_encoding
from warcio.archiveiterator import ArchiveIterator, WARCIterator

from newsarchive import limits
from newsarchive.arabic.encoding import EncodingError
from newsarchive.extractpool import extract_in_order
from newsarchive.ingest import BadInput, IngestError, Item, Skipped, source_from_url
from newsarchive.items import PageRecord
from newsarchive.limits import format_size, raise_hint
from newsarchive.page import clean_url
from newsarchive.seen import UrlSet
from newsarchive.sites import Site, SitesError, load_sites

log = logging.getLogger(__name__)

__all__ = ["Damaged", "SkippedRecord", "WarcResponse", "iter_warc", "read_warc", "WARC_SUFFIXES"]

WARC_SUFFIXES = (".warc", ".warc.gz", ".wacz")
HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_LINE = b"\nWARC/1."
_SCAN_CHUNK = 1 << 20


@dataclass
class WarcResponse:
    """One HTML response record: what the page decision and the extractor need, and
    where the record is (its gzip member, for a ``.warc.gz``)."""

    url: str
    status: int
    content_type: str
    # The charset the HTTP headers declare, if any.
    charset: str | None
    body: bytes
    offset: int
    length: int
    digest: str | None
    date: str | None
    record_id: str | None = None


@dataclass
class SkippedRecord:
    """A record that is not an HTML response, by kind ("request record", "image/png
    response", "HTTP 301 response", "dns record"...)."""

    kind: str
    offset: int


@dataclass
class Damaged:
    """A record, or a stretch of the file, that could not be read."""

    offset: int
    reason: str
    # Nothing at all could be read from the stream: it is not a WARC file.
    whole: bool = False
    # False for a record read whole but refused (a page over the size limit).
    damage: bool = True


Record = WarcResponse | SkippedRecord | Damaged


# --- reading records ---------------------------------------------------------------------


class _TooBig(Exception):
    """A payload over the size limit."""


def _read_capped(stream: BinaryIO, limit: int) -> bytes:
    """All of ``stream`` if it holds at most ``limit`` bytes (warcio's readers may return
    less than asked before the end); raises :class:`_TooBig` past it."""
    parts, size = [], 0
    while piece := stream.read(min(1 << 16, limit + 1 - size)):
        parts.append(piece)
        size += len(piece)
        if size > limit:
            raise _TooBig(size)
    return b"".join(parts)


def _looks_like_html(head: bytes) -> bool:
    head = head[:1024].lstrip().lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def _classify(record, offset: int) -> WarcResponse | SkippedRecord | Damaged:
    """The record as what the archive wants of it; reads its payload only when it is an
    HTML response."""
    kind = record.rec_type or "unknown"
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if kind != "response":
        return SkippedRecord(f"{kind} record", offset)
    if not url.startswith(("http://", "https://")):
        return SkippedRecord(f"{url.partition(':')[0] or 'non-HTTP'} record", offset)
    http = record.http_headers
    if http is None:
        return SkippedRecord("response without HTTP headers", offset)
    status = int(http.get_statuscode() or 0)
    content_type = http.get_header("Content-Type") or ""
    mime = content_type.partition(";")[0].strip().lower()
    if not 200 <= status < 300:
        return SkippedRecord(f"HTTP {status} response", offset)
    if mime and mime not in HTML_TYPES:
        return SkippedRecord(f"{mime} response", offset)
    limit = limits.MAX_FILE_SIZE
    try:
        body = _read_capped(record.content_stream(), limit)
    except _TooBig as big:
        return Damaged(
            offset,
            f"a page of more than {format_size(big.args[0] - 1)}, over the"
            f" {format_size(limit)} limit for a file read whole; skipped. If it is genuine,"
            f" {raise_hint('NEWSARCHIVE_MAX_FILE_SIZE', big.args[0])}",
            damage=False,
        )
    if not mime and not _looks_like_html(body):
        return SkippedRecord("response of unknown type", offset)
    headers = record.rec_headers
    return WarcResponse(
        url=url,
        status=status,
        content_type=content_type,
        charset=http_content_type_encoding(content_type),
        body=body,
        offset=offset,
        length=0,
        digest=headers.get_header("WARC-Payload-Digest") or headers.get_header("WARC-Block-Digest"),
        date=headers.get_header("WARC-Date"),
        record_id=headers.get_header("WARC-Record-ID"),
    )


def _describe(exc: BaseException) -> str:
    """One printable line for what warcio or a decompressor raised on a bad record."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = re.sub(r"[^\x20-\x7e\u0600-\u06ff]+", "?", text)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _records(iterator: ArchiveIterator) -> Iterator[Record]:
    """The records of one warcio iterator, each with its offset and length. Raises what
    warcio raises on a bad record; a record cut short (a truncated file) is Damaged."""
    while True:
        offset = iterator.offset
        # warcio prints a warning on stderr when a record's Content-Length is off; it is
        # reported here as damage instead.
        errors = iterator.err_count
        with contextlib.redirect_stderr(io.StringIO()):
            record = next(iterator, None)
        if iterator.err_count > errors:
            yield Damaged(offset, "data between records: the record before it has a wrong length")
        if record is None:
            return
        result = _classify(record, offset)
        with contextlib.redirect_stderr(io.StringIO()):
            iterator.read_to_end()
        missing = getattr(record.raw_stream, "limit", 0)
        if missing > 0:
            result = Damaged(
                offset,
                f"truncated {record.rec_type or ''} record: {missing:,} of its"
                f" {int(record.length or 0):,} bytes are missing",
            )
        elif isinstance(result, WarcResponse):
            result.length = iterator.get_record_length()
        yield result


def _next_start(stream: BinaryIO, position: int, gzipped: bool) -> int | None:
    """Where the next record may start after ``position``: the next gzip member of a
    record-per-member ``.warc.gz``, or the next ``WARC/1.x`` line of a plain WARC; None
    at the end. Our own scan: warcio cannot resume after a bad record."""
    magic = _GZIP_MAGIC if gzipped else _WARC_LINE
    stream.seek(position)
    carry = b""
    base = position
    while chunk := stream.read(_SCAN_CHUNK):
        data = carry + chunk
        found = data.find(magic)
        if found >= 0:
            return base + found + (0 if gzipped else 1)
        keep = len(magic) - 1
        carry = data[-keep:]
        base += len(data) - len(carry)
    return None


def iter_warc(stream: BinaryIO, size: int) -> Iterator[Record]:
    """Every record of a seekable WARC stream of ``size`` bytes (plain or gzipped per
    record), in order; damaged stretches are skipped and reported once each."""
    start = stream.tell()
    gzipped = stream.read(2) == _GZIP_MAGIC[:2]
    stream.seek(start)
    damage: tuple[int, str] | None = None
    read_any = False
    position = start
    if size == 0:
        yield Damaged(start, "an empty file", whole=True)
        return
    while True:
        # WARC only: warcio's guess at the older ARC format takes any line of text
        # with enough spaces for a record header.
        iterator = WARCIterator(stream)
        try:
            for result in _records(iterator):
                if damage is not None:
                    yield _damaged(damage, result.offset, read_any)
                    damage = None
                read_any = True
                yield result
            if iterator.offset >= size or _blank_to_end(stream, iterator.offset):
                break
            # warcio took a damaged gzip member for the end of the file.
            failure = iterator.offset, "unreadable data (a damaged or truncated record)"
        except Exception as exc:  # warcio and zlib raise many kinds on bad bytes
            failure = iterator.offset, _describe(exc)
        if damage is None:
            damage = failure
        position = max(failure[0], position) + 1
        resume = _next_start(stream, position, gzipped)
        if resume is None:
            break
        position = resume
        stream.seek(resume)
    if damage is not None:
        yield _damaged(damage, None, read_any)


def _blank_to_end(stream: BinaryIO, position: int) -> bool:
    """Whether only blank lines follow ``position`` (some writers pad the end)."""
    stream.seek(position)
    tail = stream.read(64)
    return not tail.strip() and len(tail) < 64


def _damaged(damage: tuple[int, str], resumed: int | None, read_any: bool) -> Damaged:
    offset, reason = damage
    if resumed is None:
        where = "nothing readable after it"
    else:
        where = f"skipped {resumed - offset:,} bytes to the next record"
    return Damaged(offset, f"{reason}; {where}", whole=not read_any and resumed is None)


# --- the crawl's inputs, from our own WARCs ----------------------------------------------


def extract_inputs(
    inputs: dict, found_via: str
) -> tuple[dict | None, str, tuple[float, str] | None]:
    """extract_page's ``hints``, ``found_via`` and ``url_shape`` from the inputs a crawl
    kept in a page's signals (``signals.inputs``), as re-extraction and ingest give them."""
    shape = inputs.get("url_shape")
    return inputs.get("hints"), found_via, tuple(shape) if shape else None


def described(stream: BinaryIO) -> dict[str, tuple[str, dict]]:
    """How each response of one of our own WARCs was found and what the crawl gave the
    extractor (``found-via`` and ``signals.inputs`` of the metadata record that
    newsarchive.capture.describe writes), by the response's record id; empty for other
    crawlers' WARCs. A first pass over the file: the crawl writes these records when it
    flushes a batch, so they come long after their responses, and a small entry per
    described page is kept rather than the responses. Only a file that opens with our
    warcinfo record is read through. Reading stops quietly at damage (iter_warc reports
    it); the stream is put back where it was."""
    start = stream.tell()
    found: dict[str, tuple[str, dict]] = {}
    with contextlib.suppress(Exception), contextlib.redirect_stderr(io.StringIO()):
        records = WARCIterator(stream)
        first = next(records)
        if first.rec_type != "warcinfo" or b"software: newsarchive/" not in first.raw_stream.read():
            records = iter(())
        for record in records:
            refers_to = record.rec_headers.get_header("WARC-Refers-To")
            if record.rec_type != "metadata" or not refers_to:
                continue
            fields = dict(
                line.partition(": ")[::2]
                for line in record.content_stream().read().decode("utf-8").split("\r\n")
            )
            inputs = json.loads(fields.get("signals") or "{}").get("inputs") or {}
            if fields.get("found-via") or inputs:
                found[refers_to] = (fields.get("found-via") or "", inputs)
    stream.seek(start)
    return found


# --- files -------------------------------------------------------------------------------


def warc_streams(path: Path) -> Iterator[tuple[str, BinaryIO, int]]:
    """``(label, stream, size)`` of each WARC in ``path``: the file itself, or the
    ``archive/`` members of a WACZ, streamed from the zip."""
    if path.name.lower().endswith(".wacz"):
        with zipfile.ZipFile(path) as wacz:
            members = [
                info
                for info in sorted(wacz.infolist(), key=lambda i: i.filename)
                if info.filename.startswith("archive/")
                and info.filename.lower().endswith((".warc", ".warc.gz"))
            ]
            if not members:
                raise zipfile.BadZipFile("a WACZ without archive/*.warc.gz members")
            for info in members:
                with wacz.open(info) as member:
                    yield f"{path}/{info.filename}", member, info.file_size
        return
    with path.open("rb") as handle:
        yield str(path), handle, path.stat().st_size


class _Sources:
    """An article's source: the registry's entry for its host, else the host's name
    (as ingest names the source of a URL); ``source`` given names them all."""

    def __init__(self, sites_file: Path | None, source: str | None) -> None:
        try:
            sites = load_sites(sites_file)
        except SitesError as exc:
            raise IngestError(str(exc)) from exc
        self.by_netloc = {urlsplit(s.base_url).netloc.lower(): s for s in sites.values()}
        self.by_host = {s.domain.lower().removeprefix("www."): s for s in sites.values()}
        self.source = source
        self.cache: dict[str, tuple[str, Site | None]] = {}

    def of(self, url: str) -> tuple[str, Site | None]:
        parts = urlsplit(url)
        netloc = parts.netloc.lower()
        if netloc not in self.cache:
            host = (parts.hostname or "").removeprefix("www.")
            site = self.by_netloc.get(netloc) or self.by_host.get(host)
            name = self.source or (site.name if site else source_from_url(url))
            self.cache[netloc] = (name or host, site)
        return self.cache[netloc]


def read_warc(
    path: Path, source: str | None = None, sites: Path | None = None, workers: int | None = None
) -> Iterator[Item]:
    """The ingest items of one WARC or WACZ file: an Article, or a :class:`Skipped`
    (records that are not HTML responses, pages that are not articles, with their page
    decision), or a :class:`BadInput` for damage; labelled ``FILE@OFFSET``."""
    sources = _Sources(sites, source)
    # One page per canonical URL per file, as a crawl keeps one per run (AMP and
    # tracking-parameter copies name their article as canonical).
    seen = UrlSet()
    try:
        for label, stream, size in warc_streams(path):
            inputs = described(stream)
            jobs = _jobs(label, iter_warc(stream, size), sources, inputs)
            for (where, record, site), result in extract_in_order(jobs, workers):
                yield where, _result(record, site, result, seen), "warc"
    except zipfile.BadZipFile as exc:
        yield str(path), BadInput(f"not a WACZ file: {exc}"), "warc"


def _jobs(
    label: str,
    records: Iterator[Record],
    sources: _Sources,
    inputs: dict[str, tuple[str, dict]],
):
    """extract_page's arguments for each HTML response, with what the crawl gave the
    extractor when the WARC is our own (``inputs``, from :func:`described`), so a
    re-import extracts as the crawl did; other records pass through."""
    for record in records:
        whole = isinstance(record, Damaged) and record.whole
        where = label if whole else f"{label}@{record.offset}"
        if not isinstance(record, WarcResponse):
            yield (where, record, None), None
            continue
        name, site = sources.of(record.url)
        rules = site.extraction if site else None
        found_via, given = inputs.pop(record.record_id or "", ("warc", {}))
        hints, found_via, shape = extract_inputs(given, found_via or "warc")
        args = (name, rules, record.body, record.url, record.charset, hints, found_via, shape)
        record.body = b""  # held by the job until it is extracted, not twice
        yield (where, record, (name, site)), args


def _result(record: Record, site: tuple[str, Site | None] | None, result, seen: UrlSet):
    if isinstance(record, SkippedRecord):
        return Skipped(f"skipped: {record.kind}", f"WARC {record.kind}")
    if isinstance(record, Damaged):
        if record.whole:
            return BadInput(f"not a WARC file ({record.reason})")
        return BadInput(f"damaged WARC data: {record.reason}" if record.damage else record.reason)
    name, known = site
    page = PageRecord(
        url=clean_url(record.url),
        found_via="warc",
        decision="not-article",
        reason="",
        status=record.status,
        fetched=record.date,
    )
    warc = {"offset": record.offset, "length": record.length, "digest": record.digest}
    if isinstance(result, Exception):
        undecodable = isinstance(result, EncodingError)
        page.decision = "error"
        page.reason = "undecodable page" if undecodable else "extraction failed"
        page.signals = {"error": str(result), "warc": warc}
        page.outcome = "skipped" if undecodable else "failed"
        if undecodable:  # as a crawl counts it: a page dropped, not a failure
            return Skipped(f"undecodable page: {result}", page.reason, page)
        failed = BadInput(f"extraction failed: {type(result).__name__}: {result}")
        failed.page = page
        return failed
    article, decision = result
    page.reason, page.signals = decision.reason, {**decision.signals, "warc": warc}
    if article is None:
        return Skipped(f"not an article: {decision.reason}", decision.reason, page)
    canonical = (known or Site.judging(page.url)).archived_url(page.url, article.url)
    if canonical in seen:
        page.reason = "duplicate of an article already read"
        page.signals["canonical"] = canonical
        return Skipped(page.reason, page.reason, page)
    seen.add(canonical)
    page = article.page
    page.found_via, page.status, page.fetched = "warc", record.status, record.date
    page.signals["warc"] = warc
    if canonical != page.url:
        page.signals["fetched_url"] = record.url
    article.url = page.url = canonical
    article.source = name
    return article
