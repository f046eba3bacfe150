"""Load articles from files into the archive: seed files, ANT corpus XML, JSON (Lines),
tar/zip archives of those (read in place, never extracted), and one saved HTML page.

The kind of each file is decided by its content where the extension is ambiguous (an
ANT document is a ``.txt`` that starts with ``<DOC>``). Everything streams: files and
archive members are parsed one at a time and handed, as a generator, to
:meth:`Archive.upsert_articles`, which commits 500 at a time. A file that is not an
article becomes an :class:`IngestFailure` with its path and a one-line reason; the
rest of the batch still lands. An empty document (a blank title or text in a corpus,
an empty file) is skipped and counted, not a failure.

Bad input stays small (newsarchive.limits): a file or archive member is read whole only
up to ``NEWSARCHIVE_MAX_FILE_SIZE``, and a file that is one article (a seed file) only up
to ``NEWSARCHIVE_MAX_ARTICLE_SIZE``, both decided from its size before it is read; JSON
Lines is read a line at a time, each line at most four times the article limit; an
archive may expand to ``NEWSARCHIVE_MAX_COMPRESSION_RATIO`` times its compressed size
(per zip member, and for a compressed tar, which is read front to back, as a whole).
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import json
import logging
import lzma
import multiprocessing
import os
import re
import sys
import tarfile
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from queue import Empty
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from newsarchive import limits, stopping
from newsarchive.arabic.dates import normalise_date
from newsarchive.arabic.encoding import EncodingError, decode_text, has_bom
from newsarchive.archive import Archive, InvalidArticle, Outcome, RunStats
from newsarchive.items import EXTRACT_FIELDS, Article, PageRecord
from newsarchive.limits import format_size, raise_hint

log = logging.getLogger(__name__)

__all__ = [
    "EMPTY_DOCUMENT",
    "EmptyDocument",
    "IngestError",
    "IngestFailure",
    "IngestReport",
    "ingest_paths",
    "normalise_date",
    "parse_ant",
    "parse_seed",
    "read_path",
]


class IngestError(Exception):
    """The whole ingest call cannot proceed (no input found, bad arguments)."""


class BadInput(ValueError):
    """One file or record is not an article; the message says what is wrong."""

    # The page decision's record, for a saved page refused as not an article.
    page: PageRecord | None = None


# The reason skipped empty documents are counted under (crawl_runs.dropped_reasons).
EMPTY_DOCUMENT = "empty document"


class Skipped(BadInput):
    """An input left out on purpose, not a failure: counted under ``reason`` (a WARC's
    request records, a page that is not an article), with its page decision if any."""

    def __init__(self, message: str, reason: str | None = None, page: PageRecord | None = None):
        super().__init__(message)
        self.reason = reason or message
        self.page = page


class EmptyDocument(Skipped):
    """A document with nothing in it (an empty file, a blank title or text): skipped and
    counted, not a failure. Corpora hold a few (ANT v1.1: 27 of 10,161)."""

    def __init__(self, message: str):
        super().__init__(message, EMPTY_DOCUMENT)


@dataclass
class IngestFailure:
    """One input that did not become an article: where it is and why."""

    path: str
    reason: str


@dataclass
class IngestReport:
    """What one :func:`ingest_paths` call did."""

    # The run's counts, as recorded in crawl_runs.
    stats: RunStats = field(default_factory=RunStats)
    failures: list[IngestFailure] = field(default_factory=list)
    run_id: int | None = None
    # "files" unless some input held several records (JSON Lines, multi-DOC XML).
    unit: str = "files"
    # Stopped before the end of the input (a signal): what was read is archived.
    interrupted: bool = False

    new = property(lambda self: self.stats.new)
    updated = property(lambda self: self.stats.updated)
    unchanged = property(lambda self: self.stats.unchanged)
    failed = property(lambda self: self.stats.failed)
    # Inputs left out on purpose (empty documents), by reason in stats.dropped_reasons.
    skipped = property(lambda self: self.stats.dropped)

    @property
    def total(self) -> int:
        return self.stats.archived + self.stats.dropped + self.stats.failed

    def summary(self) -> str:
        skipped, kinds = "", ""
        reasons = self.stats.dropped_reasons
        if len(reasons) == 1:
            skipped = f"{self.skipped} skipped ({next(iter(reasons))}), "
        elif reasons:  # one line each, most first (a WARC's records by kind)
            skipped = f"{self.skipped} skipped, "
            ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            kinds = "".join(f"\n  skipped {count}: {reason}" for reason, count in ranked)
        return (
            f"ingested {self.total} {self.unit}: {self.new} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {skipped}{self.failed} failed{kinds}"
        )


# --- dates -------------------------------------------------------------------------------

try:
    from zoneinfo import ZoneInfo

    TUNIS: tzinfo = ZoneInfo("Africa/Tunis")
except Exception:  # pragma: no cover - no tz database on the host
    # Tunisia has kept UTC+1 without daylight saving since 2009.
    TUNIS = timezone(timedelta(hours=1), "CET")

# Where a source writes local times without an offset, the zone they are in.
SOURCE_TZ: dict[str, tzinfo] = {"jawharafm": TUNIS}

# --- sources -----------------------------------------------------------------------------

# Hosts of the corpora's sources → the names their SRC fields normalise to, for the
# odd document that lacks SRC.
_HOST_SOURCES = {
    "alarabiya.net": "alarabia",
    "bbc.co.uk": "bbc",
    "bbc.com": "bbc",
    "cnn.com": "cnn",
    "france24.com": "france24",
    "skynewsarabia.com": "skynews",
    "jawharafm.net": "jawharafm",
}


def source_name(raw: str | None) -> str:
    """A stable lowercase name: ``"Jawhara FM"`` → ``"jawharafm"``, ``"BBC"`` → ``"bbc"``."""
    return re.sub(r"[^0-9a-z_]+", "", (raw or "").lower())


def source_from_url(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for suffix, name in _HOST_SOURCES.items():
        if host == suffix or host.endswith("." + suffix):
            return name
    labels = [label for label in host.split(".") if label not in ("www", "ar", "arabic")]
    return source_name(labels[0]) if len(labels) >= 2 else ""


# --- text helpers ------------------------------------------------------------------------

_XML_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);")
_ENTITY_CHARS = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def _unescape(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _ENTITY_CHARS[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return match.group(0)


def _xml_text(raw: str) -> str:
    """A tag's content as text. Only the five XML entities and character references
    (with their semicolon) are decoded: the corpus holds bare ``&`` ("Dolce&Gabbana")
    that an HTML unescaper would mangle ("&not" → "¬")."""
    if "<![CDATA[" in raw:
        raw = _CDATA.sub(lambda m: m.group(1).replace("&", "&amp;"), raw)
    return _XML_ENTITY.sub(_unescape, raw) if "&" in raw else raw


def _clean_body(text: str) -> str:
    """Paragraphs kept, line ends unified (CRLF, CR → LF), trailing spaces and the
    blank lines around the body dropped. The words themselves are never touched."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _decode(data: bytes) -> str:
    if not data.strip():
        raise EmptyDocument("empty file")
    # UTF-16 text (Notepad's "Unicode") is full of NUL bytes but starts with its BOM.
    if b"\x00" in data[:8192] and not has_bom(data):
        raise BadInput("binary file (NUL bytes), not text")
    try:
        return decode_text(data)
    except EncodingError as exc:
        raise BadInput(f"undecodable text: {exc}") from exc


