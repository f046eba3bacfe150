"""Arabic search end to end (issue #4): newsarchive.search, `newsarchive search` and the
Datasette search page and table, on articles written here and the bundled seed files."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsarchive import search as search_module
from newsarchive import searchwindow
from newsarchive.cli import cli
from newsarchive.ingest import ingest_paths
from newsarchive.search import SearchError, SearchResults, search
from newsarchive.web import build_datasette

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
BLIDA = "seed:003_mostashfayat-blida"  # title: …بمستشفيات البليدة…; text: مستشفى
HANDBALL = "seed:008_kurat-yad-wahran"  # فريقُ وهران لكرة اليد…
BOOKS = "seed:009_salon-kitab-qasentina"  # …الكتاب بقسنطينة…
EXPORTS = "seed:007_saderat-kharij-mahroukat"  # source aps; …صادرات الجزائر…
THEATRE = "seed:004_mahrajan-masrah-wahran"  # …المسرح المحترف بوهران; text: قسنطينة

WRITTEN = [
    dict(
        url="https://example.com/ahmed",
        title="أحمد يزور المدرسة الجديدة",
        text="زار الأستاذ أحمد المَدْرَسَةَ الجديدة صباح اليوم رفقة التلاميذ.",
        source="example",
        published="2024-03-10T09:00:00+01:00",
        categories=["تعليم"],
    ),
    dict(
        url="https://example.com/mustafa",
        title="مصطفى يفتتح معرضا للكتاب",
        text="افتتح مصطفى معرضا للرسم في قاعة البلدية.",
        source="example",
        published="2024-04-02T10:00:00+01:00",
        categories=["ثقافة"],
    ),
    dict(
        url="https://example.com/escape",
        title="<b>عاجل</b> & خبر عن الجزائر",
        text='نص فيه <script>alert("x")</script> وكلمة الجزائر.',
        source="other",
        published="2024-05-20T10:00:00+01:00",
    ),
]


@pytest.fixture
def filled(archive, articles):
    """The archive with the articles above and the seed files of seeds/."""
    list(archive.upsert_articles([articles(**fields) for fields in WRITTEN]))
    report = ingest_paths(archive, [SEEDS], progress=False, background=False)
    assert report.failures == []
    return archive


def urls(results: SearchResults) -> list[str]:
    return [hit.url for hit in results.hits]


# --- every way of writing a word finds the same article ----------------------------------

VARIANTS = [
    ("أحمد", "https://example.com/ahmed", "as written"),
    ("احمد", "https://example.com/ahmed", "without hamza"),
    ("المدرسه", "https://example.com/ahmed", "ه for ة"),
    ("المَدْرَسَة", "https://example.com/ahmed", "with tashkeel"),
    ("مدرسة", "https://example.com/ahmed", "without ال"),
    ("وبالمدرسة", "https://example.com/ahmed", "with clitics و ب"),
    ("مصطفي", "https://example.com/mustafa", "ي for ى"),
    ("جزائر", "https://example.com/escape", "الجزائر without ال"),
    ("والجزائر", "https://example.com/escape", "الجزائر with و"),
    ("مستشفى", BLIDA, "singular for the plural مستشفيات"),
    ("مستشفيات", BLIDA, "plural as written"),
    ("البليده", BLIDA, "ه for ة, seed file"),
    ("كره اليد وهران", HANDBALL, "three words, ه for ة"),
]


@pytest.mark.parametrize(("query", "url", "why"), VARIANTS, ids=[v[2] for v in VARIANTS])
def test_every_variant_finds_the_article(filled, query, url, why):
    assert url in urls(search(filled, query)), why


# --- syntax abuse: results or a clear SearchError, never an SQL error --------------------

ABUSE = [
    '"',
    '""',
    "*",
    "الجزائر*",
    "NEAR(",
    "NEAR(الجزائر وهران, 2)",
    "a OR",
    "OR",
    "()",
    "(الجزائر",
    "'; DROP TABLE articles; --",
    "title:foo",
    "title:الجزائر",
    "{title text}: x",
    "^الجزائر",
    "-الجزائر",
    "- -",
    "AND NOT",
    "الجزائر " * 400,
    "x" * 10_000,
    "\x00",
    "   ",
    "",
]


@pytest.mark.parametrize("query", ABUSE)
def test_syntax_abuse_never_raises_sql_errors(filled, query):
    try:
        results = search(filled, query)
    except SearchError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(results.total, int)
    assert filled.article_count() == len(WRITTEN) + 12  # nothing was dropped


def test_sql_and_fts_keywords_are_searched_as_words(filled, articles):
    filled.upsert_article(articles(title="Trump says NEAR and OR", text="NOT a drill"))
    assert len(search(filled, "NEAR").hits) == 1
    assert len(search(filled, "drill NOT").hits) == 1
    # title:x is not a column filter but the words "title" and "x".
    assert search(filled, "title:Trump").hits == []


def test_only_exclusions_is_a_clear_error(filled):
    with pytest.raises(SearchError, match="only excludes"):
        search(filled, "-وهران")


def test_bad_filters_are_clear_errors(filled):
    with pytest.raises(SearchError, match="since"):
        search(filled, "الجزائر", since="yesterday")
    with pytest.raises(SearchError, match="order"):
        search(filled, "الجزائر", order="random")


# --- operators -----------------------------------------------------------------------------


def test_words_are_all_required(filled):
    assert urls(search(filled, "وهران اليد")) == [HANDBALL]
    assert search(filled, "وهران المحروقات").hits == []
    # بوهران in the theatre article counts: the clitic does not hide the city.
    assert THEATRE in urls(search(filled, "وهران قسنطينة"))


def test_or_takes_either(filled):
    found = set(urls(search(filled, "المحروقات OR البليدة")))
    assert found == {EXPORTS, BLIDA}
    assert set(urls(search(filled, "المحروقات أو البليدة"))) == found


def test_minus_excludes(filled):
    with_handball = set(urls(search(filled, "وهران")))
    assert HANDBALL in with_handball
    assert set(urls(search(filled, "وهران -اليد"))) == with_handball - {HANDBALL}


def test_phrase_keeps_word_order(filled):
    assert urls(search(filled, '"كرة اليد"')) == [HANDBALL]
    assert search(filled, '"اليد كرة"').hits == []


# --- ranking, order, filters, paging ---------------------------------------------------------


def test_title_match_ranks_above_body_match(archive, articles):
    body = articles(title="خبر عن السوق", text="ذكر التقرير الميناء مرة واحدة في النص الطويل.")
    title = articles(title="الميناء يستقبل السفن", text="نص عن السفن والبحارة.")
    list(archive.upsert_articles([body, title]))
    results = search(archive, "الميناء")
    assert urls(results) == [title.url, body.url]
    assert results.hits[0].score > results.hits[1].score


def test_recent_order_is_newest_published_first(filled):
    results = search(filled, "الجزائر OR أحمد OR مصطفى", order="recent")
    dated = [hit.published for hit in results.hits if hit.published]
    assert dated == sorted(dated, reverse=True) and len(dated) == 3


def test_filters(filled):
    assert urls(search(filled, "الجزائر", source="aps")) == [EXPORTS]
    assert urls(search(filled, "الجزائر", since="2024-05-20")) == ["https://example.com/escape"]
    assert urls(search(filled, "الجزائر", until="2024-05-19")) == []
    assert urls(search(filled, "أحمد OR مصطفى", since="2024-03-10", until="2024-03-10")) == [
        "https://example.com/ahmed"
    ]
    assert urls(search(filled, "أحمد OR مصطفى", category="ثقافة")) == [
        "https://example.com/mustafa"
    ]


def test_paging_and_exact_total(filled):
    everything = search(filled, "الجزائر", limit=50)
    assert everything.total_exact and everything.total == len(everything.hits) >= 4
    pages = [search(filled, "الجزائر", limit=2, offset=o).hits for o in range(0, 50, 2)]
    assert [hit.id for page in pages for hit in page] == [hit.id for hit in everything.hits]


def test_facets_count_sources_and_months(filled):
    facets = search(filled, "الجزائر", facets=True).facets
    sources = dict(facets["source"])
    assert sources["aps"] == 1 and sources["other"] == 1
    assert dict(facets["month"])["2024-05"] == 1


def test_common_query_ranks_a_bounded_window(filled, monkeypatch):
    everything = search(filled, "الجزائر", limit=50, engine="fts5")
    monkeypatch.setattr(searchwindow, "RANK_ALL", 2)
    monkeypatch.setattr(searchwindow, "RANK_NEWEST", 1)
    monkeypatch.setattr(searchwindow, "TITLE_SCAN", 100)
    results = search(filled, "الجزائر", limit=50, facets=True, engine="fts5")
    assert not results.total_exact
    # Extrapolated from the window; at least what was ranked.
    assert results.total >= len(results.hits) > 1
    newest = max(hit.id for hit in everything.hits)
    titles = {hit.id for hit in everything.hits if "<mark>" in hit.title_html}
    # The newest match and the title matches, best first, scored as in the full ranking.
    assert {hit.id for hit in results.hits} == titles | {newest}
    full = {hit.id: hit.score for hit in everything.hits}
    assert all(hit.score == full[hit.id] for hit in results.hits)
    assert sum(count for _, count in results.facets["source"]) == 1


def test_small_source_is_not_starved_by_the_newest_matches(filled, monkeypatch):
    monkeypatch.setattr(searchwindow, "RANK_ALL", 1)
    monkeypatch.setattr(searchwindow, "FILTER_SCAN", 1)
    monkeypatch.setattr(searchwindow, "TITLE_SCAN", 1)
    # The newest match is not from aps: the source's own newest articles are searched.
    assert urls(search(filled, "الجزائر", source="aps", engine="fts5")) == [EXPORTS]
    assert urls(search(filled, "الجزائر", source="nowhere", engine="fts5")) == []


def test_new_and_changed_articles_are_searchable_at_once(archive, articles):
    article = articles(title="زلزال في الشمال", text="ضرب زلزال المنطقة.")
    archive.upsert_article(article)
    assert urls(search(archive, "زلازل OR زلزال")) == [article.url]
    article.title, article.text = "فيضانات في الجنوب", "غمرت الفيضانات المنطقة."
    archive.upsert_article(article)
    assert search(archive, "زلزال").hits == []
    assert urls(search(archive, "فيضانات")) == [article.url]
    archive.reindex()
    assert urls(search(archive, "الفيضانات")) == [article.url]


# --- snippets of the original text ----------------------------------------------------------


def test_snippet_keeps_tashkeel_and_marks_the_match(filled):
    # The seeds' والمدارس matches too (a broken plural); the headline ranks first.
    hit = search(filled, "مدرسة").hits[0]
    assert "<mark>المَدْرَسَةَ</mark>" in hit.snippet
    assert hit.title_html == "أحمد يزور <mark>المدرسة</mark> الجديدة"


def test_snippets_and_titles_are_escaped(filled):
    hit = next(h for h in search(filled, "الجزائر").hits if h.url.endswith("/escape"))
    assert hit.title == "<b>عاجل</b> & خبر عن الجزائر"
    assert hit.title_html == "&lt;b&gt;عاجل&lt;/b&gt; &amp; خبر عن <mark>الجزائر</mark>"
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<mark>الجزائر</mark>" in hit.snippet


# --- the command line ------------------------------------------------------------------------


def run_cli(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_search_json_shape(filled):
    result = run_cli("search", "مستشفى البليدة", "--json", "--db", str(filled.path))
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert [set(hit) for hit in hits] == [
        {"id", "url", "title", "source", "published", "snippet", "score", "story_id", "also_in"}
    ]
    assert hits[0]["url"] == BLIDA and "<mark>" in hits[0]["snippet"]


def test_cli_search_table_is_plain_text(filled):
    result = run_cli("search", "الجزائر", "--source", "aps", "--db", str(filled.path))
    assert result.exit_code == 0, result.output
    assert "صادرات الجزائر" in result.output and "<mark>" not in result.output
    assert re.search(r"^1\s+ارتفاع صادرات", result.output, re.MULTILINE)


def test_cli_search_limit_and_recent(filled):
    result = run_cli(
        "search", "الجزائر", "--limit", "2", "--recent", "--json", "--db", str(filled.path)
    )
    hits = json.loads(result.output)
    assert len(hits) == 2 and hits[0]["url"] == "https://example.com/escape"


def test_cli_bad_query_is_a_one_line_error(filled):
    result = run_cli("search", '"" *', "--db", str(filled.path))
    assert result.exit_code == 1
    assert result.output.startswith("Error: the query has no words")
    assert len(result.output.strip().splitlines()) == 1


def test_cli_missing_archive_is_a_clear_error(tmp_path):
    result = run_cli("search", "الجزائر", "--db", str(tmp_path / "none.db"))
    assert result.exit_code == 1 and "no archive at" in result.output
    assert not (tmp_path / "none.db").exists()


# --- Datasette ---------------------------------------------------------------------------


def fetch(ds, *paths: str) -> list:
    async def run():
        await ds.invoke_startup()
        # As a browser: the articles table page redirects to its default columns.
        return [await ds.client.get(path, follow_redirects=True) for path in paths]

    return asyncio.run(run())


@pytest.fixture
def ds(filled):
    return build_datasette(filled.path)


def test_search_page_ranks_and_highlights_rtl(ds):
    (page,) = fetch(ds, "/-/search?q=مستشفيات+البليدة")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl"' in page.text
    assert 'name="q" value="مستشفيات البليدة"' in page.text
    hits = re.findall(r'<li class="search-hit">.*?</li>', page.text, re.DOTALL)
    assert len(hits) == 1
    assert "<mark>البليدة</mark>" in hits[0] and "<mark>مستشفى</mark>" in hits[0]
    assert 'href="/archive/articles/' in hits[0]


def test_search_page_facets_and_filters(ds):
    (page, filtered) = fetch(ds, "/-/search?q=الجزائر", "/-/search?q=الجزائر&source=aps")
    assert "?q=%D8%A7%D9%84%D8%AC%D8%B2%D8%A7%D8%A6%D8%B1&amp;source=aps" in page.text
    assert filtered.text.count('<li class="search-hit">') == 1


def test_search_page_bad_query_is_a_message(ds):
    (page, empty) = fetch(ds, "/-/search?q=%22+*", "/-/search")
    assert page.status_code == 400 and "the query has no words" in page.text
    assert empty.status_code == 200 and 'name="q"' in empty.text


def test_search_json(ds):
    (response, bad) = fetch(ds, "/-/search.json?q=احمد", "/-/search.json?q=-x")
    data = response.json()
    assert data["ok"] and data["total"] == 1 and data["total_exact"]
    (hit,) = data["hits"]
    assert hit["url"] == "https://example.com/ahmed"
    assert hit["title_html"] == "<mark>أحمد</mark> يزور المدرسة الجديدة"
    assert bad.status_code == 400 and "only excludes" in bad.json()["error"]


def test_table_search_uses_the_arabic_keys(ds):
    (page, api) = fetch(
        ds,
        "/archive/articles?_search=احمد",
        "/archive/articles.json?_search=المستشفيات&_shape=objects",
    )
    assert page.status_code == 200 and 'name="_search" value="احمد"' in page.text
    assert "أحمد يزور المدرسة الجديدة" in page.text
    assert [row["url"] for row in api.json()["rows"]] == [BLIDA]


def test_table_search_bad_query_is_a_message(ds):
    (page,) = fetch(ds, "/archive/articles?_search=%22")
    assert page.status_code == 400 and "the query has no words" in page.text


def test_search_is_linked_from_the_menu_and_home(ds):
    (home,) = fetch(ds, "/")
    assert 'href="/-/search"' in home.text


def test_search_never_writes(filled):
    # The web side's connections are query_only; the search path must work on them.
    conn = sqlite3.connect(f"file:{filled.path}?mode=ro", uri=True)
    conn.execute("PRAGMA query_only = 1")
    results = search_module.search_archive(conn, "الجزائر", facets=True)
    assert results.hits
    conn.close()


def test_a_clitic_in_the_text_does_not_hide_the_word(archive, articles):
    """بقسنطينة and لوهران in an article are found by قسنطينة and وهران typed alone."""
    from newsarchive.search import search_archive

    outcomes = list(
        archive.upsert_articles(
            [articles(title="معرض الكتاب", text="افتتح المعرض بقسنطينة أمس " * 5)]
        )
    )
    assert outcomes
    results = search_archive(archive.conn, "قسنطينة")
    assert [hit.title for hit in results.hits] == ["معرض الكتاب"]
    assert "<mark>بقسنطينة</mark>" in results.hits[0].snippet
