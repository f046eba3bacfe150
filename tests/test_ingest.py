"""newsarchive.ingest: seed files, ANT corpus XML, archives, JSON Lines, failures."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from newsarchive.archive import Outcome
from newsarchive.ingest import (
    BadInput,
    EmptyDocument,
    IngestError,
    IngestReport,
    ingest_paths,
    normalise_date,
    parse_ant,
    parse_seed,
)

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "seeds" / "000_887d7dc72d5a122c.txt"
SHARED = REPO.parent / "shared"
ANT_SAMPLE = SHARED / "data" / "corpora" / "ant-v2.1" / "sample"


def ingest(archive, *paths, **options):
    options.setdefault("progress", False)
    return ingest_paths(archive, [Path(p) for p in paths], **options)


def seed_parts() -> tuple[str, str, str]:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    return lines[0], lines[2], "\n".join(lines[4:])


def write_seed(folder: Path, title: str, body: str, *, name: str = "s.txt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"{title}\n\nelmaouid\n\n{body}\n", encoding="utf-8")
    return path


# --- seed files --------------------------------------------------------------------------


def test_seed_file_reads_back_field_by_field(archive):
    report = ingest(archive, SEED)
    assert (report.new, report.updated, report.unchanged, report.failed) == (1, 0, 0, 0)
    assert report.summary() == "ingested 1 files: 1 new, 0 updated, 0 unchanged, 0 failed"

    row = archive.get_article("seed:000_887d7dc72d5a122c")
    title, source, body = seed_parts()
    assert row["title"] == title.strip()
    assert row["title"].startswith("روسيا\xa0 تقف سدا")  # the file's own NBSP kept
    assert row["source"] == source == "elmaouid"
    assert row["text"] == body.strip()
    assert row["text"].startswith("اعتبر وزير الخارجية الروسى")
    assert row["text"].endswith("للقيام بعملها.")
    assert "\n\n" in row["text"]  # paragraphs kept
    assert row["language"] == "ar"
    assert row["word_count"] == len(body.split())
    assert row["published"] is None and row["author"] is None
    assert row["categories"] == [] and row["tags"] == []
    assert archive.db["sources"].get("elmaouid")["kind"] == "seed"


def test_reingest_is_idempotent_and_recorded(archive):
    first = ingest(archive, REPO / "seeds", command="newsarchive ingest seeds")
    second = ingest(archive, REPO / "seeds", command="newsarchive ingest seeds")
    assert first.new == second.unchanged > 1
    assert (second.new, second.updated, second.failed) == (0, 0, 0)
    assert archive.article_count() == first.new
    assert archive.conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0
    runs = list(archive.db["crawl_runs"].rows_where(order_by="id"))
    assert [(r["kind"], r["status"], r["new"], r["unchanged"]) for r in runs] == [
        ("ingest", "ok", first.new, 0),
        ("ingest", "ok", 0, first.new),
    ]
    assert runs[0]["command"] == "newsarchive ingest seeds"
    assert runs[0]["pages"] == first.new


@pytest.mark.parametrize("variant", ["windows-1256", "utf-8-bom", "crlf", "all-three"])
def test_seed_encodings_and_line_ends_give_the_identical_article(archive, tmp_path, variant):
    original = SEED.read_bytes()
    text = original.decode("utf-8")
    if variant == "windows-1256":
        data = text.encode("cp1256", errors="strict")
    elif variant == "utf-8-bom":
        data = b"\xef\xbb\xbf" + original
    elif variant == "crlf":
        data = text.replace("\n", "\r\n").encode("utf-8")
    else:
        data = text.replace("\n", "\r\n").encode("cp1256")
    copy = tmp_path / variant / SEED.name  # same name, so the same seed: key
    copy.parent.mkdir()
    copy.write_bytes(data)

    expected = parse_seed(original, SEED.name)
    got = parse_seed(data, copy.name)
    assert got == expected
    assert got.content_hash == expected.content_hash

    ingest(archive, SEED)
    report = ingest(archive, copy)
    assert (report.unchanged, report.new, report.updated) == (1, 0, 0)
    assert archive.revisions(expected.url) == []


def test_seed_identity_survives_a_move_and_a_changed_body_is_a_revision(archive, tmp_path):
    write_seed(tmp_path / "a", "عنوان الخبر", "الفقرة الأولى.\n\nالفقرة الثانية.")
    moved = write_seed(
        tmp_path / "b" / "deeper", "عنوان الخبر", "الفقرة الأولى.\n\nالفقرة الثانية."
    )
    assert ingest(archive, tmp_path / "a").new == 1
    assert ingest(archive, moved).unchanged == 1

    write_seed(tmp_path / "a", "عنوان الخبر", "الفقرة الأولى بعد التصحيح.\n\nالفقرة الثانية.")
    report = ingest(archive, tmp_path / "a")
    assert report.updated == 1
    assert archive.article_count() == 1
    revisions = archive.revisions("seed:s")
    assert len(revisions) == 1
    assert revisions[0]["text"] == "الفقرة الأولى.\n\nالفقرة الثانية."
    assert archive.get_article("seed:s")["text"].startswith("الفقرة الأولى بعد التصحيح.")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\n", "empty file"),
        (b"\n\nelmaouid\n\n\xd9\x86\xd8\xb5", "no title on line 1"),
        ("عنوان\n\nelmaouid\n\n".encode(), "no body"),
        ("عنوان\n\nelmaouid\n\n   \n".encode(), "no body after line 4"),
        ("عنوان\nسطر\nelmaouid\n\nنص".encode(), "lines 2 and 4 must be blank"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("Ø§Ù„Ø®Ø¨Ø±\n\nelmaouid\n\nØ§Ù„Ø®Ø¨Ø± Ø§Ù„Ø§ÙˆÙ„".encode(), "undecodable text"),
    ],
)
def test_bad_seed_files_fail_with_a_reason(data, reason):
    with pytest.raises(BadInput, match=reason):
        parse_seed(data, "bad.txt")


def test_a_bad_file_among_good_ones_fails_alone_and_loses_nothing(archive, tmp_path):
    ingest(archive, SEED)
    before = archive.get_article("seed:000_887d7dc72d5a122c")
    folder = tmp_path / "batch"
    write_seed(folder, "خبر أول", "نص الخبر الأول.", name="a.txt")
    write_seed(folder, "خبر ثان", "نص الخبر الثاني.", name="c.txt")
    (folder / "b.txt").write_bytes(b"")
    (folder / "d.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / ".hidden.txt").write_bytes(b"")  # hidden: not looked at
    (folder / "README.md").write_text("# notes", encoding="utf-8")  # not an article
    (folder / SEED.name).write_bytes(b"\n\nelmaouid\n\nbody")  # a broken copy of the seed

    report = ingest(archive, folder)
    assert (report.new, report.skipped, report.failed) == (2, 1, 2)
    assert sorted((Path(f.path).name, f.reason) for f in report.failures) == [
        (SEED.name, "no title on line 1 (expected: title, blank line, source, blank, body)"),
        ("d.txt", "binary file (NUL bytes), not text"),
    ]
    assert archive.get_article("seed:000_887d7dc72d5a122c") == before
    assert archive.article_count() == 3
    run = archive.last_run(None, "ingest") or list(archive.db["crawl_runs"].rows)[-1]
    assert run["status"] == "failed" and run["failed"] == 2
    # The empty file is skipped, not failed: counted with its reason and named.
    assert run["dropped"] == 1 and json.loads(run["dropped_reasons"]) == {"empty document": 1}
    assert json.loads(run["dropped_examples"]) == {"empty document": [str(folder / "b.txt")]}


def test_kind_is_decided_by_content(archive, tmp_path):
    folder = tmp_path / "mixed"
    write_seed(folder, "[فيديو] عنوان يبدأ بقوس", "نص الخبر.", name="bracket.txt")
    (folder / "ant.txt").write_text(ant_doc(url="https://example.com/ant"), encoding="utf-8")
    (folder / "records.txt").write_text(
        json.dumps([{"url": "https://example.com/j", "title": "ع", "text": "نص"}]),
        encoding="utf-8",
    )
    (folder / "other.xml").write_text("<rss><channel/></rss>", encoding="utf-8")
    report = ingest(archive, folder)
    assert (report.new, report.failed) == (3, 1)
    assert report.failures[0].reason == "XML without <DOC>: not an ANT corpus document"
    assert archive.get_article("seed:bracket")["title"] == "[فيديو] عنوان يبدأ بقوس"
    assert archive.get_article("https://example.com/ant")["source"] == "skynews"
    assert archive.get_article("https://example.com/j")["source"] == "example"


def test_nothing_to_ingest_is_an_error(archive, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "LICENSE").write_text("Apache", encoding="utf-8")
    with pytest.raises(IngestError, match="no article files found under"):
        ingest(archive, tmp_path / "empty")
    with pytest.raises(IngestError, match="no such file"):
        ingest(archive, tmp_path / "missing")


# --- ANT corpus --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("Mon, 26 Feb 2018 02:20:10 GMT", "2018-02-26T02:20:10+00:00"),
        ("Sun, 04 Feb 2018 01:19:12 +0400", "2018-02-04T01:19:12+04:00"),
        ("Tue, 13 Feb 2018 10:22:00 +0000", "2018-02-13T10:22:00+00:00"),
        ("2017-01-22T17:18:00+01:00", "2017-01-22T17:18:00+01:00"),
        ("18/05/2017", "2017-05-18"),
        ("2017-05-18", "2017-05-18"),
        ("31/02/2017", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_normalise_date(raw, iso):
    assert normalise_date(raw) == iso


def test_compact_jawharafm_time_is_tunis_local():
    doc = ant_doc(src="Jawhara FM", time="2017-01-22T171800", url="http://www.jawharafm.net/ar/1")
    article = next(parse_ant(doc.encode()))
    assert article.source == "jawharafm"
    assert article.published == "2017-01-22T17:18:00+01:00"


def test_ant_sample_ingests_with_dates_categories_and_sources(archive):
    if not ANT_SAMPLE.is_dir():
        pytest.skip(f"../shared/data not found: {ANT_SAMPLE} (the ANT v2.1 sample)")
    report = ingest(archive, ANT_SAMPLE)
    files = sorted(ANT_SAMPLE.rglob("*.txt"))
    assert report.failed == 0
    assert report.new == len(files) == 49

    bbc = archive.get_article("http://www.bbc.co.uk/arabic/art-and-culture-43105759")
    assert bbc["published"] == "2018-02-18T17:21:49+00:00"
    assert bbc["month"] == "2018-02"
    assert (bbc["source"], bbc["categories"], bbc["author"]) == ("bbc", ["culture"], None)
    assert bbc["description"].startswith("كتاب غير مسبوق")

    alarabiya = archive.get_article(
        "http://www.alarabiya.net/ar/culture-and-art/2018/02/04/"
        "فوز-المغربي-حمزة-لبيض-في-The-Voice-Kids.html"
    )
    assert alarabiya["published"] == "2018-02-04T01:19:12+04:00"
    assert alarabiya["source"] == "alarabia"
    assert alarabiya["author"] == "دبي ـ العربية.نت"
    assert alarabiya["title"] == "فوز المغربي حمزة لبيض في The Voice Kids"
    assert alarabiya["categories"] == ["culture"]

    cnn = archive.get_article("https://arabic.cnn.com/business/2018/02/13/vue-cinema-saudi-arabia")
    assert cnn["published"] == "2018-02-13T10:22:00+00:00"
    assert (cnn["source"], cnn["categories"]) == ("cnn", ["economy"])

    sources = dict(
        archive.conn.execute("SELECT source, count(*) FROM articles GROUP BY source").fetchall()
    )
    assert set(sources) == {"alarabia", "bbc", "cnn", "france24", "skynews"}
    assert sum(sources.values()) == 49
    bad_dates = archive.conn.execute(
        "SELECT count(*) FROM articles WHERE published NOT GLOB "
        "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9][+-]*'"
    ).fetchone()[0]
    assert bad_dates == 0
    # Every text is searchable: the index row exists for each article.
    assert archive.conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == 49


def ant_doc(
    *,
    url: str = "https://www.example.com/news/1",
    src: str = "SkyNews",
    cat: str = "economy",
    title: str = "عنوان الخبر",
    time: str = "Mon, 26 Feb 2018 02:20:10 GMT",
    author: str = "",
    abstract: str = "ملخص الخبر",
    text: str = "الفقرة الأولى.\nالفقرة الثانية.",
) -> str:
    return (
        f"<DOC>\n  <DOCNO>X-{cat}-1-20180226</DOCNO>\n  <URL>{url}</URL>\n  <SRC>{src}</SRC>\n"
        f"  <CAT>{cat}</CAT>\n  <TITLE>{title}</TITLE>\n  <TIME>{time}</TIME>\n"
        f"  <AUTHOR>{author}</AUTHOR>\n  <ABSTRACT>\n{abstract}\n  </ABSTRACT>\n"
        f"  <TEXT>\n{text}\n  </TEXT>\n</DOC>\n"
    )


def test_ant_quirks_bare_ampersand_entities_cdata_and_missing_fields():
    doc = ant_doc(
        title="دار Dolce&Gabbana &amp; &#1575;لأزياء",
        text="<![CDATA[نص & <b>خام</b>]]>\r\nسطر ثان   \r\n",
        author="   ",
        abstract="",
    )
    article = next(parse_ant(doc.encode()))
    assert article.title == "دار Dolce&Gabbana & الأزياء"
    assert article.text == "نص & <b>خام</b>\nسطر ثان"
    assert article.author is None and article.description is None
    assert article.source == "skynews" and article.categories == ["economy"]

    no_src = ant_doc(src="", url="http://www.jawharafm.net/ar/article/x/92/77215")
    assert next(parse_ant(no_src.encode())).source == "jawharafm"

    for broken, reason in [
        (ant_doc(title=" "), "empty <TITLE>"),
        (ant_doc(text="\n \n"), "empty <TEXT>"),
        (ant_doc().replace("<TEXT>", "<BODY>").replace("</TEXT>", "</BODY>"), "without <TEXT>"),
        (ant_doc(url=""), "without <URL>"),
        ("<DOCUMENT>nothing</DOCUMENT>", "no <DOC> element"),
    ]:
        result = next(parse_ant(broken.encode()))
        assert isinstance(result, BadInput)
        assert reason in str(result)
        # Blank fields make an empty document (skipped); missing ones a broken one.
        assert isinstance(result, EmptyDocument) == ("empty" in reason)


def build_tar(path: Path, members: dict[str, str | bytes]) -> Path:
    with tarfile.open(path, "w:xz") as archive:
        for name, content in members.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("background", [None, False], ids=["reader-process", "in-process"])
def test_tar_xz_streams_in_merges_duplicate_categories_and_reports_bad_members(
    archive, tmp_path, background
):
    same = "https://www.skynewsarabia.com/world/1"
    members = {
        "corpus/README.md": "# not an article",
        "corpus/economy/SK-economy-1.txt": ant_doc(url=same, cat="economy"),
        "corpus/world/SK-world-1.txt": ant_doc(url=same, cat="internationalNews"),
        "corpus/world/SK-world-2.txt": ant_doc(
            url="https://www.skynewsarabia.com/world/2", time="18/05/2017"
        ),
        "corpus/world/SK-world-3.txt": ant_doc(url="https://www.skynewsarabia.com/3", text=""),
        "corpus/world/SK-world-4.txt": ant_doc(url="javascript:alert(1)"),
        "corpus/.DS_Store": b"\x00\x00",
        **{
            f"corpus/sport/SK-sport-{n}.txt": ant_doc(
                url=f"https://www.skynewsarabia.com/sport/{n}", cat="sport", title=f"خبر {n}"
            )
            for n in range(60)
        },
    }
    corpus = build_tar(tmp_path / "corpus.tar.xz", members)

    report = ingest(archive, corpus, background=background)
    assert (report.new, report.updated, report.skipped, report.failed) == (62, 1, 1, 1)
    assert report.failures[0].path == f"{corpus}/corpus/world/SK-world-4.txt"
    assert report.failures[0].reason.startswith("URL 'javascript:alert(1)' is a javascript:")
    assert report.stats.examples == {"empty document": [f"{corpus}/corpus/world/SK-world-3.txt"]}
    merged = archive.get_article(same)
    assert merged["categories"] == ["economy", "internationalNews"]
    assert archive.get_article("https://www.skynewsarabia.com/world/2")["published"] == (
        "2017-05-18"
    )
    assert not (tmp_path / "corpus").exists()  # read in place, nothing extracted

    again = ingest(archive, corpus, background=background)
    assert (again.new, again.updated, again.unchanged, again.failed) == (0, 0, 63, 1)
    assert again.skipped == 1
    assert archive.get_article(same)["categories"] == ["economy", "internationalNews"]


def test_zip_archive_of_seed_files(archive, tmp_path):
    path = tmp_path / "seeds.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("seeds/one.txt", "خبر\n\nelmaouid\n\nنص الخبر.")
        zipped.writestr("seeds/LICENSE", "MIT")
        zipped.writestr("__MACOSX/seeds/._one.txt", b"\x00\x05")
    report = ingest(archive, path)
    assert (report.new, report.failed) == (1, 0)
    assert archive.get_article("seed:one")["text"] == "نص الخبر."


def test_damaged_archive_is_a_failure_not_a_crash(archive, tmp_path):
    path = tmp_path / "broken.tar.xz"
    path.write_bytes(b"\xfd7zXZ\x00\x00 not really xz")
    report = ingest(archive, path)
    assert report.failed == 1 and report.failures[0].reason.startswith("damaged archive")


def test_truncated_archive_keeps_what_was_read_and_reports_the_rest(archive, tmp_path):
    members = {
        f"c/SK-{n}.txt": ant_doc(url=f"https://www.skynewsarabia.com/{n}", title=f"خبر {n}")
        + f"<!-- {n * 'x'} -->"
        for n in range(200)
    }
    whole = build_tar(tmp_path / "whole.tar.xz", members).read_bytes()
    cut = tmp_path / "cut.tar.xz"
    cut.write_bytes(whole[: len(whole) // 2])
    report = ingest(archive, cut, background=False)
    assert 0 < report.new < 200
    assert report.failed == 1
    assert report.failures[0].path == str(cut)
    assert report.failures[0].reason.startswith("damaged archive")
    assert archive.article_count() == report.new


# --- JSON --------------------------------------------------------------------------------


def test_json_lines_with_one_bad_line(archive, tmp_path):
    good = {
        "url": "https://example.com/a",
        "title": "عنوان",
        "author": "كاتب",
        "published": "2024-01-15T10:00:00+01:00",
        "modified": None,
        "language": "ar",
        "text": "نص المقال.\n\nفقرة ثانية.",
        "description": None,
        "categories": ["وطني"],
        "tags": ["الجزائر"],
        "image": None,
        "source": "elmaouid",
    }
    lines = [
        json.dumps(good, ensure_ascii=False),
        "",
        '{"url": "https://example.com/b", "title": "بلا نص"',
        json.dumps({**good, "url": "https://example.com/c", "title": "آخر"}, ensure_ascii=False),
        json.dumps({**good, "url": "https://example.com/d", "text": ""}, ensure_ascii=False),
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = ingest(archive, path)
    assert (report.new, report.skipped, report.failed) == (2, 1, 1)
    assert report.summary() == (
        "ingested 4 records: 2 new, 0 updated, 0 unchanged, 1 skipped (empty document), 1 failed"
    )
    where = {f.path: f.reason for f in report.failures}
    assert where == {f"{path}:3": "invalid JSON: Expecting ',' delimiter at column 51"}
    assert report.stats.examples == {"empty document": [f"{path}:5"]}
    row = archive.get_article("https://example.com/a")
    assert (row["author"], row["categories"], row["tags"]) == ("كاتب", ["وطني"], ["الجزائر"])
    assert row["published"] == "2024-01-15T10:00:00+01:00" and row["source"] == "elmaouid"


def test_extract_json_output_comes_back_unchanged(archive, tmp_path, articles):
    crawled = articles(
        title="عنوان  بمسافتين ",
        text=" نص الخبر\nسطر ثان ",
        published="2024-01-15T10:00:00+01:00",
        categories=["وطني"],
    )
    archive.upsert_article(crawled)
    path = tmp_path / "export.jsonl"
    record = {**crawled.to_json(), "source": crawled.source}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    report = ingest(archive, path)
    assert (report.unchanged, report.updated, report.new) == (1, 0, 0)


def test_json_array_in_the_dznews_shape(archive, tmp_path):
    record = {
        "title": "وفاة ثلاثيني دهسه قطار في بجاية",
        "date": "2025-09-13T17:00:49+01:00",
        "link": "https://www.ennaharonline.com/x/",
        "content": {"author": "رابح. ص", "content": "تدخلت مصالح الحماية المدنية."},
    }
    path = tmp_path / "EnnaharData.json"
    path.write_text(json.dumps([record, {"title": "عنوان فقط"}], ensure_ascii=False))
    report = ingest(archive, path)
    assert (report.new, report.failed) == (1, 1)
    assert report.failures[0].path == f"{path}[2]"
    assert report.failures[0].reason == "no 'url' (the record has: title)"
    row = archive.get_article("https://www.ennaharonline.com/x/")
    assert (row["source"], row["author"]) == ("ennaharonline", "رابح. ص")
    assert row["published"] == "2025-09-13T17:00:49+01:00"


# --- saved HTML --------------------------------------------------------------------------


def test_html_page_needs_url_and_goes_through_extract(archive, tmp_path):
    pytest.importorskip("newsarchive.extract", reason="newsarchive.extract not written yet")
    page = SHARED / "data" / "pages" / "newspaper4k-cnn-arabic" / "html" / "arabic_article.html"
    if not page.is_file():
        pytest.skip(f"../shared/data not found: {page}")
    with pytest.raises(IngestError, match="exactly one"):
        ingest(archive, page, SEED, url="https://arabic.cnn.com/x")
    report = ingest(archive, page, url="https://arabic.cnn.com/x", source="cnn")
    assert report.failed == 0 and report.new == 1
    # extract prefers the page's own canonical URL to the one given for identity.
    (url,) = archive.conn.execute("SELECT url FROM articles").fetchone()
    row = archive.get_article(url)
    assert url.startswith("http://arabic.cnn.com/2013/middle_east/8/3/syria.clashes")
    assert row["title"] == "معارضون يسيطرون على مخازن للصواريخ بريف دمشق"
    assert row["source"] == "cnn" and row["word_count"] > 50

    without = ingest(archive, page)
    assert without.failed == 1 and "needs --url" in without.failures[0].reason


def test_outcomes_are_the_archive_ones():
    # The report's counters are named after the archive's outcomes.
    assert {o.value for o in Outcome} == {"new", "updated", "unchanged", "failed"}
    report = IngestReport()
    for outcome in Outcome:
        report.stats.count(outcome)
        assert getattr(report, outcome.value) == 1


def test_corpus_copies_with_different_texts_reingest_unchanged(archive, tmp_path):
    """ANT files some articles twice with different texts and dates: the later copy's
    text replaces the earlier one once (a revision), and ingesting the same corpus again
    changes nothing, whichever copy comes last."""
    same = "https://www.bbc.co.uk/arabic/world-1"
    corpus = build_tar(
        tmp_path / "corpus.tar.xz",
        {
            "c/world/BB-world-1.txt": ant_doc(url=same, cat="internationalNews"),
            "c/middle/BB-middle-1.txt": ant_doc(
                url=same,
                cat="middleEast",
                text="نص آخر مختلف عن الأول في نسخة ثانية من الخبر نفسه " * 3,
                time="Tue, 27 Feb 2018 08:00:00 GMT",
            ),
        },
    )
    first = ingest(archive, corpus)
    assert (first.new, first.updated) == (1, 1)
    assert len(archive.revisions(same)) == 1
    again = ingest(archive, corpus)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert len(archive.revisions(same)) == 1
    assert archive.get_article(same)["categories"] == ["internationalNews", "middleEast"]