# --- parsers -----------------------------------------------------------------------------


def parse_seed(data: bytes, name: str, *, source: str | None = None) -> Article:
    """A seed file: line 1 title, blank, line 3 source name, blank, body.

    Its identity is ``seed:<file stem>``, so it survives a move and a changed body
    becomes a revision. UTF-8 (with or without BOM), CRLF and windows-1256 files give
    the identical article. Raises :class:`BadInput` with the reason otherwise.
    """
    text = _decode(data)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title = lines[0].strip()
    if not title:
        raise BadInput("no title on line 1 (expected: title, blank line, source, blank, body)")
    if len(lines) < 5:
        raise BadInput("no body (expected: title, blank line, source, blank line, body)")
    if lines[1].strip() or lines[3].strip():
        raise BadInput("lines 2 and 4 must be blank (title, blank, source, blank, body)")
    site = source_name(lines[2]) or source_name(source)
    if not site:
        raise BadInput("no source name on line 3")
    body = _clean_body("\n".join(lines[4:]))
    if not body:
        raise EmptyDocument("no body after line 4")
    return Article(
        url=f"seed:{Path(name).stem}", title=title, text=body, source=site, language="ar"
    )


_ANT_TAGS = ("DOCNO", "URL", "SRC", "CAT", "TITLE", "TIME", "AUTHOR", "ABSTRACT", "TEXT")


def _ant_fields(doc: str) -> dict[str, str]:
    """The first ``<TAG>…</TAG>`` of each ANT tag in one document. ``str.find`` rather
    than a regex: a lazy ``(.*?)</TAG>`` pattern costs 4x as much on 10 kB texts."""
    fields: dict[str, str] = {}
    for tag in _ANT_TAGS:
        start = doc.find(f"<{tag}>")
        if start < 0:
            continue
        start += len(tag) + 2
        end = doc.find(f"</{tag}>", start)
        if end >= 0:
            fields[tag] = doc[start:end]
    return fields


def parse_ant(data: bytes | str, *, source: str | None = None) -> Iterator[Article | BadInput]:
    """The documents of an ANT corpus (TREC-style) file, usually one ``<DOC>``.

    Tags are read as text rather than with an XML parser: the corpus holds unescaped
    ``&`` that an XML parser rejects. A document without a URL, TITLE or TEXT is
    yielded as :class:`BadInput` naming what is missing.
    """
    try:
        text = data if isinstance(data, str) else _decode(data)
    except BadInput as exc:  # undecodable: the file fails, not the whole ingest
        yield exc
        return
    docs = text.split("<DOC>")[1:]
    if not docs:
        yield BadInput("no <DOC> element")
        return
    for doc in docs:
        end = doc.find("</DOC>")
        try:
            yield _ant_article(_ant_fields(doc if end < 0 else doc[:end]), source)
        except BadInput as exc:
            yield exc


