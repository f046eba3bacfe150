"""Exact relevance at scale (issue 11): the derived index ranks every match by bm25, the
planted old article comes first, counts and facets cover every match, and a kill between
the archive's commit and the index's never leaves them out of step."""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsarchive import search as search_module
from newsarchive import searchindex, searchwindow
from newsarchive.arabic.normalize import form_key, search_key, surface_key
from newsarchive.archive import open_archive
from newsarchive.cli import cli
from newsarchive.items import Article
from newsarchive.query import parse_query
from newsarchive.search import keep_in_step, search, search_archive
from newsarchive.web import build_datasette

ROOT = Path(__file__).resolve().parents[1]

# --- issue 11's case in miniature ------------------------------------------------------

FILLER = [
    "قالت",
    "مصادر",
    "محلية",
    "إن",
    "الاجتماع",
    "تناول",
    "ملفات",
    "التنمية",
    "والاستثمار",
    "في",
    "المنطقة",
    "وأن",
    "اللجنة",
    "ستعود",
    "إلى",
    "الموضوع",
    "الأسبوع",
    "المقبل",
    "بعد",
    "دراسة",
    "التقارير",
]


def _generated(count: int, word: str, planted: set[int], seed: int = 11) -> list[Article]:
    """``count`` articles, oldest first; most mention ``word`` once, those numbered in
    ``planted`` carry it seven times in the title and thirty in the text."""
    rng = random.Random(seed)
    made = []
    for number in range(count):
        body = [rng.choice(FILLER) for _ in range(rng.randint(30, 80))]
        title = [rng.choice(FILLER) for _ in range(6)]
        if number in planted:
            title = [word] * 7 + title
            body += [word] * 30
        elif number % 3:
            body.insert(rng.randrange(len(body)), word)
            if number % 7 == 0:
                title.insert(2, word)
        made.append(
            Article(
                url=f"https://example.com/{number}",
                title=" ".join(title),
                text=" ".join(body),
                source="example",
                published=f"{2000 + number * 24 // count}-06-01T10:00:00+01:00",
                language="ar",
            )
        )
    return made


@pytest.fixture(scope="module")
def planted_archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("planted") / "archive.db"
    planted = set(range(10, 110, 10))  # ten of the oldest of 3,000
    with open_archive(path) as archive:
        list(archive.upsert_articles(_generated(3000, "الرئيس", planted), batch_size=1000))
    return path, {f"https://example.com/{n}" for n in planted}


def test_old_articles_that_are_about_the_word_rank_first(planted_archive, monkeypatch):
    path, planted = planted_archive
    # Shrink FTS5's window so the old ranking would only see the newest matches: the
    # planted articles must come from ranking every match, not from a small archive.
    monkeypatch.setattr(searchwindow, "RANK_ALL", 100)
    monkeypatch.setattr(searchwindow, "RANK_NEWEST", 50)
    monkeypatch.setattr(searchwindow, "TITLE_SCAN", 100)
    with open_archive(path) as archive:
        # Every copy: the ranking of articles, not of stories (tests/test_stories.py).
        results = search(archive, "الرئيس", limit=10, all_copies=True)
        window = search(archive, "الرئيس", limit=10, engine="fts5", all_copies=True)
        total = archive.conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
            (parse_query("الرئيس").fts_expression(),),
        ).fetchone()[0]
    assert {hit.url for hit in results.hits} == planted
    assert results.engine == "index" and results.total_exact and results.total == total
    # The FTS5 window, for contrast, misses them: this is the bug the index fixes.
    assert not {hit.url for hit in window.hits} & planted and not window.total_exact


def test_cli_says_how_many_match_exactly(planted_archive):
    path, planted = planted_archive
    with open_archive(path) as archive:
        total = search(archive, "الرئيس", all_copies=True).total
    every = ["--all-copies", "--db", str(path)]
    result = CliRunner().invoke(cli, ["search", "الرئيس", "--limit", "10", *every])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"{total} articles match; the first 10:"
    first = CliRunner().invoke(cli, ["search", "الرئيس", "--limit", "10", "--json", *every])
    assert {hit["url"] for hit in json.loads(first.output)} == planted


# --- exactness against a brute-force bm25 -----------------------------------------------

