"""Per-page decision records: schema migration 2 (pages, articles.agency, dropped
examples), Archive.record_pages and page_history, and what the crawl pipeline writes."""

from __future__ import annotations

import json
import sqlite3

import pytest
from scrapy.exceptions import DropItem
from scrapy.settings import Settings

from newsarchive import archive as archive_module
from newsarchive.archive import (
    SCHEMA_VERSION,
    Outcome,
    RunStats,
    open_archive,
)
from newsarchive.items import Article, PageRecord
from newsarchive.pipelines import ArchivePipeline, run_stats

# --- the migration -----------------------------------------------------------------------


def make_v1(path):
    """An archive as newsarchive wrote it before schema 2, with an article and a run."""
    conn = sqlite3.connect(path)
    conn.executescript(archive_module.MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO articles (url, source, title, author, text, content_hash, first_seen,"
        " last_fetched) VALUES ('https://example.com/1', 'example', 'عنوان', 'كاتب',"
        " 'نص الخبر', 'h1', '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')"
    )
    conn.execute("INSERT INTO articles_fts (rowid, title, text) VALUES (1, 'عنوان', 'نص')")
    conn.execute(
        "INSERT INTO crawl_runs (kind, source, command, started, status, dropped,"
        " dropped_reasons) VALUES ('crawl', 'example', 'newsarchive crawl example',"
        " '2024-01-01T00:00:00+00:00', 'ok', 2, '{\"HTTP 404\": 2}')"
    )
    conn.commit()
    conn.close()


def test_a_v1_archive_upgrades_in_place_and_keeps_its_rows(tmp_path):
    path = tmp_path / "archive.db"
    make_v1(path)
    with open_archive(path) as archive:
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        row = archive.get_article("https://example.com/1")
        assert (row["title"], row["author"], row["agency"]) == ("عنوان", "كاتب", None)
        run = archive.last_run("example")
        assert json.loads(run["dropped_reasons"]) == {"HTTP 404": 2}
        assert json.loads(run["dropped_examples"]) == {}
        assert archive.db["pages"].count == 0
        indexes = {i.name for i in archive.db["pages"].indexes}
        assert {"pages_run_reason", "pages_url"} <= indexes
        # The upgraded archive takes new writes.
        article = Article(url="https://example.com/2", title="خبر", text="نص", agency="وأج")
        assert archive.upsert_article(article) == Outcome.NEW
        archive.record_pages([PageRecord("https://example.com/2", "feed", "article", "article")])
    with open_archive(path) as again:  # nothing left to migrate
        assert again.get_article("https://example.com/2")["agency"] == "وأج"
        assert again.db["pages"].count == 1


def test_agency_is_written_and_kept_when_a_refetch_lacks_it(archive, articles):
    article = articles(agency="رويترز")
    archive.upsert_article(article)
    assert archive.get_article(article.url)["agency"] == "رويترز"
    bare = articles(url=article.url, title=article.title, text=article.text)
    assert archive.upsert_article(bare) == Outcome.UNCHANGED
    assert archive.get_article(article.url)["agency"] == "رويترز"
    article.agency = "وأج"
    assert archive.upsert_article(article) == Outcome.UPDATED
    assert archive.get_article(article.url)["agency"] == "وأج"


# --- record_pages and page_history -------------------------------------------------------


def test_record_pages_round_trip(archive, articles):
    run_id = archive.start_run("crawl", "example", "newsarchive crawl example")
    article = articles()
    archive.upsert_article(article)
    (article_id,) = archive.article_ids([article.url]).values()
    archived = PageRecord(
        article.url,
        "feed",
        "article",
        "article",
        status=200,
        signals={"title": "h1.entry-title", "json_ld": ["NewsArticle"], "words": 120},
        outcome="new",
        fetched="2024-05-01T10:00:00+00:00",
    )
    archived.article_id = article_id
    listing = PageRecord(
        "https://example.com/category/sport/",
        "listing",
        "not-article",
        "section page",
        status=200,
        signals={"links": {"x", "y"}, "عنوان": "رياضة"},
    )
    other_run = PageRecord(
        "https://example.com/missing", "sitemap", "error", "HTTP 404", status=404, run_id=99
    )
    assert archive.record_pages([archived, listing, other_run], run_id) == 3
    assert archive.record_pages([], run_id) == 0

    (row,) = archive.page_history(article.url)
    assert row["run_id"] == run_id
    assert (row["decision"], row["reason"], row["found_via"], row["status"]) == (
        "article",
        "article",
        "feed",
        200,
    )
    assert row["signals"] == {"title": "h1.entry-title", "json_ld": ["NewsArticle"], "words": 120}
    assert (row["outcome"], row["article_id"]) == ("new", article_id)
    assert row["fetched"] == "2024-05-01T10:00:00+00:00"

    (row,) = archive.page_history(listing.url)
    assert row["signals"] == {"links": ["x", "y"], "عنوان": "رياضة"}  # sets as lists
    assert row["article_id"] is None and row["fetched"]  # fetched defaults to now
    assert archive.page_history(other_run.url)[0]["run_id"] == 99
    assert archive.page_history("https://example.com/never") == []

    decisions = archive.page_decisions(run_id)
    assert {(d["decision"], d["reason"], d["pages"]) for d in decisions} == {
        ("article", "article", 1),
        ("not-article", "section page", 1),
    }


def test_page_history_is_newest_first(archive):
    url = "https://example.com/2024/05/01/story/"
    for status, reason in ((503, "HTTP 503"), (200, "article")):
        decision = "error" if status != 200 else "article"
        archive.record_pages([PageRecord(url, "feed", decision, reason, status=status)])
    assert [r["status"] for r in archive.page_history(url)] == [200, 503]
    assert len(archive.page_history(url, limit=1)) == 1


def test_an_unknown_decision_writes_nothing(archive):
    good = PageRecord("https://example.com/a", "feed", "article", "article")
    bad = PageRecord("https://example.com/b", "feed", "maybe", "unsure")
    with pytest.raises(ValueError, match="not 'maybe'"):
        archive.record_pages([good, bad], None)
    assert archive.db["pages"].count == 0


def test_dropped_examples_are_stored_with_the_run(archive):
    run_id = archive.start_run("crawl", "example", "newsarchive crawl example")
    run = RunStats(pages=6)
    for n in range(5):
        run.drop("HTTP 404", f"https://example.com/gone/{n}")
    run.drop("HTTP 404", "https://example.com/gone/0")  # counted, not repeated
    run.drop("listing page")
    archive.finish_run(run_id, run, "ok")
    stored = archive.last_run("example")
    assert json.loads(stored["dropped_reasons"]) == {"HTTP 404": 6, "listing page": 1}
    assert json.loads(stored["dropped_examples"]) == {
        "HTTP 404": [f"https://example.com/gone/{n}" for n in range(3)]
    }


# --- the pipeline ------------------------------------------------------------------------


class FakeStats:
    def __init__(self):
        self.values: dict = {}

    def inc_value(self, key, count=1, start=0):
        self.values[key] = self.values.get(key, start) + count

    def set_value(self, key, value):
        self.values[key] = value

    def get_value(self, key, default=None):
        return self.values.get(key, default)

    def get_stats(self):
        return dict(self.values)


class FakeSignals:
    def connect(self, receiver, signal):
        self.receiver = receiver


class FakeSpider:
    name = "example"
    site = None


class FakeCrawler:
    def __init__(self, db_path, batch_size=100):
        self.settings = Settings(
            {"NEWSARCHIVE_DB": str(db_path), "NEWSARCHIVE_BATCH_SIZE": batch_size}
        )
        self.stats = FakeStats()
        self.signals = FakeSignals()
        self.spider = FakeSpider()


@pytest.fixture
def pipeline(tmp_path):
    crawler = FakeCrawler(tmp_path / "archive.db")
    pipe = ArchivePipeline.from_crawler(crawler)
    pipe.MAX_BATCH_SECONDS = 3600  # flushes only when full or closed, whatever the machine
    pipe.open_spider()
    yield pipe
    if pipe.archive is not None:
        pipe.archive.close()


def article_page(url, found_via="feed"):
    return PageRecord(url, found_via, "article", "article", status=200, signals={"og": "article"})


def test_pipeline_records_every_page_with_the_articles_outcome(pipeline, articles, tmp_path):
    new = articles()
    new.page = article_page(new.url)
    empty = articles(text="")
    empty.page = article_page(empty.url, "sitemap")
    listing = PageRecord("https://example.com/category/a/", "listing", "not-article", "section")
    gone = PageRecord("https://example.com/gone", "feed", "error", "HTTP 404", status=404)
    feed = PageRecord("https://example.com/feed/", "start", "not-article", "feed", status=200)

    assert pipeline.process_item(new) is new
    with pytest.raises(DropItem, match="no title or text"):
        pipeline.process_item(empty)
    assert pipeline.process_item(listing) is listing
    pipeline.process_item(gone)
    pipeline.process_item(feed)
    # Nothing is written before the flush (the batch is not full, no time has passed)...
    assert pipeline.archive.db["pages"].count == 0
    pipeline.close_spider()  # ...and nothing is lost at the close.

    pages = {r["url"]: r for r in pipeline.archive.db["pages"].rows}
    run_id = pipeline.run_id
    assert {r["run_id"] for r in pages.values()} == {run_id}
    row = pages[new.url]
    assert (row["decision"], row["outcome"], row["found_via"]) == ("article", "new", "feed")
    assert row["article_id"] == pipeline.archive.get_article(new.url)["id"]
    assert json.loads(row["signals"]) == {"og": "article"}
    row = pages[empty.url]
    assert (row["decision"], row["reason"], row["outcome"]) == (
        "not-article",
        "no title or text",
        "skipped",
    )
    assert row["article_id"] is None and row["found_via"] == "sitemap"
    assert len(pages) == 5
    assert (pages[listing.url]["outcome"], pages[gone.url]["outcome"]) == ("skipped", "failed")
    assert all(r["fetched"] for r in pages.values())
    stats = pipeline.crawler.stats.values
    assert stats["newsarchive/new"] == 1
    assert stats["newsarchive/dropped/no title or text"] == 1

    # The run keeps up to 3 example URLs per reason pages were dropped for and per error,
    # not for pages the spider counted as no drop (discovery pages doing their job).
    pipeline.crawler.stats.set_value("response_received_count", 4)
    pipeline.crawler.stats.inc_value("newsarchive/dropped/section")
    pipeline.spider_closed(pipeline.crawler.spider, "finished")
    with open_archive(tmp_path / "archive.db") as archive:
        run = archive.last_run("example")
        assert json.loads(run["dropped_examples"]) == {
            "no title or text": [empty.url],
            "section": [listing.url],
            "HTTP 404": [gone.url],
        }
        assert json.loads(run["dropped_reasons"]) == {"no title or text": 1, "section": 1}


def test_a_refetch_records_unchanged_and_pages_flush_with_full_batches(tmp_path, articles):
    crawler = FakeCrawler(tmp_path / "archive.db", batch_size=2)
    pipe = ArchivePipeline.from_crawler(crawler)
    pipe.MAX_BATCH_SECONDS = 3600
    pipe.open_spider()
    first = articles()
    first.page = article_page(first.url)
    pipe.process_item(first)
    pipe.close_spider()
    again = articles(url=first.url, title=first.title, text=first.text)
    again.page = article_page(first.url)
    pipe.process_item(again)
    for n in range(2):  # a full buffer of page records flushes on its own
        pipe.process_item(PageRecord(f"https://example.com/l/{n}", "listing", "not-article", "x"))
    assert [r["outcome"] for r in pipe.archive.page_history(first.url)] == ["unchanged", "new"]
    assert pipe.archive.db["pages"].count == 4
    pipe.archive.close()


def test_an_article_without_a_page_record_still_gets_one(pipeline, articles):
    article = articles()
    pipeline.process_item(article)
    pipeline.close_spider()
    (row,) = pipeline.archive.page_history(article.url)
    assert (row["decision"], row["outcome"], row["found_via"]) == ("article", "new", "unknown")


def test_a_page_with_an_unknown_decision_is_left_out(pipeline):
    pipeline.process_item(PageRecord("https://example.com/x", "feed", "perhaps", "?"))
    pipeline.process_item(PageRecord("https://example.com/y", "feed", "error", "HTTP 500"))
    pipeline.close_spider()
    assert [r["url"] for r in pipeline.archive.db["pages"].rows] == ["https://example.com/y"]


def test_run_stats_still_reads_the_spiders_drop_counters():
    run = run_stats(
        {
            "response_received_count": 9,
            "newsarchive/new": 2,
            "newsarchive/dropped/HTTP 404": 3,
            "newsarchive/dropped/listing page, not an article": 1,
        }
    )
    assert (run.pages, run.new, run.dropped) == (9, 2, 4)
    assert run.dropped_reasons == {"HTTP 404": 3, "listing page, not an article": 1}


# --- the command line --------------------------------------------------------------------


def test_stats_shows_the_last_runs_pages_by_reason(tmp_path):
    from click.testing import CliRunner

    from newsarchive.cli import cli

    db = tmp_path / "archive.db"
    with open_archive(db) as archive:
        run_id = archive.start_run("crawl", "example", "newsarchive crawl example")
        records = [
            PageRecord(f"https://example.com/c/{n}", "listing", "not-article", "section")
            for n in range(3)
        ]
        records.append(PageRecord("https://example.com/x", "feed", "error", "HTTP 404"))
        archive.record_pages(records, run_id)
    result = CliRunner().invoke(cli, ["stats", "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"pages of run {run_id}, by decision and reason:" in result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert ["not-article", "section", "3"] in lines and ["error", "HTTP", "404", "1"] in lines
    figures = json.loads(CliRunner().invoke(cli, ["stats", "--db", str(db), "--json"]).output)
    assert figures["last_run_pages"]["run_id"] == run_id


def test_crawl_summary_lists_reasons_with_examples_and_where_to_see_why(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from newsarchive import crawl as crawl_module
    from newsarchive.cli import cli

    db = tmp_path / "archive.db"
    run = {
        "id": 7,
        "pages": 9,
        "new": 2,
        "dropped": 5,
        "dropped_reasons": json.dumps({"HTTP 404": 1, "listing page": 4}),
        "dropped_examples": json.dumps(
            {
                "listing page": ["https://e.com/c/1", "https://e.com/c/2", "https://e.com/c/3"],
                "HTTP 404": ["https://e.com/gone"],
                "timeout": ["https://e.com/slow/"],
            }
        ),
    }
    decisions = [{"decision": "not-article", "reason": "listing page", "pages": 4}]
    result_row = crawl_module.CrawlResult("example", "ok", run, {}, decisions)
    monkeypatch.setattr(crawl_module, "run_crawls", lambda *a, **k: [result_row])
    result = CliRunner().invoke(cli, ["crawl", "example", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("  dropped 4: listing page")
    assert [line.strip() for line in lines[start + 1 : start + 4]] == [
        "https://e.com/c/1",
        "https://e.com/c/2",
        "https://e.com/c/3",
    ]
    assert lines[start + 4 : start + 6] == ["  dropped 1: HTTP 404", "      https://e.com/gone"]
    assert lines[start + 6 : start + 8] == ["  error: timeout", "      https://e.com/slow/"]
    assert (
        f"  see why: newsarchive serve --db {db}, then"
        " http://127.0.0.1:8001/archive/pages?run_id=7" in lines
    )


def test_the_crawl_pipeline_obeys_the_same_rule(tmp_path, articles):
    """The crawl writes through the same upsert: a refused article is a failed page with
    the reason, and the rest of the batch lands."""
    pipe = ArchivePipeline.from_crawler(FakeCrawler(tmp_path / "archive.db"))
    pipe.MAX_BATCH_SECONDS = 3600
    pipe.open_spider()
    bad, good = articles(url="data:text/html,x"), articles()
    for article in (bad, good):
        article.page = article_page(article.url)
        pipe.process_item(article)
    pipe.close_spider()
    rows = {r["url"]: r for r in pipe.archive.db["pages"].rows}
    assert (rows[bad.url]["decision"], rows[bad.url]["outcome"]) == ("error", "failed")
    assert rows[bad.url]["reason"].startswith("URL 'data:text/html,x' is a data: URL")
    assert rows[good.url]["outcome"] == "new"
    assert pipe.archive.article_count() == 1
    assert pipe.crawler.stats.values["newsarchive/failed"] == 1
    pipe.archive.close()
