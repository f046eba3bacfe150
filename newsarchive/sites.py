"""The source registry: one entry per site in ``seeds/sites.toml``.

Per-site variation is data (as in fundus' publisher declarations): discovery
settings, URL patterns, politeness and extraction overrides. Loading validates every
entry and reports all the bad ones in a single error.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsarchive.extract import ArticleExtractor, ExtractionRules, RuleError

BUNDLED_SITES = Path(__file__).resolve().parents[1] / "seeds" / "sites.toml"

# Path shapes of WordPress pages that are never articles (listings, archives, feeds,
# search, attachments). Applied to every site on top of its own deny patterns.
COMMON_DENY = (
    r"/(category|tag|author|page|feed|search|wp-admin|wp-login|wp-content|wp-json|"
    r"comments|attachment|amp)(/|$)",
    r"[?&](s|cat|tag|author|replytocom|share|print|amp)=",
    r"\.(jpe?g|png|gif|webp|svg|pdf|mp3|mp4|zip|css|js|xml|gz|json|ico)$",
    r"/amp/?$",
)


class SitesError(ValueError):
    """The source registry is missing or has invalid entries."""


# Crawl intervals newsarchive accepts: more often than once a minute would hammer a
# site (and `schedule` looks once a minute), and a year keeps the clock arithmetic sane.
MIN_INTERVAL = 60
MAX_INTERVAL = 366 * 86400


def parse_interval(value: str | int | float) -> int:
    """'6h', '30m', '1d', '90s' or a number of seconds → seconds (a minute to a year)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"bad interval {value!r} (use e.g. '30m', '6h', '1d')")
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
    if not match:
        raise ValueError(f"bad interval {value!r} (use e.g. '30m', '6h', '1d')")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    seconds = float(match.group(1)) * unit
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise ValueError(f"interval {value!r} is out of range (from 1 minute to 366 days)")
    return int(seconds)


@dataclass(frozen=True)
class Site:
    """One configured source."""

    name: str
    base_url: str
    title: str = ""
    language: str = "ar"
    # "wordpress" tries the REST API and WordPress sitemaps; "generic" only what is
    # configured plus sitemaps found in robots.txt.
    cms: str = "wordpress"
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    wp_api: bool = True
    listings: tuple[str, ...] = ()
    # CSS selectors for article links on listing pages (default: any same-site link)
    listing_links: tuple[str, ...] = ()
    article_patterns: tuple[str, ...] = ()
    deny_patterns: tuple[str, ...] = ()
    delay: float = 1.0
    concurrency: int = 1
    interval: int = 6 * 3600
    max_pages: int | None = None
    # Keep every fetched response as WARC (newsarchive.capture).
    warc: bool = True
    extraction: ExtractionRules = field(default_factory=ExtractionRules)

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def is_article_url(self, url: str) -> bool:
        """Whether a URL may be an article page by the registry's patterns alone; the
        page's own metadata has the last word (newsarchive.extract.page_kind)."""
        parts = urlsplit(url)
        if (parts.hostname or "") != self.domain:
            return False
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if target in ("", "/"):
            return False
        if any(re.search(p, target) for p in (*COMMON_DENY, *self.deny_patterns)):
            return False
        if self.article_patterns:
            return any(re.search(p, target) for p in self.article_patterns)
        return True

    @classmethod
    def for_url(cls, url: str) -> Site:
        """An unconfigured site: automatic discovery from its home page."""
        parts = urlsplit(url if "://" in url else f"https://{url}")
        host = parts.hostname or ""
        if not re.fullmatch(r"[a-z0-9.-]+", host) or ("." not in host and host != "localhost"):
            raise SitesError(f"{url!r} is not a site URL (expected e.g. https://example.dz/)")
        base = f"{parts.scheme}://{parts.netloc}/"
        name = re.sub(r"[^a-z0-9]+", "_", parts.hostname.removeprefix("www.")).strip("_")
        listings = (parts.path,) if parts.path not in ("", "/") else ()
        return cls(name=name, base_url=base, feeds=("/feed/",), listings=listings)


_SITE_KEYS = {
    "title",
    "base_url",
    "language",
    "cms",
    "feeds",
    "sitemaps",
    "wp_api",
    "listings",
    "listing_links",
    "article_patterns",
    "deny_patterns",
    "delay",
    "concurrency",
    "interval",
    "max_pages",
    "timezone",
    "warc",
    "extract",
}
_EXTRACT_KEYS = {"title", "body", "date", "author", "boilerplate", "default_author"}


def _string_list(entry: dict[str, Any], key: str, problems: list[str], where: str) -> tuple:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: {key} must be a list of strings")
        return ()
    return tuple(value)