def _ant_article(fields: dict[str, str], fallback_source: str | None) -> Article:
    url = _xml_text(fields.get("URL", "")).strip()
    if not url:
        raise BadInput("ANT document without <URL>")
    if "TITLE" not in fields:
        raise BadInput("ANT document without <TITLE>")
    title = " ".join(_xml_text(fields["TITLE"]).split())
    if not title:
        raise EmptyDocument("ANT document with an empty <TITLE>")
    if "TEXT" not in fields:
        raise BadInput("ANT document without <TEXT>")
    body = _clean_body(_xml_text(fields["TEXT"]))
    if not body:
        raise EmptyDocument("ANT document with an empty <TEXT>")
    site = (
        source_name(_xml_text(fields.get("SRC", "")))
        or source_from_url(url)
        or source_name(fallback_source)
    )
    raw_time = _xml_text(fields.get("TIME", "")).strip()
    published = normalise_date(raw_time, SOURCE_TZ.get(site))
    if raw_time and published is None:
        log.warning("%s: unrecognised <TIME> %r; published left empty", url, raw_time)
    category = _xml_text(fields.get("CAT", "")).strip()
    author = " ".join(_xml_text(fields.get("AUTHOR", "")).split())
    abstract = _clean_body(_xml_text(fields.get("ABSTRACT", "")))
    return Article(
        url=url,
        title=title,
        text=body,
        source=site,
        author=author or None,
        published=published,
        language="ar",
        description=abstract or None,
        categories=[category] if category else [],
    )


def _record_article(record: Any, source: str | None) -> Article:
    """One JSON object: the ``extract --json`` fields (plus optional ``source``), or the
    dznews scraper's shape ``{title, date, link, content: {author, content}}``."""
    if not isinstance(record, dict):
        raise BadInput(f"expected a JSON object, got {type(record).__name__}")
    if "link" in record and "url" not in record:
        content = record.get("content")
        content = content if isinstance(content, dict) else {"content": content}
        record = {
            "url": record.get("link"),
            "title": record.get("title"),
            "published": record.get("date"),
            "author": content.get("author"),
            "text": content.get("content"),
            "source": record.get("source"),
        }
    for name in ("url", "title", "text"):
        value = record.get(name)
        if value is None or (name == "url" and isinstance(value, str) and not value.strip()):
            present = ", ".join(k for k, v in record.items() if v not in (None, "")) or "nothing"
            raise BadInput(f"no {name!r} (the record has: {present})")
        if not isinstance(value, str):
            raise BadInput(f"{name!r} must be a string")
    for name in ("title", "text"):
        if not record[name].strip():
            raise EmptyDocument(f"the {name} is empty")
    for name in ("categories", "tags"):
        value = record.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise BadInput(f"{name!r} must be a list of strings")
    for name in EXTRACT_FIELDS + ("source",):
        value = record.get(name)
        if value is not None and name not in ("categories", "tags") and not isinstance(value, str):
            raise BadInput(f"{name!r} must be a string or null")
    fields = {name: record.get(name) for name in EXTRACT_FIELDS}
    url = fields["url"].strip()
    site = source_name(record.get("source")) or source_name(source) or source_from_url(url)
    for name in ("published", "modified"):
        if fields[name]:
            iso = normalise_date(fields[name], SOURCE_TZ.get(site))
            if iso is None:
                raise BadInput(f"{name!r}: unrecognised date {fields[name]!r}")
            fields[name] = iso
    # Title and text are kept exactly as given: a record printed by `extract --json`
    # must come back as the article the crawl stored, not as an update of it.
    article = Article.from_json(fields, source=site)
    article.url = url
    return article


# --- walking inputs ----------------------------------------------------------------------

_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".zip")
_TEXT_SUFFIXES = (".txt", ".xml", ".sgml", ".trec", "")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
# Read by newsarchive.warcread (imported when one is met: it imports the extractor).
_WARC_SUFFIXES = (".warc", ".warc.gz", ".wacz")
# Files that travel with corpora but are not articles (README.md, LICENSE, …).
_NOT_ARTICLES = re.compile(
    r"(readme|licen[cs]e|copying|notice|changelog|changes|authors|contributing|citation"
    r"|sources|manifest)(\..*)?|.*\.(md|rst|py|toml|cfg|ini|yml|yaml|csv|tsv)",
    re.IGNORECASE,
)


_WANTED_SUFFIXES = frozenset(
    (*_ARCHIVE_SUFFIXES, *_TEXT_SUFFIXES, *_JSONL_SUFFIXES, *_WARC_SUFFIXES, ".json")
)


def _suffix(name: str) -> str:
    """The kind-deciding suffix of a file or member name, lowercased (".tar.xz" whole).
    String operations rather than pathlib: this runs once per archive member."""
    lower = name.rsplit("/", 1)[-1].lower()
    if lower.endswith(_ARCHIVE_SUFFIXES):
        return next(suffix for suffix in _ARCHIVE_SUFFIXES if lower.endswith(suffix))
    if lower.endswith(".warc.gz"):
        return ".warc.gz"
    dot = lower.rfind(".")
    return lower[dot:] if dot > 0 else ""


