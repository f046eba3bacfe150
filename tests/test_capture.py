"""WARC capture (issue 8): a crawl of the local sample site keeps every response it
fetched as WARC, the pages and articles rows point to their records, and read_capture
reads them back; schema 5's capture columns in the archive; --no-warc and the registry."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from warcio.archiveiterator import ArchiveIterator

from newsarchive import capture
from newsarchive.archive import Outcome
from newsarchive.capture import CaptureError, read_capture
from newsarchive.items import Capture, PageRecord
from newsarchive.samplesite import build_site, serve
from newsarchive.sites import load_sites
from tests.crawling import run_crawl, write_sites


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def warc_records(folder: Path) -> list[dict]:
    """Every record of every WARC file under ``folder``: type, URL, status, location."""
    records = []
    for path in sorted(folder.rglob("*.warc.gz")):
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle)
            for record in iterator:
                body = record.raw_stream.read()
                records.append(
                    {
                        "type": record.rec_type,
                        "url": record.rec_headers.get_header("WARC-Target-URI"),
                        "status": record.http_headers.get_statuscode()
                        if record.http_headers and record.rec_type == "response"
                        else None,
                        "headers": record.http_headers,
                        "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                        "id": record.rec_headers.get_header("WARC-Record-ID"),
                        "refers": record.rec_headers.get_header("WARC-Refers-To")
                        or record.rec_headers.get_header("WARC-Concurrent-To"),
                        "body": body,
                        "file": path,
                        "offset": iterator.get_record_offset(),
                    }
                )
    return records


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One crawl of the sample site whose registry names a listing without its trailing
    slash (the site redirects it), then a crawl with --no-warc into another archive."""
    tmp = tmp_path_factory.mktemp("capture")
    site = build_site()
    with serve(site) as server:
        sites = write_sites(tmp / "sites.toml", server.base_url.rstrip("/"))
        text = sites.read_text(encoding="utf-8").replace('"/category/local/"', '"/category/local"')
        sites.write_text(text, encoding="utf-8")
        result = run_crawl(tmp / "archive.db", sites, "sample")
        logged = list(server.requests)
        bare = tmp / "bare"
        bare.mkdir()
        no_warc = run_crawl(bare / "archive.db", sites, "sample", "--no-warc")
    assert result.returncode == 0, result.stderr[-3000:]
    assert no_warc.returncode == 0, no_warc.stderr[-3000:]
    return {
        "dir": tmp,
        "db": sqlite_utils.Database(tmp / "archive.db"),
        "base": server.base_url.rstrip("/"),
        "requests": logged,
        "records": warc_records(tmp / "warc"),
        "bare": bare,
    }


def test_one_response_record_per_request_the_server_answered(crawled):
    responses = [r for r in crawled["records"] if r["type"] == "response"]
    fetched = sorted(
        (crawled["base"] + target, str(status)) for _, _, target, status in crawled["requests"]
    )
    assert sorted((r["url"], r["status"]) for r in responses) == fetched
    # Each response has its request record, and every file starts with a warcinfo.
    requests = {r["refers"] for r in crawled["records"] if r["type"] == "request"}
    assert requests == {r["id"] for r in responses}
    files = sorted((crawled["dir"] / "warc" / "sample").glob("sample-*.warc.gz"))
    assert files
    for path in files:
        first = next(iter(ArchiveIterator(open(path, "rb"))))  # noqa: SIM115
        assert first.rec_type == "warcinfo"


def test_payload_digests_match_the_payloads(crawled):
    responses = [r for r in crawled["records"] if r["type"] == "response"]
    assert responses
    for record in responses:
        assert record["digest"] == payload_digest(record["body"]), record["url"]


def test_redirect_404_and_robots_txt_are_captured(crawled):
    base = crawled["base"]
    by_url: dict[str, list[dict]] = {}
    for record in crawled["records"]:
        if record["type"] == "response":
            by_url.setdefault(record["url"], []).append(record)
    (redirect,) = by_url[base + "/category/local"]
    assert redirect["status"] == "301"
    assert redirect["headers"].get_header("Location") == base + "/category/local/"
    assert any(r["status"] == "200" for r in by_url[base + "/category/local/"])
    robots = by_url[base + "/robots.txt"]
    assert robots and all(r["status"] == "200" and b"Sitemap" in r["body"] for r in robots)
    missing = [url for url, records in by_url.items() if records[0]["status"] == "404"]
    assert missing
    # The 404's page row (an error) points to that 404 response.
    row = next(crawled["db"].query("SELECT * FROM pages WHERE status = 404"))
    assert row["decision"] == "error"
    got = read_capture(crawled["dir"], row["warc_file"], row["warc_offset"], row["warc_length"])
    assert (got.url, got.status) == (row["url"], 404)


