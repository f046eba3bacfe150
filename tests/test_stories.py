"""One story across its copies (issue 8, newsarchive.stories): wire copies with their own
boilerplate, bylines and datelines are one story; two stories about the same event that
share quotes are not; story ids stay right through inserts, updates, deletions and a
rebuild; search shows each story once."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from newsarchive import search as search_module
from newsarchive import stories
from newsarchive.archive import open_archive
from newsarchive.cli import cli
from newsarchive.samplesite import build_site, serve
from newsarchive.search import search
from newsarchive.web import build_datasette
from tests.crawling import run_crawl, write_sites
from tests.test_web import fetch

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

# An APS dispatch, paragraph by paragraph.
WIRE = [
    "أعلن وزير الموارد المائية اليوم الأحد عن إطلاق برنامج استعجالي لتزويد ولايات"
    " الجنوب بمياه الشرب خلال فصل الصيف، يشمل إنجاز عشرين بئرا جديدة وإعادة تأهيل"
    " محطات الضخ القديمة في كل من ورقلة وأدرار وتمنراست.",
    "وأوضح الوزير خلال زيارة عمل وتفقد إلى ولاية ورقلة أن الغلاف المالي المخصص لهذا"
    " البرنامج يقدر بثلاثة مليارات دينار، وأن الأشغال ستنطلق مطلع الشهر المقبل على أن"
    " تسلم المشاريع الأولى قبل حلول شهر جويلية.",
    "وأضاف أن مصالح الوزارة أحصت أكثر من مئة وعشرين حيا تعاني من انقطاعات متكررة في"
    " التزود بالمياه، مشيرا إلى أن الأولوية ستمنح للمناطق النائية والقرى المعزولة التي"
    " لا تتوفر على شبكات توزيع حديثة.",
    "كما دعا المسؤول الأول عن القطاع السلطات المحلية إلى متابعة وتيرة الأشغال بصفة"
    " دورية ورفع تقارير أسبوعية إلى الوزارة، مؤكدا أن الدولة لن تتسامح مع أي تأخر في"
    " إنجاز هذه المشاريع ذات الطابع الاستعجالي.",
    "وفي سياق متصل، كشف الوزير عن دراسة مشروع لتحلية مياه البحر موجه لتموين ولايات"
    " الهضاب العليا، سيعرض على مجلس الوزراء في الأسابيع القليلة القادمة بعد استكمال"
    " الدراسات التقنية والمالية.",
]

QUOTE = (
    "الدولة لن تتسامح مع أي تأخر في إنجاز هذه المشاريع ذات الطابع الاستعجالي وسنحاسب كل"
    " مسؤول يتهاون في تزويد المواطنين بمياه الشرب"
)

# Another story of the same visit, written by another paper: same event, same quote.
OTHER_STORY = [
    "خرج سكان حي النصر بورقلة صباح اليوم للتعبير عن غضبهم من الانقطاعات المتكررة"
    " للمياه، وذلك تزامنا مع زيارة وزير الموارد المائية إلى الولاية.",
    f"وقال الوزير للصحفيين عند مدخل الحي: {QUOTE}.",
    "غير أن المحتجين أكدوا أنهم سمعوا وعودا مماثلة في السنوات الماضية دون أن يتغير"
    " شيء، مطالبين بربط حيهم بالشبكة الجديدة قبل الصيف وبإيفاد لجنة تحقيق.",
    "وانتهت الوقفة بعد أن استقبل الوالي ممثلين عن السكان ووعدهم بحلول عاجلة خلال"
    " الأيام المقبلة، في انتظار انطلاق أشغال البرنامج الاستعجالي.",
]


def wire_copy(
    paragraphs: list[str], *, dateline: str = "", byline: str = "", footer: str = ""
) -> str:
    """A paper's copy of a dispatch: its dateline, its byline, its footer."""
    body = list(paragraphs)
    if dateline:
        body[0] = f"{dateline} - {body[0]}"
    return "\n\n".join(filter(None, [byline, *body, footer]))


