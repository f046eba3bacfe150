"""A local WordPress-like Arabic news site built from ``seeds/*.txt``, served on 127.0.0.1.

It is the end-to-end fixture for the crawler and the site the README's main command crawls.
The markup is our own, modelled on the Jannah/TieLabs theme family that elmaouid uses.

Two halves:

* :func:`build_site` is a pure data model: for every seed file one :class:`SampleArticle`
  holding the values a correct crawler must archive (the *expected* record).
* :func:`serve` renders every page once for the server's base URL, keeps the bytes in
  memory and answers from a ``ThreadingHTTPServer`` in a daemon thread, logging requests.

Permalinks follow WordPress's "Day and name" structure ``/%year%/%monthnum%/%day%/%postname%/``
(see :data:`ARTICLE_PATH_RE`); every other URL (listings, feeds, sitemaps, REST) is a
non-article. Which articles get a special treatment (windows-1256 bytes, date only in the
body text, a byline) depends on the article's position in sorted seed order, see
:data:`CP1256_POSITIONS`, :data:`BODY_DATED_POSITIONS` and :data:`BYLINE_AUTHORS`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import functools
import gzip
import itertools
import json
import logging
import math
import re
import struct
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from markupsafe import escape

from newsarchive.items import Article

__all__ = [
    "ARTICLE_PATH_RE",
    "BOILERPLATE_LINES",
    "BODY_DATED_POSITIONS",
    "BYLINE_AUTHORS",
    "CP1256_POSITIONS",
    "DEFAULT_SEEDS_DIR",
    "MAGHREB_MONTHS",
    "PRIVATE_PATH",
    "BROKEN_PATH",
    "SampleArticle",
    "SampleServer",
    "SampleSite",
    "SampleSiteError",
    "SeedFormatError",
    "Term",
    "build_site",
    "render_site",
    "serve",
]

logger = logging.getLogger(__name__)

DEFAULT_SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# The article permalink: WordPress "Day and name" (Settings > Permalinks), ASCII slugs.
ARTICLE_PATH_RE = re.compile(r"^/(\d{4})/(\d{2})/(\d{2})/([a-z0-9-]+)/$")

# An article-like page linked from the home page but disallowed in robots.txt: a polite
# crawler never requests it (tests check ``server.requests``).
PRIVATE_PATH = "/private/tasribat-mashrou-mizaniya/"
# Linked from the home page; answers 404.
BROKEN_PATH = "/2023/12/31/maqal-mahdhouf/"

# Theme-inserted line inside ``div.entry-content`` on every article page (not in feeds or
# REST): what the source registry declares as boilerplate.
BOILERPLATE_LINES = ("تابعونا على صفحتنا في فيسبوك وحمّلوا تطبيق الموعد اليومي على هواتفكم",)

# Month names as written in Algeria, Tunisia and Morocco (French-derived), January first.
MAGHREB_MONTHS = (
    "جانفي",
    "فيفري",
    "مارس",
    "أفريل",
    "ماي",
    "جوان",
    "جويلية",
    "أوت",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)

# Position in sorted seed order -> charset named in the HTTP header. Those pages are
# windows-1256 bytes with <meta charset="windows-1256">; position 9's header disagrees.
CP1256_POSITIONS = {3: "windows-1256", 9: "iso-8859-1"}
# Pages with no date metadata at all: only a dateline paragraph such as
# "الجزائر في 10 جانفي 2024" opens the body.
BODY_DATED_POSITIONS = frozenset({1, 6})
# Position -> (author slug, name). The WordPress display name carries the prefix
# "بقلم: " (so meta author, JSON-LD, dc:creator and the page all show it); the expected
# author is the bare name. Everyone else is the paper's "redaction" account: no byline.
BYLINE_AUTHORS = {2: ("karim-bensalem", "كريم بن سالم"), 8: ("samia-haddad", "سامية حداد")}
BYLINE_PREFIX = "بقلم: "

SITE_NAME = "الموعد اليومي"
SITE_TAGLINE = "جريدة يومية جزائرية مستقلة"
HOUSE_AUTHOR = ("redaction", SITE_NAME)

TZ = dt.timezone(dt.timedelta(hours=1))  # Algeria: CET all year, no DST.
FIRST_PUBLISHED = dt.datetime(2024, 1, 4, 7, 30, tzinfo=TZ)
HOME_PER_PAGE = 10
ARCHIVE_PER_PAGE = 3  # small on purpose, so category pagination really happens
FEED_ITEMS = 10
NEWS_SITEMAP_ITEMS = 5
REST_DEFAULT_PER_PAGE = 10
REST_MAX_PER_PAGE = 100

# slug -> (term id, Arabic name), in menu order.
CATEGORIES = {
    "national": (2, "الوطني"),
    "economy": (3, "اقتصاد"),
    "sport": (4, "رياضة"),
    "culture": (5, "ثقافة"),
    "society": (6, "مجتمع"),
    "local": (7, "محليات"),
    "world": (8, "دولي"),
}
TAGS = {
    "syria": "سوريا",
    "russia": "روسيا",
    "prices": "الأسعار",
    "markets": "الأسواق",
    "algiers": "الجزائر العاصمة",
    "football": "كرة القدم",
    "algeria-cup": "كأس الجمهورية",
    "health": "الصحة",
    "hospitals": "المستشفيات",
    "blida": "البليدة",
    "theatre": "المسرح",
    "oran": "وهران",
    "water": "الماء الشروب",
    "tizi-ouzou": "تيزي وزو",
    "education": "التربية",
    "employment": "التوظيف",
    "exports": "الصادرات",
    "handball": "كرة اليد",
    "books": "الكتاب",
    "constantine": "قسنطينة",
    "weather": "الطقس",
    "roads": "الطرقات",
    "startups": "المؤسسات الناشئة",
    "financing": "التمويل",
}
# Seed file stem -> (category slugs, tag slugs). Seeds not listed go to "national".
TAXONOMY = {
    "000_887d7dc72d5a122c": (("world",), ("syria", "russia")),
    "001_asaar-khodar-asouak": (("economy", "local"), ("prices", "markets", "algiers")),
    "002_mouloudia-nisf-nihai": (("sport",), ("football", "algeria-cup")),
    "003_mostashfayat-blida": (("society", "local"), ("health", "hospitals", "blida")),
    "004_mahrajan-masrah-wahran": (("culture",), ("theatre", "oran")),
    "005_maa-tizi-ouzou": (("local", "society"), ("water", "tizi-ouzou")),
    "006_tawdhif-asatidha": (("national", "society"), ("education", "employment")),
    "007_saderat-kharij-mahroukat": (("economy", "national"), ("exports",)),
    "008_kurat-yad-wahran": (("sport",), ("handball", "oran")),
    "009_salon-kitab-qasentina": (("culture", "local"), ("books", "constantine")),
    "010_thouloudj-torokat": (("local", "national"), ("weather", "roads")),
    "011_sunduq-moassasat-nashia": (("economy",), ("startups", "financing", "employment")),
}
TAG_BASE_ID = 20

# Reader comments (our own text), two per article, picked by position.
COMMENTS = (
    ("أبو أيمن", "شكرا على هذا المقال، نتمنى متابعة الموضوع في الأعداد القادمة."),
    ("سليمة", "المشكل ليس جديدا، المهم هو التطبيق على أرض الواقع."),
    ("مواطن من الشرق", "نطالب المسؤولين بالاهتمام أكثر بالولايات الداخلية."),
    ("رضا", "معلومات مفيدة، بارك الله فيكم."),
    ("نسيمة ب.", "أين كانت هذه الإجراءات منذ سنوات؟"),
    ("يوسف", "مقال جيد لكن ينقصه رأي المختصين."),
)

PRIVATE_TITLE = "تسريبات مشروع الميزانية قبل عرضه على الحكومة"
PRIVATE_TEXT = (
    "هذه الصفحة مسودة داخلية لم تنشر بعد، ولا يجوز لأي زاحف مهذب أن يطلبها.",
    "ملف robots.txt يمنع الوصول إلى المسار /private/ صراحة.",
)


class SampleSiteError(Exception):
    """A problem building or serving the sample site."""


class SeedFormatError(SampleSiteError):
    """A seed file does not follow the title / blank / source / blank / body layout."""


@dataclass(frozen=True)
class Term:
    """A category or tag, as WordPress stores it."""

    id: int
    slug: str
    name: str
    taxonomy: str  # "category" or "post_tag", WordPress's taxonomy names
    count: int = 0

    @property
    def url(self) -> str:
        return f"/{'category' if self.taxonomy == 'category' else 'tag'}/{self.slug}/"


@dataclass(frozen=True)
class SampleArticle:
    """One post and the values a correct crawler must archive for it.

    ``url`` is the canonical path (join it to the server's ``base_url``). ``text`` is what
    the article body says: the seed body's paragraphs joined by newlines, preceded by the
    dateline paragraph for ``dated_in_body_only`` articles. For those, the page holds only
    the date (``published[:10]``); feeds, sitemaps and REST still carry the full time.
    ``author`` is None where the paper prints no byline (it credits itself)."""

    id: int
    slug: str
    url: str
    title: str
    text: str
    published: str
    modified: str
    author: str | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    encoding: str
    dated_in_body_only: bool
    source: str
    category_slugs: tuple[str, ...] = ()
    tag_slugs: tuple[str, ...] = ()
    author_slug: str = HOUSE_AUTHOR[0]
    header_charset: str = "UTF-8"
    dateline: str | None = None
    description: str = ""
    image: str = ""
    seed_file: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n")

    @property
    def byline(self) -> str:
        """The WordPress display name, as the page prints it."""
        return BYLINE_PREFIX + self.author if self.author else SITE_NAME

    @property
    def amp_url(self) -> str:
        return self.url + "amp/"

    @property
    def published_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.published)

    @property
    def modified_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.modified)

    @property
    def date_ar(self) -> str:
        """The date as the theme prints it, with a Maghreb month name."""
        return arabic_date(self.published_at)

    def expected_article(self, base_url: str) -> Article:
        """The record a correct crawler produces for this page, served at ``base_url``."""
        return Article(
            url=base_url + self.url,
            title=self.title,
            text=self.text,
            source=self.source,
            author=self.author,
            published=self.published,
            modified=None if self.dated_in_body_only else self.modified,
            language="ar",
            description=self.description,
            categories=list(self.categories),
            tags=list(self.tags),
            image=base_url + self.image,
        )


@dataclass
class SampleSite:
    """The whole site as data: articles newest last, and the taxonomies."""

    articles: list[SampleArticle]
    categories: list[Term]
    tags: list[Term]
    crawl_delay: float | None = None
    name: str = SITE_NAME
    tagline: str = SITE_TAGLINE

    def article(self, key: int | str) -> SampleArticle:
        """Look an article up by id, slug or path."""
        for art in self.articles:
            if key in (art.id, art.slug, art.url):
                return art
        raise KeyError(key)

    @property
    def latest(self) -> list[SampleArticle]:
        """Newest first, the order of the home page, feeds and REST."""
        return sorted(self.articles, key=lambda a: a.published, reverse=True)

    def in_category(self, slug: str) -> list[SampleArticle]:
        return [a for a in self.latest if slug in a.category_slugs]

    def with_tag(self, slug: str) -> list[SampleArticle]:
        return [a for a in self.latest if slug in a.tag_slugs]

    def by_author(self, slug: str) -> list[SampleArticle]:
        return [a for a in self.latest if a.author_slug == slug]

    @property
    def authors(self) -> dict[str, str]:
        """Author slug -> WordPress display name, for authors with posts."""
        names = {HOUSE_AUTHOR[0]: HOUSE_AUTHOR[1]}
        for art in self.articles:
            names[art.author_slug] = art.byline
        return {slug: names[slug] for slug in sorted({a.author_slug for a in self.articles})}


def arabic_date(when: dt.datetime) -> str:
    return f"{when.day} {MAGHREB_MONTHS[when.month - 1]} {when.year}"


def read_seed(path: Path) -> tuple[str, str, list[str]]:
    """Parse one seed file: (title, source, body paragraphs)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) < 5 or lines[1].strip() or lines[3].strip() or not lines[0].strip():
        raise SeedFormatError(f"{path}: expected title, blank line, source, blank line, body")
    paragraphs = [line.strip() for line in lines[4:] if line.strip()]
    source = lines[2].strip()
    if not paragraphs or not source:
        raise SeedFormatError(f"{path}: empty source or body")
    # Whitespace in an HTML title collapses, so the expected title is collapsed too.
    return " ".join(lines[0].split()), source, paragraphs


