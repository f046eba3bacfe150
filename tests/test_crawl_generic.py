"""A daily that does not run WordPress (elkhabar's shape: a custom framework, an RSS feed
at /feeds, articles at /press/article/<id>/<slug>/, no sitemap, no REST API) is crawled
by the same generic spider from its feed and listing page, the differences staying in
the registry."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlite_utils

from tests.crawling import run_crawl

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
TZ = timezone(timedelta(hours=1))


def articles() -> list[dict]:
    found = []
    for number, seed in enumerate(sorted(SEEDS.glob("00[1-4]_*.txt")), start=1):
        title, _, _, _, *body = seed.read_text(encoding="utf-8").split("\n")
        found.append(
            {
                "path": f"/press/article/{130000 + number}/{seed.stem.split('_', 1)[1]}/",
                "title": title.strip(),
                "body": [p for p in body if p.strip()],
                "published": datetime(2024, 5, number, 9, 30, tzinfo=TZ),
            }
        )
    return found


def page(article: dict) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in article["body"])
    return f"""<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>{article["title"]} - الخبر</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="{article["published"].isoformat()}">
</head><body><nav><a href="/">الرئيسية</a> <a href="/press/category/28/watani/">وطني</a></nav>
<div class="container"><h1 class="title">{article["title"]}</h1>
<div class="article-body">{paragraphs}</div>
<aside><h3>الأكثر قراءة</h3><ul><li><a href="/press/category/28/watani/">وطني</a></li></ul></aside>
</div></body></html>""".encode()


class Site(BaseHTTPRequestHandler):
    routes: dict[str, tuple[str, bytes]] = {}
    log: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        Site.log.append(self.path)
        content_type, body = Site.routes.get(self.path, ("text/html", b""))
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_custom_framework_daily_is_crawled_from_feed_and_listing(tmp_path):
    items = articles()
    feed_items = "".join(
        f"<item><title>{a['title']}</title><link>http://HOST{a['path']}</link>"
        f"<pubDate>{format_datetime(a['published'])}</pubDate></item>"
        for a in items[:2]
    )
    listing = "".join(
        f'<div class="news"><a href="{a["path"]}">{a["title"]}</a></div>' for a in items
    )
    Site.routes = {
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /admin/\n"),
        "/": ("text/html", f"<html><body>{listing}</body></html>".encode()),
        **{a["path"]: ("text/html", page(a)) for a in items},
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    host = f"127.0.0.1:{server.server_port}"
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<rss version="2.0"><channel>{feed_items}</channel></rss>'
    )
    Site.routes["/feeds"] = ("application/rss+xml", feed.replace("HOST", host).encode())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sites = tmp_path / "sites.toml"
    sites.write_text(
        f"""[sites.khabar]
base_url = "http://{host}/"
cms = "generic"
feeds = ["/feeds"]
listings = ["/"]
article_patterns = ['^/press/article/\\d+/']
delay = 0
""",
        encoding="utf-8",
    )
    try:
        result = run_crawl(tmp_path / "archive.db", sites, "khabar")
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {r["url"]: r for r in sqlite_utils.Database(tmp_path / "archive.db")["articles"].rows}
    assert set(rows) == {f"http://{host}{a['path']}" for a in items}
    for article in items:
        row = rows[f"http://{host}{article['path']}"]
        assert row["title"] == article["title"]
        assert datetime.fromisoformat(row["published"]) == article["published"]
        assert row["source"] == "khabar"
    assert not any("wp-json" in p or "sitemap" in p for p in Site.log)
    assert "/press/category/28/watani/" not in Site.log
