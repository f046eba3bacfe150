"""Word diffs in a real browser (Debian's chromium through Playwright, as
tests/test_browser.py): an article's history and /-/diff read right to left, additions and
removals are visible and told apart by more than colour, and the folds stay as the reader
leaves them. Screenshots go to tests/output/ (article-history.png, diff.png)."""

from __future__ import annotations

import pytest

from newsarchive.archive import open_archive
from newsarchive.items import Article
from tests import test_browser
from tests.test_browser import serving, shoot

# test_browser's Chromium, page and screenshot folder, as fixtures of this module too.
browser, page, screenshots = test_browser.browser, test_browser.page, test_browser.screenshots

PARAGRAPH = "فقرة من نص المقال لم تتغير بين النسختين وتبقى كما نشرت أول مرة في الموقع. "


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An article fetched six times (five changes: three unfolded, two folded), with
    long unchanged paragraphs around the changes, and a copy from another paper."""
    db = tmp_path_factory.mktemp("diffs") / "archive.db"
    texts = [
        "\n".join(
            [
                PARAGRAPH * 6,
                f"وقال المدير إن المشروع سينتهي في {2020 + n} بتكلفة {n} مليار.",
                PARAGRAPH * 8,
            ]
        )
        for n in range(6)
    ]
    story = Article(
        url="https://www.elmaouid.dz/economie/5/",
        title="مشروع الطريق السيار",
        text=texts[0],
        source="elmaouid",
        published="2024-03-01T08:00:00+01:00",
    )
    copy = Article(
        url="https://www.ennahar.dz/eco/9/",
        title="الطريق السيار: موعد جديد",
        text="(APS) " + texts[5].replace("المدير", "المدير العام Karim Z."),
        source="ennahar",
        published="2024-03-02T08:00:00+01:00",
    )
    with open_archive(db) as archive:
        list(archive.upsert_articles([story, copy], fetched="2024-03-01T09:00:00+00:00"))
        for n, text in enumerate(texts[1:], start=2):
            story.text = text
            list(archive.upsert_articles([story], fetched=f"2024-03-0{n}T09:00:00+00:00"))
    with serving(db) as base:
        yield base


def _right_to_left(page) -> None:
    assert page.get_attribute("html", "dir") == "rtl"
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"scrolls sideways: {scroll_width} > {inner_width}"


def test_article_history_reads_right_to_left(server, page, screenshots):
    page.goto(server + "/archive/articles/1#revisions", timeout=20_000)
    shoot(page, "article-history", screenshots)
    _right_to_left(page)
    changes = page.locator("details.article-change")
    assert changes.count() == 5
    assert [changes.nth(i).get_attribute("open") is not None for i in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    latest = changes.nth(4)
    removed, added = latest.locator(".word-diff del").first, latest.locator(".word-diff ins").first
    assert removed.is_visible() and added.is_visible()
    assert removed.inner_text() == "2024" and added.inner_text() == "2025"
    style = "(e) => [getComputedStyle(e).textDecorationLine, getComputedStyle(e).direction]"
    assert removed.evaluate(style) == ["line-through", "rtl"]
    assert added.evaluate(style) == ["underline", "rtl"]
    # Right to left: the removed number stands to the right of the one that replaced it.
    assert removed.bounding_box()["x"] > added.bounding_box()["x"]
    # The unchanged paragraphs are folded to one line.
    assert latest.locator("details.diff-skipped").count() == 2
    assert not latest.locator("details.diff-skipped p").first.is_visible()


def test_folds_stay_as_the_reader_leaves_them(server, page):
    page.goto(server + "/archive/articles/1", timeout=20_000)
    changes = page.locator("details.article-change")
    # Unfolding unchanged text inside a change keeps that change and the others open
    # (Datasette's menu script closes every other open <details> on a click).
    changes.nth(3).locator("details.diff-skipped > summary").first.click()
    assert changes.nth(3).locator("details.diff-skipped p").first.is_visible()
    assert [changes.nth(i).get_attribute("open") is not None for i in (2, 3, 4)] == [True] * 3
    # An older change unfolds on a click, and a click elsewhere leaves it open.
    changes.nth(0).locator("summary").first.click()
    page.locator("article h1").click()
    assert changes.nth(0).locator(".word-diff del").first.is_visible()
    # Its own summary still folds it.
    changes.nth(4).locator("summary").first.click()
    assert changes.nth(4).get_attribute("open") is None


def test_diff_page_shows_both_copies_side_by_side(server, page, screenshots):
    response = page.goto(server + "/-/diff?a=1&b=2", timeout=20_000)
    shoot(page, "diff", screenshots)
    assert response.status == 200
    _right_to_left(page)
    old_side = page.locator(".diff-side-old").bounding_box()
    new_side = page.locator(".diff-side-new").bounding_box()
    # Side by side at 1280 px, the first ("أ") on the right as Arabic reads.
    assert old_side["y"] == new_side["y"] and old_side["x"] > new_side["x"]
    assert page.locator(".word-diff ins", has_text="Karim Z.").is_visible()
    assert page.locator(".word-diff ins", has_text="(APS)").is_visible()
    assert page.locator(".word-diff").evaluate("(e) => getComputedStyle(e).direction") == "rtl"
