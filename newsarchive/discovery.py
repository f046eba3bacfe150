"""Finding article URLs: feeds, sitemaps and the WordPress REST API.

Pure functions over response bodies, so the spider stays a thin layer over Scrapy and
these can be tested on saved feeds. Sitemaps go through Scrapy's own parser; what it
drops (Google News' nested ``news:publication_date`` and ``news:title``) is read here.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from newsarchive.arabic.dates import normalise_date

log = logging.getLogger(__name__)


@dataclass
class Entry:
    """An article URL with whatever the listing said about it."""

    url: str
    title: str | None = None
    published: str | None = None
    modified: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    author: str | None = None
    # How exact the channel is: the REST API (3) and Google News sitemaps (2) give the
    # site's own dates; feeds (1) often give them in UTC; plain sitemaps and listings 0.
    authority: int = 0
    # A date printed beside the link on a listing page: for --since only, never a hint.
    listed: str | None = None

    def hints(self) -> dict:
        """Facts the extractor should prefer over its guesses from the page."""
        found = {
            "title": self.title,
            "published": self.published,
            "modified": self.modified,
            "categories": self.categories or None,
            "tags": self.tags or None,
            "author": self.author,
        }
        return {k: v for k, v in found.items() if v}


def iso_date(value: str | None) -> str | None:
    """RFC 822 (RSS), W3C/ISO 8601 (Atom, sitemaps) → ISO 8601, offset kept; a feed's
    date in its site's language as a fallback."""
    if not value or not value.strip():
        return None
    return normalise_date(value) or _localised_date(value.strip())


def _localised_date(value: str) -> str | None:
    """Feeds that write pubDate in the site's language ("الاثنين، 15 جانفي 2024 10:00",
    "Seg, 24 Set 2018 19:42:40 -0300"): our Arabic rules first, then dateparser."""
    from newsarchive.arabic.dates import parse_arabic_date

    found = parse_arabic_date(value)
    if found:
        return found
    import dateparser

    parsed = dateparser.parse(value, settings={"RETURN_AS_TIMEZONE_AWARE": True})
    if parsed is None:
        log.debug("unparsed feed date %r", value)
        return None
    return parsed.isoformat()


def maybe_gunzip(body: bytes) -> bytes:
    # Sitemaps may be served gzipped without Content-Encoding (*.xml.gz files).
    return gunzip(body) if body[:2] == b"\x1f\x8b" else body


_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)


_DECLARED = re.compile(rb"^<\?xml[^>]*encoding=[\"']([A-Za-z0-9_.:-]+)")


def _xml_bytes(body: bytes) -> bytes:
    """Bytes lxml will decode right. A feed that declares no encoding must be UTF-8
    (XML 1.0 §4.3.3), but real ones are sometimes Latin-1 or windows-1256 anyway: those
    are re-encoded, choosing windows-1256 when it yields Arabic letters."""
    body = maybe_gunzip(body).lstrip()
    if _DECLARED.match(body):
        return body
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        pass
    arabic = body.decode("cp1256", errors="replace")
    letters = sum(1 for ch in arabic if "\u0621" <= ch <= "\u064a")
    text = arabic if letters > len(arabic) // 20 else body.decode("latin-1")
    return re.sub(r"^<\?xml[^>]*\?>", "", text).encode("utf-8")


def _xml_root(body: bytes) -> etree._Element | None:
    body = _xml_bytes(body)
    if not body:
        return None
    try:
        return etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError:
        return None


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element: etree._Element, *names: str) -> str | None:
    for child in element:
        if _local(child.tag) in names and child.text and child.text.strip():
            return html.unescape(child.text.strip())
    return None


def parse_json_feed(body: bytes, base_url: str) -> list[Entry]:
    """Entries of a JSON Feed (https://jsonfeed.org/version/1.1)."""
    try:
        data = json.loads(maybe_gunzip(body))
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return []
    entries = []
    for item in data["items"]:
        url = item.get("url") or item.get("external_url") if isinstance(item, dict) else None
        if not isinstance(url, str):
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        entries.append(
            Entry(
                url=urljoin(base_url, url),
                title=item.get("title"),
                published=iso_date(item.get("date_published")),
                modified=iso_date(item.get("date_modified")),
                tags=[t for t in item.get("tags", []) if isinstance(t, str)],
                author=(authors[0] or {}).get("name") if authors else None,
                authority=1,
            )
        )
    return entries


