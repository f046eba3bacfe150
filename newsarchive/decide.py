"""Article or not: one decision per fetched page, from all the evidence, with its reasons.

No single signal decides. A theme's ``og:type=website`` on every page, a "related stories"
strip of ``<article>`` teasers under a real article, or a navigation link to a post are
each weak evidence; they are weighed together with how the URL was found, the URL's
shape against the site's other article URLs, what the page says about itself (JSON-LD,
WordPress body classes as whole names) and the page's shape (one dominant block of text
under one headline, or many teasers). The crawler, ``extract`` and ``ingest`` all call
``decide``; its ``Decision`` is what the per-page record in the archive keeps.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from newsarchive.page import ARTICLE_TYPES, Page

__all__ = ["Decision", "UrlProfile", "decide", "long_enough", "page_shape", "url_evidence"]

# Characters of article text below which a page is a stub, a gallery or a teaser. Counted
# in characters, not words, so scripts written without spaces are measured fairly.
MIN_CHARS = 150
MIN_WORDS = 25
MIN_WORDS_STRONG = 10  # when the page's own signals and URL all say "article"

# schema.org page types that are not one article (https://schema.org/WebPage subtypes).
_LISTING_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage"}
_STATIC_TYPES = {"aboutpage", "contactpage"}
# WordPress body_class() (https://developer.wordpress.org/reference/functions/get_body_class/),
# matched as whole class names: "blog-1" or "tax-display-enabled" are theme classes.
_WP_ARTICLE_CLASSES = {"single", "single-post", "single-format-standard"}
_WP_LISTING_CLASSES = {
    "home", "blog", "archive", "category", "tag", "author", "search", "search-results",
    "search-no-results", "paged", "date", "post-type-archive", "error404",
}  # fmt: skip
_WP_ID = re.compile(r"^(?:postid|page-id)-\d+$")

# URL paths that name a section, a tag, an author, a search or a static page in most CMSs
# (WordPress, Drupal, Joomla, Arc, custom PHP): "/category/x", "/tag/x", "/author/x",
# "/section/5", "/search?q=", "/about-us", "/contact", "/privacy-policy".
_LISTING_PATH = re.compile(
    r"/(?:category|categories|cat|tag|tags|topic|topics|author|authors|writer|writers"
    r"|section|sections|archive|archives|search|page|dossier|keyword|keywords|label"
    r"|taxonomy|term|الكاتب|كتاب|قسم|وسم)(?:/|$)",
    re.IGNORECASE,
)
_STATIC_PATH = re.compile(
    r"/(?:about(?:-us)?|contact(?:-us)?|privacy(?:-policy)?|terms(?:-of-use|-and-conditions)?"
    r"|cookies?(?:-policy)?|advertise|advertising|imprint|impressum|legal|sitemap|faq|jobs"
    r"|careers|من-نحن|اتصل-بنا|سياسة-الخصوصية|اعلن-معنا)/?$",
    re.IGNORECASE,
)
_DATE_PATH = re.compile(r"/(?:19|20)\d\d/(?:0?[1-9]|1[0-2])(?:/(?:0?[1-9]|[12]\d|3[01]))?(?:/|$)")
_NUMERIC_ID = re.compile(r"(?:^|[/\-_=.])\d{4,}(?:$|[/\-_.])")

# How the URL was found, as evidence: a feed item, a news or posts sitemap and the REST API
# list articles; a navigation menu lists sections.
_CHANNEL_WEIGHT = {
    "wp-api": 3.0,
    "news-sitemap": 2.5,
    "feed": 2.0,
    "sitemap": 1.0,
    "listing": 0.5,
    "section": -1.0,
    "start": -2.0,
    # Someone chose this saved page (`extract FILE`, `ingest FILE --url`): mild support.
    "file": 1.0,
}


@dataclass
class Decision:
    """Whether a page is an article, why, and the evidence weighed."""

    is_article: bool
    # "article", "listing" (section, tag, author, search, archive, home), "static"
    # (about, contact, privacy), "empty" (no article text), "unknown".
    kind: str
    reason: str
    score: float = 0.0
    signals: dict[str, Any] = field(default_factory=dict)

    @property
    def decision(self) -> str:
        return "article" if self.is_article else "not-article"


@dataclass
class Shape:
    """The page's layout, measured on the tree: one dominant text block, or teasers."""

    main_chars: int  # text of the largest group of paragraphs under one parent
    text_chars: int  # all visible text of the body
    link_chars: int  # text inside links
    teasers: int  # headline links (h1-h4 > a, or a long link text in an <article>)
    headlines: int  # links whose text reads as a headline, wherever they are
    headline_texts: tuple[str, ...]  # their texts, to find in the extracted text
    articles: int  # <article> elements
    h1: int

    @property
    def link_density(self) -> float:
        return self.link_chars / self.text_chars if self.text_chars else 0.0