def _excerpt(text: str, words: int = 30) -> str:
    tokens = text.split()
    return " ".join(tokens[:words]) + (" [&hellip;]" if len(tokens) > words else "")


def _first(count: int, items: Iterable[Any]) -> list[Any]:
    return list(itertools.islice(items, max(count, 0)))


def build_site(
    seeds_dir: Path = DEFAULT_SEEDS_DIR, *, crawl_delay: float | None = None
) -> SampleSite:
    """Build the site model from ``seeds_dir/*.txt`` (sorted by name). Deterministic."""
    seeds = sorted(Path(seeds_dir).glob("*.txt"))
    if not seeds:
        raise SampleSiteError(f"no seed files (*.txt) in {seeds_dir}")
    articles: list[SampleArticle] = []
    tag_ids: dict[str, int] = {}
    for pos, path in enumerate(seeds):
        title, source, paragraphs = read_seed(path)
        stem = path.stem
        slug = re.sub(r"[^a-z0-9-]+", "-", stem.split("_", 1)[-1].lower()).strip("-") or stem
        cat_slugs, tag_slugs = TAXONOMY.get(stem, (("national",), ()))
        for tag in tag_slugs:
            tag_ids.setdefault(tag, TAG_BASE_ID + len(tag_ids))
        # Six days apart with varying times: Jan-Mar 2024 for the bundled twelve seeds;
        # a big seed set (benchmarks) is spread over hours so its dates stay in the past.
        spacing = dt.timedelta(days=6) if len(seeds) <= 50 else dt.timedelta(hours=3)
        published = FIRST_PUBLISHED + spacing * pos + dt.timedelta(minutes=(137 * pos) % 600)
        modified = published
        if pos % 3 == 2:  # every third post was corrected after publication
            modified = published + dt.timedelta(days=1, hours=3, minutes=20)
        body_dated = pos in BODY_DATED_POSITIONS
        dateline = f"الجزائر في {arabic_date(published)}" if body_dated else None
        if dateline:
            paragraphs = [dateline, *paragraphs]
        author_slug, author = BYLINE_AUTHORS.get(pos, (HOUSE_AUTHOR[0], None))
        text = "\n".join(paragraphs)
        articles.append(
            SampleArticle(
                id=4102 + 13 * pos,  # WordPress ids are sparse (revisions, attachments)
                slug=slug,
                url=published.strftime("/%Y/%m/%d/") + slug + "/",
                title=title,
                text=text,
                published=published.isoformat(),
                modified=modified.isoformat(),
                author=author,
                categories=tuple(CATEGORIES[c][1] for c in cat_slugs),
                tags=tuple(TAGS[t] for t in tag_slugs),
                encoding="windows-1256" if pos in CP1256_POSITIONS else "utf-8",
                dated_in_body_only=body_dated,
                source=source,
                category_slugs=tuple(cat_slugs),
                tag_slugs=tuple(tag_slugs),
                author_slug=author_slug,
                header_charset=CP1256_POSITIONS.get(pos, "UTF-8"),
                dateline=dateline,
                description=_excerpt(text).replace(" [&hellip;]", "…"),
                image=published.strftime("/wp-content/uploads/%Y/%m/") + slug + ".png",
                seed_file=path.name,
            )
        )
    categories = [
        Term(cid, slug, name, "category", sum(slug in a.category_slugs for a in articles))
        for slug, (cid, name) in CATEGORIES.items()
    ]
    tags = [
        Term(tid, slug, TAGS[slug], "post_tag", sum(slug in a.tag_slugs for a in articles))
        for slug, tid in tag_ids.items()
    ]
    return SampleSite(articles=articles, categories=categories, tags=tags, crawl_delay=crawl_delay)