def test_every_pages_row_points_to_its_response(crawled):
    rows = list(crawled["db"].query("SELECT * FROM pages"))
    assert rows and all(row["warc_file"] for row in rows)
    for row in rows:
        assert row["warc_file"].startswith("warc/sample/sample-")
        got = read_capture(crawled["dir"], row["warc_file"], row["warc_offset"], row["warc_length"])
        assert got.url == row["url"]
        assert got.status == row["status"]
        assert got.digest == row["warc_digest"] == payload_digest(got.body)
    # The WARC says what was decided for each page, in a metadata record about it.
    metadata = [r for r in crawled["records"] if r["type"] == "metadata"]
    by_id = {r["id"]: r for r in crawled["records"]}
    article_rows = [r for r in rows if r["decision"] == "article"]
    described = {(by_id[m["refers"]]["url"], b"decision: article" in m["body"]) for m in metadata}
    assert {(r["url"], True) for r in article_rows} <= described


def test_every_article_points_to_the_page_its_text_came_from(crawled):
    articles = list(crawled["db"].query("SELECT * FROM articles"))
    assert len(articles) == 12
    for article in articles:
        got = read_capture(
            crawled["dir"], article["warc_file"], article["warc_offset"], article["warc_length"]
        )
        assert got.url == article["url"] and got.status == 200
        # The sample site serves some pages in windows-1256 (some mis-declared).
        title = article["title"]
        assert any(title.encode(charset) in got.content for charset in ("utf-8", "cp1256"))


def test_no_warc_keeps_nothing(crawled):
    bare = crawled["bare"]
    assert not (bare / "warc").exists()
    db = sqlite_utils.Database(bare / "archive.db")
    assert db["articles"].count == 12
    assert db.execute("SELECT count(*) FROM pages WHERE warc_file IS NOT NULL").fetchone()[0] == 0


def test_the_registry_turns_capture_off_per_source(tmp_path):
    sites_file = write_sites(tmp_path / "sites.toml", "http://127.0.0.1:9")
    sites_file.write_text(
        sites_file.read_text(encoding="utf-8").replace("delay = 0", "delay = 0\nwarc = false"),
        encoding="utf-8",
    )
    site = load_sites(sites_file)["sample"]
    assert site.warc is False
    from spiders.sources import spider_for

    settings = Settings({"NEWSARCHIVE_WARC": True})
    spider_for(site).update_settings(settings)
    assert settings.getbool("NEWSARCHIVE_WARC") is False
    with pytest.raises(capture.NotConfigured):
        capture.CaptureMiddleware.from_crawler(_Crawler(settings))


# --- the middleware and the writer, without a crawl --------------------------------------


class _Stats:
    def inc_value(self, *args) -> None:
        pass

    def set_value(self, *args) -> None:
        pass


class _Signals:
    def connect(self, *args, **kwargs) -> None:
        pass


class _Crawler:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.stats = _Stats()
        self.signals = _Signals()


class _Spider:
    name = "example"


def capture_one(tmp_path: Path, response: HtmlResponse, **settings) -> tuple[_Crawler, Capture]:
    crawler = _Crawler(Settings({"NEWSARCHIVE_DB": str(tmp_path / "archive.db"), **settings}))
    middleware = capture.CaptureMiddleware.from_crawler(crawler)
    middleware.spider_opened(_Spider())
    assert middleware.process_response(response.request, response) is response
    page = PageRecord(
        response.url, "feed", "not-article", "test", capture=capture.pending(response)
    )
    capture.resolve(crawler, [page])
    middleware.spider_closed(_Spider())
    return crawler, page.capture