VOCABULARY = [
    "وزير",
    "الحكومة",
    "الرئيس",
    "البرلمان",
    "مشروع",
    "قانون",
    "الميزانية",
    "الصحة",
    "التعليم",
    "وهران",
]
K1, B = 1.2, 0.75
FIELDS = ("title", "text", "forms", "surface")


def _small_articles(count: int = 400, seed: int = 5) -> list[Article]:
    rng = random.Random(seed)
    sources = ["aps", "elkhabar", "echorouk"]
    made = []
    for number in range(count):
        # Few words from a small vocabulary: many matches, many near-ties, short fields
        # (tantivy stores field lengths exactly up to about forty words).
        title = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(2, 6)))
        text = " ".join(rng.choice(VOCABULARY + FILLER) for _ in range(rng.randint(5, 30)))
        made.append(
            Article(
                url=f"https://example.com/s/{number}",
                title=title,
                text=text,
                source=sources[number % 3],
                published=f"2024-{1 + number % 12:02d}-15T08:00:00+00:00",
                categories=["سياسة"] if number % 4 == 0 else ["مجتمع"],
            )
        )
    return made


class BruteForce:
    """bm25 over every article, written from the formula: per field, idf(key) x
    tf (k1 + 1) / (tf + k1 (1 - b + b len / avglen)), idf = ln(1 + (N - n + .5)/(n + .5));
    the title's term weighted 10; a word's other keys scored with the word's idf; and
    the word as typed (without ال) in the headline's unstemmed forms, weighted 5, and
    exactly as typed, weighted 3."""

    def __init__(self, rows: list[tuple[int, str, str, str, str, str]]) -> None:
        self.docs = {}
        for article_id, title, text, source, published, categories in rows:
            fields = {
                "title": search_key(title).split(),
                "text": search_key(text).split(),
                "forms": form_key(title).split(),
                "surface": surface_key(title).split(),
            }
            self.docs[article_id] = (fields, source, published, json.loads(categories))
        self.n = len(self.docs)
        self.avg = {f: sum(len(d[0][f]) for d in self.docs.values()) / self.n for f in FIELDS}
        self.df = {f: Counter(k for d in self.docs.values() for k in set(d[0][f])) for f in FIELDS}

    def idf(self, field: str, key: str) -> float:
        n = self.df[field][key]
        return math.log(1 + (self.n - n + 0.5) / (n + 0.5))

    def _term(self, fields, field: str, key: str, idf: float) -> float:
        tf = fields[field].count(key)
        if not tf:
            return 0.0
        norm = K1 * (1 - B + B * len(fields[field]) / self.avg[field])
        return idf * tf * (K1 + 1) / (tf + norm)

    def _operand(self, fields, operand) -> float | None:
        """The operand's score in the article, or None when it does not match."""
        keys = [key for key in operand.keys if " " not in key]
        if not any(k in fields["title"] or k in fields["text"] for k in keys):
            return None
        score = 0.0
        for field, weight in (("title", 10.0), ("text", 1.0)):
            for key in keys:
                own = self.idf(field, key)
                idf = self.idf(field, keys[0]) if key != keys[0] and own > 0 else own
                score += weight * self._term(fields, field, key, idf)
        # The word as typed (normalised, unstemmed, no ال) in the headline, weighted 5.
        (form,) = form_key(" ".join(operand.surface)).split()
        score += 5.0 * self._term(fields, "forms", form, self.idf("forms", form))
        # ... and exactly as typed, article included, weighted 3.
        (typed,) = operand.surface
        return score + 3.0 * self._term(fields, "surface", typed, self.idf("surface", typed))

    def ranking(self, text: str, source=None, category=None, since=None, until=None):
        query = parse_query(text)
        scored = []
        for article_id, (fields, doc_source, published, categories) in self.docs.items():
            if source and doc_source != source or category and category not in categories:
                continue
            if since and published[:10] < since or until and published[:10] > until:
                continue
            if any(self._operand(fields, op) is not None for op in query.excluded):
                continue
            total = 0.0
            for clause in query.clauses:
                parts = [self._operand(fields, op) for op in clause]
                if all(part is None for part in parts):
                    break
                total += sum(part for part in parts if part is not None)
            else:
                scored.append((round(total, 4), article_id))
        return [article_id for _, article_id in sorted(scored, key=lambda s: (-s[0], -s[1]))]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "archive.db"
    with open_archive(path) as archive:
        list(archive.upsert_articles(_small_articles()))
        rows = archive.conn.execute(
            "SELECT id, title, text, source, published, categories FROM articles"
        ).fetchall()
    return path, BruteForce(rows)