# --------------------------------------------------------------------------- rendering


@dataclass
class Response:
    """One prepared HTTP answer."""

    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: dt.datetime | None = None


_ENV: jinja2.Environment | None = None


def _env() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
    return _ENV


def _http_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when.astimezone(dt.UTC), usegmt=True)


def _utc_naive(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def _png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (26, 128, 201)) -> bytes:
    """A tiny solid PNG (RFC 2083) so image URLs answer 200 without binary fixtures."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


_CSS = (
    "body{font-family:'Noto Naskh Arabic',serif;direction:rtl;margin:0;background:#f4f4f4}"
    ".container{max-width:1140px;margin:0 auto;padding:0 12px}"
    "#top-nav,#main-nav,#footer{background:#1a80c9;color:#fff}#main-nav a,#footer a{color:#fff}"
    ".menu li,.breaking-news li,.components li{display:inline-block;margin:0 8px}"
    ".main-content{float:right;width:66%}.sidebar{float:left;width:32%}"
    ".container-wrapper{background:#fff;padding:16px;margin:12px 0}"
    "#footer{clear:both;padding:16px}"
)


class _Renderer:
    """Turns a :class:`SampleSite` into prepared responses for one base URL."""

    def __init__(self, site: SampleSite, base_url: str, crawl_delay: float | None) -> None:
        self.site = site
        self.base = base_url.rstrip("/")
        self.crawl_delay = crawl_delay
        self.latest = site.latest
        self.by_path = {a.url: a for a in site.articles}
        self.categories = {c.slug: c for c in site.categories}
        self.tags = {t.slug: t for t in site.tags}
        # A deterministic "most read" list (ids are fixed, so is the order).
        self.most_read = sorted(site.articles, key=lambda a: (a.id % 5, a.id))[:5]
        self.pages: dict[str, Response] = {}

    # -- helpers
    def _common(self, *, charset: str = "UTF-8", show_dates: bool = True) -> dict[str, Any]:
        return {
            "site": self.site,
            "base": self.base,
            "charset": charset,
            "show_dates": show_dates,
            "today": arabic_date(self.latest[0].published_at) if self.latest else "",
            "breaking": self.latest[:5],
            "most_read": self.most_read,
        }

    def html(self, template: str, status: int = 200, **context: Any) -> Response:
        body = _env().get_template(template).render(**{**self._common(), **context})
        return Response(status, body.encode("utf-8"))

    def terms(self, art: SampleArticle) -> tuple[list[Term], list[Term]]:
        return (
            [self.categories[s] for s in art.category_slugs],
            [self.tags[s] for s in art.tag_slugs],
        )

    def content_html(self, art: SampleArticle) -> str:
        """``the_content`` as WordPress stores it (no theme additions)."""
        return "".join(f"<p>{escape(p)}</p>\n" for p in art.paragraphs)

    def jsonld(self, art: SampleArticle) -> str:
        canonical = self.base + art.url
        cats, tags = self.terms(art)
        author: dict[str, str] = (
            {"@type": "Person", "name": art.byline, "url": f"{self.base}/author/{art.author_slug}/"}
            if art.author
            else {"@type": "Organization", "name": SITE_NAME}
        )
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "dateCreated": art.published,
            "datePublished": art.published,
            "dateModified": art.modified,
            "headline": art.title,
            "name": art.title,
            "keywords": ",".join(t.name for t in tags),
            "url": canonical,
            "description": art.description,
            "copyrightYear": str(art.published_at.year),
            "articleSection": ",".join(c.name for c in cats),
            "articleBody": art.text,
            "publisher": {
                "@id": "#Publisher",
                "@type": "Organization",
                "name": SITE_NAME,
                "logo": {"@type": "ImageObject", "url": self.base + "/wp-content/uploads/logo.png"},
            },
            "sourceOrganization": {"@id": "#Publisher"},
            "copyrightHolder": {"@id": "#Publisher"},
            "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
            "author": author,
            "image": {"@type": "ImageObject", "url": self.base + art.image, "width": 1200},
        }
        # WordPress's wp_json_encode escapes "/" so "</script>" cannot close the tag.
        return json.dumps(data, ensure_ascii=False).replace("/", "\\/")

    @functools.cached_property
    def _positions(self) -> dict[int, int]:
        return {a.id: pos for pos, a in enumerate(self.site.articles)}

    # -- pages
    def article_page(self, art: SampleArticle, *, amp: bool = True) -> Response:
        cats, tags = self.terms(art)
        pos = self._positions.get(art.id, 0)
        related = _first(
            3, (a for a in self.latest if a is not art and set(a.category_slugs) & set(cats))
        )
        related += _first(
            3 - len(related), (a for a in self.latest if a is not art and a not in related)
        )
        comments = [
            {"id": art.id * 10 + k, "name": COMMENTS[(pos + k) % len(COMMENTS)][0]}
            | {"text": COMMENTS[(pos + k) % len(COMMENTS)][1]}
            for k in (0, 3)
        ]
        context = {
            **self._common(charset=art.encoding, show_dates=not art.dated_in_body_only),
            "body_class": (
                f"post-template-default single single-post postid-{art.id} single-format-standard"
            ),
            "a": art,
            "canonical": self.base + art.url,
            "amp": amp,
            "categories": cats,
            "tags": tags,
            "date_ar": art.date_ar,
            "jsonld": None if art.dated_in_body_only else self.jsonld(art),
            "related": related[:3],
            "comments": comments,
            "views": f"{(art.id * 37) % 4000 + 120:,}",
            "boilerplate": BOILERPLATE_LINES[0],
        }
        text = _env().get_template("article.html").render(**context)
        try:
            body = text.encode(art.encoding)
        except UnicodeEncodeError as exc:
            raise SampleSiteError(f"{art.seed_file}: not encodable as {art.encoding}") from exc
        headers = {
            "Link": f'<{self.base}/wp-json/>; rel="https://api.w.org/", '
            f"<{self.base}/?p={art.id}>; rel=shortlink"
        }
        return Response(
            200,
            body,
            f"text/html; charset={art.header_charset}",
            headers,
            last_modified=art.modified_at,
        )

    def amp_page(self, art: SampleArticle) -> Response:
        cats, _ = self.terms(art)
        return self.html(
            "amp.html",
            a=art,
            canonical=self.base + art.url,
            categories=cats,
            date_ar=art.date_ar,
            jsonld=None if art.dated_in_body_only else self.jsonld(art),
        )

    def listing(
        self,
        prefix: str,
        posts: list[SampleArticle],
        per_page: int,
        body_class: str,
        heading: str,
        *,
        feed_url: str | None = None,
        description: str = "",
        extras: list[dict[str, str]] | None = None,
    ) -> None:
        """Register ``prefix`` and ``prefix/page/N/`` for a paginated archive."""
        pages = max(1, math.ceil(len(posts) / per_page))
        for page in range(1, pages + 1):
            path = prefix if page == 1 else f"{prefix}page/{page}/"
            prev_url = None if page == 1 else (prefix if page == 2 else f"{prefix}page/{page - 1}/")
            self.pages[path] = self.html(
                "archive.html",
                body_class=body_class + (f" paged paged-{page}" if page > 1 else ""),
                heading=heading,
                description=description,
                canonical=self.base + path,
                og_type="website" if prefix == "/" else "object",
                posts=posts[(page - 1) * per_page : page * per_page],
                page=page,
                prev_url=prev_url,
                next_url=f"{prefix}page/{page + 1}/" if page < pages else None,
                feed_url=feed_url,
                extras=extras if page == 1 else None,
            )

    def search_page(self, query: str) -> Response:
        found = [a for a in self.latest if query and (query in a.title or query in a.text)]
        return self.html(
            "archive.html",
            body_class="search search-results" if found else "search search-no-results",
            heading=f"نتائج البحث عن: {query}",
            description="",
            canonical=f"{self.base}/?{urlencode({'s': query})}",
            og_type="object",
            posts=found,
            page=1,
            prev_url=None,
            next_url=None,
            feed_url=None,
            extras=None,
        )

    def feed_items(self, posts: list[SampleArticle]) -> list[dict[str, Any]]:
        items = []
        for art in posts:
            cats, tags = self.terms(art)
            items.append(
                {
                    "a": art,
                    "creator": art.byline,
                    "pub_date": _http_date(art.published_at),
                    "published": _utc_naive(art.published_at) + "Z",
                    "updated": _utc_naive(art.modified_at) + "Z",
                    # WordPress lists categories then tags as <category> elements.
                    "terms": [t.name for t in cats + tags],
                    "content": self.content_html(art),
                    "comments": 2,
                }
            )
        return items

    def rss(self, posts: list[SampleArticle], path: str, title: str, link: str) -> Response:
        recent = posts[:FEED_ITEMS]
        body = (
            _env()
            .get_template("rss.xml")
            .render(
                site=self.site,
                base=self.base,
                title=title,
                self_url=self.base + path,
                link=self.base + link,
                last_build=_http_date(max(a.modified_at for a in recent)) if recent else "",
                items=self.feed_items(recent),
            )
        )
        return Response(200, body.encode("utf-8"), "application/rss+xml; charset=UTF-8")

    def xml(self, template: str, **context: Any) -> Response:
        body = _env().get_template(template).render(base=self.base, site=self.site, **context)
        return Response(200, body.encode("utf-8"), "application/xml; charset=UTF-8")

    def robots(self) -> Response:
        lines = [
            "User-agent: *",
            "Disallow: /wp-admin/",
            "Allow: /wp-admin/admin-ajax.php",
            "Disallow: /private/",
        ]
        if self.crawl_delay is not None:
            lines.append(f"Crawl-delay: {self.crawl_delay:g}")
        lines.append("")
        for sitemap in ("/wp-sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml"):
            lines.append(f"Sitemap: {self.base}{sitemap}")
        return Response(200, ("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8")

    def rest_post(self, art: SampleArticle) -> dict[str, Any]:
        cats, tags = self.terms(art)
        return {
            "id": art.id,
            "date": art.published_at.replace(tzinfo=None).isoformat(),
            "date_gmt": _utc_naive(art.published_at),
            "guid": {"rendered": f"{self.base}/?p={art.id}"},
            "modified": art.modified_at.replace(tzinfo=None).isoformat(),
            "modified_gmt": _utc_naive(art.modified_at),
            "slug": art.slug,
            "status": "publish",
            "type": "post",
            "link": self.base + art.url,
            "title": {"rendered": str(escape(art.title))},
            "content": {"rendered": self.content_html(art), "protected": False},
            "excerpt": {"rendered": f"<p>{_excerpt(art.text)}</p>\n", "protected": False},
            "author": 1 + sorted(self.site.authors).index(art.author_slug),
            "featured_media": art.id + 1,
            "comment_status": "open",
            "format": "standard",
            "categories": [c.id for c in cats],
            "tags": [t.id for t in tags],
        }

    def rest_term(self, term: Term) -> dict[str, Any]:
        return {
            "id": term.id,
            "count": term.count,
            "description": "",
            "link": self.base + term.url,
            "name": term.name,
            "slug": term.slug,
            "taxonomy": term.taxonomy,
            "parent": 0,
        }

    # -- the whole site
    def render(self) -> dict[str, Response]:
        site, latest = self.site, self.latest
        for art in site.articles:
            self.pages[art.url] = self.article_page(art)
            self.pages[art.amp_url] = self.amp_page(art)
            self.pages[art.image] = Response(200, _png(), "image/png")
        private = SampleArticle(
            id=99,
            slug="tasribat-mashrou-mizaniya",
            url=PRIVATE_PATH,
            title=PRIVATE_TITLE,
            text="\n".join(PRIVATE_TEXT),
            published=FIRST_PUBLISHED.isoformat(),
            modified=FIRST_PUBLISHED.isoformat(),
            author=None,
            categories=(CATEGORIES["national"][1],),
            tags=(),
            encoding="utf-8",
            dated_in_body_only=False,
            source="elmaouid",
            category_slugs=("national",),
            image="/wp-content/uploads/logo.png",
        )
        self.pages[PRIVATE_PATH] = self.article_page(private, amp=False)
        for path in ("/wp-content/uploads/logo.png", "/wp-content/uploads/ad-728x90.png"):
            self.pages[path] = Response(200, _png(), "image/png")
        self.pages["/wp-content/uploads/avatar.png"] = Response(200, _png(), "image/png")
        self.pages["/wp-content/themes/jannah/style.css"] = Response(
            200, _CSS.encode(), "text/css; charset=UTF-8"
        )

        extras: list[dict[str, str]] = [{"href": PRIVATE_PATH, "title": "حصري: " + PRIVATE_TITLE}]
        extras.append({"href": BROKEN_PATH, "title": "مقال من الأرشيف لم يعد متوفرا"})
        if latest:
            first = latest[0]
            utm = urlencode({"utm_source": "facebook", "utm_medium": "social"})
            extras.append({"href": f"{first.url}?{utm}", "title": first.title + " (فيسبوك)"})
            oldest = latest[-1]
            extras.append({"href": f"/?p={oldest.id}", "title": oldest.title})
        self.listing("/", latest, HOME_PER_PAGE, "home blog", "", extras=extras)
        for cat in site.categories:
            self.listing(
                cat.url,
                site.in_category(cat.slug),
                ARCHIVE_PER_PAGE,
                f"archive category category-{cat.slug} category-{cat.id}",
                cat.name,
                feed_url=cat.url + "feed/",
                description=f"آخر أخبار قسم {cat.name}",
            )
            self.pages[cat.url + "feed/"] = self.rss(
                site.in_category(cat.slug),
                cat.url + "feed/",
                f"{cat.name} &#8211; {site.name}",
                cat.url,
            )
        for tag in site.tags:
            self.listing(
                tag.url,
                site.with_tag(tag.slug),
                ARCHIVE_PER_PAGE,
                f"archive tag tag-{tag.slug} tag-{tag.id}",
                tag.name,
            )
        for slug, name in site.authors.items():
            self.listing(
                f"/author/{slug}/",
                site.by_author(slug),
                ARCHIVE_PER_PAGE,
                f"archive author author-{slug}",
                name,
            )
        self.pages["/feed/"] = self.rss(latest, "/feed/", site.name, "/")
        self.pages["/feed/atom/"] = Response(
            200,
            _env()
            .get_template("atom.xml")
            .render(
                site=site,
                base=self.base,
                updated=_utc_naive(max(a.modified_at for a in latest)) + "Z" if latest else "",
                items=self.feed_items(latest[:FEED_ITEMS]),
            )
            .encode("utf-8"),
            "application/atom+xml; charset=UTF-8",
        )
        self.render_sitemaps()
        self.pages["/robots.txt"] = self.robots()
        self.pages["/wp-admin/"] = self.html("404.html", 403, body_class="wp-admin error403")
        self.pages["/wp-json/"] = _json_response(
            {
                "name": site.name,
                "description": site.tagline,
                "url": self.base,
                "home": self.base,
                "namespaces": ["oembed/1.0", "wp/v2"],
                "routes": {
                    "/wp/v2/posts": {"methods": ["GET"]},
                    "/wp/v2/categories": {"methods": ["GET"]},
                    "/wp/v2/tags": {"methods": ["GET"]},
                },
            }
        )
        return self.pages

    def render_sitemaps(self) -> None:
        site, oldest_first = self.site, sorted(self.site.articles, key=lambda a: a.published)
        xsl = "/wp-sitemap.xsl"
        self.pages["/wp-sitemap.xml"] = self.xml(
            "sitemapindex.xml",
            stylesheet="/wp-sitemap-index.xsl",
            sitemaps=[
                {"loc": "/wp-sitemap-posts-post-1.xml", "lastmod": None},
                {"loc": "/wp-sitemap-taxonomies-category-1.xml", "lastmod": None},
            ],
        )
        # WordPress core sitemaps list <loc> only.
        self.pages["/wp-sitemap-posts-post-1.xml"] = self.xml(
            "urlset.xml", stylesheet=xsl, urls=[{"loc": a.url} for a in oldest_first]
        )
        self.pages["/wp-sitemap-taxonomies-category-1.xml"] = self.xml(
            "urlset.xml", stylesheet=xsl, urls=[{"loc": c.url} for c in site.categories if c.count]
        )
        # Yoast: posts oldest first, split across two files; the first lists the home page.
        half = math.ceil(len(oldest_first) / 2)
        first, second = oldest_first[:half], oldest_first[half:]

        def yoast_urls(posts: list[SampleArticle]) -> list[dict[str, str]]:
            return [{"loc": a.url, "lastmod": a.modified, "image": a.image} for a in posts]

        newest = max((a.modified for a in site.articles), default=None)
        self.pages["/post-sitemap.xml"] = self.xml(
            "urlset.xml",
            stylesheet="/main-sitemap.xsl",
            urls=[{"loc": "/", "lastmod": newest}, *yoast_urls(first)],
        )
        gz = self.xml("urlset.xml", stylesheet="/main-sitemap.xsl", urls=yoast_urls(second))
        # mtime=0 keeps the gzip bytes identical between runs.
        self.pages["/post-sitemap2.xml.gz"] = Response(
            200, gzip.compress(gz.body, mtime=0), "application/x-gzip"
        )
        self.pages["/category-sitemap.xml"] = self.xml(
            "urlset.xml",
            stylesheet="/main-sitemap.xsl",
            urls=[{"loc": c.url, "lastmod": None} for c in site.categories if c.count],
        )
        self.pages["/sitemap_index.xml"] = self.xml(
            "sitemapindex.xml",
            stylesheet="/main-sitemap.xsl",
            sitemaps=[
                {
                    "loc": "/post-sitemap.xml",
                    "lastmod": max((a.modified for a in first), default=None),
                },
                {
                    "loc": "/post-sitemap2.xml.gz",
                    "lastmod": max((a.modified for a in second), default=None),
                },
                {"loc": "/category-sitemap.xml", "lastmod": newest},
            ],
        )
        self.pages["/news-sitemap.xml"] = self.xml(
            "news-sitemap.xml", articles=self.latest[:NEWS_SITEMAP_ITEMS]
        )


def _json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status, body, "application/json; charset=UTF-8", dict(headers or {}))


def render_site(
    site: SampleSite, base_url: str, *, crawl_delay: float | None = None
) -> dict[str, Response]:
    """Every static page of ``site`` for ``base_url``: path -> prepared response."""
    delay = crawl_delay if crawl_delay is not None else site.crawl_delay
    return _Renderer(site, base_url, delay).render()


# --------------------------------------------------------------------------- serving


def _rest_error(code: str, message: str, status: int = 400) -> Response:
    return _json_response({"code": code, "message": message, "data": {"status": status}}, status)


class SampleServer:
    """The sample site on a local port. Use as a context manager or call :meth:`stop`.

    ``requests`` logs every request as ``(time.monotonic(), method, target, status)`` where
    the time is when the request was read, before it is answered, and target is the raw
    request path with its query string. ``latency`` seconds pass before each answer, as
    on a slow site (the stop tests need crawls in mid-flight); ``robots.txt`` is
    answered at once."""

    def __init__(
        self,
        site: SampleSite,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        crawl_delay: float | None = None,
        latency: float = 0.0,
    ) -> None:
        self.site = site
        self.latency = latency
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.sample_server = self  # type: ignore[attr-defined]
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self._renderer = _Renderer(
            site, self.base_url, crawl_delay if crawl_delay is not None else site.crawl_delay
        )
        self.pages = self._renderer.render()
        self.not_found = self._renderer.html("404.html", 404, body_class="error404")
        self.requests: list[tuple[float, str, str, int]] = []
        self._lock = threading.Lock()
        self._failures: dict[str, list[int]] = {}
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"samplesite:{self.port}", daemon=True
        )
        self._thread.start()
        logger.info("sample site serving %d articles at %s", len(site.articles), self.base_url)

    # -- public helpers
    def url(self, path_or_article: str | SampleArticle) -> str:
        path = getattr(path_or_article, "url", path_or_article)
        return self.base_url + str(path)

    def fail_next(
        self, path: str, status: int = 503, times: int = 1, retry_after: int | None = 1
    ) -> None:
        """Answer ``status`` (e.g. 429 or 503) with ``Retry-After`` the next ``times``
        requests for ``path`` (a path, or a path with its query string)."""
        with self._lock:
            self._failures[path] = [status, times, -1 if retry_after is None else retry_after]

    def requested(self, path: str) -> list[tuple[float, str, str, int]]:
        """The logged requests whose path (query ignored) is ``path``."""
        with self._lock:
            return [r for r in self.requests if urlsplit(r[2]).path == path]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SampleServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling
    def _log(self, received: float, method: str, target: str, status: int) -> None:
        with self._lock:
            self.requests.append((received, method, target, status))

    def _take_failure(self, target: str, path: str) -> Response | None:
        with self._lock:
            for key in (target, path):
                entry = self._failures.get(key)
                if entry and entry[1] > 0:
                    entry[1] -= 1
                    status, _, retry_after = entry
                    headers = {"Retry-After": str(retry_after)} if retry_after >= 0 else {}
                    body = f"{status} temporarily unavailable\n".encode()
                    return Response(status, body, "text/plain; charset=utf-8", headers)
        return None

    def respond(self, target: str, headers: dict[str, str] | Any) -> Response:
        """The response for one GET ``target`` (path and query)."""
        parts = urlsplit(target)
        path, query = parts.path or "/", parse_qs(parts.query)
        failure = self._take_failure(target, path)
        if failure:
            return failure
        if path.startswith("/wp-json/wp/v2/"):
            return self._rest(path, query)
        if path == "/" and "p" in query:
            return self._shortlink(query["p"][0])
        if path == "/" and "s" in query:
            return self._renderer.search_page(query["s"][0])
        page = self.pages.get(path)
        if page is None and not path.endswith("/") and path + "/" in self.pages:
            # WordPress's redirect_canonical adds the trailing slash.
            return Response(301, b"", headers={"Location": self.base_url + path + "/"})
        if page is None:
            return self.not_found
        since = headers.get("If-Modified-Since") if headers else None
        if page.last_modified and since:
            try:
                if email.utils.parsedate_to_datetime(since) >= page.last_modified.replace(
                    microsecond=0
                ):
                    return Response(304, b"", page.content_type, dict(page.headers))
            except (TypeError, ValueError):
                pass  # an unparsable date means a full answer (RFC 9110 13.1.3)
        return page

    def _shortlink(self, raw_id: str) -> Response:
        for art in self.site.articles:
            if str(art.id) == raw_id:
                return Response(301, b"", headers={"Location": self.url(art)})
        return self.not_found

    def _rest(self, path: str, query: dict[str, list[str]]) -> Response:
        renderer, latest = self._renderer, self.site.latest
        if path in ("/wp-json/wp/v2/categories", "/wp-json/wp/v2/tags"):
            terms = self.site.categories if path.endswith("categories") else self.site.tags
            data = [renderer.rest_term(t) for t in terms]
            count = str(len(data))
            return _json_response(data, headers={"X-WP-Total": count, "X-WP-TotalPages": "1"})
        match = re.fullmatch(r"/wp-json/wp/v2/posts/(\d+)", path)
        if match:
            for art in latest:
                if art.id == int(match.group(1)):
                    return _json_response(renderer.rest_post(art))
            return _rest_error("rest_post_invalid_id", "Invalid post ID.", 404)
        if path != "/wp-json/wp/v2/posts":
            return _rest_error("rest_no_route", "No route was found matching the URL.", 404)
        try:
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("per_page", [str(REST_DEFAULT_PER_PAGE)])[0])
        except ValueError:
            return _rest_error("rest_invalid_param", "Invalid parameter(s): page, per_page")
        if page < 1 or not 1 <= per_page <= REST_MAX_PER_PAGE:
            return _rest_error("rest_invalid_param", "Invalid parameter(s): page, per_page")
        posts = latest
        if "categories" in query:
            wanted = {int(x) for x in query["categories"][0].split(",") if x.isdigit()}
            posts = [a for a in posts if wanted & {c.id for c in renderer.terms(a)[0]}]
        total_pages = math.ceil(len(posts) / per_page)
        if page > max(total_pages, 1):
            return _rest_error(
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            )
        chunk = posts[(page - 1) * per_page : page * per_page]
        headers = {"X-WP-Total": str(len(posts)), "X-WP-TotalPages": str(total_pages)}
        links = []
        base_query = {k: v[0] for k, v in query.items() if k != "page"}
        if page > 1:
            links.append(f'<{self._page_link(base_query, page - 1)}>; rel="prev"')
        if page < total_pages:
            links.append(f'<{self._page_link(base_query, page + 1)}>; rel="next"')
        if links:
            headers["Link"] = ", ".join(links)
        return _json_response([renderer.rest_post(a) for a in chunk], headers=headers)

    def _page_link(self, query: dict[str, str], page: int) -> str:
        return f"{self.base_url}/wp-json/wp/v2/posts?{urlencode({**query, 'page': page})}"


class _Handler(BaseHTTPRequestHandler):
    server_version = "Apache"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def _answer(self, send_body: bool) -> None:
        # Stamped before answering: the client cannot have seen the answer earlier, so a
        # pause it takes after an answer shows in full in the gaps between these times.
        received = time.monotonic()
        sample: SampleServer = self.server.sample_server  # type: ignore[attr-defined]
        if sample.latency and self.path != "/robots.txt":
            time.sleep(sample.latency)
        try:
            response = sample.respond(self.path, self.headers)
        except Exception:  # a bug here must not hang the client
            logger.exception("sample site failed on %s", self.path)
            response = Response(500, b"internal error\n", "text/plain; charset=utf-8")
        sample._log(received, self.command, self.path, response.status)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if response.last_modified:
            self.send_header("Last-Modified", _http_date(response.last_modified))
        for name, value in response.headers.items():
            self.send_header(name, value)
        body = b"" if response.status == 304 else response.body
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def handle(self) -> None:
        # The client may hang up before its answer (a crawl stopped mid-request).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("%s - %s", self.address_string(), format % args)


def serve(
    site: SampleSite,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    crawl_delay: float | None = None,
    latency: float = 0.0,
) -> SampleServer:
    """Start serving ``site`` in a daemon thread; ``port=0`` picks a free port."""
    return SampleServer(site, host, port, crawl_delay=crawl_delay, latency=latency)
