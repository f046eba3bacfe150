"""The archive module: upsert outcomes, revisions, the index kept in step, migrations,
and files that are not archives."""

from __future__ import annotations

import re
import sqlite3

import pytest

from newsarchive import limits
from newsarchive.archive import (
    SCHEMA_VERSION,
    InvalidArticle,
    NotAnArchive,
    Outcome,
    SchemaTooNew,
    index_key,
    open_archive,
)
from newsarchive.items import Article


def outcomes(archive, batch):
    return [outcome for _, outcome in archive.upsert_articles(batch)]


def fts_rows(archive):
    return archive.conn.execute("SELECT rowid, title, text FROM articles_fts").fetchall()


def test_new_unchanged_updated_and_revision(archive, articles):
    first = articles(title="مستشفيات البليدة", text="نص أول " * 10)
    assert outcomes(archive, [first]) == [Outcome.NEW]
    assert outcomes(archive, [first]) == [Outcome.UNCHANGED]
    changed = articles(url=first.url, title=first.title, text="نص معدل " * 10)
    assert outcomes(archive, [changed]) == [Outcome.UPDATED]
    row = archive.get_article(first.url)
    assert row["text"] == changed.text
    (revision,) = archive.revisions(first.url)
    assert revision["text"] == first.text
    assert revision["article_id"] == row["id"]
    # The index follows the new text, under the same rowid.
    assert fts_rows(archive) == [(row["id"], index_key(first.title), index_key(changed.text))]


def test_metadata_change_updates_without_revision(archive, articles):
    article = articles(categories=["رياضة"])
    outcomes(archive, [article])
    article.categories = ["رياضة", "كرة القدم"]
    assert outcomes(archive, [article]) == [Outcome.UPDATED]
    assert archive.get_article(article.url)["categories"] == ["رياضة", "كرة القدم"]
    assert archive.revisions(article.url) == []


def test_same_url_twice_in_one_batch(archive, articles):
    a = articles(text="الصيغة الأولى من النص " * 5)
    b = articles(url=a.url, title=a.title, text="الصيغة الثانية من النص " * 5)
    assert outcomes(archive, [a, a, b]) == [Outcome.NEW, Outcome.UNCHANGED, Outcome.UPDATED]
    assert archive.article_count() == 1
    assert len(archive.revisions(a.url)) == 1


def test_large_batches_keep_ids_and_index_in_step(archive, articles):
    batch = [articles() for _ in range(1234)]
    assert outcomes(archive, batch).count(Outcome.NEW) == 1234
    ids = [r[0] for r in archive.conn.execute("SELECT id FROM articles ORDER BY id")]
    assert [r[0] for r in fts_rows(archive)] == ids
    assert archive.delete_article(batch[0].url)
    assert len(fts_rows(archive)) == 1233  # the delete trigger


def test_reindex_rebuilds_from_stored_text(archive, articles):
    outcomes(archive, [articles(title="أَحْمَد", text="المدرسة " * 30)])
    archive.conn.execute("DELETE FROM articles_fts")
    assert archive.reindex() == 1
    ((_, title, _),) = fts_rows(archive)
    assert title == index_key("أَحْمَد") == index_key("احمد")


