"""The command line: extract, stats, reindex and the errors users see."""

from __future__ import annotations

import json

from click.testing import CliRunner

from newsarchive.cli import cli
from newsarchive.samplesite import build_site, render_site

BASE = "https://www.elmaouid.dz"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def saved_page(tmp_path, dated_in_body: bool = False):
    site = build_site()
    sample = next(a for a in site.articles if a.dated_in_body_only == dated_in_body)
    pages = render_site(site, BASE)
    path = tmp_path / "page.html"
    path.write_bytes(pages[sample.url].body)
    return sample, path


def test_extract_json_prints_the_article(tmp_path):
    sample, path = saved_page(tmp_path)
    result = invoke("extract", str(path), "--url", BASE + sample.url, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == [
        "url",
        "title",
        "author",
        "published",
        "modified",
        "language",
        "text",
        "description",
        "categories",
        "tags",
        "image",
        "agency",
    ]
    assert data["title"] == sample.title
    assert data["url"] == BASE + sample.url
    assert data["published"] == sample.published
    assert data["language"] == "ar"


def test_extract_uses_a_sources_rules(tmp_path):
    sample, path = saved_page(tmp_path, dated_in_body=True)
    result = invoke(
        "extract", str(path), "--url", BASE + sample.url, "--source", "sample", "--json"
    )
    data = json.loads(result.output)
    assert data["published"][:10] == sample.published[:10]
    assert "تابعونا على صفحتنا" not in data["text"]
    assert data["author"] == (sample.author or "الموعد اليومي")


def test_extract_errors_are_one_line(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><p>قصير</p></body></html>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(empty), "--json"])
    assert result.exit_code == 1
    assert "not archived as an article: no article text" in result.output
    result = CliRunner().invoke(cli, ["extract", str(empty), "--source", "nosuch"])
    assert result.exit_code == 1
    assert "unknown source 'nosuch'" in result.output


def test_stats_and_reindex(tmp_path):
    db = tmp_path / "archive.db"
    assert invoke("ingest", "--db", str(db), "-q", "seeds").exit_code == 0
    result = invoke("stats", "--db", str(db))
    assert "12 articles" in result.output
    assert "elmaouid" in result.output
    figures = json.loads(invoke("stats", "--db", str(db), "--json").output)
    assert figures["articles"] == 12
    assert figures["runs"][0]["kind"] == "ingest"
    assert invoke("reindex", "--db", str(db)).output.strip() == "reindexed 12 articles"


def test_a_bad_db_path_is_a_clear_error(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes", encoding="utf-8")
    result = CliRunner().invoke(cli, ["stats", "--db", str(notes)])
    assert result.exit_code == 1
    assert "not a SQLite database" in result.output
    assert notes.read_text(encoding="utf-8") == "my notes"
    result = CliRunner().invoke(cli, ["stats", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 1
    assert "no archive at" in result.output


def test_bad_options_are_refused_before_any_work(tmp_path):
    db = str(tmp_path / "archive.db")
    result = CliRunner().invoke(cli, ["crawl", "sample", "--since", "20240101", "--db", db])
    assert result.exit_code == 2
    assert "use YYYY-MM-DD" in result.output
    result = CliRunner().invoke(cli, ["search", "x", "--limit", "99999999999", "--db", db])
    assert result.exit_code == 2
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "typo.db")])
    assert result.exit_code == 1
    assert "no archive at" in result.output
    assert not (tmp_path / "typo.db").exists()


def test_a_busy_archive_is_a_one_line_error(tmp_path):
    import sqlite3

    db = tmp_path / "archive.db"
    invoke("ingest", "--db", str(db), "-q", "seeds/001_asaar-khodar-asouak.txt")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        import newsarchive.archive as archive_module

        original = archive_module.open_archive

        def impatient(path, **kwargs):
            opened = original(path, **kwargs)
            opened.conn.execute("PRAGMA busy_timeout = 100")
            return opened

        archive_module.open_archive = impatient
        import newsarchive.cli as cli_module

        cli_module.open_archive = impatient
        result = CliRunner().invoke(
            cli, ["ingest", "--db", str(db), "-q", "seeds/002_mouloudia-nisf-nihai.txt"]
        )
    finally:
        archive_module.open_archive = original
        cli_module.open_archive = original
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "the archive is busy" in result.output
    assert "Traceback" not in result.output


def test_utf16_seed_files_are_text(tmp_path):
    seed = (tmp_path / "seeds").mkdir() or tmp_path / "seeds" / "500_utf16.txt"
    seed.write_text("عنوان الخبر\n\nelmaouid\n\n" + "نص الخبر " * 30, encoding="utf-16")
    result = invoke("ingest", "--db", str(tmp_path / "archive.db"), "-q", str(seed))
    assert "1 new" in result.output, result.output


def test_a_saved_home_page_is_not_an_article():
    import pytest

    from tests.test_discovery import FEEDS

    home = FEEDS.parents[0] / "real-pages" / "aljazair24.com.html"
    if not home.exists():
        pytest.skip(f"{home} not found: the saved homepages live in ../shared/data/real-pages")
    result = CliRunner().invoke(cli, ["extract", str(home), "--url", "http://aljazair24.com/"])
    assert result.exit_code == 1
    assert "listing or section page" in result.output
    assert "body class home" in result.output  # the evidence, in one line


def test_serve_on_a_busy_port_is_one_line_and_exit_1(tmp_path, archive):
    """The port is taken before anything claims to serve: one line, status 1."""
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        result = CliRunner().invoke(
            cli, ["serve", "--port", str(port), "--db", str(tmp_path / "archive.db")]
        )
    finally:
        busy.close()
    assert result.exit_code == 1
    assert "serving" not in result.output
    assert result.output.strip().splitlines() == [
        f"Error: port {port} on 127.0.0.1 is in use (another newsarchive serve?);"
        " pass --port N for another one"
    ]
