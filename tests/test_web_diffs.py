"""Word diffs in Datasette (newsarchive.web.diffs): an article's revisions on its page,
oldest first, and the /-/diff page between two articles or around one revision."""

from __future__ import annotations

import re

import pytest

from newsarchive.web import build_datasette, diffs
from tests.test_web import fetch

FIRST = (
    "أعلن وزير الصحة عن افتتاح المستشفى الجديد في البليدة.\n"
    "وقال إن الأشغال انتهت في 2023 بعد تأخر طويل.\n"
    "وسيستقبل المستشفى المرضى ابتداء من الأسبوع المقبل."
)


@pytest.fixture
def revised(archive, articles):
    """Article 1 fetched three times: two revisions (the text changed, then the title and
    the text), oldest first. Article 2 is another paper's copy of the same story."""
    story = articles(
        url="https://www.elmaouid.dz/sante/1",
        title="افتتاح مستشفى جديد في البليدة",
        text=FIRST,
        source="elmaouid",
        published="2024-05-02T09:30:00+01:00",
    )
    list(archive.upsert_articles([story], fetched="2024-05-02T10:00:00+00:00"))
    story.text = FIRST.replace("في 2023", "في 2024")
    list(archive.upsert_articles([story], fetched="2024-05-03T10:00:00+00:00"))
    story.title = "افتتاح المستشفى الجامعي في البليدة"
    story.text = story.text.replace("الجديد", "الجامعي <b>الجديد</b>")
    list(archive.upsert_articles([story], fetched="2024-05-04T10:00:00+00:00"))
    copy = articles(
        url="https://www.ennahar.dz/news/77",
        title="البليدة: افتتاح مستشفى جديد",
        text="(واج) " + FIRST.replace("وزير الصحة", "وزير الصحة عبد الحق سايحي"),
        source="ennahar",
        published="2024-05-02T11:00:00+01:00",
    )
    list(archive.upsert_articles([copy]))
    return archive


@pytest.fixture
def ds(revised):
    return build_datasette(revised.path)


def test_article_page_shows_revisions_as_diffs_oldest_first(ds):
    (response,) = fetch(ds, "/archive/articles/1")
    assert response.status_code == 200
    html = response.text
    section = html[html.index('<section class="article-revisions"') :]
    assert "تغيّر نص هذا المقال أو عنوانه مرتين" in section
    first, second = section.split('<details class="article-change')[1:3]
    # The first change: 2023 became 2024, the title untouched.
    assert "<del>2023</del> <ins>2024</ins>" in first and "change-title" not in first
    assert 'datetime="2024-05-03T10:00:00+00:00"' in first  # when it was replaced
    assert 'href="/archive/revisions/1"' in first and 'href="/-/diff?rev=1"' in first
    # The second: the title and a word, the markup in the text escaped.
    assert "<ins>الجامعي &lt;b&gt;</ins> الجديد<ins>&lt;/b&gt;</ins> في البليدة." in second
    assert "<b>الجديد" not in section and "&lt;b&gt;" in section
    assert re.search(r'class="change-title">العنوان: افتتاح <del>مستشفى جديد</del> <ins>', second)
    assert "النسخة الحالية" in second and 'datetime="2024-05-04T10:00:00+00:00"' in second
    # Both are the latest few: unfolded; the diff page's script keeps them so.
    assert first.startswith(' keep-open" id="change-1" open>')
    assert second.startswith(' keep-open" id="change-2" open>')
    assert "/-/static-plugins/newsarchive/newsarchive-diff.js" in html
    assert "/-/static-plugins/newsarchive/newsarchive-diff.css" in html
    # Why each revision was made, in Arabic (a re-fetch here).
    assert first.count('<span class="change-reason">جُلب من جديد</span>') == 1


def test_article_without_revisions_has_no_history(ds):
    (response,) = fetch(ds, "/archive/articles/2")
    assert response.status_code == 200
    assert "article-revisions" not in response.text