def _wanted(name: str) -> bool:
    """Whether a file found while walking a folder or an archive looks like input."""
    base = name.rsplit("/", 1)[-1]
    if not base or base.startswith(".") or _NOT_ARTICLES.fullmatch(base):
        return False
    return _suffix(base) in _WANTED_SUFFIXES


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Input files under ``paths``: folders recursively and sorted, hidden files and
    README/LICENSE-like files skipped. A file named explicitly is always taken."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if any(part.startswith(".") for part in relative) or not child.is_file():
                    continue
                if _wanted(child.name):
                    found.append(child)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return found


# (where it is, the article or why not, its kind: "seed", "ant", "json" or "html")
Item = tuple[str, "Article | BadInput", str]


def read_path(
    path: Path, *, url: str | None = None, source: str | None = None, sites: Path | None = None
) -> Iterator[Item]:
    """Every article (or failure) in one input file, as ``(label, Article | BadInput,
    kind)`` where ``label`` locates it: the path, ``path:line``, ``path[n]`` (JSON
    array), ``path#n`` (n-th ``<DOC>``), ``archive/member`` or ``file.warc.gz@offset``.
    ``sites`` is the source registry a WARC's hosts are looked up in."""
    label = str(path)
    suffix = _suffix(path.name)
    try:
        if suffix in _WARC_SUFFIXES:
            from newsarchive.warcread import read_warc

            yield from read_warc(path, source, sites)
        elif suffix in _ARCHIVE_SUFFIXES:
            yield from _read_archive(path, source)
        elif suffix in _JSONL_SUFFIXES:
            with path.open("rb") as handle:
                yield from _read_json_lines(_bounded_lines(handle), label, source)
        elif suffix in (".html", ".htm"):
            size = path.stat().st_size
            if size > limits.MAX_FILE_SIZE:
                yield label, _too_big_to_read(size, member=False), "html"
            else:
                yield label, _read_html(path, url, source), "html"
        else:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                yield from _read_whole(handle, size, label, source, member=False)
    except OSError as exc:
        yield label, BadInput(f"cannot read: {exc.strerror or exc}"), "file"
    except _TooMuchExpansion as exc:
        yield label, BadInput(str(exc)), "file"
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, lzma.LZMAError, zlib.error) as exc:
        # A truncated or corrupt archive fails mid-stream with the decompressor's own
        # error (gzip's and bz2's are OSErrors); members read before it have landed.
        yield label, BadInput(f"damaged archive: {exc or type(exc).__name__}"), "file"


def _read_html(path: Path, url: str | None, source: str | None) -> Article | BadInput:
    if not url:
        return BadInput("a saved HTML page needs --url (the page's address is its identity)")
    from newsarchive.extract import explain_file  # lazy: imports trafilatura

    article, decision = explain_file(path, url=url, source=source or "")
    if article is not None:
        return article
    # The same decision as a crawl's: a home, section or static page is not archived.
    refused = BadInput(
        f"not an article: {decision.reason} ({decision.signals.get('why') or 'no text'});"
        f" see `newsarchive extract {path} --url {url} --explain`"
    )
    refused.page = PageRecord(
        url=url,
        found_via="file",
        decision=decision.decision,
        reason=decision.reason,
        signals=decision.signals,
    )
    return refused


# --- sizes -------------------------------------------------------------------------------


def _too_big_to_read(size: int, *, member: bool, at_least: bool = False) -> BadInput:
    expanded = " when expanded" if member else ""
    return BadInput(
        f"{'more than ' if at_least else ''}{format_size(size)}{expanded}, over the"
        f" {format_size(limits.MAX_FILE_SIZE)} limit for a file read whole; skipped. If it"
        f" is genuine, {raise_hint('NEWSARCHIVE_MAX_FILE_SIZE', size)}; many articles are"
        " better as JSON Lines (.jsonl), read a line at a time"
    )


def _one_article(head: bytes, label: str) -> bool:
    """Whether a file that opens with ``head`` is read as a seed file, one article (the
    dispatch of :func:`_read_blob`, from the first bytes only)."""
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = label.lower()
    return not (
        head.startswith(b"<DOC>")
        or head[:1] in (b"[", b"{")
        or lower.endswith(".json")
        or lower.endswith(".xml")
    )


def _size_refusal(size: int, head: bytes, label: str, *, member: bool) -> BadInput | None:
    """Why a file of ``size`` bytes that opens with ``head`` is not read at all, if so:
    decided before reading it, so a 50 MB text file costs nothing."""
    if size > limits.MAX_FILE_SIZE:
        return _too_big_to_read(size, member=member)
    # UTF-16 takes up to two bytes for what UTF-8 writes in one (ASCII); every other
    # encoding we read takes at most as many bytes as UTF-8.
    per_byte = 2 if head.startswith((b"\xff\xfe", b"\xfe\xff")) else 1
    if _one_article(head, label) and size > limits.MAX_ARTICLE_SIZE * per_byte:
        return BadInput(
            f"{format_size(size)} for one article (a seed file: title, source, body),"
            f" over the {format_size(limits.MAX_ARTICLE_SIZE)} limit per article; skipped."
            f" If it really is one article, {raise_hint('NEWSARCHIVE_MAX_ARTICLE_SIZE', size)}"
        )
    return None