# Compiled once, and returning plain strings (smart strings keep a reference to their
# parent, and building them was most of this function's cost).
_BODY_PARAGRAPHS = etree.XPath(
    "//p[not(ancestor::a or ancestor::nav or ancestor::footer or ancestor::header)]"
)
_TEXTS = etree.XPath(".//text()[not(ancestor::script)]", smart_strings=False)
_LINK_TEXTS = etree.XPath(".//a//text()", smart_strings=False)
_TEASER_LINKS = etree.XPath(
    ".//a[@href][ancestor::h1 or ancestor::h2 or ancestor::h3 or ancestor::h4 or ancestor::article]"
)
_LINKS = etree.XPath(".//a[@href]")
_COUNT_ARTICLES = etree.XPath("count(.//article)")
_COUNT_H1 = etree.XPath("count(.//h1)")


def _words(node: Any) -> str:
    return " ".join(node.text_content().split())


def page_shape(page: Page) -> Shape:
    if "shape" in page.cache:  # decide runs before and after extraction on one page
        return page.cache["shape"]
    tree = page.tree
    groups: Counter[Any] = Counter()
    for p in _BODY_PARAGRAPHS(tree):
        size = len(" ".join(p.text_content().split()))
        if size >= 20:
            groups[p.getparent()] += size
    main = max(groups.values(), default=0)
    body = tree.find(".//body")
    root = body if body is not None else tree
    text_chars = sum(len(t.strip()) for t in _TEXTS(root))
    link_chars = sum(len(t.strip()) for t in _LINK_TEXTS(root))
    teasers = sum(1 for link in _TEASER_LINKS(root) if len(_words(link)) >= 20)
    # Headline links anywhere (a bare <a> in a <div> or <li> too): 20+ characters, 4+ words.
    headlines: list[str] = []
    for link in _LINKS(root):
        text = _words(link)
        if len(text) >= 20 and text.count(" ") >= 3:
            headlines.append(text)
    shape = page.cache["shape"] = Shape(
        main_chars=main,
        text_chars=text_chars,
        link_chars=link_chars,
        teasers=teasers,
        headlines=len(headlines),
        headline_texts=tuple(headlines),
        articles=int(_COUNT_ARTICLES(root)),
        h1=int(_COUNT_H1(root)),
    )
    return shape


def url_features(url: str) -> tuple[int, bool, bool, bool]:
    """(depth, date segments, numeric id, slug) of a URL's path: the shape a site gives
    its article URLs, whatever the words."""
    path = unquote(urlsplit(url).path)
    segments = [s for s in path.split("/") if s]
    last = segments[-1] if segments else ""
    slug = len(re.split(r"[-_+]+", last)) >= 3 or len(last) >= 40
    return (
        len(segments),
        bool(_DATE_PATH.search(path)),
        bool(_NUMERIC_ID.search(path)),
        slug,
    )


class UrlProfile:
    """The shape of one site's article URLs, learned as a crawl goes (from URLs the feed,
    sitemaps or REST API list, and from pages decided to be articles)."""

    def __init__(self) -> None:
        self.shapes: Counter[tuple[int, bool, bool, bool]] = Counter()

    def learn(self, url: str) -> None:
        self.shapes[url_features(url)] += 1

    def __len__(self) -> int:
        return sum(self.shapes.values())

    def score(self, url: str) -> tuple[float, str] | None:
        """+ when the URL has the shape of the site's known article URLs, - when enough
        are known and none has it; None before there is anything to compare with."""
        total = len(self)
        if total < 3:
            return None
        features = url_features(url)
        same = self.shapes[features]
        if same / total >= 0.2:
            return 1.5, f"shaped like {same} of {total} known article URLs"
        # Same depth and same id/date habits, another slug form: still close.
        close = sum(n for f, n in self.shapes.items() if f[:3] == features[:3])
        if close / total >= 0.3:
            return 0.5, f"close to {close} of {total} known article URLs"
        if total >= 5:
            return -1.5, f"unlike all {total} known article URLs"
        return None


