"""One parse of a fetched page, shared by the page decision and the extractor.

The bytes are decoded once (``arabic.encoding``), parsed once with lxml into a tree that
trafilatura accepts, and the page's self-descriptions (meta tags, JSON-LD, canonical URL,
WordPress body classes) are read once. ``decide`` and ``extract`` both take a ``Page``, so
neither reaches into the other's internals.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement
from w3lib.url import canonicalize_url

from newsarchive.arabic.encoding import decode_html

logger = logging.getLogger(__name__)

__all__ = ["Page", "parse_page", "clean_url", "canonical_url", "ARTICLE_TYPES"]

# schema.org types (https://schema.org/Article and its subtypes) that mean "one article".
ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
    "scholarlyarticle", "techarticle", "socialmediaposting", "posting", "report",
}  # fmt: skip
# Query parameters that identify a campaign or a click, never the article.
_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl"
    r"|igshid|ocid|cmpid|at_\w+|ref_src|__twitter_impression|amp|outputtype)$",
    re.IGNORECASE,
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Characters XML 1.0 forbids (https://www.w3.org/TR/xml/#charsets): C0 controls but tab,
# newline and carriage return, lone surrogates, U+FFFE/U+FFFF. One of them in a page made
# trafilatura raise "All strings must be XML compatible" on our tree and lose the article.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# As trafilatura's own loader parses (trafilatura/utils.py): comments and processing
# instructions dropped at parse time, so "<p>a<!-- x -->b</p>" keeps both halves.
_PARSER = lxml.html.HTMLParser(
    remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
)


@dataclass
class Page:
    """A parsed page and what it says about itself."""

    tree: HtmlElement
    url: str
    encoding: str | None = None
    meta: dict[str, list[str]] = field(default_factory=dict)
    ld: list[dict[str, Any]] = field(default_factory=list)
    # Measurements others derive from the tree once (the decision's page shape).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def first(self, *keys: str) -> str | None:
        """The first value of the first meta key present (keys lowercased)."""
        for key in keys:
            if self.meta.get(key):
                return self.meta[key][0]
        return None

    @cached_property
    def articles(self) -> list[dict[str, Any]]:
        """JSON-LD objects whose @type is an article type."""
        return [o for o in self.ld if ld_types(o) & ARTICLE_TYPES]

    @cached_property
    def ld_kinds(self) -> set[str]:
        return set().union(*(ld_types(o) for o in self.ld)) if self.ld else set()

    def ld_first(self, key: str) -> str | None:
        for obj in self.articles:
            for value in ld_strings(obj.get(key)):
                return value
        return None

    @cached_property
    def body_classes(self) -> set[str]:
        """The <body> class names, whole and lowercased (WordPress's body_class())."""
        body = self.tree.find(".//body")
        return {c.lower() for c in (body.get("class") or "").split()} if body is not None else set()

    @cached_property
    def canonical(self) -> str:
        return canonical_url(self.tree, self.url)

    @cached_property
    def site_name(self) -> str | None:
        name = self.first("og:site_name", "application-name", "al:android:app_name")
        if not name:
            for obj in self.ld:
                if ld_types(obj) & {"website", "organization", "newsmediaorganization"}:
                    name = next(ld_strings(obj.get("name")), None)
                    if name:
                        break
        return " ".join(name.split()) if name else None


def parse_page(body: bytes | str, url: str, header_encoding: str | None = None) -> Page | None:
    """Decode and parse ``body`` once; None for an empty or unparseable page. Raises
    ``EncodingError`` for bytes that cannot be decoded cleanly."""
    encoding = None
    if isinstance(body, bytes):
        text, encoding = decode_html(body, header_encoding)
    else:
        text = body
    # lxml refuses str input that carries an XML encoding declaration.
    text = _NOT_XML.sub("", _XML_DECLARATION.sub("", text, count=1))
    if not text.strip():
        return None
    try:
        tree = lxml.html.fromstring(text, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as err:
        logger.debug("unparseable HTML: %s", err)
        return None
    if tree is None or len(tree) == 0:
        return None
    return Page(tree, url, encoding, _meta(tree), _json_ld(tree))


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


def ld_types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type") or []
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def ld_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.strip():
            yield value.strip()
    elif isinstance(value, list):
        for item in value:
            yield from ld_strings(item)
    elif isinstance(value, dict):
        yield from ld_strings(value.get("name") or value.get("url") or value.get("@id"))


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