def _read_whole(
    stream: BinaryIO, size: int, label: str, source: str | None, *, member: bool
) -> Iterator[Item]:
    """A file or archive member read whole, if :func:`_size_refusal` lets it; ``size`` is
    what its directory entry or header says, and no more than the limit is ever read."""
    head = stream.peek(64)[:64]  # every stream here is a buffered reader
    refusal = _size_refusal(size, head, label, member=member)
    if refusal is not None:
        yield label, refusal, "file"
        return
    # What it says it holds and a byte more: a buffered reader allocates what it is asked
    # for. A file that grew since is read on, up to the limit.
    data = stream.read(size + 1)
    if len(data) > size:
        data += stream.read(limits.MAX_FILE_SIZE + 1 - len(data))
        if len(data) > limits.MAX_FILE_SIZE:
            yield label, _too_big_to_read(len(data), member=member, at_least=True), "file"
            return
    yield from _read_blob(data, label, source)


# --- kinds of file -----------------------------------------------------------------------


def _read_blob(data: bytes, label: str, source: str | None) -> Iterator[Item]:
    """One file's bytes, its kind decided by content: ANT XML, JSON, or a seed file."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<DOC>"):
        results = list(parse_ant(data, source=source))
        if len(results) == 1:
            yield label, results[0], "ant"
        else:
            for number, result in enumerate(results, 1):
                yield f"{label}#{number}", result, "ant"
    elif label.lower().endswith(".json") or (head[:1] in (b"[", b"{") and _is_json(data)):
        yield from _read_json_blob(data, label, source)
    elif label.lower().endswith(".xml"):
        yield label, BadInput("XML without <DOC>: not an ANT corpus document"), "ant"
    else:
        try:
            yield label, parse_seed(data, label, source=source), "seed"
        except BadInput as exc:
            yield label, exc, "seed"


def _is_json(data: bytes) -> bool:
    """Whether a ``.txt`` that opens with ``[`` or ``{`` is JSON (a seed title may open
    with a bracket too: "[فيديو] …")."""
    try:
        json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, nesting
        return False
    return True


def _json_problem(exc: ValueError | RecursionError) -> str:
    """One line for why ``json.loads`` refused a document or a line."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at byte {exc.start + 1})"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} at column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply"
    return f"invalid JSON: {exc}"  # e.g. an integer of more than 4,300 digits


def _read_json_blob(data: bytes, label: str, source: str | None) -> Iterator[Item]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        yield label, BadInput("JSON must be UTF-8 (RFC 8259 §8.1)"), "json"
        return
    except json.JSONDecodeError:
        # Not one JSON document: perhaps JSON Lines under another name.
        yield from _read_json_lines(_bounded_lines(io.BytesIO(data)), label, source)
        return
    except (ValueError, RecursionError) as exc:
        yield label, BadInput(_json_problem(exc)), "json"
        return
    records = document if isinstance(document, list) else [document]
    for number, record in enumerate(records, 1):
        where = f"{label}[{number}]" if isinstance(document, list) else label
        try:
            yield where, _record_article(record, source), "json"
        except BadInput as exc:
            yield where, exc, "json"


def _line_limit() -> int:
    """The longest JSON Lines record read: JSON may escape every character of an article
    at the limit (``\\u0627`` is 6 bytes for the 2 of ``ا`` in UTF-8), plus its fields."""
    return 4 * limits.MAX_ARTICLE_SIZE


def _bounded_lines(stream: BinaryIO) -> Iterator[bytes | int]:
    """The lines of ``stream``, none held longer than :func:`_line_limit`: a longer line
    is read through in pieces and given as its length instead, so a file of one endless
    line (a bomb without a newline) costs no more memory than one record."""
    limit = _line_limit()
    while line := stream.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        size = len(line)
        while piece := stream.readline(1_000_000):
            size += len(piece)
            if piece.endswith(b"\n"):
                break
        yield size


def _read_json_lines(
    lines: Iterable[bytes | int], label: str, source: str | None
) -> Iterator[Item]:
    """One article or failure per line: a bad line (invalid JSON or UTF-8, a missing
    field, too long) loses that record alone, reported as ``label:line``."""
    for number, raw in enumerate(lines, 1):
        where = f"{label}:{number}"
        if isinstance(raw, int):
            yield (
                where,
                BadInput(
                    f"a line of {format_size(raw)}, over the {format_size(_line_limit())}"
                    " limit for one record (4 times NEWSARCHIVE_MAX_ARTICLE_SIZE); skipped"
                ),
                "json",
            )
            continue
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if not raw.strip():
            continue
        try:
            # Without its line end, so an error at the end of the line has its column.
            record = json.loads(raw.rstrip(b"\r\n"))
        except (ValueError, RecursionError) as exc:
            yield where, BadInput(_json_problem(exc)), "json"
            continue
        try:
            yield where, _record_article(record, source), "json"
        except BadInput as exc:
            yield where, exc, "json"


# --- archives ----------------------------------------------------------------------------


class _TooMuchExpansion(Exception):
    """A compressed tar expanded past its budget while tarfile itself was reading (a
    header, or the skipped rest of a member): the archive is not read further."""


def _expansion_budget(compressed: int) -> int:
    """How many bytes an archive of ``compressed`` bytes may expand to, in all."""
    return limits.MAX_COMPRESSION_RATIO * compressed + limits.RATIO_FLOOR


def _bomb(expanded: int, compressed: int, *, whole: bool) -> BadInput:
    ratio = limits.MAX_COMPRESSION_RATIO
    if whole:
        what = (
            f"the archive expands to more than {ratio} times its {format_size(compressed)}"
            f" by the end of this member ({format_size(expanded)}): a compression bomb?"
            " Stopped reading the archive here"
        )
    else:
        what = (
            f"expands {expanded / max(compressed, 1):,.0f} times ({format_size(expanded)}"
            f" from {format_size(compressed)}), over the limit of {ratio} times: a"
            " compression bomb? Skipped"
        )
    return BadInput(
        f"{what}. If it is genuine, raise NEWSARCHIVE_MAX_COMPRESSION_RATIO (now {ratio})"
    )


def _read_member(
    stream: BinaryIO, size: int, name: str, label: str, source: str | None
) -> Iterator[Item]:
    suffix = _suffix(name)
    if suffix in _JSONL_SUFFIXES:
        yield from _read_json_lines(_bounded_lines(stream), label, source)
    elif suffix in _ARCHIVE_SUFFIXES:
        log.info("%s: archive inside an archive, skipped", label)
    else:
        yield from _read_whole(stream, size, label, source, member=True)


def _read_archive(path: Path, source: str | None) -> Iterator[Item]:
    """Stream the members of a tar or zip archive; nothing is written to disk, and no
    member is held in memory beyond the limits (see the module's docstring)."""
    if zipfile.is_zipfile(path):
        yield from _read_zip(path, source)
    else:
        yield from _read_tar(path, source)


def _read_zip(path: Path, source: str | None) -> Iterator[Item]:
    """A zip's members in name order. Its directory gives each member's sizes before a
    byte is expanded, so a bomb member is skipped at no cost and the rest still read;
    zipfile stops a member at the size its entry gives (a longer one fails its CRC)."""
    whole = path.stat().st_size
    budget = _expansion_budget(whole)
    expanded = 0
    with zipfile.ZipFile(path) as archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not _wanted(info.filename) or _hidden(info.filename):
                continue
            label = f"{path}/{info.filename}"
            size, compressed = info.file_size, info.compress_size
            if size > limits.RATIO_FLOOR and size > limits.MAX_COMPRESSION_RATIO * compressed:
                yield label, _bomb(size, compressed, whole=False), "file"
                continue
            if size > limits.MAX_FILE_SIZE and _suffix(info.filename) not in _JSONL_SUFFIXES:
                yield label, _too_big_to_read(size, member=True), "file"
                continue
            expanded += size
            if expanded > budget:
                # Many small members that each pass, but add up to a bomb.
                yield label, _bomb(expanded, whole, whole=True), "file"
                return
            with archive.open(info) as stream:
                yield from _read_member(stream, size, info.filename, label, source)


class _Metered:
    """The decompressed stream tarfile reads, raising :class:`_TooMuchExpansion` past
    ``budget`` bytes: a backstop for what tarfile reads whole on its own (a pax or GNU
    long-name header holds any length)."""

    def __init__(self, stream: BinaryIO, budget: int, compressed: int):
        self.stream, self.budget, self.compressed = stream, budget, compressed
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.position += len(data)
        if self.position > self.budget:
            raise _TooMuchExpansion(str(_bomb(self.position, self.compressed, whole=True)))
        return data


def _read_tar(path: Path, source: str | None) -> Iterator[Item]:
    """A tar's members in stream mode (``r|``): a compressed tar is decompressed once,
    front to back, never seeked (tarfile docs, "stream of tar blocks"). A member too big
    to read is skipped, but reaching the next one still expands it, so a compressed tar
    stops, with an error on the member that would take it past its budget, before
    expanding that member."""
    compressed = path.stat().st_size
    budget = _expansion_budget(compressed)
    raw, expands = _decompressed(path)
    with raw:
        stream = _Metered(raw, budget, compressed) if expands else raw
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                label = f"{path}/{member.name}"
                end = member.offset_data + member.size
                if expands and end > budget:
                    yield label, _bomb(end, compressed, whole=True), "file"
                    return
                if not member.isfile() or not _wanted(member.name) or _hidden(member.name):
                    continue
                if member.size > limits.MAX_FILE_SIZE and _suffix(member.name) not in (
                    _JSONL_SUFFIXES
                ):
                    yield label, _too_big_to_read(member.size, member=True), "file"
                    continue
                extracted = archive.extractfile(member)
                if extracted is None:
                    continue
                yield from _read_member(extracted, member.size, member.name, label, source)


def _decompressed(path: Path) -> tuple[BinaryIO, bool]:
    """The tar stream inside ``path``, by magic number rather than extension, and whether
    it is a decompressor (rather than the file itself). Opened here instead of by
    tarfile's ``r|*`` because tarfile takes a truncated compressed stream for the end of
    the archive and stops without a word; these decompressors raise EOFError
    ("Compressed file ended before the end-of-stream marker")."""
    with path.open("rb") as probe:
        magic = probe.read(6)
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path), True
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path), True
    if magic.startswith(b"BZh"):
        return bz2.open(path), True
    return path.open("rb"), False