def test_compressed_bodies_are_kept_as_sent(tmp_path):
    html = "<html><body><h1>خبر عاجل</h1></body></html>".encode()
    request = Request("https://www.example.dz/a/", headers={"Accept-Encoding": "gzip"})
    response = HtmlResponse(
        request.url,
        body=gzip.compress(html),
        headers={"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"},
        request=request,
    )
    _, where = capture_one(tmp_path, response)
    assert where.file == "warc/example/" + Path(where.file).name
    got = read_capture(tmp_path, where.file, where.offset, where.length)
    assert gzip.decompress(got.body) == html and got.content == html
    assert got.header("Content-Encoding") == "gzip"
    assert got.header("Transfer-Encoding") is None  # Scrapy de-chunked the body already
    assert got.digest == where.digest == payload_digest(got.body)


def test_the_middleware_sees_responses_before_redirects_and_decompression():
    from newsarchive import settings

    order = {**Settings().getdict("DOWNLOADER_MIDDLEWARES_BASE"), **settings.DOWNLOADER_MIDDLEWARES}
    ours = order["newsarchive.capture.CaptureMiddleware"]
    base = "scrapy.downloadermiddlewares."
    # process_response runs from the highest number down.
    assert ours > order[base + "redirect.RedirectMiddleware"]
    assert ours > order[base + "httpcompression.HttpCompressionMiddleware"]
    assert ours > order["newsarchive.politeness.RetryAfterMiddleware"]


def test_files_rotate_past_the_size_limit(tmp_path):
    crawler = _Crawler(
        Settings({"NEWSARCHIVE_DB": str(tmp_path / "a.db"), "NEWSARCHIVE_WARC_MAX_SIZE": "2kB"})
    )
    middleware = capture.CaptureMiddleware.from_crawler(crawler)
    middleware.spider_opened(_Spider())
    pages = []
    for n in range(6):
        request = Request(f"https://www.example.dz/{n}/")
        body = f"<html>{n}</html>".encode() + bytes(range(256)) * 8
        response = HtmlResponse(request.url, body=body, request=request)
        middleware.process_response(request, response)
        pages.append(
            PageRecord(request.url, "feed", "not-article", "x", capture=capture.pending(response))
        )
    capture.resolve(crawler, pages)
    middleware.spider_closed(_Spider())
    assert len({p.capture.file for p in pages}) >= 3
    for page in pages:
        got = read_capture(tmp_path, page.capture.file, page.capture.offset, page.capture.length)
        assert got.url == page.url


def test_a_redirected_request_that_fails_has_no_capture_of_its_own():
    request = Request(
        "https://www.example.dz/b/",
        meta={capture.META_KEY: ("https://www.example.dz/a", "<urn:uuid:x>", 3)},
    )
    assert capture.pending(request) is None
    assert capture.pending(Request("https://www.example.dz/c/")) is None


# --- reading back is confined to the archive's WARC files --------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../archive.db",
        "/etc/passwd",
        "warc/../archive.db",
        "warc/sample/notes.txt",
        "",
        "warc\\x.warc.gz",
    ],
)
def test_read_capture_refuses_anything_but_the_archives_warc_files(tmp_path, name):
    (tmp_path / "archive.db").write_bytes(b"SQLite format 3\x00")
    (tmp_path / "warc" / "sample").mkdir(parents=True)
    (tmp_path / "warc" / "sample" / "notes.txt").write_text("x")
    with pytest.raises(CaptureError):
        read_capture(tmp_path, name, 0, 10)


def test_read_capture_refuses_a_location_that_is_not_a_response(tmp_path):
    request = Request("https://www.example.dz/a/")
    _, where = capture_one(tmp_path, HtmlResponse(request.url, body=b"<p>x</p>", request=request))
    with pytest.raises(CaptureError):
        read_capture(tmp_path, where.file, 0, where.offset)  # the warcinfo record
    with pytest.raises(CaptureError):
        read_capture(tmp_path, where.file, where.offset + 1, where.length)
    with pytest.raises(CaptureError):
        read_capture(tmp_path, where.file, where.offset, 10**9)


