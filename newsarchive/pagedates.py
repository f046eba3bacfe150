"""The article's own dates in a parsed page: published and modified, cross-checked.

Themes print dates everywhere: today's date in the top bar ("الخميس 26 نوفمبر 2026"),
dates of related stories in the sidebar, a "last updated" line above the publication line.
Taking the first date-looking node in document order misdated a quarter of one site's
archive. So: candidates from every channel (the crawl's hint, JSON-LD, meta tags,
``<time>`` and date lines inside the article's own region, the URL, the body text), each
with a weight for how trustworthy its channel is; then cross-checks (the URL's date, the
crawl day, published ≤ now, modified ≥ published) move the weights; the best supported
candidate wins and the record says which it was and why.

Times: what the page prints with an offset keeps it; the rest are read in the publisher's
zone (the registry's, else the site's country's) or, with no zone known, stored without an
offset. Aware times from other channels (a feed in UTC) are converted into the
publisher's zone, so one instant is stored one way whatever channel answered first.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from newsarchive.arabic.dates import parse_arabic_date, search_dates
from newsarchive.page import Page

__all__ = ["Candidate", "DateFinder", "article_region", "localize"]

_PUBLISHED_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate",
    "publishdate", "publish-date", "publish_date", "date", "dc.date.issued", "dc.date",
    "dcterms.created", "sailthru.date", "parsely-pub-date", "cxenseparse:recs:publishtime",
)  # fmt: skip
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "last-modified",
)  # fmt: skip
# Site furniture whose dates are never the article's: headers and top bars (today's
# date), menus, sidebars and widgets (other stories' dates), footers, tickers, clocks.
_FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:top-?bar|topbar|header|masthead|nav|navbar|menu|sidebar|side-bar|widget"
    r"|footer|breaking|ticker|today|clock|weather|prayer|related|most-?read|trending|popular"
    r"|latest|recent|comments?)(?:$|[\s_-])",
    re.I,
)
# Where a theme prints a date line: class or id words.
_DATE_HINT = re.compile(
    r"date|time|tmstmp|timestamp|publish|posted|meta|byline|entry-header|post-info", re.I
)
_MARKED = etree.XPath(".//*[@class or @id]")
_FURNITURE_TAGS = {"header", "nav", "aside", "footer"}
_REGION = re.compile(r"article|entry|post|story|single|content-header|news-?details|td-post", re.I)
_URL_DATE = re.compile(
    r"/((?:19|20)\d\d)[/-](0?[1-9]|1[0-2])(?:[/-](0?[1-9]|[12]\d|3[01]))?(?=[/-]|$)"
)
_URL_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d\d)(0[1-9]|1[0-2])([0-2]\d|3[01])(?!\d)")


@dataclass
class Candidate:
    value: str  # ISO 8601
    source: str  # where it was found, for the record
    weight: float
    role: str = "published"  # or "modified"

    @property
    def day(self) -> str:
        return self.value[:10]


def localize(
    value: Any, tz: tzinfo | None, page_tz: tzinfo | None = None, *, convert: bool = False
) -> str | None:
    """``value`` (ISO string, datetime or date) as the publisher prints it. An aware time
    keeps the offset the page gives, unless ``convert`` (a feed's or sitemap's UTC for the
    same instant): then it goes into ``tz`` or ``page_tz``. A naive one is read in ``tz``
    (or ``page_tz``, an offset the page itself uses elsewhere), else left naive: offset
    unknown."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return parse_arabic_date(text, tz=tz or page_tz)
    zone = tz or page_tz
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:
        stamp = value.astimezone(zone) if convert and zone else value
    else:
        stamp = value.replace(tzinfo=zone) if zone else value
    return stamp.isoformat(timespec="seconds")


def _furniture(node: HtmlElement) -> bool:
    for elem in itertools.chain([node], node.iterancestors()):
        if elem.tag in _FURNITURE_TAGS:
            return True
        marker = f"{elem.get('class', '')} {elem.get('id', '')}"
        # A theme's <article class="post"> inside a "latest-news" wrapper is a teaser; but
        # the page's own <article> is not furniture because of its own class.
        if marker.strip() and _FURNITURE.search(marker) and (elem.tag != "article" or elem is node):
            return True
    return False


def _headline(page: Page, title: str | None) -> HtmlElement | None:
    """The <h1> (else <h2>) that carries the article's title, outside site furniture."""
    key = ("headline", title)
    if key not in page.cache:
        page.cache[key] = _find_headline(page, title)
    return page.cache[key]