def _hidden(name: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in name.split("/"))


# --- the run -----------------------------------------------------------------------------


class _Progress:
    """A tqdm bar on stderr that appears only once more than ``threshold`` items have
    gone by, so small ingests stay quiet. Items are counted as they stream."""

    def __init__(self, enabled: bool, total: int | None, threshold: int = 50):
        self.enabled = enabled
        self.total = total if total and total > threshold else None
        self.threshold = threshold
        self.count = 0
        self.bar: Any = None

    def tick(self) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.update()
        elif self.enabled and self.count > self.threshold:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, initial=self.count, unit="article", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# Reading and parsing cost as much as the search keys and the writes together (see
# bench/bench_ingest.py), so big inputs are read by a second process while this one
# writes. Below this many plain files, starting that process costs more than it saves.
BACKGROUND_MIN_FILES = 2000
_CHUNK = 256  # items per message between the processes
_DOC_NUMBER = re.compile(r"#\d+$")


def _read_files(
    files: list[Path], url: str | None, source: str | None, sites: Path | None = None
) -> Iterator[Item]:
    for path in files:
        yield from read_path(path, url=url, source=source, sites=sites)


def _reader_process(
    files: list[Path], url: str | None, source: str | None, queue: Any
) -> None:  # pragma: no cover - runs in the child process
    stopping.ignore_stop_signals()  # the parent stops us (newsarchive.stopping)
    try:
        chunk: list[Item] = []
        for item in _read_files(files, url, source):
            chunk.append(item)
            if len(chunk) >= _CHUNK:
                queue.put(chunk)
                chunk = []
        if chunk:
            queue.put(chunk)
        queue.put(None)
    except BaseException:
        queue.put(traceback.format_exc())


