"""Saved searches (issue 11): `newsarchive search --save`, the list page, the search
page's save button, and each one's Atom feed, parsed as XML and checked against RFC 4287's
required elements, with Arabic titles and xml:lang kept."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from newsarchive.cli import cli
from newsarchive.web import build_datasette

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture
def floods(archive, articles):
    made = [
        articles(
            title=f"فيضانات تغمر الحي رقم {n}",
            text=f"غمرت الفيضانات الشوارع & <b>المنازل</b> في الحي رقم {n}.",
            source="aps" if n % 2 else "elkhabar",
            published=f"2024-0{n}-10T09:00:00+01:00",
        )
        for n in range(1, 6)
    ]
    made.append(articles(title="مباراة كرة القدم", text="فاز الفريق.", source="aps"))
    list(archive.upsert_articles(made))
    return archive


def run(ds, *requests):
    async def go():
        await ds.invoke_startup()
        out = []
        for method, path, kwargs in requests:
            out.append(await getattr(ds.client, method)(path, **kwargs))
        return out

    return asyncio.run(go())


def test_cli_saves_a_search_with_its_filters(floods):
    runner = CliRunner()
    db = str(floods.path)
    result = runner.invoke(cli, ["search", "فيضانات", "--source", "aps", "--save", "فيضانات وأج"])
    assert result.exit_code != 0  # no --db: the default archive does not exist here
    result = runner.invoke(
        cli, ["search", "فيضانات", "--source", "aps", "--save", "فيضانات وأج", "--db", db]
    )
    assert result.exit_code == 0, result.output
    assert "saved the search as 'فيضانات وأج'" in result.output
    (saved,) = floods.saved_searches()
    assert (saved["name"], saved["query"], saved["source"]) == ("فيضانات وأج", "فيضانات", "aps")
    again = runner.invoke(cli, ["search", "فيضان", "--save", "فيضانات وأج", "--db", db])
    assert "replaced the saved search" in again.output
    assert [s["query"] for s in floods.saved_searches()] == ["فيضان"]


def test_cli_refuses_a_blank_name_in_one_line(floods):
    result = CliRunner().invoke(
        cli, ["search", "فيضانات", "--save", "  ", "--db", str(floods.path)]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: a saved search needs a name")
    assert "Traceback" not in result.output


def test_feed_is_valid_atom_with_arabic_titles(floods):
    floods.save_search("فيضانات وأج", "فيضانات", source="aps")
    ds = build_datasette(floods.path)
    name = quote("فيضانات وأج", safe="")
    (response,) = run(ds, ("get", f"/-/feeds/{name}.atom", {}))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{A}feed" and feed.get(XML_LANG) == "ar"
    # RFC 4287 4.1.1: a feed has exactly one id, title and updated, and an author.
    for tag in ("id", "title", "updated", "author"):
        assert len(feed.findall(f"{A}{tag}")) == 1, tag
    assert feed.find(f"{A}title").text.startswith("فيضانات وأج")
    self_link = feed.find(f"{A}link[@rel='self']")
    assert self_link.get("href").endswith(f"/-/feeds/{name}.atom")
    entries = feed.findall(f"{A}entry")
    # Only aps's flood articles, newest first.
    assert [e.find(f"{A}title").text for e in entries] == [
        "فيضانات تغمر الحي رقم 5",
        "فيضانات تغمر الحي رقم 3",
        "فيضانات تغمر الحي رقم 1",
    ]
    for entry in entries:
        assert entry.get(XML_LANG) == "ar"
        for tag in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{tag}")) == 1, tag
        datetime.fromisoformat(entry.find(f"{A}updated").text)  # an RFC 3339 date-time
        assert entry.find(f"{A}link[@rel='alternate']").get("href").startswith("http")
        summary = entry.find(f"{A}summary")
        assert summary.get("type") == "html"
        # Escaped once for HTML (the snippet), once more by XML: the reader gets HTML
        # whose text shows the article's "&" and "<b>" literally, right to left.
        assert summary.text.startswith('<div dir="rtl" lang="ar">')
        assert "&lt;b&gt;" in summary.text and "<mark>" in summary.text
    assert feed.find(f"{A}updated").text == entries[0].find(f"{A}updated").text


def test_unknown_feed_is_a_404(floods):
    ds = build_datasette(floods.path)
    (response,) = run(ds, ("get", "/-/feeds/nothing.atom", {}))
    assert response.status_code == 404 and "no saved search" in response.text


def test_search_page_saves_with_its_button(floods):
    ds = build_datasette(floods.path)
    (page,) = run(ds, ("get", "/-/search?q=فيضانات&source=elkhabar", {}))
    assert page.status_code == 200
    form = re.search(r'<form class="save-search".*?</form>', page.text, re.S).group()
    token = re.search(r'name="csrftoken" value="([^"]+)"', form).group(1)
    assert 'name="source" value="elkhabar"' in form
    data = {"csrftoken": token, "name": "فيضانات الخبر", "q": "فيضانات", "source": "elkhabar"}
    cookies = {"ds_csrftoken": page.cookies["ds_csrftoken"]}
    saved, listing = run(
        ds,
        ("post", "/-/saved-searches", {"data": data, "cookies": cookies}),
        ("get", "/-/saved-searches", {}),
    )
    assert saved.status_code == 302
    assert [s["source"] for s in floods.saved_searches()] == ["elkhabar"]
    assert "فيضانات الخبر" in listing.text
    assert f"/-/feeds/{quote('فيضانات الخبر', safe='')}.atom" in listing.text
    assert 'type="application/atom+xml"' in listing.text


def test_saving_needs_the_pages_token(floods):
    ds = build_datasette(floods.path)
    (response,) = run(ds, ("post", "/-/saved-searches", {"data": {"name": "x", "q": "فيضانات"}}))
    assert response.status_code == 403
    assert floods.saved_searches() == []


def test_saving_a_search_with_nothing_to_search_says_why(floods):
    ds = build_datasette(floods.path)
    (page,) = run(ds, ("get", "/-/search?q=فيضانات", {}))
    cookies = {"ds_csrftoken": page.cookies["ds_csrftoken"]}
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    data = {"csrftoken": token, "name": "x", "q": "-فيضانات"}
    (response,) = run(ds, ("post", "/-/saved-searches", {"data": data, "cookies": cookies}))
    assert response.status_code == 400 and "only excludes" in response.text


def test_a_saved_search_can_be_deleted_from_its_page(floods):
    floods.save_search("فيضانات", "فيضانات")
    floods.save_search("كرة", "كرة القدم")
    ds = build_datasette(floods.path)
    (page,) = run(ds, ("get", "/-/saved-searches", {}))
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    cookies = {"ds_csrftoken": page.cookies["ds_csrftoken"]}
    data = {"csrftoken": token, "delete": "كرة"}
    (response,) = run(ds, ("post", "/-/saved-searches", {"data": data, "cookies": cookies}))
    assert response.status_code == 302
    assert [s["name"] for s in floods.saved_searches()] == ["فيضانات"]