def test_many_revisions_fold_the_older_ones(archive, articles, monkeypatch):
    story = articles(text="نص أول من خمس كلمات")
    for number in range(1, 7):
        list(archive.upsert_articles([story]))
        story.text = f"نص رقم {number} من خمس كلمات"
    list(archive.upsert_articles([story]))
    # Only the latest four are compared on the page; the older ones link to their own.
    monkeypatch.setattr(diffs, "MAX_CHANGES", 4)
    (response,) = fetch(build_datasette(archive.path), "/archive/articles/1")
    changes = response.text.split('<details class="article-change keep-open"')[1:]
    assert len(changes) == 6
    opened = [change.split(">", 1)[0].endswith(" open") for change in changes]
    assert opened == [False, False, False, True, True, True]
    assert ["<del>" in change for change in changes] == [False, False, True, True, True, True]
    assert 'href="/-/diff?rev=1"' in changes[0] and "لم يُقارن هنا" in changes[0]
    assert (
        "<del>أول</del> <ins>رقم 1</ins>"
        in fetch(build_datasette(archive.path), "/-/diff?rev=1")[0].text
    )


def test_diff_page_between_two_articles(ds):
    (response,) = fetch(ds, "/-/diff?a=1&b=2")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="ar" dir="rtl">' in html and "<h1>مقارنة مقالين</h1>" in html
    # Both sides: titles linked to their pages, sources, dates, addresses.
    assert '<a href="/archive/articles/1">افتتاح المستشفى الجامعي في البليدة</a>' in html
    assert '<a href="/archive/articles/2">البليدة: افتتاح مستشفى جديد</a>' in html
    assert "<bdi>elmaouid</bdi>" in html and "<bdi>ennahar</bdi>" in html
    assert 'datetime="2024-05-02T09:30:00+01:00"' in html
    assert 'datetime="2024-05-02T11:00:00+01:00"' in html
    assert 'href="https://www.ennahar.dz/news/77"' in html
    # What b has and a has not is added; the reverse is removed.
    assert "<ins>(واج)</ins>" in html and "<ins>عبد الحق سايحي</ins>" in html
    assert "<del>الجامعي &lt;b&gt;</del>" in html
    assert '<div class="word-diff" dir="rtl">' in html and "change-title" in html


def test_diff_page_of_a_revision_and_in_full(ds):
    (short, full) = fetch(ds, "/-/diff?rev=1", "/-/diff?rev=1&full=1")
    assert short.status_code == full.status_code == 200
    assert "<h1>تعديل مقال</h1>" in short.text
    assert "<del>2023</del> <ins>2024</ins>" in short.text
    assert "النسخة السابقة" in short.text and "النسخة التالية" in short.text
    assert 'href="/archive/revisions/1"' in short.text
    assert 'href="/-/diff?rev=1&amp;full=1"' in short.text
    # Collapsed, the untouched paragraphs fold; in full they are shown as they are.
    assert "diff-skipped" in short.text and "diff-skipped" not in full.text
    assert "وسيستقبل المستشفى المرضى ابتداء من الأسبوع المقبل." in full.text
    (last,) = fetch(ds, "/-/diff?rev=2")
    assert "النسخة الحالية" in last.text and "<ins>الجامعي" in last.text


def test_revision_page_leads_to_its_diff(ds):
    (response,) = fetch(ds, "/archive/revisions/2")
    assert response.status_code == 200
    assert '<a href="/-/diff?rev=2">ما الذي غيّرته النسخة التالية؟</a>' in response.text
    assert "انتهت في 2024" in response.text  # the revision's own fields stay


@pytest.mark.parametrize(
    "path, status, detail",
    [
        ("/-/diff", 400, "compare two articles with /-/diff?a=ID&amp;b=ID"),
        ("/-/diff?a=1", 400, "compare two articles"),
        ("/-/diff?a=one&b=2", 400, "a=&#39;one&#39; is not an id"),
        ("/-/diff?rev=-3", 400, "rev=&#39;-3&#39; is not an id"),
        ("/-/diff?a=1&b=999", 404, "no article 999 in the archive"),
        ("/-/diff?a=998&b=999", 404, "no article 998 or 999 in the archive"),
        ("/-/diff?rev=999", 404, "no revision 999 in the archive"),
    ],
)
def test_diff_page_errors_are_clear_pages(ds, path, status, detail):
    (response,) = fetch(ds, path)
    assert response.status_code == status
    html = response.text
    assert '<html lang="ar" dir="rtl">' in html and 'class="error-page"' in html
    assert detail in html
    assert "Traceback" not in html


def test_diff_page_of_a_deleted_articles_revision(revised):
    revised.delete_article("https://www.elmaouid.dz/sante/1")
    (response,) = fetch(build_datasette(revised.path), "/-/diff?rev=2")
    assert response.status_code == 404
    assert "revision 2&#39;s article is no longer in the archive" in response.text