QUERIES = [
    ("الرئيس", {}),
    ("وزير", {}),
    ("الحكومة البرلمان", {}),
    ("الميزانية OR الصحة", {}),
    ("قانون -وهران", {}),
    ("مشروع", {"source": "aps"}),
    ("التعليم", {"category": "سياسة"}),
    ("الرئيس", {"since": "2024-03-01", "until": "2024-06-30"}),
]


@pytest.mark.parametrize(("text", "filters"), QUERIES)
def test_ranking_is_bm25_over_every_match(small, text, filters):
    path, brute = small
    expected = brute.ranking(text, **filters)
    assert len(expected) > 20  # enough matches for the order to mean something
    with open_archive(path) as archive:
        results = search(
            archive, text, limit=len(expected) + 5, snippets=False, all_copies=True, **filters
        )
    assert results.engine == "index"
    assert [hit.id for hit in results.hits] == expected
    assert results.total == len(expected) and results.total_exact


def test_pages_are_slices_of_the_one_ranking(small):
    path, brute = small
    expected = brute.ranking("الرئيس")
    with open_archive(path) as archive:
        pages = [
            search(archive, "الرئيس", limit=7, offset=o, all_copies=True).hits
            for o in range(0, 42, 7)
        ]
    assert [hit.id for page in pages for hit in page] == expected[:42]


def test_facets_count_every_match(small):
    path, brute = small
    with open_archive(path) as archive:
        results = search(archive, "الحكومة", facets=True, limit=1, all_copies=True)
    assert sum(n for _, n in results.facets["source"]) == results.total
    assert sum(n for _, n in results.facets["month"]) == results.total
    assert results.total == len(brute.ranking("الحكومة"))