def url_evidence(url: str) -> list[tuple[float, str]]:
    """What the URL alone suggests, with generic CMS conventions."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    found: list[tuple[float, str]] = []
    if parts.scheme not in ("http", "https"):
        return found  # a saved file: its path says nothing about the page
    if path in ("", "/") and not parts.query:
        # A news site's front page is a wall of teasers (the page's shape says so too);
        # a small site's front page may be its one text.
        found.append((-2.0, "the site's front page"))
        return found
    if _STATIC_PATH.search(path):
        found.append((-2.5, "URL of a static page (about, contact, privacy…)"))
    elif _LISTING_PATH.search(path) or re.search(r"[?&](?:s|q|page|paged|cat|tag)=", url):
        found.append((-2.0, "URL of a section, tag, author, search or archive page"))
    depth, dated, numeric, slug = url_features(url)
    if dated and depth > 3:
        found.append((1.0, "date in the URL"))
    if slug:
        found.append((1.0, "a headline slug in the URL"))
    elif numeric and depth >= 2:
        found.append((0.5, "an article id in the URL"))
    if depth == 1 and not slug and not numeric and not dated:
        found.append((-0.5, "a one-word path, as sections have"))
    return found


def decide(
    page: Page,
    *,
    found_via: str = "",
    url_shape: tuple[float, str] | None = None,
    text: str | None = None,
) -> Decision:
    """Weigh every signal and decide whether ``page`` is one article.

    ``found_via`` is how the URL was found (see ``_CHANNEL_WEIGHT``), ``url_shape`` the
    site profile's verdict on the URL (``UrlProfile.score``), ``text`` the extracted
    article text when extraction has run. Positive evidence is for "article"."""
    evidence: list[tuple[float, str]] = []
    signals: dict[str, Any] = {"found_via": found_via or None}

    if found_via in _CHANNEL_WEIGHT:
        evidence.append((_CHANNEL_WEIGHT[found_via], f"found via {found_via}"))
    evidence += url_evidence(page.url)
    if url_shape is not None:
        evidence.append(url_shape)

    # What the page says about itself.
    classes = page.body_classes
    wp_listing = sorted(classes & _WP_LISTING_CLASSES)
    wp_article = sorted(classes & _WP_ARTICLE_CLASSES) + sorted(
        c for c in classes if c.startswith("postid-") and _WP_ID.match(c)
    )
    wp_static = "page" in classes and any(c.startswith("page-id-") for c in classes)
    dated = bool(
        page.first("article:published_time", "datepublished") or page.ld_first("datePublished")
    )
    if wp_static and not wp_article:
        # The "page" post type holds about/contact/privacy pages, but small sites also
        # publish real texts as pages, dated: strong, unless the page gives its own date.
        # A page someone saved and handed over (found via "file") is judged like a dated one.
        weight = -2.0 if dated or found_via == "file" else -4.0
        evidence.append((weight, "WordPress static page (body class page, page-id-N)"))
    if wp_article:
        evidence.append((3.0, f"WordPress post (body class {' '.join(wp_article)})"))
    if wp_listing and not wp_article:
        # "home" alone is the front page, which may be a static page of text; the others
        # are archives by WordPress's own routing.
        weight = -1.5 if wp_listing == ["home"] else -3.0
        evidence.append((weight, f"WordPress listing (body class {' '.join(wp_listing)})"))
    signals["body_classes"] = wp_article + wp_listing + (["page"] if wp_static else [])

    kinds = page.ld_kinds
    if kinds & ARTICLE_TYPES:
        # Several article objects are a list of teasers marked up one by one.
        if len(page.articles) >= 4:
            evidence.append((-1.0, f"{len(page.articles)} JSON-LD articles (a list)"))
        else:
            evidence.append((2.0, "JSON-LD article type"))
    if kinds & _LISTING_TYPES:
        evidence.append((-2.0, f"JSON-LD {'/'.join(sorted(kinds & _LISTING_TYPES))}"))
    if kinds & _STATIC_TYPES:
        evidence.append((-3.0, f"JSON-LD {'/'.join(sorted(kinds & _STATIC_TYPES))}"))
    signals["json_ld"] = sorted(kinds) or None
    og_type = (page.first("og:type") or "").lower()
    signals["og_type"] = og_type or None
    if og_type == "article":
        evidence.append((1.0, "og:type article"))
    elif og_type == "website":
        # Many themes print it on every page: weak, never decisive alone.
        evidence.append((-0.5, "og:type website"))
    if dated:
        evidence.append((0.5, "a publication date in the page's metadata"))

    # The page's shape: one dominant block of text, or a wall of teasers.
    shape = page_shape(page)
    signals["shape"] = {
        "main_block_chars": shape.main_chars,
        "text_chars": shape.text_chars,
        "link_density": round(shape.link_density, 2),
        "teasers": shape.teasers,
        "headline_links": shape.headlines,
        "article_elements": shape.articles,
    }
    body = len(text) if text is not None else None
    main = shape.main_chars
    if body and main < 300 and shape.link_density < 0.6:
        # Text set in <div>s and <br>s rather than <p>: trust the extracted text, unless
        # the page is mostly links (then the "text" is teaser after teaser).
        main = body
    teaser_text = shape.teasers * 80  # a headline and its excerpt
    # Headlines in h2-h4 or <article>, as listings set them, with little extracted text;
    # or headline links anywhere on a page that is mostly links.
    teaser_wall = shape.teasers >= 8 and main < 1200
    link_hub = shape.headlines >= 10 and (shape.link_density >= 0.5 or shape.headlines >= 40)
    own_text = False
    if link_hub and text and shape.teasers < 8:
        # Headline links outside headings (related stories, a tag cloud) around text set in
        # <div>s: the extracted text is the page's own when the headlines are not in it.
        # A listing's extracted text is its headlines and their excerpts.
        flat = " ".join(text.split())
        quoted = sum(len(h) for h in shape.headline_texts if h in flat)
        own = len(flat) - quoted
        signals["own_text_chars"] = own
        if own >= 2500 and own >= 4 * quoted:
            link_hub = False
        # A short item amid many links, none of them in its text: weaker evidence.
        own_text = quoted == 0 and own >= 500
    hub = shape.main_chars < 200 and (teaser_wall or link_hub)
    if hub:
        # No paragraph block of its own: a front page or section whatever its markup; its
        # extracted "text" is excerpts joined.
        count = shape.headlines if link_hub else shape.teasers
        if own_text and not teaser_wall:
            evidence.append((-1.0, f"{count} headline links around a short text of its own"))
        else:
            evidence.append((-2.5, f"a hub of {count} headline links, no text block of its own"))
    elif main >= 1200 and main >= 0.8 * teaser_text:
        evidence.append((2.5, f"one dominant text block ({main} characters)"))
    elif main >= 500 and main >= 0.5 * teaser_text:
        evidence.append((1.0, f"a text block of {main} characters"))
    elif shape.teasers >= 8 and main < 500:
        evidence.append((-2.5, f"{shape.teasers} teasers and no text block over {main} chars"))
    if shape.link_density > 0.6 and main < 800 and not hub:
        evidence.append((-1.5, f"mostly links (density {shape.link_density:.2f})"))
    if (
        any("front page" in why for _, why in evidence)
        and shape.headlines < 5
        and shape.teasers < 3
        and (main >= 300 or (body or 0) >= 300)
    ):
        # A news front page is headline after headline; a small site's is its one text.
        evidence.append((1.0, f"a front page with {shape.headlines} headline links"))

    score = sum(weight for weight, _ in evidence)
    signals["evidence"] = [f"{weight:+.1f} {why}" for weight, why in evidence]
    signals["score"] = round(score, 2)
    if body is not None:
        signals["text_chars"] = body
    for_why = sorted(evidence, key=lambda e: abs(e[0]), reverse=True)

    # A short post (a video, a brief) is still an article when everything else says so.
    if text is not None and not long_enough(text, strong=score >= 4):
        signals["why"] = f"{len(text.split())} words of text"
        if score < 0 and any(w < 0 and "URL" in why or "front page" in why for w, why in evidence):
            # A front page or section URL with nothing on it (a redirect stub): a listing.
            return Decision(False, "listing", "listing or section page", score, signals)
        return Decision(False, "empty", "no article text", score, signals)
    if score > 0 or (score == 0 and body):
        signals["why"] = "; ".join(why for w, why in for_why if w > 0) or "no evidence against"
        return Decision(True, "article", "article", score, signals)
    listing = wp_listing or any("front page" in why for _, why in evidence)
    static = any("static" in why for _, why in evidence)
    kind = "static" if static and not listing else "listing"
    signals["why"] = "; ".join(why for w, why in for_why if w < 0)
    # The reason is a short label (runs count pages per reason); the details are signals.
    label = "static page" if kind == "static" else "listing or section page"
    return Decision(False, kind, label, score, signals)


def long_enough(text: str, strong: bool = False) -> bool:
    """Whether ``text`` is long enough to be an article (``strong``: the page's own
    signals all say it is one, so a brief or a video post counts)."""
    words = len(text.split())
    if words >= (MIN_WORDS_STRONG if strong else MIN_WORDS):
        return True
    # Chinese, Japanese, Thai…: no spaces between words, so count characters instead.
    spaceless = sum(1 for ch in text if ord(ch) >= 0x2E80)
    return spaceless >= MIN_CHARS
