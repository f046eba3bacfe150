"""`newsarchive ingest FILE.warc.gz|.warc|.wacz`: other crawlers' WARC files.

The WARCs here are written by warcio's own capture (``capture_http`` around ``requests``)
of the local sample site, not by newsarchive, and compared with a crawl of the same site.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive.cli import cli
from newsarchive.ingest import source_from_url
from newsarchive.samplesite import build_site, serve
from tests.crawling import REPO, run_crawl, write_sites


def articles_of(db: Path) -> set[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT url, title, text, source FROM articles"))


@pytest.fixture(scope="module")
def captured(tmp_path_factory) -> dict:
    """A crawl of the sample site, and warcio's own capture of every URL it fetched:
    the same site in a .warc.gz, a .warc and a .wacz."""
    tmp = tmp_path_factory.mktemp("warc")
    with serve(build_site()) as server:
        base = server.base_url.rstrip("/")
        sites = write_sites(tmp / "sites.toml", base)
        crawl = run_crawl(tmp / "crawl.db", sites, "sample")
        assert crawl.returncode == 0, crawl.stderr
        targets = "".join(f"{t}\n" for _, method, t, _ in server.requests if method == "GET")
        for name in ("site.warc.gz", "site.warc"):
            capture = [sys.executable, "-m", "tests.warccapture", str(tmp / name), base]
            subprocess.run(capture, input=targets, text=True, check=True, cwd=REPO, timeout=60)
    with zipfile.ZipFile(tmp / "site.wacz", "w") as wacz:
        wacz.write(tmp / "site.warc.gz", "archive/data.warc.gz", zipfile.ZIP_STORED)
        wacz.writestr("datapackage.json", json.dumps({"profile": "data-package"}))
    return {"tmp": tmp, "sites": sites, "crawl": articles_of(tmp / "crawl.db")}


def ingest(db: Path, *args: str):
    return CliRunner().invoke(cli, ["ingest", *args, "--db", str(db), "-q"])


@pytest.mark.parametrize("name", ["site.warc.gz", "site.warc", "site.wacz"])
def test_a_warc_of_the_site_ingests_to_the_crawls_articles(captured, tmp_path, name):
    db = tmp_path / "archive.db"
    result = ingest(db, str(captured["tmp"] / name), "--sites", str(captured["sites"]))
    assert result.exit_code == 0, result.output
    ingested = articles_of(db)
    assert len(captured["crawl"]) >= 10
    # Same URLs, titles, texts and source (the registry's name for the host).
    assert ingested == captured["crawl"]
    assert "12 new" in result.output
    assert "skipped 44: WARC request record" in result.output
    with sqlite3.connect(db) as conn:
        pages = conn.execute(
            "SELECT decision, found_via, count(*), count(article_id) FROM pages"
            " GROUP BY decision, found_via"
        ).fetchall()
        run = conn.execute("SELECT kind, status, new FROM crawl_runs").fetchone()
    # One decision per HTML page, each article's linked to it.
    assert ("article", "warc", len(ingested), len(ingested)) in pages
    assert any(decision == "not-article" for decision, *_ in pages)
    assert run == ("ingest", "ok", len(ingested))
    again = ingest(db, str(captured["tmp"] / name), "--sites", str(captured["sites"]))
    assert f"0 new, 0 updated, {len(ingested)} unchanged" in again.output


def test_the_source_is_the_host_unless_the_registry_knows_it(captured, tmp_path):
    db = tmp_path / "archive.db"
    empty_registry = write_sites(tmp_path / "other.toml", "https://www.elsewhere.dz")
    result = ingest(db, str(captured["tmp"] / "site.warc.gz"), "--sites", str(empty_registry))
    assert result.exit_code == 0, result.output
    # Named as ingest names the source of any URL (the damaged WARC below has a
    # www.example.dz page: "example").
    urls = {url for url, *_ in captured["crawl"]}
    assert {source for *_, source in articles_of(db)} == {source_from_url(u) for u in urls}
    assert {url for url, *_ in articles_of(db)} == urls


# --- damaged and foreign records ------------------------------------------------------


# What a crawl's extraction decides of an article (not where or when it was stored).
EXTRACTED = (
    "url, source, title, author, published, modified, language, text, description,"
    " categories, tags, image, content_hash"
)


def extracted(db: Path) -> set[tuple]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute(f"SELECT {EXTRACTED} FROM articles"))


@pytest.mark.parametrize("name", ["export.warc.gz", "export.wacz"])
def test_our_own_export_reimports_as_the_crawl_extracted_it(captured, tmp_path, name):
    """The metadata records of our own WARCs give the extractor what the crawl gave it
    (the feed's and REST API's categories and timed dates, the URL shape), so a
    re-import changes nothing and a fresh archive gets the crawl's articles."""
    crawl_db = captured["tmp"] / "crawl.db"
    out = tmp_path / name
    export = ["warc", "export", "--source", "sample", "-o", str(out), "--db", str(crawl_db)]
    assert CliRunner().invoke(cli, export).exit_code == 0
    copy = tmp_path / "copy" / "archive.db"
    copy.parent.mkdir()
    shutil.copy(crawl_db, copy)
    again = ingest(copy, str(out), "--sites", str(captured["sites"]))
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated, 12 unchanged" in again.output
    assert extracted(copy) == extracted(crawl_db)
    fresh = tmp_path / "fresh.db"
    result = ingest(fresh, str(out), "--sites", str(captured["sites"]))
    assert result.exit_code == 0, result.output
    assert extracted(fresh) == extracted(crawl_db)
    categories = {json.dumps(["رياضة", "كرة القدم", "كأس الجمهورية"], ensure_ascii=False)}
    with sqlite3.connect(fresh) as conn:
        rows = conn.execute("SELECT categories, published FROM articles").fetchall()
    assert categories <= {c for c, _ in rows}
    assert any(not published.endswith("T00:00:00+01:00") for _, published in rows)


