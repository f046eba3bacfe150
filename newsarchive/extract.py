"""One fetched page → one Article: trafilatura for the body, Arabic rules for the rest.

This is the only module that imports trafilatura (and, through it, htmldate). The page is
decoded and parsed once (``newsarchive.page``); ``newsarchive.decide`` says whether it is an
article; trafilatura and our own metadata readers share the tree. Every field records how
it was found (``Article.page.signals["fields"]``), so a guessed date or a dropped byline
can be explained.

Dates: the article's own region first (the headline's container, ``<article>``, the entry
header), never the site header, menus, sidebars or a "today" widget; published told apart
from updated; every candidate cross-checked (the URL's date, the channel's hint, the crawl
day, published ≤ now, modified ≥ published) and the best supported one kept. Times carry
the publisher's own offset: as printed, else the source's zone, else the zone of the site's
country, else none at all (the offset is recorded as unknown rather than invented).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import lxml.etree
from cssselect import SelectorError
from htmldate import find_date
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import extract_author, extract_title
from trafilatura.settings import Extractor

from newsarchive.arabic.bylines import agency_in_text, split_credit
from newsarchive.arabic.dates import search_dates, zone_for_host
from newsarchive.arabic.encoding import EncodingError
from newsarchive.decide import Decision, decide, long_enough
from newsarchive.items import Article, PageRecord
from newsarchive.page import Page, canonical_url, clean_url, ld_strings, parse_page
from newsarchive.pagedates import DateFinder, article_region

logger = logging.getLogger(__name__)

__all__ = [
    "clean_url",
    "ArticleExtractor",
    "ExtractionRules",
    "RuleError",
    "canonical_url",
    "explain_file",
    "extract_file",
    "extract_page",
    "page_kind",
]

_BLOCK_XPATH = ".//p|.//h2|.//h3|.//h4|.//h5|.//li|.//blockquote"


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
    # IANA zone for dates the page prints without an offset; None: the zone of the site's
    # country (newsarchive.arabic.dates.zone_for_host), else unknown.
    timezone: str | None = None


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


def _jan_first_supported(page: Page, year: str) -> bool:
    """Whether anything in the page really says 1 January ``year`` (htmldate turns
    "15 جانفي 2024" into 2024-01-01)."""
    numeric = re.compile(rf"{year}[-/.]0?1[-/.]0?1(?!\d)|(?<!\d)0?1[-/.]0?1[-/.]{year}", re.ASCII)
    if any(numeric.search(v) for values in page.meta.values() for v in values):
        return True
    text = page.tree.text_content()
    if numeric.search(text):
        return True
    return any(m.value.startswith(f"{year}-01-01") for m in search_dates(text))


# Separators themes put between a headline and the site's name.
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·•»«/\\]+\s+|\s*[|«»]\s*")


# --- the extractor ---------------------------------------------------------------------


class ArticleExtractor:
    """Extracts Articles for one source. Build it once per source and reuse it: it holds
    the compiled rules, one trafilatura options object, and what it learns of the site
    from its pages (the site's name in titles). Not thread-safe (the options object
    carries the current URL); use one per thread or process."""

    def __init__(self, source: str = "", rules: ExtractionRules | None = None) -> None:
        self.source = source
        self.rules = rules or ExtractionRules()
        self.tz: tzinfo | None = _zone(self.rules.timezone) if self.rules.timezone else None
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
        # Title ends seen on this site's pages ("… - جريدة الموعد"): one that recurs is the
        # site's name even where og:site_name is missing.
        self._title_ends: Counter[str] = Counter()

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
        News sitemap, and are weighed first. No page decision is taken: ``extract_decided``
        does that. Raises EncodingError for bytes that cannot be decoded cleanly."""
        page = parse_page(body, url, header_encoding)
        if page is None:
            return None
        article = self.article_of(page, hints or {})
        if article is None or not long_enough(article.text):
            return None
        return article

    def extract_decided(
        self,
        body: bytes | str,
        url: str,
        *,
        header_encoding: str | None = None,
        hints: dict[str, Any] | None = None,
        found_via: str = "",
        url_shape: tuple[float, str] | None = None,
    ) -> tuple[Article | None, Decision]:
        """The page's decision (``newsarchive.decide``) and, when it is an article, the
        Article, from one parse. The Article carries its PageRecord (``article.page``)
        with the decision's signals and how each field was found."""
        page = parse_page(body, url, header_encoding)
        if page is None:
            return None, Decision(False, "unknown", "empty or unparseable page")
        first = decide(page, found_via=found_via, url_shape=url_shape)
        if not first.is_article and first.score <= -5:
            # Overwhelming evidence (a WordPress category page found in a menu): the
            # text extraction would only confirm it.
            return None, first
        fields: dict[str, Any] = {}
        article = self.article_of(page, hints or {}, fields)
        text = article.text if article is not None else ""
        final = decide(page, found_via=found_via, url_shape=url_shape, text=text)
        if article is not None:
            final.signals["fields"] = fields  # how each field was found
        if article is None or not final.is_article:
            return None, final
        article.page = PageRecord(
            url=article.url,
            found_via=found_via,
            decision=final.decision,
            reason=final.reason,
            signals=final.signals,
        )
        return article, final

    # -- one page → one Article --

    def article_of(
        self, page: Page, hints: dict[str, Any], notes: dict[str, Any] | None = None
    ) -> Article | None:
        """Every field of the article in ``page``; None without any text. How each
        guessed field was found goes into ``notes``."""
        tree, url = page.tree, page.url
        self._options.url = url
        self._options.source = url
        try:
            doc = bare_extraction(tree, options=self._options)
        except Exception:  # trafilatura bugs on odd markup must not stop a crawl
            logger.warning("trafilatura failed on %s", url, exc_info=True)
            doc = None
        notes = {} if notes is None else notes

        # The registry's body selector is an override for pages trafilatura misses
        # (DESIGN.md): its text wins only when trafilatura's is missing or clearly short.
        extracted = (doc.text if doc is not None else "") or ""
        by_rule = self._rule_text(tree)
        text = extracted if len(extracted) >= 0.6 * len(by_rule) else by_rule
        if text is by_rule and by_rule:
            notes["text"] = "the registry's body selector"
        # NFC, as trafilatura's own extract() returns it: one spelling per character
        # (Bengali য় or Arabic أ written as letter + combining mark become one code point).
        text = unicodedata.normalize("NFC", self._strip_boilerplate(text))
        if not text.strip():
            return None

        title = self._title_of(page, hints, notes)
        first_line, _, rest = text.partition("\n")
        if rest and title and " ".join(first_line.split()) == title:
            text = rest  # the headline is the title, not the first paragraph
            notes["text_first_line"] = "the headline, kept as the title only"
        tz, zone_note = self._zone_for(url)
        notes["timezone"] = zone_note
        region = article_region(page, title)
        published, modified = self._dates(page, region, title, text, hints, tz, notes)
        author, agency = self._credit_of(page, region, hints, text, notes)
        return Article(
            url=page.canonical,
            title=title,
            text=text,
            source=self.source,
            author=author,
            agency=agency,
            published=published,
            modified=modified,
            language=self._language(page),
            description=page.first("og:description", "description", "twitter:description"),
            categories=list(hints.get("categories") or self._categories(page)),
            tags=list(hints.get("tags") or self._tags(page)),
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

    def _site_names(self, page: Page) -> list[str]:
        names = [page.site_name, self.rules.default_author]
        names += [end for end, n in self._title_ends.items() if n >= 3]
        return [n for n in names if n]

    def _title_of(self, page: Page, hints: dict[str, Any], notes: dict[str, Any]) -> str:
        tree = page.tree
        h1 = next((_text_of(n) for n in tree.iter("h1") if _text_of(n)), None)
        title_node = tree.find(".//title")
        html_title = _text_of(title_node) if title_node is not None else ""
        self._learn_title_ends(html_title, h1)
        for source, value in (
            ("the crawl's hint", hints.get("title")),
            ("the registry's title selector", self._rule_first(self._title, tree)),
            ("og:title", page.first("og:title", "twitter:title")),
            ("JSON-LD headline", page.ld_first("headline")),
            ("<h1>", h1),
            ("trafilatura's title finder", lambda: extract_title(tree)),
        ):
            if callable(value):
                value = value()
            value = " ".join((value or "").split())
            if not value:
                continue
            stripped = strip_site_name(value, self._site_names(page), other=h1)
            notes["title"] = source + (
                f"; site name removed: {value!r}" if stripped != value else ""
            )
            return stripped
        return ""

    def _learn_title_ends(self, html_title: str, h1: str | None) -> None:
        """Learn the site's name from <title> = headline + separator + name (either end)."""
        if not html_title:
            return
        parts = _TITLE_SEPARATORS.split(html_title)
        if len(parts) < 2:
            return
        if h1 and h1 in html_title:
            rest = [p for p in (parts[0], parts[-1]) if p and p not in h1 and h1 not in p]
        else:
            rest = [parts[0], parts[-1]]
        for end in set(rest):
            if 1 <= len(end.split()) <= 6:
                self._title_ends[end] += 1
        if len(self._title_ends) > 500:  # keep only the recurring ends
            self._title_ends = Counter(dict(self._title_ends.most_common(50)))

    def _zone_for(self, url: str) -> tuple[tzinfo | None, str]:
        if self.tz is not None:
            return self.tz, f"{self.rules.timezone} (the registry's zone)"
        host = urlsplit(url).hostname or ""
        name = zone_for_host(host)
        if name:
            return ZoneInfo(name), f"{name} (the site's country, from .{host.rsplit('.', 1)[-1]})"
        return None, "unknown: times printed without an offset are stored without one"

    def _dates(
        self,
        page: Page,
        region: HtmlElement | None,
        title: str,
        text: str,
        hints: dict[str, Any],
        tz: tzinfo | None,
        notes: dict[str, Any],
    ) -> tuple[str | None, str | None]:
        finder = DateFinder(page, tz)
        finder.from_metadata(hints)
        if self._date:
            raw = self._rule_first(self._date, page.tree)
            if raw:
                finder.add_text(raw, "the registry's date selector", 4.0)
        strong = any(c.weight >= 2.5 and c.role == "published" for c in finder.candidates)
        # The page's own printed date line is always read (it may contradict metadata, or
        # give the update), but only inside the article's region when there is one.
        finder.from_region(region, title)
        url_date = finder.from_url(page.url)
        if not strong and not any(
            c.weight >= 2.0 and c.role == "published" for c in finder.candidates
        ):
            if any(c.role == "published" for c in finder.candidates):
                self._htmldate(page, finder, notes, extensive=False)
            else:
                # Nothing found yet: htmldate with its free-text search over the page (one
                # call: it searches the markup first), else ours over the article's text
                # (Arabic months, Eastern digits).
                self._htmldate(page, finder, notes, extensive=True)
                if not any(c.role == "published" for c in finder.candidates):
                    finder.add_text(text[:2000], "the article's text", 0.5)
        chosen = finder.choose(url_date)
        notes["dates"] = chosen
        return chosen["published"], chosen["modified"]

    def _htmldate(
        self, page: Page, finder: DateFinder, notes: dict[str, Any], *, extensive: bool
    ) -> None:
        """htmldate's guess as one candidate: from the markup (1.5), or with its free-text
        search too (1.25), which reads "15 جانفي 2024" as 1 January, so an unsupported
        1 January is discarded."""
        guess = None
        try:
            guess = find_date(
                page.tree,
                url=page.url,
                max_date=(finder.now + timedelta(days=1)).strftime("%Y-%m-%d"),
                original_date=True,
                extensive_search=extensive,
            )
        except Exception:  # htmldate bugs on odd markup must not stop a crawl
            logger.debug("htmldate failed on %s", page.url, exc_info=True)
        if not guess:
            return
        guess = str(guess)[:10]
        if guess.endswith("-01-01") and not _jan_first_supported(page, guess[:4]):
            notes["htmldate"] = f"unsupported 1 January {guess} discarded"
            return
        source = "htmldate with its text search" if extensive else "htmldate"
        finder.add(date.fromisoformat(guess), source, 1.25 if extensive else 1.5)

    def _credit_of(
        self,
        page: Page,
        region: HtmlElement | None,
        hints: dict[str, Any],
        text: str,
        notes: dict[str, Any],
    ) -> tuple[str | None, str | None]:
        """(person, wire agency) from the bylines the page offers, best first: never the
        site's name, an organisation, a place dateline, a URL or image text."""
        tree = page.tree
        candidates: list[tuple[str, Any]] = [
            ("the crawl's hint", hints.get("author")),
            ("the registry's author selector", self._rule_first(self._author, tree)),
            ("JSON-LD author", page.ld_first("author")),
            ("meta author", page.first("author", "article:author", "dc.creator", "byl")),
        ]
        if self.rules.default_author is None:
            # The costly search of bylines in the page's markup, only for sources that
            # may have them (a paper without bylines declares default_author); in the
            # article's region when there is one: the finder copies the tree it searches,
            # and a byline elsewhere on the page belongs to another story.
            scope = region if region is not None else tree
            candidates.append(("trafilatura's byline finder", lambda: extract_author(scope)))
        site_names = self._site_names(page) + ([self.source] if self.source else [])
        domain = urlsplit(page.url).hostname
        person = agency = None
        rejected: list[str] = []
        for source, raw in candidates:
            if callable(raw):
                raw = raw()
            if not isinstance(raw, str) or not raw.strip():
                continue
            credit = split_credit(raw, site_names=site_names, domain=domain)
            agency = agency or credit.agency
            if credit.person and person is None:
                person = credit.person
                notes["author"] = source
            elif credit.rejected:
                rejected.append(f"{raw.strip()[:60]!r} ({credit.rejected})")
            if person:
                break
        if agency is None:
            agency = agency_in_text(text)
        if rejected:
            notes["author_rejected"] = rejected
        if person is None and self.rules.default_author:
            notes["author"] = "the registry's default credit"
            person = self.rules.default_author
        return person, agency

    def _language(self, page: Page) -> str:
        tree = page.tree
        lang = tree.get("lang") or tree.get("xml:lang") or page.first("og:locale") or ""
        lang = re.split(r"[-_]", lang.strip().lower())[0]
        return lang if re.fullmatch(r"[a-z]{2,3}", lang) else self.rules.language

    def _categories(self, page: Page) -> list[str]:
        values = list(page.meta.get("article:section", []))
        for obj in page.articles:
            values += list(ld_strings(obj.get("articleSection")))
        values += [_text_of(a) for a in page.tree.xpath('//a[contains(@rel, "category")]')]
        return _split_tags(v for v in values if v)

    def _tags(self, page: Page) -> list[str]:
        values = list(page.meta.get("article:tag", []))
        values += [_text_of(a) for a in page.tree.xpath('//a[@rel="tag"]')]
        return _split_tags(v for v in values if v)

    def _image(self, page: Page, url: str) -> str | None:
        image = page.first(
            "og:image", "og:image:url", "twitter:image", "twitter:image:src"
        ) or page.ld_first("image")
        return urljoin(url, image.strip()) if image else None


def _split_tags(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for part in re.split(r"\s*[,،]\s*", value):
            part = " ".join(part.split())
            if part and part not in out:
                out.append(part)
    return out


def _zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except Exception:
        logger.warning("unknown timezone %r: offsets of unmarked times will be unknown", name)
        return None


def _norm_name(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.lower().replace("ـ", ""))


def strip_site_name(title: str, site_names: Iterable[str], other: str | None = None) -> str:
    """``title`` without the site's name at either end ("Site - Headline", "Headline |
    Site", any separator). ``other`` is another title of the page (the <h1>): when the
    title is it plus one separated end, that end goes even when the name is unknown."""
    names = {_norm_name(n) for n in site_names if n and _norm_name(n)}
    for _ in range(2):  # "Site | Section | Headline"
        parts = _TITLE_SEPARATORS.split(title)
        if len(parts) < 2:
            return title
        seps = _TITLE_SEPARATORS.findall(title)
        first, last = parts[0], parts[-1]
        if _norm_name(last) in names or (other and title.startswith(other) and last not in other):
            title = title[: len(title) - len(last) - len(seps[-1])].strip()
        elif _norm_name(first) in names or (other and title.endswith(other) and first not in other):
            title = title[len(first) + len(seps[0]) :].strip()
        else:
            return title
    return title


def page_kind(body: bytes | str, url: str = "") -> str:
    """The kind ``decide`` gives the page ("article", "listing", "static", "empty") once
    its text is extracted ("unknown" for bytes that cannot be read)."""
    try:
        return ArticleExtractor().extract_decided(body, url or "about:blank")[1].kind
    except EncodingError:
        return "unknown"


# --- entry points ----------------------------------------------------------------------


def explain_file(
    path: str | Path,
    url: str | None = None,
    source: str = "",
    rules: ExtractionRules | None = None,
    found_via: str = "file",
) -> tuple[Article | None, Decision]:
    """The decision on a saved page and its article when it is one (offline). Without
    ``url`` the page's own canonical URL is used when it has one, else the file's URI."""
    path = Path(path)
    return ArticleExtractor(source, rules).extract_decided(
        path.read_bytes(), url or path.resolve().as_uri(), found_via=found_via
    )


def extract_file(
    path: str | Path,
    url: str | None = None,
    source: str = "",
    rules: ExtractionRules | None = None,
) -> Article | None:
    """Extract a saved page (offline); None when it is not an article (a home, section or
    static page, or no text), as in a crawl. ``explain_file`` says why."""
    return explain_file(path, url, source, rules)[0]


_EXTRACTORS: dict[tuple[str, str], ArticleExtractor] = {}


def extract_page(
    source: str,
    rules: ExtractionRules | None,
    body: bytes | str,
    url: str,
    header_encoding: str | None = None,
    hints: dict[str, Any] | None = None,
    found_via: str = "",
    url_shape: tuple[float, str] | None = None,
) -> tuple[Article | None, Decision]:
    """Picklable entry for a ProcessPoolExecutor: (article or None, decision). Keeps one
    extractor per source and rules in each worker process (it learns the site's title
    ends as it goes)."""
    key = (source, repr(rules))
    extractor = _EXTRACTORS.get(key)
    if extractor is None:
        if len(_EXTRACTORS) > 256:
            _EXTRACTORS.clear()
        extractor = _EXTRACTORS[key] = ArticleExtractor(source, rules)
    return extractor.extract_decided(
        body,
        url,
        header_encoding=header_encoding,
        hints=hints,
        found_via=found_via,
        url_shape=url_shape,
    )