def with_spelling_variants(text: str) -> str:
    """How another paper types the same words: hamza dropped, taa marbuta as haa."""
    return text.replace("أ", "ا").replace("إ", "ا").replace("ة ", "ه ").replace("ى ", "ي ")


def story_ids(archive, urls):
    return [archive.get_article(url)["story_id"] for url in urls]


def add(archive, articles, url, text, **fields):
    article = articles(url=url, text=text, title=fields.pop("title", "برنامج استعجالي"), **fields)
    archive.upsert_article(article)
    return article


def test_wire_copies_are_one_story(archive, articles):
    copies = {
        "https://aps.dz/ar/economie/1": wire_copy(WIRE, dateline="ورقلة 12 مايو (وأج)"),
        "https://www.elkhabar.com/press/article/2": wire_copy(
            WIRE[:-1],  # last paragraph dropped
            byline="الخبر أونلاين",
            footer="تابعوا آخر الأخبار على صفحتنا في فيسبوك وتويتر وانستغرام",
        ),
        "https://www.echoroukonline.com/3": wire_copy(
            WIRE[1:],  # intro trimmed
            dateline="ورقلة: ق. و",
            footer="جميع الحقوق محفوظة لجريدة الشروق اليومي",
        ),
        "https://www.ennaharonline.com/4": with_spelling_variants(
            wire_copy(WIRE, byline="بقلم: سارة ب.")
        ),
    }
    for url, text in copies.items():
        add(archive, articles, url, text, source=url.split("/")[2])
    ids = story_ids(archive, copies)
    assert ids[0] is not None
    assert set(ids) == {ids[0]}


def test_same_event_sharing_quotes_is_another_story(archive, articles):
    add(archive, articles, "https://aps.dz/1", wire_copy(WIRE))
    add(archive, articles, "https://elwatan.dz/2", wire_copy(OTHER_STORY))
    first, second = story_ids(archive, ["https://aps.dz/1", "https://elwatan.dz/2"])
    assert first != second


def test_a_short_text_quoting_a_long_one_is_another_story(archive, articles):
    add(archive, articles, "https://aps.dz/1", wire_copy(WIRE))
    brief = f"قال وزير الموارد المائية من ورقلة إن {WIRE[3]}"
    add(archive, articles, "https://brief.dz/2", brief)
    first, second = story_ids(archive, ["https://aps.dz/1", "https://brief.dz/2"])
    assert first != second


def test_seed_and_crawled_copy_are_one_story(archive, articles):
    add(archive, articles, "seed:ouargla-water", wire_copy(WIRE), source="seed")
    add(archive, articles, "https://sample.test/2024/05/ouargla-water", wire_copy(WIRE))
    ids = story_ids(archive, ["seed:ouargla-water", "https://sample.test/2024/05/ouargla-water"])
    assert ids[0] == ids[1] is not None


def test_story_ids_follow_updates_and_deletes(archive, articles):
    urls = ["https://a.dz/1", "https://b.dz/2", "https://c.dz/3"]
    for url in urls:
        add(archive, articles, url, wire_copy(WIRE, byline=url))
    a, b, c = story_ids(archive, urls)
    assert a == b == c

    # b's text changes into another story: it leaves, a and c stay together.
    add(archive, articles, urls[1], wire_copy(OTHER_STORY))
    a, b, c = story_ids(archive, urls)
    assert a == c != b

    # ... and comes back.
    add(archive, articles, urls[1], wire_copy(WIRE, footer="النهار"))
    assert len(set(story_ids(archive, urls))) == 1

    # Deleting the first copy leaves the others one story, whose first publication moves.
    assert archive.delete_article(urls[0])
    b, c = story_ids(archive, urls[1:])
    assert b == c is not None
    copies = stories.story_copies(archive.conn, archive.get_article(urls[2])["id"])
    assert [copy.url for copy in copies] == urls[1:]
    assert [copy.first for copy in copies] == [True, False]