def _read_in_background(files: list[Path], url: str | None, source: str | None) -> Iterator[Item]:
    """:func:`_read_files` run in a child process, its items streamed back in chunks.

    "fork", not "spawn": spawn re-imports the caller's main module, which breaks
    ``python -`` and re-runs unguarded scripts (multiprocessing docs, "Safe importing
    of main module"). The child only parses; it never touches the parent's SQLite
    connection and leaves through os._exit, so nothing of the parent's is flushed twice.
    """
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=64)  # bounded: the reader waits for a slow writer
    process = context.Process(target=_reader_process, args=(files, url, source, queue), daemon=True)
    process.start()
    try:
        while True:
            try:
                message = queue.get(timeout=2)
            except Empty:
                if not process.is_alive():
                    raise IngestError(
                        f"the reader process died (exit code {process.exitcode})"
                    ) from None
                continue
            if message is None:
                return
            if isinstance(message, str):
                raise IngestError(f"reading the input failed in the reader process:\n{message}")
            yield from message
    finally:
        if process.is_alive():
            process.kill()  # it ignores SIGTERM (see _reader_process)
        process.join()


_SOURCE_KINDS = {"seed": "seed", "ant": "corpus", "json": "import", "html": "page"}
# Page records held before they are written (a WARC may hold millions of pages).
_PAGES_BATCH = 1000


