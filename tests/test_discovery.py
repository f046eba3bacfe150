"""Feed, sitemap and WordPress REST API parsing: real feeds from ../shared (read in
place) and Arabic fixtures written here."""

import gzip
from pathlib import Path

import pytest

from newsarchive import discovery

FEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "feeds"


def shared_feed(name: str) -> bytes:
    path = FEEDS / name
    if not path.exists():
        pytest.skip(f"{path} not found: the real feeds live in ../shared/data/feeds")
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "count", "first_title", "first_published"),
    [
        (
            "feedjira/TechCrunch.xml",
            20,
            "Angie’s List Sets Price Range IPO At $11 To $13 Per Share; Valued At Over $600M",
            "2011-11-02T17:25:27+00:00",
        ),
        # Declared ISO-8859-1: accented letters must survive.
        (
            "rss-parser/encoding.rss",
            40,
            "Mãe de utente é a nova presidente da Raríssimas",
            "2018-01-03T13:47:00+00:00",
        ),
        # Latin-1 bytes with no declaration, and pubDate in Portuguese.
        (
            "rss-parser/uolNoticias.rss",
            15,
            "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno",
            "2018-09-24T19:42:40-03:00",
        ),
        ("rss-parser/guardian.rss", 55, None, "2018-01-31T07:26:05+00:00"),
        ("trafilatura/feed1.atom", 1, "Atom-Powered Robots Run Amok", None),
        ("trafilatura/feed.json", 25, "Keller Rinaudo: How can delivery drones save lives?", None),
    ],
)
def test_real_feeds(name, count, first_title, first_published):
    entries = discovery.parse_feed(shared_feed(name), "https://example.org/")
    assert len(entries) == count
    first = entries[0]
    assert first.url.startswith("http")
    if first_title:
        assert first.title == first_title
    if first_published:
        assert first.published == first_published


def test_real_sitemaps_plain_gzip_and_index():
    plain = discovery.parse_sitemap(shared_feed("trafilatura/sitemap.xml"))
    gzipped = discovery.parse_sitemap(shared_feed("trafilatura/sitemap.xml.gz"))
    assert plain.kind == gzipped.kind == "urlset"
    assert len(plain.entries) == len(gzipped.entries) == 84
    assert [e.url for e in plain.entries] == [e.url for e in gzipped.entries]
    assert plain.entries[0].modified == "2016-11-21"
    index = discovery.parse_sitemap(shared_feed("trafilatura/sitemap2.xml"))
    assert index.kind == "sitemapindex"
    assert index.entries[0].url == "http://www.example.com/sitemap1.xml.gz"
    hreflang = discovery.parse_sitemap(shared_feed("trafilatura/sitemap-hreflang.xml"))
    assert len(hreflang.entries) == 4


ARABIC_RSS = """<?xml version="1.0" encoding="windows-1256"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>الموعد اليومي</title>
<item><title>افتتاح موسم الاصطياف في وهران</title>
<link>https://www.elmaouid.dz/2024/06/01/saison/?utm_source=rss</link>
<pubDate>Sat, 01 Jun 2024 09:30:00 +0100</pubDate>
<dc:creator><![CDATA[الموعد اليومي]]></dc:creator>
<category><![CDATA[محلي]]></category></item>
<item><title>خبر بتاريخ عربي</title><link>/2024/01/15/khabar/</link>
<pubDate>الاثنين 15 جانفي 2024 10:30</pubDate></item>
</channel></rss>"""


def test_arabic_feed_in_windows_1256_with_arabic_dates():
    entries = discovery.parse_feed(ARABIC_RSS.encode("cp1256"), "https://www.elmaouid.dz/")
    assert [e.title for e in entries] == ["افتتاح موسم الاصطياف في وهران", "خبر بتاريخ عربي"]
    assert entries[0].published == "2024-06-01T09:30:00+01:00"
    assert entries[0].categories == ["محلي"]
    assert entries[0].author == "الموعد اليومي"
    assert entries[1].url == "https://www.elmaouid.dz/2024/01/15/khabar/"
    assert entries[1].published.startswith("2024-01-15T10:30")


NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://www.elmaouid.dz/2024/03/02/a/</loc>
    <lastmod>2024-03-02T12:00:00+01:00</lastmod>
    <news:news><news:publication><news:name>الموعد اليومي</news:name>
      <news:language>ar</news:language></news:publication>
      <news:publication_date>2024-03-02T08:15:00+01:00</news:publication_date>
      <news:title>مستشفيات البليدة تستقبل التجهيزات</news:title></news:news></url>
</urlset>"""


def test_google_news_sitemap_keeps_nested_fields_gzipped_too():
    for body in (NEWS_SITEMAP.encode(), gzip.compress(NEWS_SITEMAP.encode())):
        result = discovery.parse_sitemap(body)
        (entry,) = result.entries
        assert entry.title == "مستشفيات البليدة تستقبل التجهيزات"
        assert entry.published == "2024-03-02T08:15:00+01:00"
        assert entry.modified == "2024-03-02T12:00:00+01:00"


def test_robots_sitemaps():
    robots = "User-agent: *\nDisallow: /wp-admin/\nSitemap: /wp-sitemap.xml\nsitemap: https://x.dz/news.xml\n"
    assert discovery.robots_sitemaps(robots, "https://x.dz/") == [
        "https://x.dz/wp-sitemap.xml",
        "https://x.dz/news.xml",
    ]


def test_wordpress_rest_posts_give_local_dates_with_offset_and_term_names():
    posts = [
        {
            "id": 7,
            "link": "https://x.dz/2024/01/15/a/",
            "date": "2024-01-15T10:30:00",
            "date_gmt": "2024-01-15T09:30:00",
            "modified": "2024-01-16T08:00:00",
            "modified_gmt": "2024-01-16T07:00:00",
            "title": {"rendered": "عنوان &#8211; <b>مهم</b>"},
            "categories": [3],
            "tags": [9, 99],
        }
    ]
    (entry,) = discovery.parse_wp_posts(posts, {3: "رياضة"}, {9: "كرة القدم"})
    assert entry.published == "2024-01-15T10:30:00+01:00"
    assert entry.modified == "2024-01-16T08:00:00+01:00"
    assert entry.title == "عنوان – مهم"
    assert entry.categories == ["رياضة"]
    assert entry.tags == ["كرة القدم"]


def test_garbage_is_not_a_feed_or_sitemap():
    assert discovery.parse_feed(b"<html><body>not a feed</body></html>", "https://x/") == []
    assert discovery.parse_sitemap(b"") is None
    assert discovery.parse_feed(b"\x00\x01binary", "https://x/") == []