def test_without_the_index_search_falls_back_and_says_about(planted_archive, monkeypatch):
    path, _ = planted_archive
    monkeypatch.setattr(searchwindow, "RANK_ALL", 100)
    monkeypatch.setattr(searchwindow, "RANK_NEWEST", 50)
    monkeypatch.setattr(search_module, "derived_index", lambda conn: None)
    result = CliRunner().invoke(cli, ["search", "الرئيس", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("about ")


# --- kept in step, crash-safely ---------------------------------------------------------


def _count_in_index(path: Path) -> int:
    searchindex._OPEN.clear()  # as a new process would
    return searchindex.open_index(path).searcher().num_docs


def test_writes_reach_the_index_as_they_commit(archive, articles):
    list(archive.upsert_articles([articles(title="زلزال", text="زلزال قوي")]))
    search(archive, "زلزال")  # builds the index
    keep_in_step(archive)
    list(archive.upsert_articles([articles(title="فيضان", text="فيضان")] * 1))
    index = searchindex.open_index(archive.path)
    # Synced by the writer, before any search asked.
    assert index.seq == searchindex.last_change(archive.conn)
    assert _count_in_index(archive.path) == 2


class Killed(Exception):
    pass


def _kill():
    raise Killed


def test_a_kill_before_the_index_commit_is_repaired_by_the_next_start(archive, articles):
    first, second = articles(title="زلزال الشمال"), articles(title="زلزال الجنوب")
    list(archive.upsert_articles([first, second]))
    search(archive, "زلزال")
    archive.upsert_article(articles(title="زلزال الشرق"))
    archive.delete_article(first.url)
    with pytest.raises(Killed):
        searchindex.open_index(archive.path).sync(archive.conn, before_commit=_kill)
    # The archive committed, the index did not: a new start replays the change log.
    searchindex._OPEN.clear()
    titles = {hit.title for hit in search(archive, "زلزال").hits}
    assert titles == {"زلزال الجنوب", "زلزال الشرق"}
    assert _count_in_index(archive.path) == archive.article_count() == 2


CHILD = """
import os, signal, sys
sys.path.insert(0, {root!r})
from newsarchive import searchindex
from newsarchive.archive import open_archive
from newsarchive.items import Article
from newsarchive.search import search

def kill(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

archive = open_archive({db!r})
search(archive, "زلزال")  # the index exists and is in step
list(archive.upsert_articles([
    Article(url="https://example.com/new", title="زلزال جديد", text="زلزال", source="x")
]))
archive.delete_article("https://example.com/old")
if {where!r} == "before tantivy commits":
    searchindex.open_index({db!r}).sync(archive.conn, before_commit=kill)
else:
    searchindex._write_state = kill  # tantivy committed; its high-water mark is not
    searchindex.open_index({db!r}).sync(archive.conn)
"""


@pytest.mark.parametrize("where", ["before tantivy commits", "before the mark is written"])
def test_kill_9_between_the_two_commits(tmp_path, where):
    db = tmp_path / "archive.db"
    with open_archive(db) as archive:
        list(
            archive.upsert_articles(
                [
                    Article(url="https://example.com/old", title="زلزال قديم", text="زلزال"),
                    Article(url="https://example.com/kept", title="زلزال باق", text="زلزال"),
                ]
            )
        )
    script = textwrap.dedent(CHILD).format(root=str(ROOT), db=str(db), where=where)
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    searchindex._OPEN.clear()
    with open_archive(db) as archive:
        urls = {hit.url for hit in search(archive, "زلزال", all_copies=True).hits}
        assert urls == {"https://example.com/new", "https://example.com/kept"}
        assert _count_in_index(db) == archive.article_count() == 2


def test_reindex_rebuilds_the_search_index(archive, articles):
    list(archive.upsert_articles([articles(title="زلزال")]))
    search(archive, "زلزال")
    result = CliRunner().invoke(cli, ["reindex", "--db", str(archive.path)])
    assert result.exit_code == 0, result.output
    assert searchindex.open_index(archive.path).seq == searchindex.last_change(archive.conn)
    assert [hit.title for hit in search(archive, "زلزال").hits] == ["زلزال"]


def test_a_plain_reader_needs_no_index(archive, articles, tmp_path):
    list(archive.upsert_articles([articles(title="زلزال")]))
    search(archive, "زلزال")
    os.rename(searchindex.index_dir(archive.path), tmp_path / "moved")
    searchindex._OPEN.clear()
    # A big archive without its index is searched with FTS5 (small ones rebuild it).
    results = search(archive, "زلزال", engine="fts5")
    assert [hit.title for hit in results.hits] == ["زلزال"]


def test_readers_on_threads_while_the_writer_writes(archive, articles):
    """Datasette searches on several threads, read-only, while a crawl writes."""
    list(archive.upsert_articles([articles(title="زلزال", text="زلزال") for _ in range(20)]))
    search(archive, "زلزال")
    keep_in_step(archive)
    errors: list[str] = []
    engines: set[str] = set()
    done = threading.Event()

    def reader() -> None:
        conn = sqlite3.connect(f"file:{archive.path}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        try:
            while not done.is_set():
                engines.add(search_archive(conn, "زلزال", facets=True, limit=5).engine)
        except Exception as exc:  # any failure fails the test below
            errors.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(8):
        list(archive.upsert_articles([articles(title="زلزال جديد") for _ in range(25)]))
    done.set()
    for thread in threads:
        thread.join()
    assert errors == [] and engines == {"index"}
    assert search(archive, "زلزال", all_copies=True).total == archive.article_count() == 220


def test_datasette_pages_rank_with_the_index(planted_archive, monkeypatch):
    path, planted = planted_archive
    monkeypatch.setattr(searchwindow, "RANK_ALL", 100)
    monkeypatch.setattr(searchwindow, "RANK_NEWEST", 50)
    ds = build_datasette(path)

    async def fetch(*paths):
        await ds.invoke_startup()
        return [await ds.client.get(p) for p in paths]

    page, table = asyncio.run(
        fetch(
            "/-/search.json?q=الرئيس",
            "/archive/articles.json?_search=الرئيس&_shape=array&_size=max&_col=url",
        )
    )
    found = page.json()
    assert found["total_exact"] and {hit["url"] for hit in found["hits"][:10]} == planted
    assert planted <= {row["url"] for row in table.json()}


def test_a_build_killed_midway_leaves_nothing_in_the_way(archive, articles):
    list(archive.upsert_articles([articles(title="زلزال")]))
    final = searchindex.index_dir(archive.path)
    dead = final.with_name(final.name + ".new-deadbeef")
    dead.mkdir()
    (dead / "meta.json").write_text("{}")
    os.utime(dead, (0, 0))
    retired = final.with_name(final.name + ".old-cafe")
    retired.mkdir()
    search(archive, "زلزال")  # builds the index
    assert final.is_dir() and not dead.exists() and not retired.exists()