def test_a_chain_is_regrouped_when_its_link_leaves(archive, articles):
    """c matches only b, b matches a: when b changes into another story, a and c no
    longer share anything and must not stay one story."""
    add(archive, articles, "https://a.dz/1", wire_copy(WIRE[0:3]))
    add(archive, articles, "https://b.dz/2", wire_copy(WIRE[0:5]))
    add(archive, articles, "https://c.dz/3", wire_copy(WIRE[2:5]))
    urls = ["https://a.dz/1", "https://b.dz/2", "https://c.dz/3"]
    assert len(set(story_ids(archive, urls))) == 1
    add(archive, articles, "https://b.dz/2", wire_copy(OTHER_STORY))
    assert len(set(story_ids(archive, urls))) == 3


def test_first_publication_is_the_earliest_copy(archive, articles):
    add(archive, articles, "https://late.dz/1", wire_copy(WIRE), published="2024-05-13T08:00")
    add(archive, articles, "https://early.dz/2", wire_copy(WIRE), published="2024-05-12T09:30")
    add(archive, articles, "https://undated.dz/3", wire_copy(WIRE))
    article_id = archive.get_article("https://late.dz/1")["id"]
    copies = stories.story_copies(archive.conn, article_id)
    assert [(copy.url, copy.first) for copy in copies] == [
        ("https://early.dz/2", True),
        ("https://late.dz/1", False),
        ("https://undated.dz/3", False),
    ]


def partition(archive):
    """The stories as sets of urls, whatever their ids."""
    groups: dict[int, set[str]] = {}
    for url, story in archive.conn.execute("SELECT url, story_id FROM articles"):
        groups.setdefault(story, set()).add(url)
    return sorted(sorted(group) for group in groups.values())


def test_rebuild_gives_the_same_stories(tmp_path, archive, articles):
    for number in range(3):
        add(archive, articles, f"https://wire.dz/{number}", wire_copy(WIRE, byline=str(number)))
    add(archive, articles, "https://other.dz/1", wire_copy(OTHER_STORY))
    add(archive, articles, "https://wire.dz/1", wire_copy(OTHER_STORY, footer="x"))
    before = partition(archive)
    assert len(before) == 2
    result = CliRunner().invoke(cli, ["stories", "--rebuild", "--db", str(archive.path)])
    assert result.exit_code == 0, result.output
    assert "grouped 4 articles into 2 stories" in result.output
    assert partition(archive) == before


def test_a_rebuild_that_changes_nothing_keeps_ids_and_logs_no_change(archive, articles):
    for number in range(3):
        add(archive, articles, f"https://wire.dz/{number}", wire_copy(WIRE, byline=str(number)))
    add(archive, articles, "https://other.dz/1", wire_copy(OTHER_STORY))
    ids = dict(archive.conn.execute("SELECT url, story_id FROM articles"))
    last = "SELECT max(seq) FROM search_changes"
    logged = archive.conn.execute(last).fetchone()[0]
    assert stories.rebuild(archive.conn) == 4
    assert dict(archive.conn.execute("SELECT url, story_id FROM articles")) == ids
    # Every articles write is replayed by the search index: a rebuild writes none.
    assert archive.conn.execute(last).fetchone()[0] == logged


def test_an_archive_never_grouped_is_grouped_when_opened(archive, articles):
    for number in range(2):
        add(archive, articles, f"https://wire.dz/{number}", wire_copy(WIRE, byline=str(number)))
    # As an archive made before stories existed (schema 6), or grouped with other
    # parameters: no story ids, never grouped.
    with archive.conn:
        archive.conn.execute("UPDATE story_state SET seq = NULL, format = NULL")
        archive.conn.execute("UPDATE articles SET story_id = NULL")
    path = archive.path
    archive.close()
    with open_archive(path) as reopened:
        assert stories.grouped(reopened.conn)
        (story,) = {row[0] for row in reopened.conn.execute("SELECT story_id FROM articles")}
        assert story is not None


