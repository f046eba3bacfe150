"""The local sample site: every endpoint a crawler relies on answers as documented."""

from __future__ import annotations

import gzip
import http.client
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from newsarchive.samplesite import (
    ARTICLE_PATH_RE,
    BODY_DATED_POSITIONS,
    BOILERPLATE_LINES,
    BROKEN_PATH,
    CP1256_POSITIONS,
    MAGHREB_MONTHS,
    PRIVATE_PATH,
    SampleServer,
    SampleSite,
    SeedFormatError,
    build_site,
    render_site,
    serve,
)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
NS = {
    "rss_content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "atom": "http://www.w3.org/2005/Atom",
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@pytest.fixture(scope="module")
def site() -> SampleSite:
    return build_site(SEEDS)


@pytest.fixture(scope="module")
def server(site: SampleSite):
    with serve(site) as running:
        yield running


def fetch(
    server: SampleServer, target: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request without following redirects: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def local(url: str) -> str:
    """The path and query of an absolute URL served by the sample site."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_site_model_from_bundled_seeds(site: SampleSite) -> None:
    assert len(site.articles) == len(list(SEEDS.glob("*.txt"))) == 12
    assert len({a.id for a in site.articles}) == len(site.articles)
    for art in site.articles:
        assert ARTICLE_PATH_RE.match(art.url), art.url
        assert art.published.endswith("+01:00") and art.modified >= art.published
        assert art.categories and art.text and art.title
    assert [a.encoding for a in site.articles].count("windows-1256") == len(CP1256_POSITIONS)
    assert sum(a.dated_in_body_only for a in site.articles) == len(BODY_DATED_POSITIONS)
    assert {a.author for a in site.articles} == {None, "كريم بن سالم", "سامية حداد"}
    assert {a.source for a in site.articles} == {"elmaouid", "aps"}


def test_build_site_is_deterministic(site: SampleSite) -> None:
    again = build_site(SEEDS)
    assert again.articles == site.articles
    base = "http://127.0.0.1:9"
    first, second = render_site(site, base), render_site(again, base)
    assert {p: r.body for p, r in first.items()} == {p: r.body for p, r in second.items()}


def test_adding_a_seed_file_adds_an_article(tmp_path: Path) -> None:
    for name in sorted(p.name for p in SEEDS.glob("*.txt"))[:2]:
        (tmp_path / name).write_bytes((SEEDS / name).read_bytes())
    before = build_site(tmp_path)
    (tmp_path / "050_jisr-jadid.txt").write_text(
        "افتتاح جسر جديد بمدخل المدينة\n\nelmaouid\n\n"
        "فُتح الجسر أمام حركة المرور.\nوقال الوالي إنه سيخفف الزحام.\n",
        encoding="utf-8",
    )
    after = build_site(tmp_path)
    assert len(after.articles) == len(before.articles) + 1
    added = after.articles[-1]
    assert added.slug == "jisr-jadid" and added.title == "افتتاح جسر جديد بمدخل المدينة"
    assert added.text == "فُتح الجسر أمام حركة المرور.\nوقال الوالي إنه سيخفف الزحام."
    assert after.articles[:2] == before.articles


def test_malformed_seed_is_refused(tmp_path: Path) -> None:
    (tmp_path / "001_bad.txt").write_text("عنوان\nبدون سطر فارغ\n", encoding="utf-8")
    with pytest.raises(SeedFormatError):
        build_site(tmp_path)


def test_every_article_page_is_served_with_title_canonical_and_metadata(
    server: SampleServer, site: SampleSite
) -> None:
    for art in site.articles:
        status, headers, body = fetch(server, art.url)
        assert status == 200
        assert headers["Content-Type"].startswith("text/html")
        doc = lxml.html.document_fromstring(body.decode(art.encoding))
        assert doc.get("lang") == "ar" and doc.get("dir") == "rtl"
        assert doc.xpath("string(//h1[contains(@class,'entry-title')])") == art.title
        assert doc.xpath("//link[@rel='canonical']/@href") == [server.url(art)]
        assert doc.xpath("//link[@rel='amphtml']/@href") == [server.url(art.amp_url)]
        assert doc.xpath("//link[@rel='https://api.w.org/']/@href") == [server.url("/wp-json/")]
        assert "single-post" in doc.body.get("class").split()
        assert doc.xpath("//meta[@property='og:type']/@content") == ["article"]
        paragraphs = doc.xpath("//div[@class='entry-content entry clearfix']/p")
        assert [p.text_content() for p in paragraphs[:-1]] == art.paragraphs
        assert paragraphs[-1].text_content() == BOILERPLATE_LINES[0]
        assert doc.xpath("//a[@rel='category tag']/text()") == list(art.categories)
        assert doc.xpath("//a[@rel='tag']/text()") == list(art.tags)
        assert len(doc.xpath("//ol[@class='comment-list']/li")) == 2


def test_dated_articles_carry_meta_jsonld_and_tie_date(server: SampleServer, site: SampleSite):
    art = next(a for a in site.articles if not a.dated_in_body_only and a.encoding == "utf-8")
    doc = lxml.html.document_fromstring(fetch(server, art.url)[2].decode())
    assert doc.xpath("//meta[@property='article:published_time']/@content") == [art.published]
    assert doc.xpath("//meta[@property='article:modified_time']/@content") == [art.modified]
    assert doc.xpath("string(//span[@class='tie-date'])") == art.date_ar
    ld = json.loads(doc.xpath("string(//script[@type='application/ld+json'])"))
    assert ld["@type"] == "NewsArticle" and ld["datePublished"] == art.published
    assert ld["headline"] == art.title and ld["mainEntityOfPage"]["@id"] == server.url(art)


def test_body_dated_pages_have_no_date_metadata(server: SampleServer, site: SampleSite) -> None:
    body_dated = [a for a in site.articles if a.dated_in_body_only]
    assert len(body_dated) == 2
    for art in body_dated:
        html = fetch(server, art.url)[2].decode()
        doc = lxml.html.document_fromstring(html)
        for marker in ("article:published_time", "ld+json", "tie-date", "<time", "datePublished"):
            assert marker not in html
        month = MAGHREB_MONTHS[art.published_at.month - 1]
        assert art.dateline == f"الجزائر في {art.published_at.day} {month} 2024"
        first = doc.xpath("string(//div[contains(@class,'entry-content')]/p[1])")
        assert first == art.dateline == art.paragraphs[0]


def test_windows_1256_pages_decode_only_as_cp1256(server: SampleServer, site: SampleSite) -> None:
    cp1256 = [a for a in site.articles if a.encoding == "windows-1256"]
    assert [a.header_charset for a in cp1256] == ["windows-1256", "iso-8859-1"]
    for art in cp1256:
        status, headers, body = fetch(server, art.url)
        assert headers["Content-Type"] == f"text/html; charset={art.header_charset}"
        assert b'<meta charset="windows-1256" />' in body
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert art.title in body.decode("cp1256")
        # Trusting the lying header gives mojibake, never the title.
        assert art.title not in body.decode("iso-8859-1")


def test_bylines_carry_the_prefix_and_others_have_none(
    server: SampleServer, site: SampleSite
) -> None:
    for art in site.articles:
        doc = lxml.html.document_fromstring(fetch(server, art.url)[2].decode(art.encoding))
        meta = doc.xpath("//meta[@name='author']/@content")
        if art.author:
            assert meta == [f"بقلم: {art.author}"]
            assert doc.xpath("string(//a[contains(@class,'author-name')])") == meta[0]
        else:
            assert meta == [] and not doc.xpath("//a[contains(@class,'author-name')]")


def test_home_and_listings_link_articles_and_are_not_articles(
    server: SampleServer, site: SampleSite
) -> None:
    def listed(path: str) -> list[str]:
        status, _, body = fetch(server, path)
        assert status == 200, path
        doc = lxml.html.document_fromstring(body.decode())
        assert "single" not in doc.body.get("class").split()
        return [local(h) for h in doc.xpath("//h2[@class='post-box-title']/a/@href")]

    latest = [a.url for a in site.latest]
    assert listed("/") == latest[:10] and listed("/page/2/") == latest[10:]
    assert listed("/category/local/") + listed("/category/local/page/2/") == [
        a.url for a in site.in_category("local")
    ]
    assert len(listed("/category/local/")) == 3
    assert fetch(server, "/category/economy/page/2/")[0] == 404  # exactly 3 posts
    assert listed("/tag/oran/") == [a.url for a in site.with_tag("oran")]
    assert set(listed("/author/karim-bensalem/")) == {site.articles[2].url}
    home = lxml.html.document_fromstring(fetch(server, "/")[2].decode())
    links = {local(h) for h in home.xpath("//a/@href") if h.startswith(server.base_url)}
    assert {PRIVATE_PATH, BROKEN_PATH, f"/?p={site.latest[-1].id}"} <= links
    assert f"{site.latest[0].url}?utm_source=facebook&utm_medium=social" in links


def test_search_lists_matching_articles(server: SampleServer) -> None:
    status, _, body = fetch(server, "/?s=%D9%88%D9%87%D8%B1%D8%A7%D9%86")  # وهران
    doc = lxml.html.document_fromstring(body.decode())
    assert status == 200 and "search-results" in doc.body.get("class")
    assert len(doc.xpath("//h2[@class='post-box-title']/a")) == 2


def test_rss_atom_and_category_feeds(server: SampleServer, site: SampleSite) -> None:
    status, headers, body = fetch(server, "/feed/")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    items = ET.fromstring(body).findall("channel/item")
    assert [i.findtext("link") for i in items] == [server.url(a) for a in site.latest[:10]]
    newest = site.latest[0]
    assert items[0].findtext("title") == newest.title
    assert items[0].findtext("dc:creator", namespaces=NS) == newest.byline
    assert newest.paragraphs[0] in items[0].findtext("rss_content:encoded", namespaces=NS)
    assert items[0].findtext("pubDate").endswith("GMT")
    assert [c.text for c in items[0].findall("category")] == [*newest.categories, *newest.tags]

    entries = ET.fromstring(fetch(server, "/feed/atom/")[2]).findall("atom:entry", NS)
    assert len(entries) == 10
    assert entries[0].find("atom:link", NS).get("href") == server.url(newest)

    for cat in site.categories:
        feed = ET.fromstring(fetch(server, f"/category/{cat.slug}/feed/")[2])
        assert len(feed.findall("channel/item")) == min(cat.count, 10)


def sitemap_urls(server: SampleServer, path: str) -> list[str]:
    """Every page URL reachable from a sitemap or sitemap index, depth first."""
    status, _, body = fetch(server, path)
    assert status == 200, path
    if path.endswith(".gz"):
        body = gzip.decompress(body)
    root = ET.fromstring(body)
    if root.tag == f"{{{NS['sm']}}}sitemapindex":
        found = []
        for loc in root.findall("sm:sitemap/sm:loc", NS):
            found += sitemap_urls(server, local(loc.text))
        return found
    return [loc.text for loc in root.findall("sm:url/sm:loc", NS)]


def test_sitemap_indexes_resolve_to_every_article(server: SampleServer, site: SampleSite) -> None:
    articles = {server.url(a) for a in site.articles}
    wp = sitemap_urls(server, "/wp-sitemap.xml")
    assert articles <= set(wp) and len(wp) == len(articles) + 7  # + category archives
    yoast = sitemap_urls(server, "/sitemap_index.xml")
    assert articles <= set(yoast) and server.url("/") in yoast
    gz = sitemap_urls(server, "/post-sitemap2.xml.gz")
    assert len(gz) == 6 and set(gz) <= articles

    news = ET.fromstring(fetch(server, "/news-sitemap.xml")[2]).findall("sm:url", NS)
    assert len(news) == 5
    assert news[0].findtext("news:news/news:title", namespaces=NS) == site.latest[0].title
    date = news[0].findtext("news:news/news:publication_date", namespaces=NS)
    assert date == site.latest[0].published


def test_rest_api_pagination(server: SampleServer, site: SampleSite) -> None:
    status, headers, body = fetch(server, "/wp-json/wp/v2/posts")
    posts = json.loads(body)
    assert status == 200 and len(posts) == 10
    assert headers["X-WP-Total"] == "12" and headers["X-WP-TotalPages"] == "2"
    first = posts[0]
    newest = site.latest[0]
    assert first["id"] == newest.id and first["link"] == server.url(newest)
    assert first["title"]["rendered"] == newest.title
    assert first["date"] == newest.published[:19] and first["modified_gmt"].endswith(":00")
    assert set(first) >= {"date_gmt", "modified", "content", "excerpt", "categories", "tags"}

    seen = []
    for page in (1, 2, 3):
        status, headers, body = fetch(server, f"/wp-json/wp/v2/posts?page={page}&per_page=5")
        assert status == 200 and headers["X-WP-TotalPages"] == "3"
        seen += [p["link"] for p in json.loads(body)]
    assert seen == [server.url(a) for a in site.latest]

    status, _, body = fetch(server, "/wp-json/wp/v2/posts?page=4&per_page=5")
    assert status == 400 and json.loads(body)["code"] == "rest_post_invalid_page_number"
    assert fetch(server, "/wp-json/wp/v2/posts?per_page=101")[0] == 400
    assert len(json.loads(fetch(server, "/wp-json/wp/v2/posts?per_page=100")[2])) == 12

    categories = json.loads(fetch(server, "/wp-json/wp/v2/categories")[2])
    assert {c["slug"] for c in categories} == {c.slug for c in site.categories}
    tags = json.loads(fetch(server, "/wp-json/wp/v2/tags")[2])
    assert {tag_id for p in posts for tag_id in p["tags"]} <= {t["id"] for t in tags}


def test_robots_txt(server: SampleServer, site: SampleSite) -> None:
    status, headers, body = fetch(server, "/robots.txt")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "Disallow: /wp-admin/" in text and "Disallow: /private/" in text
    assert f"Sitemap: {server.base_url}/wp-sitemap.xml" in text
    assert f"Sitemap: {server.base_url}/sitemap_index.xml" in text
    assert "Crawl-delay" not in text
    slow = render_site(site, "http://127.0.0.1:9", crawl_delay=1.5)["/robots.txt"].body
    assert "Crawl-delay: 1.5\n" in slow.decode()


def test_404_and_redirects(server: SampleServer, site: SampleSite) -> None:
    status, _, body = fetch(server, BROKEN_PATH)
    assert status == 404 and b"error404" in body
    art = site.latest[-1]
    status, headers, _ = fetch(server, f"/?p={art.id}")
    assert status == 301 and headers["Location"] == server.url(art)
    status, headers, _ = fetch(server, art.url.rstrip("/"))
    assert status == 301 and headers["Location"] == server.url(art)
    assert fetch(server, "/wp-admin/")[0] == 403


def test_utm_and_amp_variants_point_to_the_canonical(
    server: SampleServer, site: SampleSite
) -> None:
    art = site.latest[0]
    status, _, body = fetch(server, f"{art.url}?utm_source=facebook&utm_medium=social")
    assert status == 200 and body == fetch(server, art.url)[2]
    status, _, body = fetch(server, art.amp_url)
    doc = lxml.html.document_fromstring(body.decode())
    assert status == 200 and doc.get("amp") is not None
    assert doc.xpath("//link[@rel='canonical']/@href") == [server.url(art)]
    assert doc.xpath("string(//h1)") == art.title


def test_conditional_get_and_head(server: SampleServer, site: SampleSite) -> None:
    art = site.articles[0]
    status, headers, _ = fetch(server, art.url)
    last_modified = headers["Last-Modified"]
    status, _, body = fetch(server, art.url, headers={"If-Modified-Since": last_modified})
    assert status == 304 and body == b""
    status, headers, body = fetch(server, art.url, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_fail_next_then_recover_and_request_log(server: SampleServer, site: SampleSite) -> None:
    path = site.articles[5].url
    server.fail_next(path, 503, times=1, retry_after=2)
    status, headers, _ = fetch(server, path)
    assert status == 503 and headers["Retry-After"] == "2"
    assert fetch(server, path)[0] == 200
    server.fail_next("/feed/", 429, times=2, retry_after=1)
    assert [fetch(server, "/feed/")[0] for _ in range(3)] == [429, 429, 200]
    log = server.requested(path)
    assert [(method, status) for _, method, _, status in log[-2:]] == [("GET", 503), ("GET", 200)]
    assert log[-1][0] >= log[-2][0]
    assert not server.requested(PRIVATE_PATH)
