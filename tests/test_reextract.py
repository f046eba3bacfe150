"""`newsarchive reextract`: today's extraction rules over a crawl's WARC captures.

The sample site is crawled once (capture on, the default) with registry A, whose
boilerplate rule removes every paragraph of one article (K), so the crawl judges K not an
article. Registry B drops that rule, removes every paragraph of another article (J) and
the last paragraph of a third (L). Re-extracting with B must add K, flag J, update L with
a revision "re-extracted", leave every other article exactly as it was, and fetch nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsarchive.cli import cli
from newsarchive.samplesite import build_site, serve
from tests.crawling import BOILERPLATE, REPO, run_crawl, write_sites

K, J, L = 4, 5, 10  # positions in the sample site's articles


def registry(path: Path, base: str, dropped_lines: list[str]) -> Path:
    """The tests' `sample` entry, its boilerplate rule extended by ``dropped_lines``."""
    write_sites(path, base)
    lines = [BOILERPLATE, *dropped_lines]
    text = path.read_text(encoding="utf-8").replace(
        f'boilerplate = ["{BOILERPLATE}"]',
        "boilerplate = [" + ", ".join(json.dumps(line, ensure_ascii=False) for line in lines) + "]",
    )
    path.write_text(text, encoding="utf-8")
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def articles(db: Path) -> dict[str, dict]:
    """url → the article row, its story id replaced by the story's first URL: story ids
    are numbered in the order articles are grouped, which a stop and a rerun change,
    while the grouping itself must not change."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        found = {row["url"]: dict(row) for row in conn.execute("SELECT * FROM articles")}
    first_url: dict[int, str] = {}
    for url in sorted(found):
        first_url.setdefault(found[url]["story_id"], url)
    for row in found.values():
        row["story_id"] = first_url[row["story_id"]] if row["story_id"] is not None else None
    return found


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A crawl of the sample site under registry A, the server still up (its request
    log shows whether re-extraction fetched anything)."""
    tmp = tmp_path_factory.mktemp("reextract")
    site = build_site()
    with serve(site) as server:
        base = server.base_url.rstrip("/")
        k, j, l_ = (site.articles[i] for i in (K, J, L))
        rules_a = registry(tmp / "a.toml", base, list(k.paragraphs))
        rules_b = registry(tmp / "b.toml", base, [*j.paragraphs, l_.paragraphs[-1]])
        crawl_dir = tmp / "crawl"
        crawl_dir.mkdir()
        result = run_crawl(crawl_dir / "archive.db", rules_a, "sample")
        assert result.returncode == 0, result.stderr
        yield {
            "dir": crawl_dir,
            "a": rules_a,
            "b": rules_b,
            "server": server,
            "urls": {name: base + art.url for name, art in zip("KJL", (k, j, l_), strict=True)},
            "lost": l_.paragraphs[-1],
        }


def copy_of(crawled: dict, dest: Path) -> Path:
    """The crawled archive and its WARC files, copied: each test re-extracts its own."""
    shutil.copytree(crawled["dir"], dest)
    return dest / "archive.db"


def reextract(db: Path, *args: str):
    return CliRunner().invoke(cli, ["reextract", *args, "--db", str(db)])


def test_changed_rules_update_exactly_the_affected_articles(crawled, tmp_path):
    db = copy_of(crawled, tmp_path / "archive")
    urls = crawled["urls"]
    before = articles(db)
    assert urls["K"] not in before and urls["J"] in before and urls["L"] in before
    server = crawled["server"]
    requests_before = len(server.requests)

    result = reextract(db, "sample", "--sites", str(crawled["b"]))
    assert result.exit_code == 0, result.output
    assert len(server.requests) == requests_before  # nothing fetched
    after = articles(db)

    # K, a page now recognised as an article, is added.
    assert set(after) == set(before) | {urls["K"]}
    assert after[urls["K"]]["source"] == "sample" and after[urls["K"]]["warc_file"]
    # J, now no article, is flagged and kept.
    assert after[urls["J"]]["flagged"].startswith("not an article on re-extraction")
    assert {**after[urls["J"]], "flagged": None} == before[urls["J"]] | {"flagged": None}
    # L lost its last paragraph; its old text is a revision "re-extracted".
    assert crawled["lost"] in before[urls["L"]]["text"]
    assert crawled["lost"] not in after[urls["L"]]["text"]
    revisions = rows(db, "SELECT url, text, reason FROM revisions")
    assert revisions == [(urls["L"], before[urls["L"]]["text"], "re-extracted")]
    # Every other article is exactly as it was.
    for url, row in before.items():
        if url not in (urls["J"], urls["L"]):
            assert after[url] == row, url

    assert "1 new, 1 updated" in result.output
    assert f"flagged 1 (no longer articles; kept, not deleted):\n      {urls['J']}" in result.output
    run = rows(db, "SELECT kind, status, pages, new, updated FROM crawl_runs ORDER BY id DESC")[0]
    assert run == ("reextract", "ok", len(before) + 1, 1, 1)
    [(page_rows,)] = rows(
        db, "SELECT count(*) FROM pages WHERE run_id = (SELECT max(id) FROM crawl_runs)"
    )
    assert page_rows == len(before) + 1  # one decision per page re-extracted

    # Again: nothing changes, J stays flagged.
    again = reextract(db, "--sites", str(crawled["b"]))
    assert "0 new, 0 updated" in again.output and "1 flagged" in again.output
    assert articles(db) == after