def test_stories_lists_the_largest(archive, articles):
    for number in range(3):
        add(archive, articles, f"https://wire{number}.dz/1", wire_copy(WIRE), source=f"s{number}")
    add(archive, articles, "https://other.dz/1", wire_copy(OTHER_STORY))
    result = CliRunner().invoke(cli, ["stories", "--db", str(archive.path)])
    assert result.exit_code == 0, result.output
    assert "3 copies" in result.output and "3 sources" in result.output
    assert "https://wire0.dz/1" in result.output


def test_search_shows_each_story_once(archive, articles):
    for number, source in enumerate(["aps", "elkhabar", "echorouk"]):
        add(
            archive,
            articles,
            f"https://{source}.dz/{number}",
            wire_copy(WIRE, byline=source),
            source=source,
            published=f"2024-05-1{number + 2}",
        )
    add(archive, articles, "https://elwatan.dz/9", wire_copy(OTHER_STORY), source="elwatan")
    results = search(archive, "ورقلة", facets=True)
    assert len(results.hits) == 2 and results.total == 2
    wire = next(hit for hit in results.hits if hit.source != "elwatan")
    assert sorted(wire.also_in) == sorted({"aps", "elkhabar", "echorouk"} - {wire.source})
    assert dict(results.facets["source"])["aps"] == 1
    every = search(archive, "ورقلة", all_copies=True)
    assert len(every.hits) == 4 and every.total == 4


def test_search_cli_also_in_and_all_copies(archive, articles):
    for source in ("aps", "elkhabar"):
        add(archive, articles, f"https://{source}.dz/1", wire_copy(WIRE), source=source)
    db = ["--db", str(archive.path)]
    once = CliRunner().invoke(cli, ["search", "ورقلة", "--json", *db])
    hits = json.loads(once.output)
    assert len(hits) == 1
    assert hits[0]["also_in"] in (["aps"], ["elkhabar"]) and hits[0]["story_id"]
    every = CliRunner().invoke(cli, ["search", "ورقلة", "--json", "--all-copies", *db])
    assert len(json.loads(every.output)) == 2
    table = CliRunner().invoke(cli, ["search", "ورقلة", *db])
    assert "1 stories match" in table.output and "also in:" in table.output


@pytest.mark.parametrize("engine", ["fts5", "index", "index, estimated"])
def test_both_engines_collapse(archive, articles, engine, monkeypatch):
    if engine == "index, estimated":
        # Past EXACT_STORIES matches, tantivy's cardinality counts the stories.
        monkeypatch.setattr(search_module, "EXACT_STORIES", 0)
    for source in ("aps", "elkhabar", "echorouk"):
        add(archive, articles, f"https://{source}.dz/1", wire_copy(WIRE), source=source)
    results = search(archive, "ورقلة", facets=True, engine=engine.split(",")[0])
    assert [len(results.hits), results.total] == [1, 1]
    assert results.total_exact == (engine != "index, estimated")
    assert sorted(count for _, count in results.facets["source"]) == [1, 1, 1]
    assert [count for _, count in results.facets["month"]] == [1]


# --- the web ------------------------------------------------------------------------------


def three_copies(archive, articles):
    dated = {"aps": "2024-05-12T09:00", "elkhabar": "2024-05-13T08:00", "echorouk": None}
    for source, published in dated.items():
        add(
            archive,
            articles,
            f"https://{source}.dz/1",
            wire_copy(WIRE, byline=source),
            source=source,
            published=published,
        )
    add(archive, articles, "https://elwatan.dz/9", wire_copy(OTHER_STORY), source="elwatan")
    return {source: archive.get_article(f"https://{source}.dz/1")["id"] for source in dated}


