"""One fetched page → one Article: trafilatura for the body, Arabic rules for the rest.

This is the only module that imports trafilatura (and, through it, htmldate). The page is
decoded by ``arabic.encoding`` and parsed once with lxml; trafilatura and our own metadata
readers share that tree. Metadata dates win over guesses, text dates come last, and a
"YYYY-01-01" that nothing in the page supports is thrown away (htmldate's habit of turning
"15 جانفي 2024" into 2024-01-01 is why).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from cssselect import SelectorError
from htmldate import find_date
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import extract_author, extract_title
from trafilatura.settings import Extractor
from w3lib.url import canonicalize_url

from newsarchive.arabic.bylines import clean_byline
from newsarchive.arabic.dates import ALGIERS, find_date_in_text, parse_arabic_date, search_dates
from newsarchive.arabic.encoding import EncodingError, decode_html
from newsarchive.items import Article

logger = logging.getLogger(__name__)

__all__ = [
    "clean_url",
    "ArticleExtractor",
    "ExtractionRules",
    "RuleError",
    "canonical_url",
    "extract_file",
    "extract_page",
    "page_kind",
]

MIN_WORDS = 25  # below this a page is a stub, a gallery or a listing, not an article

# schema.org types (https://schema.org/Article and its subtypes) that mean "one article".
_ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
    "scholarlyarticle", "techarticle", "socialmediaposting", "posting",
}  # fmt: skip
_LISTING_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage", "website"}
# WordPress body_class(): https://developer.wordpress.org/reference/functions/get_body_class/
_WP_ARTICLE_CLASSES = {"single", "single-post", "postid"}
_WP_LISTING_CLASSES = {
    "home", "blog", "archive", "category", "tag", "author", "search", "search-results",
    "paged", "date", "tax", "post-type-archive",
}  # fmt: skip
# Query parameters that identify a campaign or a click, never the article.
_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl"
    r"|igshid|ocid|cmpid|at_\w+|ref_src|__twitter_impression|amp|outputtype)$",
    re.IGNORECASE,
)
_DATE_HINT = re.compile(r"date|time|tmstmp|timestamp|publish|posted|meta-info|byline", re.I)
_BLOCK_XPATH = ".//p|.//h2|.//h3|.//h4|.//h5|.//li|.//blockquote"
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class RuleError(ValueError):
    """A selector in a source's extraction rules is not valid CSS or XPath."""


@dataclass
class ExtractionRules:
    """Per-source overrides from the registry, used only where trafilatura misses.
    Selectors are CSS, or XPath when they start with "/" or "("."""

    title: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    date: list[str] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    # Literal strings, or regexes prefixed "re:", whose lines are removed from the text.
    boilerplate: list[str] = field(default_factory=list)
    # The credit for a site that prints no bylines (elmaouid: the paper itself).
    default_author: str | None = None
    language: str = "ar"
    # IANA zone for dates the page prints without an offset.
    timezone: str = "Africa/Algiers"


def _compile(selector: str) -> lxml.etree.XPath:
    try:
        if selector.startswith(("/", "(")):
            return lxml.etree.XPath(selector)
        return CSSSelector(selector, translator="html")
    except (lxml.etree.XPathError, SelectorError) as err:
        raise RuleError(f"invalid selector {selector!r}: {err}") from err


def _text_of(node: Any) -> str:
    if isinstance(node, str):
        return " ".join(node.split())
    return " ".join(node.text_content().split()) if hasattr(node, "text_content") else ""


def _parse(body: bytes | str, header_encoding: str | None = None) -> HtmlElement | None:
    text = decode_html(body, header_encoding)[0] if isinstance(body, bytes) else body
    # lxml refuses str input that carries an XML encoding declaration.
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return lxml.html.fromstring(text)
    except (lxml.etree.ParserError, ValueError) as err:
        logger.debug("unparseable HTML: %s", err)
        return None


# --- page metadata ---------------------------------------------------------------------


def _meta(tree: HtmlElement) -> dict[str, list[str]]:
    """Every <meta> content keyed by lowercased property, name or itemprop."""
    found: dict[str, list[str]] = {}
    for elem in tree.iter("meta"):
        key = elem.get("property") or elem.get("name") or elem.get("itemprop")
        content = elem.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), []).append(content.strip())
    return found


def _json_ld(tree: HtmlElement) -> list[dict[str, Any]]:
    """The JSON-LD objects of the page, @graph flattened."""
    objects: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except json.JSONDecodeError:
            logger.debug("bad JSON-LD skipped")
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                objects.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return objects


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type") or []
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.strip():
            yield value.strip()
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        yield from _strings(value.get("name") or value.get("url") or value.get("@id"))