def test_wal_mode_and_schema_version(archive):
    assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "archive.db"
    open_archive(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew, match="upgrade newsarchive"):
        open_archive(path)


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("not a database, just notes\n" * 100, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(NotAnArchive, match="not a SQLite database"):
        open_archive(path)
    assert path.read_bytes() == before


def test_runs_are_recorded(archive):
    from newsarchive.archive import RunStats

    run_id = archive.start_run("crawl", "sample", "newsarchive crawl sample")
    stats = RunStats(pages=5, new=2)
    stats.drop("HTTP 404")
    stats.error("https://x/: timeout")
    archive.finish_run(run_id, stats, "ok")
    run = archive.last_run("sample")
    assert (run["status"], run["pages"], run["new"], run["dropped"], run["failed"]) == (
        "ok",
        5,
        2,
        1,
        1,
    )


def test_a_refetch_missing_metadata_keeps_what_was_stored(archive, articles):
    full = articles(author="سامية حداد", published="2024-02-21T14:46:00+01:00", tags=["وهران"])
    outcomes(archive, [full])
    bare = articles(url=full.url, title=full.title, text=full.text)
    assert outcomes(archive, [bare]) == [Outcome.UNCHANGED]
    row = archive.get_article(full.url)
    assert (row["author"], row["published"], row["tags"]) == (
        "سامية حداد",
        "2024-02-21T14:46:00+01:00",
        ["وهران"],
    )


def test_whitespace_alone_is_not_a_new_version(archive, articles):
    article = articles(text="سطر أول\nسطر ثان")
    outcomes(archive, [article])
    spaced = articles(url=article.url, title=article.title, text="سطر  أول\n\nسطر ثان ")
    assert outcomes(archive, [spaced]) == [Outcome.UNCHANGED]
    assert archive.get_article(article.url)["text"] == "سطر أول\nسطر ثان"


def test_another_programs_sqlite_file_is_left_alone(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE articles (x)")
    before = path.read_bytes()
    with pytest.raises(NotAnArchive, match="not a newsarchive archive"):
        open_archive(path)
    assert path.read_bytes() == before


def test_reindex_is_one_transaction(archive, articles, monkeypatch):
    outcomes(archive, [articles() for _ in range(30)])
    calls = iter(range(1000))

    def failing_key(text):
        if next(calls) > 10:
            raise RuntimeError("rules broke halfway")
        return index_key(text)

    monkeypatch.setattr("newsarchive.archive.index_key", failing_key)
    with pytest.raises(RuntimeError):
        archive.reindex()
    assert len(fts_rows(archive)) == 30


# --- what the archive stores: size and Unicode -------------------------------------------


def test_the_article_limit_is_a_setting(archive, articles, monkeypatch):
    article = articles(text="نص " * 1000)  # 5 kB and its title
    assert archive.upsert_article(article) == Outcome.NEW
    monkeypatch.setattr(limits, "MAX_ARTICLE_SIZE", 5000)
    longer = articles(text="نص " * 1000)
    with pytest.raises(InvalidArticle, match="over the limit of 5 kB per article"):
        archive.check_article(longer)
    assert archive.upsert_article(longer) == Outcome.FAILED
    archive.max_article_size = 10_000  # as the crawl's --set NEWSARCHIVE_MAX_ARTICLE_SIZE
    assert archive.upsert_article(longer) == Outcome.NEW


def test_limits_from_the_environment(monkeypatch):
    for raw, value in [("2000000", 2_000_000), ("8MB", 8_000_000), ("500 kB", 500_000)]:
        monkeypatch.setenv("NEWSARCHIVE_X", raw)
        assert limits._from_env("NEWSARCHIVE_X", 1) == value
    monkeypatch.setenv("NEWSARCHIVE_X", "lots")
    assert limits._from_env("NEWSARCHIVE_X", 7) == 7  # with a warning naming it
    assert limits.format_size(2_000_000) == "2 MB"
    assert limits.format_size(52_430_000) == "52.4 MB"
    assert limits.format_size(203_976) == "204 kB"


def test_the_archive_refuses_invalid_unicode_without_failing_the_batch(archive, articles):
    good = articles()
    batch = [good, articles(title="\udc80 عنوان"), articles(author="\ud83d")]
    # Refused articles come back at once; the batch's outcomes once it is committed.
    assert [(a.url, o) for a, o in archive.upsert_articles(batch)] == [
        (batch[1].url, Outcome.FAILED),
        (batch[2].url, Outcome.FAILED),
        (good.url, Outcome.NEW),
    ]
    assert archive.article_count() == 1


# --- what the archive stores: URLs -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("javascript:alert(1)", "is a javascript: URL"),
        ("JavaScript:alert(1)", "is a javascript: URL"),
        ("data:text/html,<script>x</script>", "is a data: URL"),
        ("file:///etc/passwd", "is a file: URL"),
        ("ftp://example.com/a.txt", "is a ftp: URL"),
        ("/news/1", "is a relative URL"),
        ("news/1", "is a relative URL"),
        ("//example.com/news/1", "is a relative URL"),
        ("http:///news/1", "has no host"),
        ("https://", "has no host"),
        (" https://example.com/1", "white space around it"),
        ("https://example.com/1\nx", "a line break inside it"),
        ("seed:", "seed key 'seed:' is empty"),
        ("", "needs a URL"),
        ("https://example.com/" + "a" * 9000, "longer than a web address can be"),
    ],
)
def test_only_http_urls_and_seed_keys_are_articles(archive, articles, url, why):
    article = articles(url=url)
    with pytest.raises(InvalidArticle, match=re.escape(why)):
        archive.check_article(article)
    assert archive.upsert_article(article) == Outcome.FAILED
    assert archive.article_count() == 0


@pytest.mark.parametrize(
    "url", ["http://example.com/a", "HTTPS://EXAMPLE.COM/a?b=c#d", "seed:000_887d", "seed:ant/x"]
)
def test_web_urls_and_seed_keys_are_stored(archive, articles, url):
    assert archive.upsert_article(articles(url=url)) == Outcome.NEW


def test_article_check_is_what_upsert_applies(archive):
    """One rule for every path: an article the check refuses is never written."""
    bad = Article(url="file:///x", title="t", text="x")
    with pytest.raises(InvalidArticle):
        archive.check_article(bad)
    assert list(archive.upsert_articles([bad])) == [(bad, Outcome.FAILED)]
