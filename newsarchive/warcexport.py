"""``newsarchive warc export``: a source's captures as one WACZ (or WARC) file that replay
tools open (ReplayWeb.page, pywb), issue 8.

The records captured on or after a date are copied byte for byte (each is its own gzip
member, newsarchive.capture) into one WARC file. A ``.wacz`` (WACZ 1.1.1,
https://specs.webrecorder.net/wacz/1.1.1/) packs that file, stored uncompressed so a
replay tool can read records by range, with its CDXJ index made by Webrecorder's
cdxj-indexer, the source's articles as its pages (URL, capture time, title) and
datapackage.json naming every file with its SHA-256. The zip layout is written here:
Webrecorder's ``wacz`` package would do it, but it pulls in rich, whose presence makes
Datasette 0.65 crash on every 404.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cdxj_indexer.main import write_cdx_index
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.warcwriter import WARCWriter

from newsarchive import __version__
from newsarchive.archive import open_archive
from newsarchive.capture import WARC_DIR, warc_root

log = logging.getLogger(__name__)


class ExportError(Exception):
    """Nothing to export, or an output the export cannot write."""


@dataclass
class Exported:
    """What an export wrote."""

    path: Path
    records: int = 0
    responses: int = 0
    pages: int = 0
    files: int = 0
    # Source files whose end could not be read (a crawl killed while writing).
    damaged: list[str] = field(default_factory=list)


def export(db_path: str | Path, source: str, out: str | Path, since: str | None = None) -> Exported:
    """Write the captures of ``source`` made on or after ``since`` (YYYY-MM-DD, UTC) to
    ``out``: a WACZ when it ends in ``.wacz``, else one gzipped WARC file."""
    out = Path(out)
    if not out.name.endswith((".wacz", ".warc.gz")):
        raise ExportError(f"{out}: name the output NAME.wacz or NAME.warc.gz")
    archive_dir = Path(db_path).parent
    folder = warc_root(archive_dir) / source
    files = sorted(folder.glob("*.warc.gz"))
    if not files:
        raise ExportError(f"no WARC files for {source} in {folder}: {_why_none(db_path, source)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        warc = out if out.name.endswith(".warc.gz") else Path(tmp) / f"{source}.warc.gz"
        result, captured = _copy_records(files, archive_dir, warc, source, since)
        if not result.responses:
            warc.unlink(missing_ok=True)
            raise ExportError(
                f"no captures of {source}" + (f" since {since}" if since else "") + " to export"
            )
        if warc != out:
            result.path = out
            pages = Path(tmp) / "pages.jsonl"
            result.pages = _write_pages(db_path, source, captured, pages)
            _wacz(warc, pages, out, source, since)
    return result


def _why_none(db_path: str | Path, source: str) -> str:
    """Why a source has no WARC files beside the archive: written on the machines of
    distributed workers (``warc_host`` in its pages' signals), or never kept."""
    hosts = []
    if Path(db_path).is_file():
        with open_archive(db_path, create=False) as archive:
            hosts = [
                row["host"]
                for row in archive.db.query(
                    "SELECT DISTINCT json_extract(p.signals, '$.warc_host') AS host"
                    " FROM pages p JOIN crawl_runs r ON r.id = p.run_id"
                    " WHERE r.source = ? AND p.warc_file IS NOT NULL AND host IS NOT NULL",
                    [source],
                )
            ]
    if hosts:
        return (
            f"its captures were written by distributed workers on {', '.join(sorted(hosts))};"
            f" copy each worker's {WARC_DIR}/ folder next to the archive"
        )
    return "none were kept (crawled with --no-warc or warc = false, or not crawled yet)"


def _copy_records(
    files: list[Path], archive_dir: Path, out: Path, source: str, since: str | None
) -> tuple[Exported, dict[tuple[str, int], str]]:
    """Copy the records dated ``since`` or later into ``out``; returns what was copied
    and the WARC-Date of each response copied, by its (file, offset) in the archive."""
    result = Exported(out)
    captured: dict[tuple[str, int], str] = {}
    with open(out, "wb") as target:
        info = {"software": f"newsarchive/{__version__} (warcio)", "isPartOf": source}
        if since:
            info["description"] = f"captures of {source} since {since}"
        writer = WARCWriter(target, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(out.name, info))
        for path in files:
            name = path.relative_to(archive_dir).as_posix()
            copied = _copy_file(path, target, since, result)
            if copied is None:
                result.damaged.append(name)
                continue
            result.files += bool(copied)
            captured.update(((name, offset), date) for offset, date in copied.items())
    return result, captured


def _copy_file(path: Path, target, since: str | None, result: Exported) -> dict[int, str] | None:
    """Copy one file's records dated ``since`` or later (warcinfo aside); the dates of
    its responses by offset, or None when its end is damaged (what came before is kept)."""
    responses: dict[int, str] = {}
    with open(path, "rb") as stream, open(path, "rb") as raw:
        iterator = ArchiveIterator(stream)
        try:
            for record in iterator:
                date = record.rec_headers.get_header("WARC-Date") or ""
                kind = record.rec_type
                record.raw_stream.read()  # to the end, so the member's length is known
                offset, length = iterator.get_record_offset(), iterator.get_record_length()
                if kind == "warcinfo" or (since and date[:10] < since):
                    continue
                raw.seek(offset)
                target.write(raw.read(length))
                result.records += 1
                if kind == "response":
                    result.responses += 1
                    responses[offset] = date
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
            log.warning("%s: stopped at a damaged record (%s)", path, exc)
            return None
    return responses


def _write_pages(
    db_path: str | Path, source: str, captured: dict[tuple[str, int], str], out: Path
) -> int:
    """pages.jsonl for the WACZ: the source's articles whose capture is exported, with
    their titles (what a replay tool lists as the collection's pages)."""
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": source})]
    with open_archive(db_path, create=False) as archive:
        rows = archive.db.query(
            "SELECT url, title, warc_file, warc_offset FROM articles"
            " WHERE source = ? AND warc_file IS NOT NULL ORDER BY published",
            [source],
        )
        for row in rows:
            date = captured.get((row["warc_file"], row["warc_offset"]))
            if date:
                page = {"url": row["url"], "ts": date, "title": row["title"]}
                lines.append(json.dumps(page, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


WACZ_VERSION = "1.1.1"


def _wacz(warc: Path, pages: Path, out: Path, source: str, since: str | None) -> None:
    """Pack ``warc`` and ``pages`` as the WACZ ``out``, with a sorted CDXJ index."""
    index = io.StringIO()
    write_cdx_index(index, [str(warc)], {"sort": True, "post_append": True, "filename": warc.name})
    files = {
        f"archive/{warc.name}": warc.read_bytes(),
        "indexes/index.cdx": index.getvalue().encode(),
        "pages/pages.jsonl": pages.read_bytes(),
    }
    package = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": f"newsarchive: {source}" + (f" since {since}" if since else ""),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": f"newsarchive/{__version__}",
        "resources": [
            {"name": Path(name).name, "path": name, "hash": _sha256(data), "bytes": len(data)}
            for name, data in files.items()
        ],
    }
    files["datapackage.json"] = json.dumps(package, indent=2).encode()
    digest = {"path": "datapackage.json", "hash": _sha256(files["datapackage.json"])}
    files["datapackage-digest.json"] = json.dumps(digest).encode()
    with zipfile.ZipFile(out, "w") as wacz:
        for name, data in files.items():
            # WARC files stored as they are: replay tools read their records by range.
            stored = name.startswith("archive/")
            wacz.writestr(name, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