def test_two_writers_on_other_machines_name_their_files_apart(tmp_path):
    """Distributed workers each write beside their own archive path; their files are
    gathered into one warc/ folder, so the process id and host end every name."""
    names = []
    for pid, host in [(101, "worker-a"), (101, "worker b")]:
        writer = capture.WarcWriter(tmp_path / host, "sample", host=host, pid=pid)
        writer.describe(capture._Description("https://www.example.dz/", "<urn:uuid:x>"))
        writer.close()
        (path,) = (tmp_path / host / "warc" / "sample").iterdir()
        names.append(path.name)
    assert names[0] != names[1]
    assert names[0].startswith("sample-") and names[0].endswith("-00000-101~worker-a.warc.gz")
    assert names[1].endswith("-101~worker-b.warc.gz")  # the host's space made safe
    other = capture.WarcWriter(tmp_path / "worker-a", "sample", host="worker-a", pid=102)
    other.describe(capture._Description("https://www.example.dz/", "<urn:uuid:x>"))
    other.close()
    assert len(list((tmp_path / "worker-a" / "warc" / "sample").iterdir())) == 2


def test_read_capture_refuses_a_record_other_than_the_rows(tmp_path):
    """A file replaced by another of the same name (another machine's) is refused
    rather than shown as the row's capture."""
    request = Request("https://www.example.dz/a/")
    _, where = capture_one(tmp_path, HtmlResponse(request.url, body=b"<p>a</p>", request=request))
    row = (where.file, where.offset, where.length)
    assert read_capture(tmp_path, *row, where.digest, url=request.url).url == request.url
    with pytest.raises(CaptureError, match="holds another record"):
        read_capture(tmp_path, *row, payload_digest(b"<p>b</p>"))
    with pytest.raises(CaptureError, match=r"another record \(https://www.example.dz/a/\)"):
        read_capture(tmp_path, *row, url="https://www.example.dz/b/")


def test_a_missing_file_says_which_machine_wrote_it(tmp_path):
    (tmp_path / "warc" / "sample").mkdir(parents=True)
    name = "warc/sample/sample-20261205000000-00000-7~w2.warc.gz"
    with pytest.raises(CaptureError, match=r"written on w2 .* copy that worker's warc/ folder"):
        read_capture(tmp_path, name, 0, 10, host="w2")
    with pytest.raises(CaptureError, match=r"is missing \(moved or deleted\?\)"):
        read_capture(tmp_path, name, 0, 10)


# --- the archive's capture columns -------------------------------------------------------


def captured(article, name: str):
    article.page = PageRecord(
        article.url,
        "feed",
        "article",
        "article",
        capture=Capture(f"warc/x/{name}.warc.gz", 10, 20, f"sha1:{name}"),
    )
    return article


def location(archive, url: str) -> tuple:
    row = archive.get_article(url)
    return (row["warc_file"], row["warc_offset"], row["warc_length"], row["warc_digest"])


def test_an_unchanged_refetch_is_unchanged_and_keeps_its_capture(archive, articles):
    first = captured(articles(), "a")
    assert archive.upsert_article(first) == Outcome.NEW
    assert location(archive, first.url) == ("warc/x/a.warc.gz", 10, 20, "sha1:a")
    again = captured(articles(url=first.url, title=first.title, text=first.text), "b")
    assert archive.upsert_article(again) == Outcome.UNCHANGED
    assert location(archive, first.url)[0] == "warc/x/a.warc.gz"
    # An ingested copy with the same text keeps the capture it came from.
    plain = articles(url=first.url, title=first.title, text=first.text, author="كاتب")
    assert archive.upsert_article(plain) == Outcome.UPDATED
    assert location(archive, first.url)[0] == "warc/x/a.warc.gz"
    # A new text comes with the capture it was extracted from.
    changed = captured(articles(url=first.url, title=first.title, text=first.text + " جديد"), "c")
    assert archive.upsert_article(changed) == Outcome.UPDATED
    assert location(archive, first.url)[0] == "warc/x/c.warc.gz"


def test_an_article_without_a_capture_gets_one_when_refetched_unchanged(archive, articles):
    seed = articles()
    assert archive.upsert_article(seed) == Outcome.NEW
    assert location(archive, seed.url) == (None, None, None, None)
    fetched = captured(articles(url=seed.url, title=seed.title, text=seed.text), "d")
    assert archive.upsert_article(fetched) == Outcome.UNCHANGED
    assert location(archive, seed.url)[0] == "warc/x/d.warc.gz"


