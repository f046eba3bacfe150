"""Query parsing into FTS5 expressions, checked against a real in-memory FTS5 table."""

import sqlite3

import pytest

from newsarchive.arabic.normalize import search_key
from newsarchive.query import QueryError, highlight, parse_query, snippet

DOCS = {
    1: ("المدرسة الجديدة", "افتتحت وزارة التربية مدرسة جديدة في الجزائر"),
    2: ("مستشفيات القاهرة", "أعلنت وزارة الصحة المصرية أن مستشفى القاهرة استقبل المرضى"),
    3: ("أحمد في المدرسة", "قال أحمد إن المدارس والمستشفيات تعمل"),
    4: ("Trump and OR NEAR", "the word NOT appears here with AND"),
}


@pytest.fixture(scope="module")
def db():
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text,"
        " tokenize='unicode61 remove_diacritics 0')"
    )
    connection.executemany(
        "INSERT INTO articles_fts(rowid, title, text) VALUES (?, ?, ?)",
        [(rowid, search_key(title), search_key(text)) for rowid, (title, text) in DOCS.items()],
    )
    yield connection
    connection.close()


def search(db, text, columns=None):
    expression = parse_query(text).fts_expression(columns)
    rows = db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid",
        (expression,),
    )
    return {row[0] for row in rows}


ABUSE = [
    '"',
    '"abc',
    'abc"',
    '""',
    "*",
    "مدرسة*",
    "NEAR(",
    "NEAR(a b, 3)",
    "a OR",
    "OR",
    "OR OR OR",
    "AND",
    "NOT",
    "a NOT b",
    "-",
    "--",
    "- -",
    "()",
    "(a",
    "a)",
    "'; DROP TABLE articles; --",
    "title:foo",
    "text:مدرسة",
    "{title}: a",
    "^x",
    "+a +b",
    "a:b:c",
    '"a" OR "',
    "-a OR b",
    "a OR -b",
    "أو",
    "المدرسة أو",
    "ـــ",
    "\u064e\u064f",
    "a\x00b",
    "مدرسة " * 40,
    "x" * 5000,
    "كلمة " * 500,
]


@pytest.mark.parametrize("text", ABUSE)
def test_syntax_abuse_is_valid_fts5_or_query_error(db, text):
    try:
        query = parse_query(text)
    except QueryError as error:
        assert str(error)
        return
    for columns in (None, ["title"], ["title", "text"]):
        db.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
            (query.fts_expression(columns),),
        ).fetchone()


@pytest.mark.parametrize("text", ["", "   ", "*", "()", "-", '"', "ـــ", "^:+"])
def test_no_words_is_query_error(text):
    with pytest.raises(QueryError, match="no words to search for"):
        parse_query(text)


def test_only_exclusions_is_query_error():
    with pytest.raises(QueryError, match="only excludes"):
        parse_query("-مدرسة -مستشفى")


def test_very_long_query_is_query_error():
    with pytest.raises(QueryError, match="too long"):
        parse_query("كلمة " * 500)


def test_words_are_anded(db):
    assert search(db, "وزارة مدرسة") == {1}
    assert search(db, "وزارة") == {1, 2}


def test_variants_match_through_the_key(db):
    assert search(db, "مستشفى") == {2, 3}
    assert search(db, "احمد") == {3}
    assert search(db, "بالجزائر") == {1}
    assert search(db, "مَدْرَسَة") == {1, 3}


def test_or_and_arabic_or(db):
    assert search(db, "الجزائر OR القاهرة") == {1, 2}
    assert search(db, "الجزائر أو القاهرة") == {1, 2}


def test_exclusion(db):
    assert search(db, "مدرسة -أحمد") == {1}
    assert search(db, 'وزارة -"مستشفى القاهرة"') == {1}


def test_phrase(db):
    assert search(db, '"مستشفى القاهرة"') == {2}
    assert search(db, '"القاهرة مستشفى"') == set()


