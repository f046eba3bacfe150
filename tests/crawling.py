"""Running `newsarchive crawl` against the local sample site, for the crawl tests.

A Twisted reactor cannot restart, so each crawl runs in its own process, exactly as a
user runs it."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOILERPLATE = "تابعونا على صفحتنا في فيسبوك وحمّلوا تطبيق الموعد اليومي على هواتفكم"


def write_sites(
    path: Path,
    base_url: str,
    patterns: str = r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",
    *,
    delay: float = 0,
    concurrency: int = 2,
) -> Path:
    """A registry with one WordPress-like source, `sample`, at ``base_url``."""
    lines = [
        "[sites.sample]",
        f'base_url = "{base_url}/"',
        'feeds = ["/feed/"]',
        'sitemaps = ["/sitemap_index.xml"]',
        'listings = ["/", "/category/local/"]',
        'listing_links = ["h2.post-box-title a", "h3.post-title a"]',
        f"article_patterns = ['{patterns}']",
        f"delay = {delay}",
        f"concurrency = {concurrency}",
        'timezone = "Africa/Algiers"',
    ]
    lines += [
        "[sites.sample.extract]",
        'title = ["h1.entry-title", "h1.post-title"]',
        'body = ["div.entry-content", "div.entry"]',
        'date = ["span.tie-date"]',
        'default_author = "الموعد اليومي"',
        f'boilerplate = ["{BOILERPLATE}"]',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_crawl(
    db: Path, sites: Path, *args: str, settings: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "newsarchive", "crawl", *args, "--db", str(db)]
    command += ["--sites", str(sites)]
    merged = {"AUTOTHROTTLE_ENABLED": "0", "NEWSARCHIVE_EXTRACT_WORKERS": "1"}
    merged.update(settings or {})
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=db.parent, check=False
    )


def check_captures(archive_dir: Path) -> int:
    """Every WARC file of the archive in ``archive_dir`` reads to its end (no record cut
    short, however the crawl stopped), and every ``pages`` row's capture reads back as
    the response to its URL. Returns how many pages rows have one."""
    from warcio.archiveiterator import ArchiveIterator

    from newsarchive.capture import read_capture

    for path in sorted((archive_dir / "warc").rglob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                record.raw_stream.read()
    with sqlite3.connect(archive_dir / "archive.db") as conn:
        rows = conn.execute(
            "SELECT url, status, warc_file, warc_offset, warc_length FROM pages"
            " WHERE warc_file IS NOT NULL"
        ).fetchall()
    for url, status, *where in rows:
        got = read_capture(archive_dir, *where)
        assert (got.url, got.status) == (url, status), where
    return len(rows)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    """A throw-away redis-server on 127.0.0.1 (no persistence, its files in
    ``directory``) and its URL; raises FileNotFoundError without Debian's redis-server."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory)]
        + ["--save", "", "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"redis-server did not start on port {port}")
