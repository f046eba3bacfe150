"""The Datasette side: RTL pages, the article page, facets, crawl history, read-only."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest
from datasette import hookimpl

from newsarchive.archive import ArchiveError, RunStats
from newsarchive.items import PageRecord
from newsarchive.web import DATABASE_NAME, build_datasette, labels, load_metadata
from newsarchive.web.cells import readable_cell, time_text, url_html
from newsarchive.web.plugin import http_url, json_list, mark_rtl, paragraphs


def fetch(ds, *paths: str, method: str = "get", **kwargs) -> list:
    """Responses for ``paths`` from the in-process client, in one event loop. GETs follow
    redirects as a browser does (a table page redirects to its default columns)."""
    kwargs.setdefault("follow_redirects", method == "get")

    async def run():
        return [await getattr(ds.client, method)(path, **kwargs) for path in paths]

    return asyncio.run(run())


@pytest.fixture
def filled(archive, articles):
    """The archive with three articles from two sources over two months, one revised."""
    batch = [
        articles(
            url="https://www.elmaouid.dz/politique/1",
            title="الحكومة تعرض مخطط عملها على البرلمان",
            text="عرض الوزير الأول مخطط عمل الحكومة.\n\nوصادق النواب عليه بالأغلبية.",
            source="elmaouid",
            author="الموعد اليومي",
            published="2024-05-02T09:30:00+01:00",
            categories=["وطني", "سياسة"],
            tags=["البرلمان"],
        ),
        articles(
            title="ارتفاع أسعار النفط",
            source="elmaouid",
            published="2024-05-20T10:00:00+01:00",
            categories=["اقتصاد"],
        ),
        articles(
            url="seed:ant/skynews/42",
            title="قمة عربية في الرياض",
            source="skynews",
            published="2024-06-01T08:00:00+03:00",
            categories=["وطني"],
        ),
    ]
    list(archive.upsert_articles(batch))
    revised = batch[0]
    revised.text = "عرض الوزير الأول مخطط عمل الحكومة المعدل.\nوصادق النواب عليه."
    list(archive.upsert_articles([revised]))
    run = archive.start_run("crawl", "elmaouid", "newsarchive crawl elmaouid")
    stats = RunStats(pages=12, new=3)
    stats.drop("HTTP 404", "https://www.elmaouid.dz/gone/")
    archive.finish_run(run, stats, "finished")
    later = archive.start_run("ingest", None, "newsarchive ingest seeds/")
    archived = PageRecord(
        "https://www.elmaouid.dz/politique/1",
        "feed",
        "article",
        "article",
        status=200,
        signals={"og:type": "article", "عنوان": "h1.entry-title", "words": 14},
        outcome="new",
        fetched="2024-06-02T10:00:00+00:00",
    )
    archived.article_id = 1
    archive.record_pages(
        [
            archived,
            PageRecord(
                "https://www.elmaouid.dz/category/sport/",
                "listing",
                "not-article",
                "section page",
                status=200,
                signals={"links": 24},
                fetched="2024-06-02T10:00:01+00:00",
            ),
            PageRecord(
                "https://www.elmaouid.dz/gone/",
                "sitemap",
                "error",
                "HTTP 404",
                status=404,
                fetched="2024-06-02T10:00:02+00:00",
            ),
        ],
        run,
    )
    archive.record_pages(
        [
            PageRecord(
                "https://www.elmaouid.dz/category/eco/",
                "listing",
                "not-article",
                "section page",
                fetched="2024-06-03T09:00:00+00:00",
            )
        ],
        later,
    )
    return archive


@pytest.fixture
def ds(filled):
    # A loaded test machine must not time facets out (Datasette gives them 200 ms).
    return build_datasette(filled.path, settings={"facet_time_limit_ms": 5000})


def test_article_list_is_rtl_arabic_and_lists_titles(ds):
    (response,) = fetch(ds, "/archive/articles")
    assert response.status_code == 200
    html = response.text
    assert re.search(r'<html lang="ar" dir="rtl">', html)
    assert int(response.headers["content-length"]) == len(response.content)
    for title in ("الحكومة تعرض مخطط عملها على البرلمان", "قمة عربية في الرياض"):
        assert title in html
    # The title cell links to the article page; the newest article comes first.
    assert '<a class="article-link" href="/archive/articles/3">قمة عربية في الرياض</a>' in html
    assert html.index("قمة عربية") < html.index("ارتفاع أسعار")
    assert "/-/static-plugins/newsarchive/newsarchive.css" in html


def test_every_html_page_is_rtl_and_json_untouched(ds):
    paths = ("/", "/archive", "/archive/crawl_runs", "/archive/articles/1", "/nowhere")
    for response in fetch(ds, *paths):
        assert '<html lang="ar" dir="rtl">' in response.text, response.url
    (api,) = fetch(ds, "/archive/articles.json")
    assert api.headers["content-type"].startswith("application/json")
    assert api.json()["rows"]


def test_stylesheet_is_served(ds):
    (response,) = fetch(ds, "/-/static-plugins/newsarchive/newsarchive.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "Noto Naskh Arabic" in response.text


def test_article_page_is_readable(ds):
    (response,) = fetch(ds, "/archive/articles/1")
    assert response.status_code == 200
    html = response.text
    assert "<h1>الحكومة تعرض مخطط عملها على البرلمان</h1>" in html
    # One <p> per paragraph of the current text; blank lines make no empty paragraphs.
    assert "<p>عرض الوزير الأول مخطط عمل الحكومة المعدل.</p>" in html
    assert "<p>وصادق النواب عليه.</p>" in html
    assert "<p></p>" not in html
    assert 'href="https://www.elmaouid.dz/politique/1"' in html
    assert "الموعد اليومي" in html and "elmaouid" in html
    assert 'datetime="2024-05-02T09:30:00+01:00"' in html
    assert "سياسة" in html and "#البرلمان" in html
    # The earlier version is listed and linked.
    assert "النسخ السابقة" in html
    assert 'href="/archive/revisions/1"' in html


def test_article_page_never_links_a_non_http_url(ds):
    (response,) = fetch(ds, "/archive/articles/3")
    assert "<h1>قمة عربية في الرياض</h1>" in response.text
    assert 'href="seed:' not in response.text
    assert "article-original" not in response.text
    assert "النسخ السابقة" not in response.text


def test_facets_count_sources_and_months(ds):
    (html_page, api) = fetch(ds, "/archive/articles", "/archive/articles.json?_facet=source")
    assert 'data-column="source"' in html_page.text and 'data-column="month"' in html_page.text
    facets = api.json()["facet_results"]
    counts = {r["value"]: r["count"] for r in facets["source"]["results"]}
    assert counts == {"elmaouid": 2, "skynews": 1}
    months = {r["value"]: r["count"] for r in facets["month"]["results"]}
    assert months == {"2024-05": 2, "2024-06": 1}
    categories = {r["value"]: r["count"] for r in facets["categories"]["results"]}
    assert categories == {"وطني": 2, "سياسة": 1, "اقتصاد": 1}


def test_facet_selection_filters(ds):
    (response,) = fetch(ds, "/archive/articles.json?month=2024-05&_shape=objects")
    titles = {row["title"] for row in response.json()["rows"]}
    assert titles == {"الحكومة تعرض مخطط عملها على البرلمان", "ارتفاع أسعار النفط"}


def test_crawl_history_newest_first(ds):
    (page, api) = fetch(ds, "/archive/crawl_runs", "/archive/crawl_runs.json?_shape=objects")
    assert page.status_code == 200
    assert "سجل الزحف" in page.text
    rows = api.json()["rows"]
    assert [r["kind"] for r in rows] == ["ingest", "crawl"]
    assert rows[1]["pages"] == 12 and rows[1]["status"] == "finished"


def test_pages_table_renders_newest_first_with_readable_signals(ds):
    (page, api) = fetch(ds, "/archive/pages", "/archive/pages.json?_shape=objects")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="ar" dir="rtl">' in html
    assert "الصفحات المجلوبة" in html
    # Signals as indented JSON, Arabic kept as written; the article id links to its title.
    assert '<pre class="page-signals">{\n  &#34;og:type&#34;: &#34;article&#34;' in html
    assert "&#34;عنوان&#34;: &#34;h1.entry-title&#34;" in html
    assert 'href="/archive/articles/1"' in html
    for column in ("run_id", "decision", "reason", "found_via", "status"):
        assert f'data-column="{column}"' in html, column
    rows = api.json()["rows"]
    assert [r["fetched"][:10] for r in rows] == ["2024-06-03"] + ["2024-06-02"] * 3
    assert rows[0]["url"] == "https://www.elmaouid.dz/category/eco/"


def test_pages_facet_by_reason_and_filter_by_run_and_reason(ds):
    (facets, filtered, row_page) = fetch(
        ds,
        "/archive/pages.json?_facet=reason",
        "/archive/pages.json?run_id=1&reason=section+page&_shape=objects",
        "/archive/pages/1",
    )
    reasons = {r["value"]: r["count"] for r in facets.json()["facet_results"]["reason"]["results"]}
    assert reasons == {"section page": 2, "article": 1, "HTTP 404": 1}
    (row,) = filtered.json()["rows"]
    assert row["url"] == "https://www.elmaouid.dz/category/sport/"
    assert (row["run_id"], row["decision"]) == (1, "not-article")
    assert row_page.status_code == 200
    assert '<pre class="page-signals">' in row_page.text


def test_crawl_history_leads_to_the_runs_pages(ds):
    (table, row_page) = fetch(ds, "/archive/crawl_runs", "/archive/crawl_runs/1")
    html = table.text
    # Each dropped reason in Arabic (the stored wording as tooltip) with its count.
    assert (
        '<a href="/archive/pages?run_id=1&amp;reason=HTTP+404" title="HTTP 404">خطأ HTTP 404</a>'
        ' <bdi class="count">1</bdi>'
    ) in html
    assert '<a class="run-pages" href="/archive/pages?run_id=1">12</a>' in html
    # The example URLs are folded away by default (_nocol), shown on the run's own page.
    assert 'href="https://www.elmaouid.dz/gone/"' not in html
    assert 'href="https://www.elmaouid.dz/gone/" dir="ltr"' in row_page.text
    # The run's page lists the pages that point to it.
    assert 'href="/archive/pages?run_id=1"' in row_page.text


def test_index_links_articles_crawl_history_and_hides_fts(ds):
    (index, database) = fetch(ds, "/", "/archive")
    assert "أرشيف الأخبار العربية" in index.text
    assert 'href="/archive/articles"' in index.text
    assert 'href="/archive/crawl_runs"' in index.text
    assert 'href="/archive/articles_fts' not in database.text
    for table in ("articles", "revisions", "sources", "crawl_runs", "pages"):
        assert f'href="/archive/{table}"' in database.text
    assert 'href="/archive/pages"' in index.text


def test_json_api(ds):
    (response,) = fetch(ds, "/archive/articles/1.json?_shape=objects")
    (row,) = response.json()["rows"]
    assert row["url"] == "https://www.elmaouid.dz/politique/1"
    assert row["text"].startswith("عرض الوزير الأول")
    (query,) = fetch(ds, "/archive.json?sql=select+count(*)+as+n+from+articles&_shape=array")
    assert query.json() == [{"n": 3}]


def test_nothing_is_writable_from_the_web(filled):
    # A write canned query passed in by metadata is the only write path Datasette 0.65
    # has; the plugin's query_only connections must defeat it too.
    wipe = {"sql": "delete from articles", "write": True}
    ds = build_datasette(
        filled.path, extra_metadata={"databases": {"archive": {"queries": {"wipe": wipe}}}}
    )
    responses = fetch(ds, "/archive/articles", "/-/create", "/archive/wipe", method="post")
    table_post, create, canned = (r.status_code for r in responses)
    assert table_post >= 400  # Datasette 0.65 only accepts POSTs to canned queries
    assert create == 404  # no JSON write API before Datasette 1.0
    assert canned in (302, 400, 403)  # refused or redirected with an error message
    (sql,) = fetch(ds, "/archive.json?sql=delete+from+articles")
    assert sql.status_code == 400

    async def write_directly():
        await ds.get_database(DATABASE_NAME).execute_write("delete from articles")

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        asyncio.run(write_directly())
    assert filled.article_count() == 3


def test_database_is_archive_whatever_the_file_name(tmp_path, archive, articles):
    list(archive.upsert_articles([articles()]))
    renamed = tmp_path / "news-2024.db"
    archive.close()
    (tmp_path / "archive.db").rename(renamed)
    ds = build_datasette(renamed)
    assert DATABASE_NAME in ds.databases and "news-2024" not in ds.databases
    (response,) = fetch(ds, "/archive/articles.json")
    assert response.status_code == 200
    assert response.json()["facet_results"]["source"]["results"][0]["count"] == 1


def test_missing_archive_is_an_archive_error(tmp_path):
    with pytest.raises(ArchiveError, match="no archive"):
        build_datasette(tmp_path / "missing.db")


def test_mark_rtl():
    assert mark_rtl(b"<!DOCTYPE html>\n<html>\n<head>") == (
        b'<!DOCTYPE html>\n<html lang="ar" dir="rtl">\n<head>'
    )
    assert mark_rtl(b'<html lang="en" class="x">') == b'<html lang="ar" dir="rtl" class="x">'
    assert mark_rtl(b"<p>no document</p>") == b"<p>no document</p>"
    assert mark_rtl(b"<htmlfoo>") == b"<htmlfoo>"


def test_template_filters():
    assert paragraphs("أول\n\n  ثان  \n") == ["أول", "ثان"]
    assert paragraphs(None) == []
    assert json_list('["وطني", "دولي"]') == ["وطني", "دولي"]
    assert json_list("not json") == [] and json_list('{"a": 1}') == []
    assert http_url("https://example.com/a") == "https://example.com/a"
    for url in ("seed:ant/1", "javascript:alert(1)", "https://", "", None):
        assert http_url(url) is None


# --- pages people can read (issue 9, item 7) ---------------------------------------------

ARABIC = re.compile(r"[\u0600-\u06FF]")
# Words of Datasette's English chrome that the archive's pages must not show.
ENGLISH_CHROME = (
    "rows sorted by",
    "This data as",
    "Advanced export",
    "Next page",
    "Powered by",
    'value="Apply"',
    "- column -",
    "Data source:",
    "Links from other tables",
)


@pytest.fixture
def crowded(archive, articles):
    """Thirty articles over 26 categories (one facet longer than a screen), a source with
    its site address, and a crawl run with drops and an error."""
    names = [f"تصنيف {n:02d}" for n in range(26)]
    batch = [
        articles(
            source="elmaouid",
            title=f"خبر عن التصنيف {n}",
            text="نص طويل من المقال. " * 200,
            categories=[names[n % 26]],
            published=f"2024-0{1 + n % 9}-10T09:00:00+01:00",
        )
        for n in range(30)
    ]
    list(archive.upsert_articles(batch))
    archive.register_source("elmaouid", base_url="https://www.elmaouid.dz/", kind="wordpress")
    archive.register_source("evil", base_url="javascript:alert(1)", kind="feed")
    run = archive.start_run("crawl", "elmaouid", "newsarchive crawl elmaouid")
    stats = RunStats(pages=40, new=30)
    for _ in range(3):
        stats.drop("listing or section page", "https://www.elmaouid.dz/category/sport/")
    stats.drop("HTTP 404", "https://www.elmaouid.dz/gone/")
    stats.error("https://www.elmaouid.dz/bad/: TimeoutError: took too long")
    archive.finish_run(run, stats, "ok")
    archive.finish_run(archive.start_run("ingest", None, "newsarchive ingest x/"), RunStats(), "ok")
    return archive


@pytest.fixture
def crowded_ds(crowded):
    return build_datasette(crowded.path, settings={"facet_time_limit_ms": 5000})


def _facet(html: str, column: str) -> str:
    match = re.search(rf'<div class="facet-info[^"]*" id="facet-{column}".*?\n  </div>', html, re.S)
    assert match, f"no {column} facet"
    return match.group(0)


def test_articles_table_hides_the_text_by_default(crowded_ds):
    (bare,) = fetch(crowded_ds, "/archive/articles", follow_redirects=False)
    assert bare.status_code == 302
    location = bare.headers["location"]
    assert location.startswith("/archive/articles?") and "_nocol=text" in location
    # Filters and facets survive the redirect; a reader's own column choice is kept.
    (filtered, chosen, api, as_json) = fetch(
        crowded_ds,
        "/archive/articles?source=elmaouid",
        "/archive/articles?_col=title&_col=text",
        "/archive/articles.json?_shape=objects",
        "/archive/articles?_format=json&_shape=objects",
        follow_redirects=False,
    )
    assert filtered.status_code == 302 and "source=elmaouid" in filtered.headers["location"]
    assert chosen.status_code == 200 and 'class="col-text' in chosen.text
    assert api.status_code == 200 and api.json()["rows"][0]["text"].startswith("نص طويل")
    assert as_json.status_code == 200

    (page,) = fetch(crowded_ds, "/archive/articles")
    html = page.text
    assert 'class="col-text' not in html and "نص طويل من المقال" not in html
    assert 'data-column="title"' in html  # the table is there
    # The page says what is hidden and leads to every column (text included).
    note = re.search(r'<p class="column-choice">(.*?)</p>', html, re.S).group(1)
    assert "أعمدة مخفية" in note and "النص" in note
    show_all = re.search(r'href="([^"]+)">إظهار كل الأعمدة', note).group(1).replace("&amp;", "&")
    assert "_col=text" in show_all and "_nocol" not in show_all
    (everything,) = fetch(crowded_ds, show_all)
    assert '<td class="col-text type-str">' in everything.text
    assert 'href="/archive/articles?' in everything.text and "الأعمدة المعتادة" in everything.text


def test_long_facets_are_capped_with_more(crowded_ds):
    (page,) = fetch(crowded_ds, "/archive/articles")
    categories = _facet(page.text, "categories")
    shown, _, folded = categories.partition('<details class="facet-more">')
    assert shown.count("<li>") == 5  # a few values, then the control
    assert re.search(r"<summary>المزيد \(21\)</summary>", folded)
    assert folded.count("<li>") == 21
    assert "تصنيف 00" in categories and "تصنيف 25" in categories
    # A short facet has no control; the facets come in metadata.json's order.
    assert "facet-more" not in _facet(page.text, "source")
    order = [page.text.index(f'id="facet-{name}"') for name in ("source", "month", "categories")]
    assert order == sorted(order)
    # An empty facet (no article has an agency) takes no room.
    assert 'id="facet-agency"' not in page.text
    # A selected value stays visible even when it is past the cap.
    (chosen,) = fetch(crowded_ds, "/archive/articles?categories__arraycontains=تصنيف+25")
    visible = _facet(chosen.text, "categories").partition("<details")[0]
    assert 'class="facet-selected"' in visible and "تصنيف 25" in visible


def test_table_pages_are_arabic(crowded_ds):
    pages = fetch(
        crowded_ds,
        "/archive/articles",
        "/archive/crawl_runs",
        "/archive/sources",
        "/archive/pages",
        "/archive/revisions",
        "/archive/crawl_runs/1",
        "/archive/sources/elmaouid",
    )
    for page in pages:
        assert page.status_code == 200, page.url
        for english in ENGLISH_CHROME:
            assert english not in page.text, (page.url, english)
    articles_page = pages[0].text
    assert "<title>المقالات (30)</title>" in articles_page
    assert "<h1>المقالات</h1>" in articles_page
    assert "عدد الصفوف: <bdi>30</bdi>" in articles_page
    assert "مرتبة حسب تاريخ النشر تنازليًا" in articles_page
    assert 'value="تطبيق"' in articles_page and '<label for="_search">بحث:</label>' in articles_page
    # Column labels in the header, each with its Arabic note as tooltip.
    header = re.search(r'<th class="col-title".*?</th>', articles_page, re.S).group(0)
    assert ">العنوان</a>" in header and 'title="العنوان كما نُشر"' in header
    assert '<option value="published">تاريخ النشر</option>' in articles_page
    assert "الرئيسية</a>" in articles_page and "الأرشيف</a>" in articles_page  # crumbs
    assert "يعمل بـ" in articles_page  # footer
    # The column notes are Arabic and folded, so they do not push the table down.
    notes = re.search(r'<details class="column-notes">(.*?)</details>', articles_page, re.S)
    assert notes and "<dt>الكاتب <code>author</code></dt>" in notes.group(1)
    facet_names = re.findall(
        r'<p class="facet-info-name">\s*<strong><bdi>(.*?)</bdi>', articles_page
    )
    assert facet_names == ["المصدر", "الشهر", "التصنيفات"]
    runs, sources = pages[1].text, pages[2].text
    assert "<h1>سجل الزحف</h1>" in runs and "<h1>المصادر</h1>" in sources
    # Stored English words are shown in Arabic, the stored word as tooltip.
    assert '<span title="ok">تمت</span>' in runs and '<span title="crawl">زحف</span>' in runs
    assert '<span title="wordpress">ووردبريس</span>' in sources
    # A row page is a list of labelled fields.
    assert '<th scope="row"' in pages[5].text and ">أسباب الاستبعاد</th>" in pages[5].text


def test_every_column_has_an_arabic_label_and_note(filled):
    """metadata.json names every column of every archive table in Arabic, with a note."""
    metadata = load_metadata()["databases"][DATABASE_NAME]["tables"]
    for table in ("articles", "revisions", "sources", "crawl_runs", "pages"):
        columns = [row[1] for row in filled.conn.execute(f"PRAGMA table_info({table})")]
        entry = metadata[table]
        assert ARABIC.search(entry["title"]) and not re.search("[A-Za-z]", entry["title"])
        labels = entry["plugins"]["newsarchive"]["labels"]
        for column in columns:
            assert ARABIC.search(labels.get(column, "")), f"{table}.{column}: no Arabic label"
            note = entry["columns"].get(column, "")
            assert ARABIC.search(note), f"{table}.{column}: no Arabic note"


def test_crawl_history_is_readable_lists(crowded_ds):
    (page, row_page) = fetch(crowded_ds, "/archive/crawl_runs", "/archive/crawl_runs/1")
    html = page.text
    reasons = re.search(r'<ul class="run-reasons">(.*?)</ul>', html, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", reasons)
    # Most pages first, in Arabic, each leading to the run's pages dropped for it.
    assert items == [
        '<a href="/archive/pages?run_id=1&amp;reason=listing+or+section+page"'
        ' title="listing or section page">صفحة قائمة أو قسم</a> <bdi class="count">3</bdi>',
        '<a href="/archive/pages?run_id=1&amp;reason=HTTP+404" title="HTTP 404">خطأ HTTP 404</a>'
        ' <bdi class="count">1</bdi>',
    ]
    # Errors a list; a long one is clipped in the table, whole as its tooltip.
    error = "https://www.elmaouid.dz/bad/: TimeoutError: took too long"
    assert f'<ol class="run-errors"><li dir="auto" title="{error}">{error}</li></ol>' in html
    # No JSON is left in a cell: neither the objects and arrays, nor empty {} and [].
    cells = re.findall(r'<td class="col-(?:dropped_reasons|errors)[^"]*">(.*?)</td>', html, re.S)
    assert cells and not any(c.startswith(("{", "[", "&#34;")) for c in cells)
    assert '<td class="col-dropped_reasons type-str">&nbsp;</td>' in html  # the ingest run
    # Times read as times; the examples are folded on the run's page.
    assert re.search(r'<time datetime="[^"]+" title="[^"]+" dir="ltr"><span class="date">', html)
    examples = re.search(r'<details class="run-examples">(.*?)</details>', row_page.text, re.S)
    assert examples and "<summary>أمثلة (2)</summary>" in examples.group(1)
    assert '<dt title="HTTP 404">خطأ HTTP 404</dt>' in examples.group(1)


def test_pages_table_stays_readable(ds):
    (page,) = fetch(ds, "/archive/pages")
    html = page.text
    assert '<span title="not-article">ليست مقالًا</span>' in html
    assert '<span title="section page">صفحة قسم</span>' in html
    assert '<span title="listing">صفحة قائمة</span>' in html
    # The run is a link to it with its start time; the article, to the article.
    assert re.search(r'<a href="/archive/crawl_runs/1"><time [^>]*>.*?</time></a>', html)
    assert 'href="/archive/articles/1"' in html
    assert '<pre class="page-signals">' in html


def test_sources_link_the_site_itself(crowded_ds):
    (page, row_page) = fetch(crowded_ds, "/archive/sources", "/archive/sources/elmaouid")
    link = (
        '<a href="https://www.elmaouid.dz/" dir="ltr" rel="noopener noreferrer nofollow">'
        "https://www.elmaouid.dz/</a>"
    )
    # dir="ltr" keeps the trailing slash where it belongs (an RTL cell showed "/https://…").
    assert f'<td class="col-base_url type-str">{link}</td>' in page.text
    assert link in row_page.text
    assert 'href="javascript:' not in page.text and "javascript:alert(1)" in page.text


def test_error_pages_are_arabic_and_rtl(crowded_ds):
    missing = fetch(
        crowded_ds, "/nowhere", "/archive/nowhere", "/archive/articles/9999", "/-/nothing"
    )
    for page in missing:
        assert page.status_code == 404, page.url
        html = page.text
        assert '<html lang="ar" dir="rtl">' in html
        assert "<title>الصفحة غير موجودة (404)</title>" in html
        assert "لا توجد صفحة بهذا الرابط" in html
        assert "/-/static-plugins/newsarchive/newsarchive.css" in html
        assert "Error 404" not in html and "Powered by" not in html
    # Datasette's own message stays, left to right, for whoever reports the error.
    assert '<bdi dir="ltr">Table not found</bdi>' in missing[1].text
    (bad, api) = fetch(crowded_ds, "/archive/articles?_nocol=nothing", "/archive/nowhere.json")
    assert bad.status_code == 400 and "طلب غير صالح" in bad.text
    assert api.status_code == 404 and api.json()["ok"] is False  # JSON stays JSON


def test_server_error_and_forbidden_pages_are_arabic(crowded):
    # Imported here: datasette.plugins loads the entry points (newsarchive.web among them),
    # which must find datasette.app importable first.
    from datasette.plugins import pm

    class Broken:
        @hookimpl
        def register_routes(self):
            async def boom():
                raise RuntimeError("disk on fire")

            return [(r"^/-/boom$", boom)]

    broken = Broken()
    broken.__name__ = "test-broken"  # Datasette lists plugins by their module's name
    pm.register(broken, name="test-broken")
    try:
        ds = build_datasette(
            crowded.path,
            extra_metadata={"databases": {"archive": {"tables": {"sources": {"allow": False}}}}},
        )
        (error, forbidden) = fetch(ds, "/-/boom", "/archive/sources")
    finally:
        pm.unregister(broken)
    assert error.status_code == 500 and '<html lang="ar" dir="rtl">' in error.text
    assert "خطأ في الخادم" in error.text and "disk on fire" in error.text
    assert forbidden.status_code == 403 and "غير مسموح" in forbidden.text
    assert '<html lang="ar" dir="rtl">' in forbidden.text


def test_words_for_stored_values():
    assert labels.reason_label("HTTP 503") == "خطأ HTTP 503"
    assert labels.reason_label("something new") == "something new"
    assert labels.value_label("crawl_runs", "status", "interrupted") == "أُوقفت"
    assert labels.value_label("crawl_runs", "status", "a-new-status") is None
    assert labels.value_label("articles", "source", "ok") is None
    assert labels.lookup_label("notnull__1") == "غير فارغ (null)"


def test_cells_for_times_and_addresses():
    assert time_text("2024-05-02T09:30:00+01:00") == "2024-05-02 09:30 +01:00"
    assert time_text("2024-05-02T09:30:00+00:00") == "2024-05-02 09:30"
    assert time_text("2024-05") is None
    assert str(url_html("https://a.example/")) == (
        '<a href="https://a.example/" dir="ltr" rel="noopener noreferrer nofollow">'
        "https://a.example/</a>"
    )

    def row_url(table, key):
        return f"/archive/{table}/{key}"

    for value in ("javascript:alert(1)", "https://", "https://a.example/ x"):
        assert readable_cell("sources", "base_url", value, row_url) is None
    assert readable_cell("articles", "tags", "[]", row_url) == "&nbsp;"
    assert readable_cell(None, "status", "ok", row_url) is None  # arbitrary SQL: Datasette's
