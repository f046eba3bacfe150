"""Is each source still yielding, and still extracted well? Judged from its runs, its
per-page decisions and its newest articles, so a cron-driven archive says plainly when a
site stops publishing to us, blocks us, or changes its layout.

The figures come from ``Archive.source_activity`` (the archive owns SQL); this module only
weighs them. Each flag says what was seen and what it suggests, in one line:

- no successful crawl for three intervals (the registry's; 6 hours when unknown);
- stopped yielding: the last three crawls archived nothing new where the ones before did;
- most of a crawl's pages failed (the site is down or refuses us);
- most of a crawl's pages were dropped and none archived (the article URLs changed);
- extraction quality dropped: among the newest articles, a field that the earlier ones
  had (date, byline, category) is missing far more often, or the text got much shorter,
  the usual sign of a layout change.

"unhealthy" flags make ``newsarchive health --check`` exit 1; "warning" ones do not.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["SourceHealth", "assess", "assess_all", "registry_intervals"]

# How many of the newest articles are compared with the ones before them.
RECENT = 20
# A field missing this much more often among the newest articles is a drop.
QUALITY_DROP = 0.3
DEFAULT_INTERVAL = 6 * 3600
_SUCCESS = ("ok",)
_FINISHED = ("ok", "empty", "failed")


@dataclass
class SourceHealth:
    source: str
    state: str  # "ok", "warning", "unhealthy", or "new" (never crawled)
    flags: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # one per flag: stale, stopped, …
    last_success: str | None = None
    crawls: int = 0
    new_per_crawl: float | None = None  # over the recent finished crawls
    trend: str = "-"  # rising, steady, falling, stopped
    missing: dict[str, float] = field(default_factory=dict)  # newest articles: share
    dropped_share: float | None = None  # of the last crawl's pages
    dropped_top: list[tuple[str, int]] = field(default_factory=list)
    error_rate: float | None = None  # of the last crawl's pages
    articles: int = 0
    newest_article: str | None = None
    per_day: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"


def assess(
    source: str,
    activity: dict[str, Any],
    interval: int | None = None,
    now: datetime | None = None,
) -> SourceHealth:
    """The health of one source from its ``Archive.source_activity`` figures."""
    now = now or datetime.now(UTC)
    interval = interval or DEFAULT_INTERVAL
    runs = activity["runs"]  # newest first
    health = SourceHealth(
        source,
        "ok",
        articles=activity["articles"],
        newest_article=activity["newest_published"] or activity["newest_seen"],
        per_day=list(activity["per_day"]),
        crawls=len(runs),
    )
    unhealthy: list[tuple[str, str]] = []  # (kind, what was seen)
    warnings: list[tuple[str, str]] = []

    successes = [r for r in runs if r["status"] in _SUCCESS]
    if successes:
        health.last_success = successes[0]["finished"] or successes[0]["started"]
    finished = [r for r in runs if r["status"] in _FINISHED]
    if finished:
        yields = [r["new"] for r in finished]
        health.new_per_crawl = round(statistics.mean(yields), 1)
        health.trend = _trend(yields)
    if runs:
        last_done = _parse(health.last_success)
        if last_done is None:
            unhealthy.append(("stale", f"no successful crawl in its last {len(runs)} runs"))
        elif now - last_done > timedelta(seconds=3 * interval):
            every = _hours(timedelta(seconds=interval))
            unhealthy.append(
                ("stale", f"no successful crawl for {_hours(now - last_done)} (interval {every})")
            )
        seen = _parse(activity["newest_seen"])
        quiet = now - seen if seen else None
        # A quiet day on a small site is not a stop: three empty crawls and nothing new
        # for two days (or three intervals, if longer).
        patience = max(timedelta(days=2), timedelta(seconds=3 * interval))
        if health.trend == "stopped" and (quiet is None or quiet > patience):
            before = statistics.mean(r["new"] for r in finished[3:])
            unhealthy.append(
                (
                    "stopped",
                    f"stopped yielding: nothing new in the last 3 crawls"
                    f"{f' or for {_hours(quiet)}' if quiet else ''} (before: {before:.1f} a crawl)",
                )
            )
        last = runs[0]
        if last["pages"]:
            health.error_rate = round(last["failed"] / last["pages"], 2)
            health.dropped_share = round(last["dropped"] / last["pages"], 2)
            health.dropped_top = sorted(last["dropped_reasons"].items(), key=lambda kv: -kv[1])[:3]
            if health.error_rate >= 0.5:
                unhealthy.append(
                    (
                        "errors",
                        f"{health.error_rate:.0%} of the last crawl's pages failed:"
                        " is the site down or refusing us?",
                    )
                )
            elif health.error_rate >= 0.2:
                warnings.append(
                    ("errors", f"{health.error_rate:.0%} of the last crawl's pages failed")
                )
            archived = last["new"] + last["updated"] + last["unchanged"]
            if health.dropped_share >= 0.9 and last["pages"] >= 10 and archived == 0:
                warnings.append(
                    (
                        "dropped",
                        f"{health.dropped_share:.0%} of the last crawl's pages were dropped"
                        " and none archived: have the article URLs changed?",
                    )
                )
        if last["status"] == "failed":
            warnings.append(("failed", "the last crawl failed"))
        elif last["status"] == "killed":
            warnings.append(("killed", "the last crawl was killed"))

    newest = activity["newest"]
    if newest:
        health.missing = {
            "date": _share(newest[:RECENT], "dated"),
            "byline": _share(newest[:RECENT], "credited"),
            "category": _share(newest[:RECENT], "categorised"),
        }
        unhealthy += _quality_drop(newest)

    health.kinds = [kind for kind, _ in unhealthy + warnings]
    health.flags = [text for _, text in unhealthy + warnings]
    if unhealthy:
        health.state = "unhealthy"
    elif warnings:
        health.state = "warning"
    elif not runs:
        health.state = "ok" if newest else "new"
    return health


def _share(rows: list[dict[str, Any]], key: str) -> float:
    """The share of ``rows`` missing ``key``."""
    return round(sum(1 for r in rows if not r[key]) / len(rows), 2) if rows else 0.0


def _trend(yields: list[int]) -> str:
    """New articles per crawl, newest first → stopped, falling, rising or steady."""
    if len(yields) >= 4 and not any(yields[:3]) and statistics.mean(yields[3:]) >= 1:
        return "stopped"
    if len(yields) < 4:
        return "-"
    half = len(yields) // 2
    recent, before = statistics.mean(yields[:half]), statistics.mean(yields[half:])
    if before and recent < 0.5 * before:
        return "falling"
    if recent > 1.5 * before + 1:
        return "rising"
    return "steady"


def _quality_drop(newest: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Fields the newest articles lack far more often than the ones before them."""
    recent, before = newest[:RECENT], newest[RECENT:]
    if len(recent) < 10 or len(before) < 20:
        return []
    found = []
    for key, label in (("dated", "date"), ("credited", "byline"), ("categorised", "category")):
        now_missing, was_missing = _share(recent, key), _share(before, key)
        if now_missing - was_missing >= QUALITY_DROP:
            found.append(
                (
                    "quality",
                    f"extraction quality dropped: {now_missing:.0%} of the newest"
                    f" {len(recent)} articles have no {label} (before: {was_missing:.0%});"
                    " a layout change?",
                )
            )
    words_now = statistics.median(r["words"] for r in recent)
    words_before = statistics.median(r["words"] for r in before)
    if words_before >= 100 and words_now < 0.5 * words_before:
        found.append(
            (
                "quality",
                f"extraction quality dropped: the newest articles have {words_now:.0f} words"
                f" (median; before: {words_before:.0f}); a layout change?",
            )
        )
    return found


def assess_all(
    activity: dict[str, dict[str, Any]],
    intervals: dict[str, int] | None = None,
    now: datetime | None = None,
) -> list[SourceHealth]:
    """Every source's health, unhealthy first."""
    intervals = intervals or {}
    order = {"unhealthy": 0, "warning": 1, "ok": 2, "new": 3}
    found = [assess(name, data, intervals.get(name), now) for name, data in activity.items()]
    return sorted(found, key=lambda h: (order[h.state], h.source))


def registry_intervals(sites_file: Any = None) -> dict[str, int]:
    """Each registered source's crawl interval in seconds; none when the registry cannot
    be read (health is still worth showing with the default interval)."""
    from newsarchive.sites import SitesError, load_sites

    try:
        return {name: site.interval for name, site in load_sites(sites_file).items()}
    except SitesError:
        return {}