def test_pages_rows_store_the_capture(archive):
    page = PageRecord("https://www.example.dz/", "start", "not-article", "listing")
    page.capture = Capture("warc/x/e.warc.gz", 5, 6, "sha1:e")
    archive.record_pages(
        [page, PageRecord("https://www.example.dz/x", "feed", "error", "HTTP 500")]
    )
    rows = list(
        archive.db.query("SELECT warc_file, warc_offset, warc_length, warc_digest FROM pages")
    )
    assert [tuple(r.values()) for r in rows] == [("warc/x/e.warc.gz", 5, 6, "sha1:e"), (None,) * 4]


def test_schema_5_adds_the_columns_to_an_older_archive(tmp_path):
    from newsarchive.archive import SCHEMA_VERSION, open_archive

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    from newsarchive import archive as archive_module

    conn.executescript("\n".join(archive_module.MIGRATIONS[:4]) + "\nPRAGMA user_version = 4;")
    conn.close()
    with open_archive(path) as archive:
        assert SCHEMA_VERSION >= 5
        for table in ("pages", "articles"):
            columns = archive.db[table].columns_dict
            assert {"warc_file", "warc_offset", "warc_length", "warc_digest"} <= set(columns)


# --- the capture in Datasette ------------------------------------------------------------


def datasette_get(db_path: Path, *paths: str) -> list:
    import asyncio

    from newsarchive.web import build_datasette

    ds = build_datasette(db_path)

    async def run():
        return [await ds.client.get(path) for path in paths]

    return asyncio.run(run())


def test_the_article_page_links_to_its_capture_served_inertly(crawled):
    db = crawled["db"]
    article = next(db.query("SELECT id, url FROM articles ORDER BY id LIMIT 1"))
    page, text, warc = datasette_get(
        crawled["dir"] / "archive.db",
        f"/archive/articles/{article['id']}",
        f"/-/capture/articles/{article['id']}",
        f"/-/capture/articles/{article['id']}.warc",
    )
    assert f'href="/-/capture/articles/{article["id"]}"' in page.text
    assert f'href="/-/capture/articles/{article["id"]}.warc"' in page.text
    assert text.status_code == 200
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in text.headers["content-security-policy"]
    assert f"WARC-Target-URI: {article['url']}" in text.text and "<html" in text.text
    assert warc.headers["content-type"] == "application/warc"
    assert warc.headers["content-disposition"].startswith("attachment")
    (record,) = [
        (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
        for r in ArchiveIterator(io.BytesIO(warc.content))
    ]
    assert record == ("response", article["url"])


def test_a_page_row_links_to_its_capture(crawled):
    row = next(crawled["db"].query("SELECT id, url FROM pages WHERE status = 404"))
    page, text = datasette_get(
        crawled["dir"] / "archive.db",
        f"/archive/pages/{row['id']}",
        f"/-/capture/pages/{row['id']}",
    )
    assert f'href="/-/capture/pages/{row["id"]}.warc"' in page.text
    assert text.status_code == 200 and "HTTP 404" in text.text


def test_a_row_cannot_send_the_capture_route_outside_the_warc_folder(archive):
    page = PageRecord("https://www.example.dz/", "start", "not-article", "listing")
    page.capture = Capture("warc/../archive.db", 0, 100, "sha1:x")
    archive.record_pages(
        [page, PageRecord("https://www.example.dz/2", "start", "error", "HTTP 500")]
    )
    path = archive.path
    archive.close()
    escaped, missing, unknown, other = datasette_get(
        path,
        "/-/capture/pages/1",
        "/-/capture/pages/2",
        "/-/capture/pages/99",
        "/-/capture/sources/1",
    )
    assert escaped.status_code == missing.status_code == unknown.status_code == 404
    assert b"SQLite" not in escaped.content
    assert "text/html" not in escaped.headers["content-type"]
    assert other.status_code == 404


# --- export for replay tools -------------------------------------------------------------


def export(crawled, *args: str):
    """`newsarchive warc export --source sample ARGS` on the crawled archive."""
    from click.testing import CliRunner

    from newsarchive.cli import cli

    db = str(crawled["dir"] / "archive.db")
    return CliRunner().invoke(cli, ["warc", "export", "--source", "sample", *args, "--db", db])


def test_export_writes_a_valid_wacz_of_every_capture(crawled, tmp_path):
    import json
    import zipfile

    out = tmp_path / "sample.wacz"
    result = export(crawled, "--since", "2000-01-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    responses = [r for r in crawled["records"] if r["type"] == "response"]
    assert f"{len(responses)} responses" in result.output
    with zipfile.ZipFile(out) as wacz:
        names = wacz.namelist()
        assert {"datapackage.json", "indexes/index.cdx", "pages/pages.jsonl"} <= set(names)
        package = json.loads(wacz.read("datapackage.json"))
        for resource in package["resources"]:
            data = wacz.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)
        (warc_name,) = [n for n in names if n.startswith("archive/")]
        # Stored, not deflated: replay tools read records by range.
        assert wacz.getinfo(warc_name).compress_type == zipfile.ZIP_STORED
        warc = wacz.read(warc_name)
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()[1:]]
        index = wacz.read("indexes/index.cdx").decode().splitlines()
    records = list(ArchiveIterator(io.BytesIO(warc)))
    copied = [
        r.rec_headers.get_header("WARC-Target-URI") for r in records if r.rec_type == "response"
    ]
    assert sorted(copied) == sorted(r["url"] for r in responses)
    query = "SELECT url, title FROM articles"
    articles = {row["url"]: row["title"] for row in crawled["db"].query(query)}
    assert {p["url"]: p["title"] for p in pages} == articles
    # Every CDXJ line locates its record in the WARC (how replay tools find a page).
    assert len(index) >= len(responses)
    for line in index:
        entry = json.loads(line.split(" ", 2)[2])
        assert entry["filename"] == warc_name.removeprefix("archive/")
        start, length = int(entry["offset"]), int(entry["length"])
        record = next(iter(ArchiveIterator(io.BytesIO(warc[start : start + length]))))
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
    indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in index}
    assert set(articles) <= indexed