def ingest_paths(
    archive: Archive,
    paths: list[Path],
    *,
    url: str | None = None,
    source: str | None = None,
    progress: bool = True,
    command: str = "ingest",
    background: bool | None = None,
    stop: Callable[[], bool] | None = None,
    sites: Path | None = None,
) -> IngestReport:
    """Ingest files and folders of articles into ``archive`` and record the run in
    ``crawl_runs`` (kind "ingest"; status "ok", "failed" when some input failed,
    "empty" when nothing was archived, or "interrupted" when ``stop()`` turned true:
    reading stops there, and what was read is archived). The run's counts are
    committed with each batch. Empty documents are skipped, counted in ``dropped``
    under :data:`EMPTY_DOCUMENT`, and fail nothing.

    ``background`` reads and parses the files in a second process while this one
    computes search keys and writes; by default it does so for archives and for more
    than :data:`BACKGROUND_MIN_FILES` files, where the process start-up pays for itself.
    WARC files are read here: their pages are extracted by a pool of worker processes
    (newsarchive.warcread), which a background reader could not start. ``sites`` is the
    registry that names the sources of a WARC's pages.

    Raises :class:`IngestError` when nothing ingestible is found, a path is missing or
    ``url`` is given for anything but a single file. Per-file problems are failures in
    the returned report; everything else still lands.
    """
    paths = [Path(p) for p in paths]
    if url and (len(paths) != 1 or not paths[0].is_file()):
        raise IngestError("--url applies to exactly one saved .html file")
    files = collect_files(paths)
    if not files:
        where = ", ".join(str(p) for p in paths)
        raise IngestError(
            f"no article files found under {where} "
            "(looked for .txt seed files, ANT XML, .jsonl, archives, WARC files)"
        )
    # One item per file, except where a file holds many; then the total is unknown.
    streams = any(
        _suffix(f.name) in (*_ARCHIVE_SUFFIXES, *_JSONL_SUFFIXES, *_WARC_SUFFIXES, ".json")
        for f in files
    )
    report = IngestReport()
    stats = report.stats
    bar = _Progress(progress, None if streams else len(files))
    sources: dict[str, str] = {}
    run_id = archive.start_run(kind="ingest", source=source, command=command)
    report.run_id = run_id

    if background is None:
        background = len(files) > BACKGROUND_MIN_FILES or any(
            _suffix(f.name) in _ARCHIVE_SUFFIXES for f in files
        )
    # Only where fork is the safe default (Linux); elsewhere read in this process.
    background = background and sys.platform.startswith("linux")
    background = background and not any(_suffix(f.name) in _WARC_SUFFIXES for f in files)
    reader = _read_in_background if background else functools.partial(_read_files, sites=sites)

    # Corpora file one article under several categories (ANT v2.1: 1,180 URLs in two or
    # three category folders, some with different texts): the archive unites the copies'
    # categories and keeps superseded texts as revisions only once, so a re-ingest finds
    # every article unchanged. JSON records and seed files say what they are and replace.
    corpus_urls: set[str] = set()
    # Decision records of saved pages and WARC records (the crawl's per-page record).
    pages: list[PageRecord] = []

    def keep(page: PageRecord) -> None:
        pages.append(page)
        if len(pages) >= _PAGES_BATCH:
            _record_pages(archive, pages, run_id)

    def fail(label: str, reason: str) -> None:
        log.info("%s: %s", label, reason)  # the report carries it; the CLI prints it
        report.failures.append(IngestFailure(label, reason))
        stats.error(f"{label}: {reason}")

    def items() -> Iterator[Article]:
        for label, result, kind in reader(files, url, source):
            if stop is not None and stop():
                report.interrupted = True
                return
            bar.tick()
            if kind in ("json", "warc") or _DOC_NUMBER.search(label):
                report.unit = "records"
            if isinstance(result, Skipped):
                log.info("%s: skipped: %s", label, result)
                stats.drop(result.reason, label)
                if result.page is not None:
                    keep(result.page)
                continue
            if isinstance(result, BadInput):
                if result.page is not None:
                    keep(result.page)
                fail(label, str(result))
                continue
            try:
                # The archive checks again; here the refusal can name the file and line.
                archive.check_article(result)
            except InvalidArticle as exc:
                if result.page is not None:
                    result.page.decision, result.page.reason = "error", str(exc)
                    result.page.outcome = "failed"
                    keep(result.page)
                fail(label, str(exc))
                continue
            if result.source:
                sources.setdefault(result.source, _SOURCE_KINDS.get(kind, kind))
            if kind == "ant" and result.categories:
                corpus_urls.add(result.url)
            yield result

    def count(outcomes: list[tuple[Article, Outcome]]) -> RunStats:
        for _, outcome in outcomes:
            stats.count(outcome)
        stats.pages = report.total
        return stats

    status = "failed"
    try:
        for article, outcome in archive.upsert_articles(
            items(),
            corpus=lambda article: article.url in corpus_urls,
            run_id=run_id,
            count=count,
            reason="re-ingested",
        ):
            if article.page is not None:
                article.page.found_via = article.page.found_via or "file"
                article.page.outcome = outcome.value
                keep(article.page)
        # Skipped empty documents are neither: a corpus that holds a few is ingested "ok".
        status = "failed" if report.failed else "ok" if stats.archived else "empty"
        if report.interrupted:
            status = "interrupted"
        _register_sources(archive, sources)
    finally:
        bar.close()
        stats.pages = report.total
        _record_pages(archive, pages, run_id)
        archive.finish_run(run_id, stats, status)
    log.info("%s", report.summary())
    return report


def _record_pages(archive: Archive, pages: list[PageRecord], run_id: int) -> None:
    """Write the page records held and forget them, each linked to its article."""
    if not pages:
        return
    ids = archive.article_ids(p.url for p in pages if p.decision == "article")
    for page in pages:
        if page.decision == "article" and page.article_id is None:
            page.article_id = ids.get(page.url)
    archive.record_pages(pages, run_id)
    pages.clear()


def _register_sources(archive: Archive, sources: dict[str, str]) -> None:
    """Add sources the archive does not know yet; a known one keeps its registry entry
    (a crawl source stays a crawl source when its seed files are ingested)."""
    known = {row["name"] for row in archive.db["sources"].rows}
    for name, kind in sorted(sources.items()):
        if name not in known:
            archive.register_source(name, kind=kind)