def _find_headline(page: Page, title: str | None) -> HtmlElement | None:
    wanted = " ".join((title or "").split())
    best, best_score = None, 0.0
    for tag in ("h1", "h2"):
        for node in page.tree.iter(tag):
            text = " ".join(node.text_content().split())
            if not text or _furniture(node):
                continue
            if wanted and (text == wanted or text in wanted or wanted in text):
                return node
            score = 1.0 if tag == "h1" else 0.5
            if score > best_score:
                best, best_score = node, score
        if best is not None and not wanted:
            return best
    if wanted:
        # A blog theme's <h1> is the blog's name; the post's title is an <h3>.
        for node in page.tree.iter("h3"):
            if " ".join(node.text_content().split()) == wanted and not _furniture(node):
                return node
    return best


def article_region(page: Page, title: str | None = None) -> HtmlElement | None:
    """The element that holds the article's headline, meta line and text: the headline's
    nearest <article> or entry/post container, kept small enough not to be the page."""
    head = _headline(page, title)
    if head is None:
        articles = [a for a in page.tree.iter("article") if not _furniture(a)]
        return articles[0] if len(articles) == 1 else None
    node = head
    for _ in range(6):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        node = parent
        marker = f"{node.get('class', '')} {node.get('id', '')}"
        if node.tag == "article" or _REGION.search(marker):
            break
    return node


_NOT_LEAD = {"h1", "figure", "figcaption", "picture", "script", "style", "noscript", "template"}
_CAPTION = re.compile(r"caption|credit", re.I)


def _lead_text(
    region: HtmlElement, headline: HtmlElement | None, limit: int = 600
) -> tuple[str, list[str]]:
    """The start of the region's text, and its short lines that hold a digit (a date
    printed alone, "January 18, 2020"), without the headline itself ("Results of 11-12
    July" is no publication date) or photo captions ("FILE PHOTO: … January 16")."""
    pieces: list[str] = []
    lines: list[str] = []
    size = 0

    def walk(node: HtmlElement) -> None:
        nonlocal size
        if size >= limit:
            return
        tag = node.tag if isinstance(node.tag, str) else ""
        skip = (
            node is headline
            or tag in _NOT_LEAD
            or not tag
            or bool(_CAPTION.search(node.get("class", "")))
        )
        if not skip:
            if node is not region and len(node) <= 3:
                line = " ".join(node.text_content().split())
                if 6 <= len(line) <= 40 and any(ch.isdigit() for ch in line):
                    lines.append(line)
            if node.text:
                pieces.append(node.text)
                size += len(node.text)
            for child in node:
                walk(child)
        if node is not region and node.tail:
            pieces.append(node.tail)
            size += len(node.tail)

    walk(region)
    return " ".join(" ".join(pieces)[:limit].split()), lines[:6]


def _url_date(url: str) -> tuple[int, int, int | None] | None:
    path = unquote(urlsplit(url).path)
    m = _URL_DATE.search(path)
    if m:
        return int(m[1]), int(m[2]), int(m[3]) if m[3] else None
    m = _URL_COMPACT.search(path)
    if m:
        try:
            date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        return int(m[1]), int(m[2]), int(m[3])
    return None