def test_export_as_one_warc_file_and_loud_when_there_is_nothing(crawled, tmp_path):
    out = tmp_path / "sample.warc.gz"
    done = export(crawled, "-o", str(out))
    assert done.exit_code == 0, done.output
    with open(out, "rb") as handle:
        kinds = [r.rec_type for r in ArchiveIterator(handle)]
    responses = [r for r in crawled["records"] if r["type"] == "response"]
    assert kinds[0] == "warcinfo" and kinds.count("response") == len(responses)
    future = export(crawled, "--since", "2999-01-01", "-o", str(tmp_path / "x.wacz"))
    assert future.exit_code == 1 and "no captures of sample since 2999-01-01" in future.output
    assert not (tmp_path / "x.wacz").exists()
    bad_name = export(crawled, "-o", str(tmp_path / "y.zip"))
    assert bad_name.exit_code == 1 and "NAME.wacz or NAME.warc.gz" in bad_name.output


def test_export_of_a_source_never_captured_says_so(tmp_path):
    from click.testing import CliRunner

    from newsarchive.cli import cli

    db = str(tmp_path / "archive.db")
    result = CliRunner().invoke(cli, ["warc", "export", "--source", "nope", "--db", db])
    assert result.exit_code == 1 and "no WARC files for nope" in result.output


def test_pages_whose_record_is_not_written_yet_are_held_not_waited_for(tmp_path):
    crawler = _Crawler(Settings({"NEWSARCHIVE_DB": str(tmp_path / "a.db")}))
    middleware = capture.CaptureMiddleware.from_crawler(crawler)
    middleware.spider_opened(_Spider())
    writer = crawler.newsarchive_warc
    writer.lock.acquire()  # the writer is stuck on a slow disk
    request = Request("https://www.example.dz/slow/")
    response = HtmlResponse(request.url, body=b"<p>x</p>", request=request)
    middleware.process_response(request, response)
    page = PageRecord(request.url, "feed", "not-article", "x", capture=capture.pending(response))
    plain = PageRecord("https://www.example.dz/other/", "feed", "error", "timeout")
    assert capture.resolve(crawler, [page, plain], wait=False) == {id(page)}
    assert page.capture.file is None and page.capture.record_id
    writer.lock.release()
    assert capture.resolve(crawler, [page, plain], wait=True) == set()
    middleware.spider_closed(_Spider())
    got = read_capture(tmp_path, page.capture.file, page.capture.offset, page.capture.length)
    assert got.url == request.url