def test_columns(db):
    assert search(db, "أحمد", columns=["title"]) == {3}
    assert search(db, "مستشفيات", columns=["title"]) == {2}
    with pytest.raises(ValueError):
        parse_query("a").fts_expression(["title) OR (1"])


def test_fts_keywords_typed_as_words_are_words(db):
    assert search(db, "NEAR") == {4}
    assert search(db, "NOT") == {4}
    assert search(db, "trump OR") == {4}
    assert search(db, "AND") == {4}


def test_terms_and_phrases():
    query = parse_query('"مستشفى القاهرة" بمصر -ترامب')
    assert query.phrases == [("مستشف", "قاهر")]
    assert {"مستشف", "قاهر", "مصر"} <= query.terms
    assert "ترامب" not in query.terms


def test_snippet_keeps_tashkeel_and_marks_words():
    text = "بداية النص. " * 30 + "زارَ الرَّئِيسُ المُسْتَشْفَيَاتِ في القاهِرَةِ أمس. " + "خاتمة. " * 30
    result = snippet(text, parse_query("مستشفى القاهرة"), width=120)
    assert "<mark>المُسْتَشْفَيَاتِ</mark>" in result
    assert "<mark>القاهِرَةِ</mark>" in result
    assert "الرَّئِيسُ" in result
    assert result.startswith("…") and result.endswith("…")
    assert len(result) < 120 + 60


def test_snippet_escapes_html():
    text = "خبر <script>alert('x')</script> عن المدرسة & الطلاب"
    result = snippet(text, parse_query("مدرسة"))
    assert "<script>" not in result
    assert "&lt;script&gt;" in result
    assert "<mark>المدرسة</mark>" in result
    assert "&amp;" in result
    raw = snippet(text, parse_query("مدرسة"), escape=False, mark=("[", "]"))
    assert "<script>" in raw and "[المدرسة]" in raw


def test_snippet_without_match_shows_the_start():
    text = "كلمة أولى " * 50
    result = snippet(text, parse_query("غائب"), width=40)
    assert result.startswith("كلمة أولى")
    assert result.endswith("…")


def test_highlight_title():
    title = "أَحْمَد يزور <b>المدرسة</b>"
    assert highlight(title, parse_query("احمد مدرسه")) == (
        "<mark>أَحْمَد</mark> يزور &lt;b&gt;<mark>المدرسة</mark>&lt;/b&gt;"
    )


def test_surface_columns_only_raise_the_rank():
    from newsarchive.arabic.normalize import surface_key

    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(title, text, title_forms, text_forms,"
        " tokenize='unicode61 remove_diacritics 0')"
    )
    rows = [(1, "زيارة المستشفيات"), (2, "زيارة المستشفى")]
    connection.executemany(
        "INSERT INTO fts(rowid, title, text, title_forms, text_forms) VALUES (?, ?, ?, ?, ?)",
        [(i, search_key(t), "", surface_key(t), "") for i, t in rows],
    )
    query = parse_query("المستشفى -مدرسة")
    expression = query.fts_expression(["title", "text"], ["title_forms", "text_forms"])
    ranked = [
        row[0]
        for row in connection.execute(
            "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 10, 1, 3, 0.3)",
            (expression,),
        )
    ]
    assert ranked == [2, 1]
    with pytest.raises(ValueError):
        query.fts_expression(surface_columns=["title_forms"])


def test_snippet_of_a_word_longer_than_the_window_is_not_empty():
    text = "x" * 300 + " مدرسة " + "y" * 300
    result = snippet(text, parse_query("x" * 300), width=50)
    assert result.startswith("<mark>xxx") and result.endswith("…")


def test_or_chains_and_operator_words_out_of_place():
    query = parse_query("مصر OR السعودية أو الأردن ليبيا")
    assert [len(clause) for clause in query.clauses] == [3, 1]
    assert parse_query("OR مصر").fts_expression() == '"or" AND ("مصر" OR "بمصر" OR "لمصر")'