class DateFinder:
    """Collects date candidates for one page and picks the best supported ones."""

    def __init__(self, page: Page, tz: tzinfo | None, *, now: datetime | None = None) -> None:
        self.page = page
        self.tz = tz
        self.now = now or datetime.now(tz).replace(tzinfo=None)
        self.candidates: list[Candidate] = []
        # An offset the page itself uses (JSON-LD "+03:00"): the best guess for its naive
        # times when the registry and the domain name no zone.
        self.page_tz: tzinfo | None = None

    def add(
        self,
        value: Any,
        source: str,
        weight: float,
        role: str = "published",
        *,
        convert: bool = False,
    ) -> bool:
        if isinstance(value, list):
            return any(self.add(v, source, weight, role, convert=convert) for v in value)
        if isinstance(value, str) and self.tz is None and self.page_tz is None and not convert:
            self._learn_offset(value)
        iso = localize(value, self.tz, self.page_tz, convert=convert)
        if not iso or not re.match(r"(?:19|20)\d\d-\d\d-\d\d", iso):
            return False
        self.candidates.append(Candidate(iso, source, weight, role))
        return True

    def _learn_offset(self, value: str) -> None:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return
        if parsed.tzinfo is not None and parsed.utcoffset():
            self.page_tz = parsed.tzinfo

    def add_text(self, text: str, source: str, weight: float) -> bool:
        """Dates in a short date line, with their published/updated labels."""
        added = False
        for match in search_dates(text, tz=self.tz or self.page_tz)[:3]:
            role = "modified" if match.role == "modified" else "published"
            bonus = 0.5 if match.role == "published" else 0.0
            self.candidates.append(Candidate(match.value, source, weight + bonus, role))
            added = True
        return added

    # -- channels --

    def from_metadata(self, hints: dict[str, Any]) -> None:
        page = self.page
        # The offset of the page's JSON-LD first: the zone a feed's UTC time goes into.
        for key in ("datePublished", "dateModified", "dateCreated"):
            value = page.ld_first(key)
            if value and self.tz is None and self.page_tz is None:
                self._learn_offset(value)
        hint = "the crawl's hint (feed, sitemap or REST API)"
        if hints.get("published"):
            self.add(hints["published"], hint, 3.5, convert=True)
        if hints.get("modified"):
            self.add(hints["modified"], hint, 3.5, "modified", convert=True)
        for key, weight in (("datePublished", 3.0), ("dateCreated", 2.0)):
            value = page.ld_first(key)
            if value:
                self.add(value, f"JSON-LD {key}", weight)
        if page.ld_first("dateModified"):
            self.add(page.ld_first("dateModified"), "JSON-LD dateModified", 3.0, "modified")
        for key in _PUBLISHED_META:
            if page.first(key) and self.add(page.first(key), f"meta {key}", 2.5):
                break
        for key in _MODIFIED_META:
            if page.first(key) and self.add(page.first(key), f"meta {key}", 2.5, "modified"):
                break

    def from_region(self, region: HtmlElement | None, title: str | None = None) -> None:
        """<time> elements and date lines in the article's region, or, without one, in
        the page outside its furniture."""
        scope = region if region is not None else self.page.tree
        for node in scope.iter("time"):
            if _furniture(node):
                continue
            prop = (node.get("itemprop") or "").lower()
            klass = (node.get("class") or "").lower()
            role = "modified" if "modified" in prop or "updat" in klass else "published"
            value = node.get("datetime") or node.get("content")
            if value and self.add(
                value,
                "<time> in the article" if region is not None else "<time> on the page",
                2.5 if region is not None else 1.5,
                role,
            ):
                continue
            text = " ".join(node.text_content().split())
            if text:
                self.add_text(text, "<time> text", 2.0)
        for node in itertools.islice(_MARKED(scope), 3000):
            marker = f"{node.get('class', '')} {node.get('id', '')}"
            if not _DATE_HINT.search(marker) or node.tag in ("script", "style", "body"):
                continue
            if _furniture(node):  # a "most read" box inside a loose region too
                continue
            # Only the start of the node: a "date" class on a wrapper must not cost a walk
            # over the whole page's text.
            head = " ".join("".join(itertools.islice(node.itertext(), 12))[:300].split())
            if (
                self.add_text(
                    head,
                    "a date line in the article"
                    if region is not None
                    else "a date line on the page",
                    2.0 if region is not None else 1.0,
                )
                and len(self.candidates) > 12
            ):
                break
        if region is not None:
            # Dates printed as plain text near the headline, in no marked element.
            lead, lines = _lead_text(region, _headline(self.page, title))
            for line in lines:
                self.add_text(line, "a date line by the headline", 2.0)
            self.add_text(lead, "text by the headline", 1.5)

    def from_url(self, url: str) -> tuple[int, int, int | None] | None:
        found = _url_date(url)
        if found and found[2]:
            self.add(date(found[0], found[1], found[2]), "the URL", 1.0)
        return found

    # -- decision --

    def _printed_offset(
        self, best: Candidate, published: list[Candidate], checks: list[str]
    ) -> Candidate:
        """A UTC time in the metadata and the same instant printed on the page without an
        offset ("10:04" beside "15:04:34Z"): the printed clock is the publisher's, so the
        instant is stored in that offset, and the day is the one the paper printed."""
        try:
            utc = datetime.fromisoformat(best.value)
        except ValueError:
            return best
        if utc.utcoffset() != timedelta(0) or best.value[11:19] == "00:00:00":
            return best
        for cand in published:
            if cand.weight <= 1 or len(cand.value) < 16 or cand.value[11:16] == "00:00":
                continue
            try:
                printed = datetime.fromisoformat(cand.value)
            except ValueError:
                continue
            if printed.tzinfo is not None:
                continue
            offset = _offset_between(utc, printed)
            if offset is None:
                continue
            zone = timezone(offset)
            value = utc.astimezone(zone).isoformat(timespec="seconds")
            checks.append(f"offset {value[19:]} read from the time printed by {cand.source}")
            return Candidate(value, best.source, best.weight, best.role)
        return best

    def choose(self, url_date: tuple[int, int, int | None] | None) -> dict[str, Any]:
        """(published, modified) with the evidence for each, after the cross-checks."""
        today = self.now.date().isoformat()
        horizon = (self.now + timedelta(days=1)).date().isoformat()
        checks: list[str] = []
        published = [c for c in self.candidates if c.role == "published"]
        days = {c.day for c in published}
        for cand in published:
            if cand.day > horizon:
                cand.weight -= 10
                checks.append(f"{cand.value} from {cand.source} is in the future")
            if url_date:
                y, m, d = url_date
                if d:
                    gap = abs((date.fromisoformat(cand.day) - date(y, m, d)).days)
                    if gap <= 1:
                        cand.weight += 1.0
                    elif cand.source != "the URL":
                        cand.weight -= 2.0
                        checks.append(f"{cand.day} from {cand.source} contradicts the URL")
                elif cand.day[:7] != f"{y:04d}-{m:02d}":
                    cand.weight -= 1.5
                    checks.append(f"{cand.day} from {cand.source} is not the URL's month")
            if cand.day == today and len(days) > 1 and "hint" not in cand.source:
                # A theme's "today" bar: the crawl day only when nothing contradicts it.
                cand.weight -= 2.0
                checks.append(f"{cand.day} from {cand.source} is the crawl day")
        # Agreement between channels is support: per distinct channel, so ten copies of
        # one sidebar date do not outvote the URL.
        for cand in published:
            channels = {c.source for c in published if c.day == cand.day} - {cand.source}
            cand.weight += 0.25 * min(len(channels), 3)
        best = max(published, key=lambda c: c.weight, default=None)
        if best is not None and best.weight <= 0:
            best = None
        if best is not None and best.value[10:19] in ("", "T00:00:00"):
            # The day is decided; a trusted channel that agrees on it may also give the
            # time ("4 مارس 2024" printed, 07:30 in JSON-LD).
            timed = [
                c
                for c in published
                if c.day == best.day and c.value[10:19] not in ("", "T00:00:00") and c.weight > 1
            ]
            if timed:
                best = max(timed, key=lambda c: c.weight)
        if best is not None:
            best = self._printed_offset(best, published, checks)
        modified = None
        for cand in sorted(
            (c for c in self.candidates if c.role == "modified"), key=lambda c: -c.weight
        ):
            # A minute's slack: "15:04" printed, "15:04:34" in JSON-LD.
            if best is None or _instant(cand.value) >= _instant(best.value) - timedelta(minutes=1):
                modified = cand
                break
            checks.append(f"modified {cand.value} is before published {best.value}")
        modified_value = modified.value if modified else None
        if (
            modified_value
            and modified_value.endswith("+00:00")
            and best is not None
            and best.value[19:] not in ("", "+00:00")
        ):  # the same publisher, the same clock
            zone = datetime.fromisoformat(best.value).tzinfo
            stamp = datetime.fromisoformat(modified_value).astimezone(zone)
            modified_value = stamp.isoformat(timespec="seconds")
        return {
            "published": best.value if best else None,
            "published_from": best.source if best else None,
            "modified": modified_value,
            "modified_from": modified.source if modified else None,
            "checks": checks,
            "candidates": [
                f"{c.role} {c.value} ({c.source}, {c.weight:+.2f})" for c in self.candidates[:12]
            ],
        }


def _offset_between(utc: datetime, printed: datetime) -> timedelta | None:
    """The zone offset that turns ``utc`` into the same clock time as ``printed`` (to the
    minute, in quarter hours, at most 14 hours), or None when they are not one instant."""
    gap = printed.replace(tzinfo=None) - utc.replace(tzinfo=None, second=0, microsecond=0)
    quarters = round(gap / timedelta(minutes=15))
    if not quarters or abs(quarters) > 56:
        return None
    if abs(gap - quarters * timedelta(minutes=15)) > timedelta(minutes=1):
        return None
    return quarters * timedelta(minutes=15)


def _instant(value: str) -> datetime:
    """Comparable form of an ISO time: aware ones in UTC, naive ones as printed (an
    unknown offset is at most a few hours, which never decides published ≤ modified)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return datetime.min
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