def test_the_same_rules_change_nothing(crawled, tmp_path):
    db = copy_of(crawled, tmp_path / "archive")
    before = articles(db)
    result = reextract(db, "--sites", str(crawled["a"]), "--url", crawled["urls"]["L"])
    assert result.exit_code == 0, result.output
    assert "1 pages re-extracted, 0 new, 0 updated, 1 unchanged" in result.output
    assert articles(db) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["elmaouid"], "no stored capture of elmaouid to re-extract"),
        (["--since", "2099-01-01"], "no stored capture fetched since 2099-01-01 to re-extract"),
    ],
)
def test_nothing_to_reextract_is_one_line(crawled, tmp_path, args, says):
    db = copy_of(crawled, tmp_path / "archive")
    result = reextract(db, *args)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {says}")
    assert len(result.output.splitlines()) == 1


# Extraction slowed down in the re-extracting process (workers 0: it extracts itself),
# so a kill -9 lands mid-run, after its first batch is written.
SLOW = (
    "import time, newsarchive.extractpool as pool;"
    "extract = pool._extract_one;"
    "pool._extract_one = lambda args: (time.sleep(0.4), extract(args))[1];"
    "from newsarchive.cli import cli; cli()"
)


DONE = (
    "SELECT count(*) FROM pages p JOIN crawl_runs r ON r.id = p.run_id WHERE r.kind = 'reextract'"
)


def stop_midway(crawled: dict, db: Path, signum: int) -> subprocess.CompletedProcess:
    """A slowed `reextract` of ``db``, sent ``signum`` once its first batch is written."""
    command = [sys.executable, "-c", SLOW, "reextract", "-q", "--db", str(db)]
    command += ["--sites", str(crawled["b"])]
    env = {**os.environ, "NEWSARCHIVE_EXTRACT_WORKERS": "0"}
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        while process.poll() is None and rows(db, DONE)[0][0] == 0:
            time.sleep(0.05)
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    done = rows(db, DONE)[0][0]
    assert 0 < done < len(articles(crawled["dir"] / "archive.db")) + 1, "stopped mid-run"
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT])
def test_a_stop_then_a_rerun_ends_as_an_uninterrupted_run(crawled, tmp_path, signum):
    whole = copy_of(crawled, tmp_path / "whole")
    assert reextract(whole, "--sites", str(crawled["b"])).exit_code == 0

    stopped = copy_of(crawled, tmp_path / "stopped")
    result = stop_midway(crawled, stopped, signum)
    status = rows(stopped, "SELECT status FROM crawl_runs WHERE kind = 'reextract'")
    if signum == signal.SIGINT:  # Ctrl-C: the pages in hand are written, then it stops
        assert result.returncode == 130 and "Traceback" not in result.stderr
        assert "reextract: interrupted:" in result.stdout
        assert "stopped by SIGINT" in result.stderr
        assert status == [("interrupted",)]
    else:
        assert status == [("running",)]

    rerun = reextract(stopped, "--sites", str(crawled["b"]))
    assert rerun.exit_code == 0, rerun.output
    assert articles(stopped) == articles(whole)
    revisions = "SELECT article_id, url, title, text, content_hash, reason FROM revisions"
    assert rows(stopped, revisions) == rows(whole, revisions)
    statuses = rows(stopped, "SELECT status FROM crawl_runs WHERE kind = 'reextract'")
    # A killed run is marked so by the next command.
    first = "interrupted" if signum == signal.SIGINT else "killed"
    assert statuses == [(first,), ("ok",)]