def article_responses(warc: Path, count: int) -> list[tuple[str, bytes]]:
    """(url, HTML) of the first ``count`` article pages of a WARC."""
    found = []
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            url = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "response" and "/2024/" in url and "/amp/" not in url:
                found.append((url, record.content_stream().read()))
            if len(found) == count:
                break
    return found


def record(kind: str, url: str, body: bytes = b"", status: str = "200 OK", **headers) -> bytes:
    """One gzipped WARC record, written by warcio."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    http = None
    if kind in ("response", "revisit", "request") and url.startswith("http"):
        protocol = "GET / HTTP/1.1" if kind == "request" else status
        http = StatusAndHeaders(protocol, list(headers.items()), protocol="HTTP/1.1")
        if kind == "request":
            http = StatusAndHeaders(protocol, [], is_http_request=True)
    writer.write_record(
        writer.create_warc_record(url, kind, payload=io.BytesIO(body), http_headers=http)
    )
    return out.getvalue()


def test_foreign_truncated_and_malformed_records(captured, tmp_path):
    (url1, page1), (url2, page2), (url3, page3) = article_responses(
        captured["tmp"] / "site.warc.gz", 3
    )
    html = {"Content-Type": "text/html; charset=UTF-8"}
    site = "https://www.example.dz"
    parts = [
        record("warcinfo", "", b"software: wget\r\n"),
        record("request", url1),
        record("response", url1, page1, **html),
        record("metadata", url1, b"outlinks: none\r\n"),
        record("revisit", url1),
    ]
    for path, body, kind in [
        ("/logo.png", b"\x89PNG", "image/png"),
        ("/s.css", b"a{}", "text/css"),
        ("/a.js", b"1", "application/javascript"),
        ("/r.pdf", b"%PDF", "application/pdf"),
    ]:
        parts.append(record("response", site + path, body, **{"Content-Type": kind}))
    parts += [
        record("response", site + "/old", status="301 Moved Permanently", Location="/new"),
        record("response", "dns:www.example.dz", b"www.example.dz. 300 IN A 10.0.0.1\n"),
    ]
    # Garbage between two records (a bad copy), then a record whose HTTP status line is
    # not HTTP, then a good article on another host, then a last record cut short.
    malformed = gzip.compress(
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://www.example.dz/x\r\n"
        b"Content-Length: 40\r\n\r\nnonsense that is no HTTP status line\r\n\r\n\r\n"
    )
    moved = page2.replace(url2.encode(), b"https://www.example.dz/2024/01/10/story/")
    parts += [
        b"\x00garbage bytes from a bad copy\xff" * 20,
        malformed,
        record("response", "https://www.example.dz/2024/01/10/story/", moved, **html),
    ]
    last = record("response", url3, page3, **html)
    data = b"".join(parts) + last[: len(last) // 2]
    warc = tmp_path / "damaged.warc.gz"
    warc.write_bytes(data)

    db = tmp_path / "archive.db"
    result = ingest(db, str(warc), "--sites", str(captured["sites"]))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    ingested = {url: source for url, _, _, source in articles_of(db)}
    assert ingested == {url1: "sample", "https://www.example.dz/2024/01/10/story/": "example"}
    lines = result.output.splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    # The garbage and the bad record are one damaged stretch; the cut record another.
    assert len(errors) == 2, errors
    assert all(line.startswith(f"error: {warc}@") for line in errors)
    assert "skipped 761 bytes to the next record" in errors[0]
    assert "truncated response record" in errors[-1]
    for kind in (
        "warcinfo record",
        "request record",
        "metadata record",
        "revisit record",
        "image/png response",
        "text/css response",
        "application/javascript response",
        "application/pdf response",
        "HTTP 301 response",
        "dns record",
    ):
        assert f"  skipped 1: WARC {kind}" in lines, (kind, lines)
    assert "ingested 14 records: 2 new" in result.output


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.warc.gz", b"these are my notes, not a WARC\n" * 3, "not a WARC file"),
        ("empty.warc", b"", "not a WARC file"),
        ("photos.wacz", b"PK not really a zip", "not a WACZ file"),
    ],
)
def test_a_file_that_is_no_warc_is_one_line(tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    result = ingest(tmp_path / "archive.db", str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {path}: {says}" + errors[0].split(says)[-1]], result.output


def test_a_page_over_the_size_limit_is_skipped_with_the_limit_to_raise(tmp_path, monkeypatch):
    from newsarchive import limits

    monkeypatch.setattr(limits, "MAX_FILE_SIZE", 1000)
    html = {"Content-Type": "text/html"}
    page = b"<html><body>" + "<p>فقرة طويلة</p>".encode() * 200 + b"</body></html>"
    warc = tmp_path / "big.warc.gz"
    warc.write_bytes(record("response", "https://www.example.dz/2024/01/01/big/", page, **html))
    result = ingest(tmp_path / "archive.db", str(warc))
    assert result.exit_code == 1
    (error,) = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: {warc}@0: a page of more than 1 kB, over the 1 kB limit")
    assert "raise NEWSARCHIVE_MAX_FILE_SIZE" in error