def _build_site(name: str, entry: Any, defaults: dict[str, Any]) -> tuple[Site | None, list]:
    where = f"[sites.{name}]"
    problems: list[str] = []
    if not isinstance(entry, dict):
        return None, [f"{where}: must be a table"]
    original, entry = entry, {**defaults, **entry}
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        problems.append(f"{where}: name must be lowercase ASCII letters, digits and _")
    unknown = set(entry) - _SITE_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    base_url = entry.get("base_url")
    if not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https"):
        problems.append(f"{where}: base_url must be an http(s) URL")
        base_url = "http://invalid/"
    if entry.get("cms", "wordpress") not in ("wordpress", "generic"):
        problems.append(f"{where}: cms must be 'wordpress' or 'generic'")
    lists = {
        key: _string_list(entry, key, problems, where)
        for key in (
            "feeds",
            "sitemaps",
            "listings",
            "listing_links",
            "article_patterns",
            "deny_patterns",
        )
    }
    for key in ("article_patterns", "deny_patterns"):
        for pattern in lists[key]:
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(f"{where}: {key} {pattern!r} is not a regex ({exc})")
    try:
        interval = parse_interval(entry.get("interval", "6h"))
    except ValueError as exc:
        inherited = "interval" in defaults and "interval" not in original
        problems.append(f"{where}: {exc}" + (" (from [defaults])" if inherited else ""))
        interval = 0
    delay = entry.get("delay", 1.0)
    concurrency = entry.get("concurrency", 1)
    if not isinstance(delay, int | float) or delay < 0:
        problems.append(f"{where}: delay must be a number of seconds ≥ 0")
        delay = 1.0
    if not isinstance(concurrency, int) or not 1 <= concurrency <= 8:
        problems.append(f"{where}: concurrency must be an integer from 1 to 8")
        concurrency = 1
    if not isinstance(entry.get("warc", True), bool):
        problems.append(f"{where}: warc must be true or false")
    extract = entry.get("extract", {})
    if not isinstance(extract, dict):
        problems.append(f"{where}: extract must be a table")
        extract = {}
    unknown = set(extract) - _EXTRACT_KEYS
    if unknown:
        problems.append(f"{where}.extract: unknown keys {', '.join(sorted(unknown))}")
    rules = ExtractionRules(
        title=list(_string_list(extract, "title", problems, f"{where}.extract")),
        body=list(_string_list(extract, "body", problems, f"{where}.extract")),
        date=list(_string_list(extract, "date", problems, f"{where}.extract")),
        author=list(_string_list(extract, "author", problems, f"{where}.extract")),
        boilerplate=list(_string_list(extract, "boilerplate", problems, f"{where}.extract")),
        default_author=extract.get("default_author"),
        language=entry.get("language", "ar"),
        timezone=entry.get("timezone"),
    )
    if rules.timezone is not None:
        try:
            ZoneInfo(rules.timezone)
        except (ValueError, KeyError, ZoneInfoNotFoundError):
            problems.append(f"{where}: timezone {rules.timezone!r} is not an IANA zone name")
    if not problems:
        try:  # compiles every selector, so a typo is reported here, not mid-crawl
            ArticleExtractor(name, rules)
        except RuleError as exc:
            problems.append(f"{where}.extract: {exc}")
    if problems:
        return None, problems
    site = Site(
        name=name,
        base_url=base_url,
        title=entry.get("title", name),
        language=entry.get("language", "ar"),
        cms=entry.get("cms", "wordpress"),
        wp_api=bool(entry.get("wp_api", entry.get("cms", "wordpress") == "wordpress")),
        delay=float(delay),
        concurrency=concurrency,
        interval=interval,
        max_pages=entry.get("max_pages"),
        warc=entry.get("warc", True),
        extraction=rules,
        **lists,
    )
    return site, []


def sites_path(path: str | Path | None = None) -> Path:
    if path:
        return Path(path)
    if os.environ.get("NEWSARCHIVE_SITES"):
        return Path(os.environ["NEWSARCHIVE_SITES"])
    local = Path("seeds/sites.toml")
    return local if local.exists() else BUNDLED_SITES


def load_sites(path: str | Path | None = None) -> dict[str, Site]:
    """Read and validate the registry (``--sites``, env NEWSARCHIVE_SITES, or the
    bundled ``seeds/sites.toml``)."""
    path = sites_path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SitesError(f"no source registry at {path}; pass --sites PATH") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SitesError(f"{path} is not valid TOML: {exc}") from exc
    defaults = data.get("defaults", {})
    entries = data.get("sites", {})
    if not isinstance(entries, dict) or not entries:
        raise SitesError(f"{path} has no [sites.NAME] entries")
    sites: dict[str, Site] = {}
    problems: list[str] = []
    for name, entry in entries.items():
        site, errors = _build_site(name, entry, defaults)
        problems.extend(errors)
        if site:
            sites[name] = site
    if problems:
        raise SitesError(f"{path} has invalid entries: " + "; ".join(problems))
    return sites


def extraction_rules_for(source: str, path: str | Path | None = None) -> ExtractionRules:
    sites = load_sites(path)
    if source not in sites:
        raise SitesError(f"unknown source {source!r}; known: {', '.join(sorted(sites))}")
    return sites[source].extraction
