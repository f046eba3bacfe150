"""The archive's pages in a real browser: Debian's chromium, driven by Playwright, against
`newsarchive serve` on 127.0.0.1, at 1280 px wide. The archive is built here from the
bundled seed files and generated articles, crawl runs and fetched pages.

Each page is screenshotted into pytest's tmp dir and into tests/output/ (git-ignored) for
a person to look at; the test checks what a screenshot would show: right to left, no
horizontal scrolling, the articles table above the fold, an Arabic 404."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsarchive.archive import RunStats, open_archive
from newsarchive.ingest import ingest_paths
from newsarchive.items import Article, PageRecord

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parent / "output"
# Without the networking flags Chromium stalls on a closed network, phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WIDTH, HEIGHT = 1280, 800

# name → path; the screenshots are NAME.png.
PAGES = {
    "articles": "/archive/articles",
    "article": "/archive/articles/1",
    "search": "/-/search?q=الجزائر",
    "crawl_runs": "/archive/crawl_runs",
    "sources": "/archive/sources",
    "pages": "/archive/pages",
    "404": "/archive/no_such_table",
    "health": "/-/health",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"newsarchive serve exited: {server.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"newsarchive serve did not answer {url} within {timeout} s")


def build_archive(db: Path) -> None:
    """The seed files, plus what makes pages long: 40 articles over 26 categories and a
    dozen authors, a source with its site address, a crawl run with drops and errors,
    and fetched pages with their decisions."""
    categories = [f"تصنيف رقم {n}" for n in range(26)]
    generated = [
        Article(
            url=f"https://www.elmaouid.dz/actualite/{n}/",
            title=f"الحكومة تناقش ملف رقم {n} في اجتماعها الأسبوعي بالجزائر العاصمة",
            text=("فقرة من نص المقال تتكرر لتجعله طويلًا كما تكون المقالات. " * 30 + "\n") * 4,
            source="elmaouid",
            author=f"محرر القسم {n % 12}",
            published=f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T09:30:00+01:00",
            categories=[categories[n % 26], categories[(n * 7) % 26]],
            tags=["الجزائر", f"وسم {n % 5}"],
        )
        for n in range(40)
    ]
    with open_archive(db) as archive:
        ingest_paths(archive, [ROOT / "seeds"], progress=False, background=False)
        list(archive.upsert_articles(generated))
        archive.register_source(
            "elmaouid", base_url="https://www.elmaouid.dz/", kind="wordpress", config={"x": 1}
        )
        run = archive.start_run("crawl", "elmaouid", "newsarchive crawl elmaouid")
        stats = RunStats(pages=120, new=40)
        drops = {
            "outside the article URL patterns": 40,
            "listing or section page": 12,
            "HTTP 404": 3,
            "duplicate of an article already crawled": 2,
        }
        for reason, count in drops.items():
            for k in range(count):
                stats.drop(reason, f"https://www.elmaouid.dz/{k}/{reason.replace(' ', '-')}/")
        stats.error("https://www.elmaouid.dz/slow/: TimeoutError: User timeout caused failure")
        archive.finish_run(run, stats, "ok")
        archive.record_pages(
            [
                PageRecord(
                    "https://www.elmaouid.dz/actualite/1/",
                    "feed",
                    "article",
                    "article",
                    status=200,
                    signals={"og:type": "article", "evidence": ["+2.0 og:type article"]},
                    outcome="new",
                ),
                PageRecord(
                    "https://www.elmaouid.dz/category/sport/page/2/",
                    "listing",
                    "not-article",
                    "listing or section page",
                    status=200,
                    signals={"links": 24, "teasers": 12},
                ),
                PageRecord("https://www.elmaouid.dz/gone/", "sitemap", "error", "HTTP 404", 404),
            ],
            run,
        )
        archive.finish_run(
            archive.start_run("crawl", "elmaouid", "newsarchive crawl"), RunStats(), "empty"
        )


@contextlib.contextmanager
def serving(db: Path) -> Iterator[str]:
    """``newsarchive serve`` on the archive ``db`` on a free port, for as long as the
    block runs: its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/-/search", process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "archive.db"
    build_archive(db)
    with serving(db) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium; install Debian's chromium: apt-get install chromium")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright missing: .venv/bin/pip install playwright"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser):
    opened = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, locale="ar")
    yield opened
    opened.close()


def shoot(page, name: str, screenshots: Path) -> Path:
    """The first screen of ``page`` as NAME.png (what a reader sees before scrolling),
    copied to tests/output/."""
    path = screenshots / f"{name}.png"
    page.screenshot(path=str(path))
    OUTPUT.mkdir(exist_ok=True)
    shutil.copy(path, OUTPUT / path.name)
    return path


@pytest.mark.parametrize("name", list(PAGES))
def test_page_reads_right_to_left_without_scrolling_sideways(server, page, screenshots, name):
    response = page.goto(server + PAGES[name], timeout=20_000)
    shoot(page, name, screenshots)
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{name} scrolls sideways: {scroll_width} > {inner_width}"
    table = page.locator("table.rows-and-columns")
    if name == "404":
        assert response.status == 404
        assert page.inner_text("h1").startswith("الصفحة غير موجودة")
        assert "Error" not in page.inner_text("body")
    elif table.count():
        # The table fits its box too: no column pushed out to scroll inside it.
        overflow = page.evaluate(
            "(() => { const w = document.querySelector('.table-wrapper');"
            " return [w.scrollWidth, w.clientWidth]; })()"
        )
        assert overflow[0] <= overflow[1] + 1, f"{name} table is wider than the page: {overflow}"


def test_articles_table_is_above_the_fold(server, page):
    page.goto(server + PAGES["articles"], timeout=20_000)
    # The table's header and its first article are on the first screen, below the
    # (capped) facets; the long text column is not in it.
    first_row = page.locator("table.rows-and-columns tbody tr").first.bounding_box()
    assert first_row["y"] + first_row["height"] <= HEIGHT, first_row
    assert page.locator("th.col-text").count() == 0
    assert page.locator(".facet-info li:visible").count() <= 5 * page.locator(".facet-info").count()
    # "المزيد" unfolds the rest of a long facet in place.
    more = page.locator("#facet-categories details.facet-more")
    hidden = more.locator("li").first
    assert not hidden.is_visible()
    more.locator("summary").click()
    assert hidden.is_visible()


def test_search_in_chromium(server, page, screenshots):
    page.goto(server + "/-/search", timeout=20_000)
    # Typed as many readers type it: no hamza on the alef, ه for ة, no ال.
    page.fill('input[name="q"]', "مستشفيات البليده")
    page.click('button[type="submit"]')
    page.wait_for_selector(".search-hit", timeout=20_000)
    assert page.get_attribute("html", "dir") == "rtl"
    marks = page.locator(".search-hit mark").all_inner_texts()
    shoot(page, "search-typed", screenshots)
    assert "البليدة" in marks  # the stored spelling, with its ة, highlighted
    assert "مستشفيات" in marks and "مستشفى" in marks
