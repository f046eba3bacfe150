"""newsarchive.arabic.bidi: explicit bidi controls closed where they were meant to end,
and everywhere titles, snippets and texts are shown; the stored text never altered."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from newsarchive.arabic.bidi import BIDI_CONTROLS, balance_bidi
from newsarchive.cli import cli
from newsarchive.web import build_datasette
from tests.test_web import fetch

# Elements whose end ends a bidi paragraph in the pages we serve.
BLOCK_ENDS = ("</title>", "</h1>", "</h2>", "</p>", "</td>", "</li>", "</div>")

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"


def open_after(text: str) -> list[str]:
    """What a renderer following UAX #9 X1-X8 still has open at the end of ``text``
    (an independent, deliberately plain model to check balance_bidi against)."""
    stack: list[str] = []
    for char in text:
        if char in (LRE, RLE, LRO, RLO, LRI, RLI, FSI):
            stack.append(char)
        elif char == PDF and stack and stack[-1] not in (LRI, RLI, FSI):
            stack.pop()
        elif char == PDI and any(c in (LRI, RLI, FSI) for c in stack):
            while stack.pop() not in (LRI, RLI, FSI):
                pass
        elif char in "\n\u2029":
            stack.clear()
    return stack


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # An unclosed override is closed at the end: nothing after it is reversed.
        (f"عاجل {RLO}txt.exe", f"عاجل {RLO}txt.exe{PDF}"),
        (f"{RLI}مرحبا", f"{RLI}مرحبا{PDI}"),
        (f"{LRE}a{RLO}b", f"{LRE}a{RLO}b{PDF}{PDF}"),
        # A closer with nothing to close is dropped: it could end the page's own embedding.
        (f"a{PDF}b{PDI}c", "abc"),
        # A PDF never closes across an isolate; a PDI closes the embeddings inside it.
        (f"{RLI}a{PDF}b", f"{RLI}ab{PDI}"),
        (f"{RLI}a{RLO}b{PDI}c", f"{RLI}a{RLO}b{PDF}{PDI}c"),
        (f"{RLO}{LRI}a{PDI}b", f"{RLO}{LRI}a{PDI}b{PDF}"),
        # Each paragraph ends them all: closed before the line break, not at the very end.
        (f"{RLO}one\ntwo", f"{RLO}one{PDF}\ntwo"),
        (f"{FSI}one\u2029two{PDI}", f"{FSI}one{PDI}\u2029two"),
        # Balanced text and marks (which open nothing) stay as they are.
        (f"{RLE}a{PDF} {LRI}b{PDI}", f"{RLE}a{PDF} {LRI}b{PDI}"),
        (f"{RLM}100{LRM} كلم{ALM}", f"{RLM}100{LRM} كلم{ALM}"),
    ],
)
def test_balance_bidi(text, shown):
    assert balance_bidi(text) == shown
    assert open_after(balance_bidi(text)) == []
    assert balance_bidi(shown) == shown  # idempotent


def test_text_without_controls_is_the_same_object():
    text = "الحكومة تعرض مخطط عملها على البرلمان"
    assert balance_bidi(text) is text


def test_every_cut_of_a_balanced_text_balances_again():
    """Titles are cut to fit a column after balancing: balancing the cut closes what
    the cut left open, whatever the cut."""
    text = balance_bidi(f"خبر {RLO}مقلوب {LRI}abc{RLE} x{PDF} y{PDI} z{RLI}end")
    for end in range(len(text) + 1):
        cut = balance_bidi(text[:end])
        assert open_after(cut) == []
        # Only closers are added; every visible character stays.
        visible = [c for c in text[:end] if c not in BIDI_CONTROLS]
        assert [c for c in cut if c not in BIDI_CONTROLS] == visible


# --- on display --------------------------------------------------------------------------


@pytest.fixture
def overridden(archive, articles):
    """An article whose title and text open a right-to-left override and never close it."""
    article = articles(
        url="https://example.com/rlo",
        title=f"عاجل {RLO}exe.فيروس البرلمان",
        text=f"البرلمان يصادق {RLO}على القانون\nفقرة ثانية عن البرلمان",
    )
    archive.upsert_article(article)
    return archive


def test_stored_text_keeps_its_controls(overridden):
    row = overridden.get_article("https://example.com/rlo")
    assert row["title"] == f"عاجل {RLO}exe.فيروس البرلمان"  # never altered


def test_search_snippets_and_titles_close_the_override(overridden):
    from newsarchive.search import search_archive

    (hit,) = search_archive(overridden.conn, "البرلمان").hits
    assert hit.title == f"عاجل {RLO}exe.فيروس البرلمان"  # the data, as stored
    assert hit.title_html.endswith(PDF) and hit.title_html.count(RLO) == 1
    # Closed at the end of its paragraph, before the second one joins the snippet.
    assert f"القانون{PDF} فقرة" in hit.snippet


def test_cli_search_table_closes_the_override_in_its_column(overridden):
    result = CliRunner().invoke(cli, ["search", "البرلمان", "--db", str(overridden.path)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if RLO in line)
    title_cell, rest = row.split(PDF, 1)
    assert RLO in title_cell and "example" in rest  # the source column is outside it


def test_datasette_pages_close_the_override(overridden):
    ds = build_datasette(overridden.path, settings={"facet_time_limit_ms": 5000})
    article_id = overridden.get_article("https://example.com/rlo")["id"]
    table, page, search = fetch(
        ds,
        "/archive/articles",
        f"/archive/articles/{article_id}",
        "/-/search?q=البرلمان",
    )
    for response in (table, page, search):
        assert response.status_code == 200
        html = response.text
        assert RLO in html
        # Every override shown is closed before the element that holds it ends (marks
        # and links inside it do not end a bidi paragraph).
        for start in [i for i, c in enumerate(html) if c == RLO]:
            ends = [html.find(tag, start) for tag in BLOCK_ENDS]
            end = min((i for i in ends if i >= 0), default=len(html))
            assert PDF in html[start:end], html[start - 40 : start + 80]