def _split_tags(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for part in re.split(r"\s*[,،]\s*", value):
            part = " ".join(part.split())
            if part and part not in out:
                out.append(part)
    return out


def _body_classes(tree: HtmlElement) -> set[str]:
    body = tree.find(".//body")
    classes = (body.get("class") or "").split() if body is not None else []
    # "postid-123", "paged-2", "category-sport" count as their family.
    return {c.lower() for c in classes} | {c.split("-")[0].lower() for c in classes}


@dataclass
class _PageMeta:
    meta: dict[str, list[str]]
    ld: list[dict[str, Any]]

    @property
    def articles(self) -> list[dict[str, Any]]:
        return [o for o in self.ld if _types(o) & _ARTICLE_TYPES]

    def first(self, *keys: str) -> str | None:
        for key in keys:
            if self.meta.get(key):
                return self.meta[key][0]
        return None

    def ld_first(self, key: str) -> str | None:
        for obj in self.articles:
            for value in _strings(obj.get(key)):
                return value
        return None


def page_kind(body_or_tree: bytes | str | HtmlElement, url: str = "") -> str:
    """Classify a page as "article", "listing" or "unknown" from what it says about itself: JSON-LD
    @type, WordPress body classes, og:type. The spider combines it with URL patterns."""
    try:
        tree = body_or_tree if isinstance(body_or_tree, HtmlElement) else _parse(body_or_tree)
    except EncodingError:
        return "unknown"
    if tree is None:
        return "unknown"
    return _kind(tree, _PageMeta(_meta(tree), _json_ld(tree)))


def _kind(tree: HtmlElement, page: _PageMeta) -> str:
    article = listing = 0
    classes = _body_classes(tree)
    # Body classes come from the CMS's own routing, so they are the strongest signal.
    if classes & _WP_ARTICLE_CLASSES:
        article += 3
    if classes & _WP_LISTING_CLASSES:
        listing += 3
    types = set().union(*(_types(o) for o in page.ld)) if page.ld else set()
    if types & _ARTICLE_TYPES:
        article += 2
    if types & (_LISTING_TYPES - {"website"}):
        listing += 2
    og_type = (page.first("og:type") or "").lower()
    if og_type == "article":
        article += 1
    elif og_type == "website":
        listing += 1
    if len(tree.xpath("//article")) >= 5:  # themes wrap each teaser in <article>
        listing += 1
    if article > listing:
        return "article"
    if listing > article:
        return "listing"
    return "unknown"


def canonical_url(tree: HtmlElement | None, url: str) -> str:
    """The page's canonical URL (rel=canonical, then og:url, then ``url``), absolute,
    without fragment or tracking parameters."""
    candidates: list[str] = []
    if tree is not None:
        candidates += tree.xpath('//link[@rel="canonical"]/@href')
        candidates += tree.xpath('//meta[@property="og:url"]/@content')
    own = urlsplit(url)
    for candidate in candidates:
        candidate = candidate.strip()
        if not candidate:
            continue
        absolute = urljoin(url, candidate)
        parts = urlsplit(absolute)
        # Some themes print the home page as every page's canonical: ignore that.
        if parts.path in ("", "/") and own.path not in ("", "/") and url.startswith("http"):
            continue
        if parts.scheme in ("http", "https"):
            return clean_url(absolute)
    return clean_url(url)


def clean_url(url: str) -> str:
    """One article, one URL: tracking parameters and fragment dropped, then w3lib's
    canonical form (sorted query, normalised percent-encoding), as Scrapy's duplicate
    filter sees it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return url
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, True) if not _TRACKING.match(k)])
    path = parts.path or "/"
    return canonicalize_url(
        urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))
    )


# --- dates -----------------------------------------------------------------------------

_PUBLISHED_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate",
    "publishdate", "publish-date", "publish_date", "date", "dc.date.issued", "dc.date",
    "dcterms.created", "sailthru.date", "parsely-pub-date", "cxenseparse:recs:publishtime",
)  # fmt: skip
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "last-modified",
)  # fmt: skip


def _jan_first_supported(tree: HtmlElement, html_text: str, year: str) -> bool:
    """Whether anything in the page really says 1 January ``year``."""
    numeric = re.compile(rf"{year}[-/.]0?1[-/.]0?1(?!\d)|(?<!\d)0?1[-/.]0?1[-/.]{year}", re.ASCII)
    if numeric.search(html_text):
        return True
    text = tree.text_content() if tree is not None else ""
    return any(m.value.startswith(f"{year}-01-01") for m in search_dates(text))


# --- the extractor ---------------------------------------------------------------------


class ArticleExtractor:
    """Extracts Articles for one source. Build it once per source and reuse it: it holds
    the compiled rules and one trafilatura options object. Not thread-safe (the options
    object carries the current URL); use one per thread or process."""

    def __init__(self, source: str = "", rules: ExtractionRules | None = None) -> None:
        self.source = source
        self.rules = rules or ExtractionRules()
        self.tz: tzinfo = _zone(self.rules.timezone)
        self._title = [_compile(s) for s in self.rules.title]
        self._body = [_compile(s) for s in self.rules.body]
        self._date = [_compile(s) for s in self.rules.date]
        self._author = [_compile(s) for s in self.rules.author]
        self._boilerplate = [
            re.compile(b[3:]) if b.startswith("re:") else " ".join(b.split())
            for b in self.rules.boilerplate
        ]
        # Text only: trafilatura's metadata pass runs every finder on every page (its
        # author search alone was a third of a crawl's CPU on sites without bylines,
        # bench/bench_crawl.py). We read meta tags and JSON-LD ourselves and call its
        # title and author finders and htmldate only when those come up empty.
        self._options = Extractor(
            output_format="python",
            with_metadata=False,
            comments=False,
            tables=True,
        )
        # htmldate's extensive (free-text) search is the slow part and the one that turns
        # "15 جانفي 2024" into 2024-01-01; our own text search replaces it.
        self._date_params = {
            "original_date": True,
            "extensive_search": False,
            "max_date": datetime.now(self.tz).strftime("%Y-%m-%d"),
        }

    def extract(
        self,
        body: bytes | str,
        url: str,
        *,
        header_encoding: str | None = None,
        hints: dict[str, Any] | None = None,
    ) -> Article | None:
        """The article in ``body`` (fetched from ``url``), or None when the page holds no
        article text. ``hints`` (published, modified, title, author, categories, tags) come
        from a source more reliable than the page, such as the WordPress REST API or a Google
        News sitemap, and win. Raises EncodingError for bytes that cannot be decoded cleanly."""
        return self.extract_classified(body, url, header_encoding=header_encoding, hints=hints)[0]

    def extract_classified(
        self,
        body: bytes | str,
        url: str,
        *,
        header_encoding: str | None = None,
        hints: dict[str, Any] | None = None,
        skip_listings: bool = False,
    ) -> tuple[Article | None, str]:
        """``extract`` plus the page's kind (see ``page_kind``), from one parse. With
        ``skip_listings`` a page that says it is a listing is not extracted at all."""
        hints = hints or {}
        tree = _parse(body, header_encoding)
        if tree is None or len(tree) == 0:
            return None, "unknown"
        page = _PageMeta(_meta(tree), _json_ld(tree))
        kind = _kind(tree, page)
        if skip_listings and kind == "listing":
            return None, kind
        return self._extract(tree, page, body, url, hints), kind

    def _extract(
        self,
        tree: HtmlElement,
        page: _PageMeta,
        body: bytes | str,
        url: str,
        hints: dict[str, Any],
    ) -> Article | None:
        self._options.url = url
        self._options.source = url
        try:
            doc = bare_extraction(tree, options=self._options)
        except Exception:  # trafilatura bugs on odd markup must not stop a crawl
            logger.warning("trafilatura failed on %s", url, exc_info=True)
            doc = None

        # The registry's body selector is an override for pages trafilatura misses
        # (DESIGN.md): its text wins only when trafilatura's is missing or clearly short.
        extracted = (doc.text if doc is not None else "") or ""
        by_rule = self._rule_text(tree)
        text = extracted if len(extracted) >= 0.6 * len(by_rule) else by_rule
        text = self._strip_boilerplate(text)
        if len(text.split()) < MIN_WORDS:
            logger.debug("no article text at %s (%d words)", url, len(text.split()))
            return None

        title = (
            hints.get("title")
            or self._rule_first(self._title, tree)
            or page.first("og:title", "twitter:title")
            or page.ld_first("headline")
            or extract_title(tree)
            or ""
        )
        title = _strip_site_name(" ".join(title.split()), page.first("og:site_name"))

        published, modified = self._dates(tree, page, url, text, body, hints)
        return Article(
            url=canonical_url(tree, url),
            title=title,
            text=text,
            source=self.source,
            author=self._author_of(tree, page, hints),
            published=published,
            modified=modified,
            language=self._language(tree, page),
            description=page.first("og:description", "description", "twitter:description"),
            categories=list(hints.get("categories") or self._categories(tree, page)),
            tags=list(hints.get("tags") or self._tags(tree, page)),
            image=self._image(page, url),
        )

    # -- fields --

    def _rule_first(self, selectors: list[Any], tree: HtmlElement) -> str | None:
        for selector in selectors:
            for node in selector(tree):
                value = _text_of(node)
                if value:
                    return value
        return None

    def _rule_text(self, tree: HtmlElement) -> str:
        """Paragraphs of the first body selector that matches (the selectors are
        alternatives, like the title's, and often match the same element)."""
        paragraphs: list[str] = []
        for selector in self._body:
            nodes = selector(tree)
            if not nodes:
                continue
            for node in nodes[:1]:
                if isinstance(node, str):
                    paragraphs.append(" ".join(node.split()))
                    continue
                blocks = node.xpath(_BLOCK_XPATH)
                for block in blocks or [node]:
                    if block.xpath("ancestor::script|ancestor::style"):
                        continue
                    value = _text_of(block)
                    if value and (not paragraphs or paragraphs[-1] != value):
                        paragraphs.append(value)
            break
        return "\n".join(paragraphs)

    def _strip_boilerplate(self, text: str) -> str:
        if not self._boilerplate:
            return text
        kept: list[str] = []
        for line in text.split("\n"):
            flat = " ".join(line.split())
            for rule in self._boilerplate:
                if isinstance(rule, str):
                    if rule and rule in flat:
                        # A line that is mostly the phrase goes; a long paragraph that merely
                        # quotes it only loses the phrase.
                        drop = len(flat) <= 2 * len(rule) + 20
                        flat = "" if drop else " ".join(flat.replace(rule, " ").split())
                elif rule.search(flat):
                    flat = ""
                if not flat:
                    break
            if flat:
                kept.append(flat)
        return "\n".join(kept)

    def _author_of(self, tree: HtmlElement, page: _PageMeta, hints: dict[str, Any]) -> str | None:
        candidates = [
            hints.get("author"),
            self._rule_first(self._author, tree),
            page.ld_first("author"),
            page.first("author", "article:author", "dc.creator", "byl"),
        ]
        if self.rules.default_author is None:
            # The costly search of bylines in the page's markup, only for sources that
            # may have them (a paper without bylines declares default_author).
            candidates.append(lambda: extract_author(tree))
        for candidate in candidates:
            if callable(candidate):
                candidate = candidate()
            if isinstance(candidate, str) and not candidate.startswith("http"):
                name = clean_byline(candidate)
                if name:
                    return name
        return self.rules.default_author

    def _dates(
        self,
        tree: HtmlElement,
        page: _PageMeta,
        url: str,
        text: str,
        body: bytes | str,
        hints: dict[str, Any],
    ) -> tuple[str | None, str | None]:
        def parse(value: Any) -> str | None:
            if isinstance(value, datetime):
                value = value if value.tzinfo else value.replace(tzinfo=self.tz)
                return value.isoformat(timespec="seconds")
            if isinstance(value, date):
                return datetime.combine(value, time(0), tzinfo=self.tz).isoformat()
            return parse_arabic_date(value, tz=self.tz) if isinstance(value, str) else None

        def first(candidates: Iterable[Callable[[], Any]]) -> str | None:
            # Candidates are thunks, best first: a REST hint or JSON-LD date ends the
            # search before any XPath walk over the page.
            for candidate in candidates:
                for value in _as_list(candidate()):
                    parsed = parse(value)
                    if parsed:
                        return parsed
            return None

        published = first(
            [
                lambda: hints.get("published"),
                lambda: page.ld_first("datePublished"),
                lambda: page.ld_first("dateCreated"),
                *(lambda key=key: page.first(key) for key in _PUBLISHED_META),
                lambda: tree.xpath(
                    '//time[@itemprop="datePublished" or contains(@class, "publish")]/@datetime'
                ),
                lambda: tree.xpath("//time/@datetime")[:1],
            ]
        )
        if published is None and self._date:
            raw = self._rule_first(self._date, tree)
            published = parse_arabic_date(raw, tz=self.tz) if raw else None
        if published is None:
            # Date lines that themes print near the headline (class "date", "post-meta").
            for node in tree.xpath("//body//*[@class or @id]")[:3000]:
                marker = f"{node.get('class', '')} {node.get('id', '')}"
                if _DATE_HINT.search(marker) and node.tag not in ("script", "style", "body"):
                    # Only the start of the node: a "date" class on a page wrapper must not
                    # cost a walk over the whole page's text.
                    head = "".join(itertools.islice(node.itertext(), 12))[:300]
                    found = find_date_in_text(head, tz=self.tz)
                    if found:
                        published = found
                        break
        guess = None
        if published is None:
            try:
                guess = find_date(tree, url=url, **self._date_params)
            except Exception:  # htmldate bugs on odd markup must not stop a crawl
                logger.debug("htmldate failed on %s", url, exc_info=True)
        if guess:
            guess = str(guess)[:10]
            html_text = body if isinstance(body, str) else body.decode("latin-1")
            if guess.endswith("-01-01") and not _jan_first_supported(tree, html_text, guess[:4]):
                logger.debug("discarding unsupported 1 January date %s", guess)
            else:
                published = parse(guess)
        if published is None:
            published = find_date_in_text(text, tz=self.tz)

        modified = first(
            [
                lambda: hints.get("modified"),
                lambda: page.ld_first("dateModified"),
                *(lambda key=key: page.first(key) for key in _MODIFIED_META),
                lambda: tree.xpath('//time[@itemprop="dateModified"]/@datetime'),
            ]
        )
        return published, modified

    def _language(self, tree: HtmlElement, page: _PageMeta) -> str:
        lang = tree.get("lang") or tree.get("xml:lang") or page.first("og:locale") or ""
        lang = re.split(r"[-_]", lang.strip().lower())[0]
        return lang if re.fullmatch(r"[a-z]{2,3}", lang) else self.rules.language

    def _categories(self, tree: HtmlElement, page: _PageMeta) -> list[str]:
        values = list(page.meta.get("article:section", []))
        for obj in page.articles:
            values += list(_strings(obj.get("articleSection")))
        values += [_text_of(a) for a in tree.xpath('//a[contains(@rel, "category")]')]
        return _split_tags(v for v in values if v)

    def _tags(self, tree: HtmlElement, page: _PageMeta) -> list[str]:
        values = list(page.meta.get("article:tag", []))
        values += [_text_of(a) for a in tree.xpath('//a[@rel="tag"]')]
        return _split_tags(v for v in values if v)

    def _image(self, page: _PageMeta, url: str) -> str | None:
        image = page.first(
            "og:image", "og:image:url", "twitter:image", "twitter:image:src"
        ) or page.ld_first("image")
        return urljoin(url, image.strip()) if image else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except Exception:
        logger.warning("unknown timezone %r, using Africa/Algiers", name)
        return ALGIERS


def _strip_site_name(title: str, site_name: str | None) -> str:
    """Drop a trailing " - Site" from a title when Site is the og:site_name."""
    if not site_name:
        return title
    for sep in (" - ", " | ", " – ", " — ", " :: "):
        suffix = f"{sep}{site_name.strip()}"
        if title.endswith(suffix) and len(title) > len(suffix):
            return title[: -len(suffix)].strip()
    return title


# --- entry points ----------------------------------------------------------------------


def extract_file(
    path: str | Path,
    url: str | None = None,
    source: str = "",
    rules: ExtractionRules | None = None,
) -> Article | None:
    """Extract a saved page (offline). Without ``url`` the page's own canonical URL is
    used when it has one, else the file's URI. A page that says it is a listing (a home
    or category page) gives None, as it would in a crawl."""
    path = Path(path)
    article, _ = ArticleExtractor(source, rules).extract_classified(
        path.read_bytes(), url or path.resolve().as_uri(), skip_listings=True
    )
    return article


_EXTRACTORS: dict[tuple[str, str], ArticleExtractor] = {}


def extract_page(
    source: str,
    rules: ExtractionRules | None,
    body: bytes | str,
    url: str,
    header_encoding: str | None = None,
    hints: dict[str, Any] | None = None,
    skip_listings: bool = False,
) -> tuple[Article | None, str]:
    """Picklable entry for a ProcessPoolExecutor: (article or None, page kind). Keeps one
    extractor per source and rules in each worker process."""
    key = (source, repr(rules))
    extractor = _EXTRACTORS.get(key)
    if extractor is None:
        if len(_EXTRACTORS) > 256:
            _EXTRACTORS.clear()
        extractor = _EXTRACTORS[key] = ArticleExtractor(source, rules)
    return extractor.extract_classified(
        body, url, header_encoding=header_encoding, hints=hints, skip_listings=skip_listings
    )