def test_article_page_lists_the_copies(archive, articles):
    ids = three_copies(archive, articles)
    ds = build_datasette(archive.path)
    (page,) = fetch(ds, f"/archive/articles/{ids['elkhabar']}")
    assert page.status_code == 200
    section = page.text.split('class="article-story"')[1].split("</section>")[0]
    # First publication first and marked; the article itself named, not linked.
    assert section.index("aps") < section.index("elkhabar") < section.index("echorouk")
    first = section.split("</li>")[0]
    assert "النشر الأول" in first and f"/archive/articles/{ids['aps']}" in first
    assert section.count("story-first-mark") == 1
    assert "هذه النسخة" in section
    for other in ("aps", "echorouk"):
        assert f"/-/diff?a={ids['elkhabar']}&amp;b={ids[other]}" in section
    # An article alone in its story lists no copies.
    alone = archive.get_article("https://elwatan.dz/9")["id"]
    (page,) = fetch(ds, f"/archive/articles/{alone}")
    assert 'class="article-story"' not in page.text


def test_search_page_one_hit_per_story_and_the_toggle(archive, articles):
    three_copies(archive, articles)
    ds = build_datasette(archive.path)
    once, every, as_json = fetch(
        ds,
        "/-/search?q=" + quote("ورقلة"),
        "/-/search?copies=all&q=" + quote("ورقلة"),
        "/-/search.json?q=" + quote("ورقلة"),
    )
    assert once.text.count('class="search-hit"') == 2
    assert "منشور أيضا في" in once.text and "copies=all" in once.text
    assert "الأعداد أخبار لا نسخ" in once.text
    assert every.text.count('class="search-hit"') == 4
    assert "الأعداد نسخ" in every.text
    data = as_json.json()
    assert data["counting"] == "stories" and data["total"] == 2
    wire = next(hit for hit in data["hits"] if hit["source"] != "elwatan")
    assert len(wire["also_in"]) == 2


# --- the demo archive ---------------------------------------------------------------------


def test_demo_archive_search_shows_each_story_once(tmp_path):
    """What scripts/demo builds: the seed files ingested, then the sample site (made from
    the same seeds) crawled, so every article is there twice under two URLs."""
    db = tmp_path / "archive.db"
    ingested = CliRunner().invoke(cli, ["ingest", str(SEEDS), "-q", "--db", str(db)])
    assert ingested.exit_code == 0, ingested.output
    with serve(build_site()) as server:
        sites = write_sites(tmp_path / "sites.toml", server.base_url.rstrip("/"))
        crawl = run_crawl(db, sites, "sample")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    with open_archive(db, create=False) as archive:
        seeds = archive.conn.execute("SELECT count(*) FROM articles WHERE url LIKE 'seed:%'")
        assert archive.article_count() == 2 * seeds.fetchone()[0]
        for query in ("الجزائر", "وهران", "مستشفى"):
            once = search(archive, query, limit=100)
            every = search(archive, query, limit=100, all_copies=True)
            assert once.hits, query
            assert len({hit.story_id for hit in once.hits}) == len(once.hits) == once.total
            # Every copy found is shown once its story is (a copy may lack the word).
            assert {hit.story_id for hit in every.hits} == {hit.story_id for hit in once.hits}
            assert len(once.hits) < len(every.hits) == every.total
            assert all(len(hit.also_in) == 1 for hit in once.hits)


def test_search_says_when_an_archive_is_too_big_to_group_at_once(archive, articles, monkeypatch):
    for number in range(2):
        add(archive, articles, f"https://wire.dz/{number}", wire_copy(WIRE, byline=str(number)))
    monkeypatch.setattr(stories, "AUTO_GROUP", 1)  # as an upgraded archive of millions
    with archive.conn:
        archive.conn.execute("UPDATE story_state SET seq = NULL, format = NULL")
    result = CliRunner().invoke(cli, ["search", "الجزائر", "--db", str(archive.path)])
    assert result.exit_code == 0, result.output
    assert "run `newsarchive stories --rebuild`" in result.stderr
