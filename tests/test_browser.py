"""One search in a real browser: Debian's chromium, driven by Playwright, against
`newsarchive serve` on 127.0.0.1 with the seed files ingested. The screenshot is kept in
tests/output/ (git-ignored) for a person to look at."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from newsarchive.archive import open_archive
from newsarchive.ingest import ingest_paths

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


@pytest.fixture
def server(tmp_path):
    db = tmp_path / "archive.db"
    with open_archive(db) as archive:
        ingest_paths(archive, [ROOT / "seeds"], progress=False, background=False)
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


def test_search_in_chromium(server):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium; install Debian's chromium: apt-get install chromium")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright missing: .venv/bin/pip install playwright"
    )
    OUTPUT.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800}, locale="ar")
            page.goto(server + "/-/search", timeout=20_000)
            # Typed as many readers type it: no hamza on the alef, ه for ة, no ال.
            page.fill('input[name="q"]', "مستشفيات البليده")
            page.click('button[type="submit"]')
            page.wait_for_selector(".search-hit", timeout=20_000)
            assert page.get_attribute("html", "dir") == "rtl"
            marks = page.locator(".search-hit mark").all_inner_texts()
            page.screenshot(path=str(OUTPUT / "search.png"), full_page=True)
        finally:
            browser.close()
    assert "البليدة" in marks  # the stored spelling, with its ة, highlighted
    assert "مستشفيات" in marks and "مستشفى" in marks