def parse_feed(body: bytes, base_url: str) -> list[Entry]:
    """Entries of an RSS 2.0, RSS 1.0, Atom or JSON feed (lxml reads the XML
    declaration's encoding from the bytes, so ISO-8859-1 and windows-1256 feeds decode
    right)."""
    if body.lstrip()[:1] == b"{":
        return parse_json_feed(body, base_url)
    root = _xml_root(body)
    if root is None:
        return []
    entries = []
    for item in root.iter():
        name = _local(item.tag)
        if name not in ("item", "entry"):
            continue
        url = _child_text(item, "link") if name == "item" else None
        if name == "entry" or not url:
            for link in item:
                if _local(link.tag) == "link" and link.get("rel", "alternate") == "alternate":
                    url = link.get("href") or url
        if not url:
            url = _child_text(item, "guid")
        if not url:
            continue
        categories = []
        for child in item:
            if _local(child.tag) == "category":
                label = child.get("term") or child.get("label") or (child.text or "")
                if label.strip():
                    categories.append(html.unescape(label.strip()))
        entries.append(
            Entry(
                url=urljoin(base_url, url.strip()),
                title=_child_text(item, "title"),
                published=iso_date(_child_text(item, "pubDate", "published", "date", "issued")),
                modified=iso_date(_child_text(item, "updated", "modified")),
                categories=categories,
                author=_child_text(item, "creator", "author"),
                authority=1,
            )
        )
    return entries


@dataclass
class SitemapResult:
    kind: str  # "urlset" or "sitemapindex"
    entries: list[Entry]


_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def parse_sitemap(body: bytes) -> SitemapResult | None:
    """A sitemap or sitemap index, gzipped or not; None if it is neither."""
    body = maybe_gunzip(body)
    try:
        sitemap = Sitemap(body)
    except (etree.XMLSyntaxError, ValueError):
        return None
    entries = [
        Entry(url=item["loc"].strip(), modified=iso_date(item.get("lastmod")))
        for item in sitemap
        if item.get("loc")
    ]
    if sitemap.type == "urlset" and b"sitemap-news" in body:
        news = _news_fields(body)
        for entry in entries:
            title, published = news.get(entry.url, (None, None))
            entry.title = title
            entry.published = published
            entry.authority = 2 if published else 0
    return SitemapResult(kind=sitemap.type, entries=entries)


def _news_fields(body: bytes) -> dict[str, tuple[str | None, str | None]]:
    # Scrapy's Sitemap flattens each <url> to its direct children, so the nested
    # <news:news><news:title/><news:publication_date/></news:news> is lost there.
    root = _xml_root(body)
    found: dict[str, tuple[str | None, str | None]] = {}
    if root is None:
        return found
    for url in root:
        loc = _child_text(url, "loc")
        news = url.find(f"{_NEWS}news")
        if loc and news is not None:
            title = news.findtext(f"{_NEWS}title")
            published = iso_date(news.findtext(f"{_NEWS}publication_date"))
            found[loc.strip()] = (title.strip() if title else None, published)
    return found


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    return [
        urljoin(base_url, m.group(1).strip())
        for m in re.finditer(r"(?im)^\s*sitemap\s*:\s*(\S+)", robots_txt)
    ]


def _wp_date(local: str | None, gmt: str | None) -> str | None:
    """WordPress gives the site's local time and UTC without offsets; together they
    give the local time with its offset, as the article page shows it."""
    if not local:
        return None
    try:
        local_dt = datetime.fromisoformat(local)
    except ValueError:
        return None
    if not gmt:
        return local_dt.isoformat()
    try:
        gmt_dt = datetime.fromisoformat(gmt)
    except ValueError:
        return local_dt.isoformat()
    offset = local_dt - gmt_dt
    minutes = round(offset.total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{local_dt.isoformat()}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_wp_posts(
    posts: list[dict], categories: dict[int, str], tags: dict[int, str]
) -> list[Entry]:
    """Entries from a /wp-json/wp/v2/posts page: exact dates, categories, tags."""
    entries = []
    for post in posts:
        link = post.get("link")
        if not isinstance(link, str):
            continue
        title = (post.get("title") or {}).get("rendered")
        entries.append(
            Entry(
                url=link,
                title=html.unescape(re.sub(r"<[^>]+>", "", title)).strip() if title else None,
                published=_wp_date(post.get("date"), post.get("date_gmt")),
                modified=_wp_date(post.get("modified"), post.get("modified_gmt")),
                categories=[categories[c] for c in post.get("categories", []) if c in categories],
                tags=[tags[t] for t in post.get("tags", []) if t in tags],
                authority=3,
            )
        )
    return entries


def wp_terms(terms: list[dict]) -> dict[int, str]:
    return {
        t["id"]: html.unescape(t.get("name", ""))
        for t in terms
        if isinstance(t, dict) and "id" in t
    }
