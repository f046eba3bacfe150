"""Source health: the figures the archive gathers, the flags they raise, and the
commands that show them. Times are a controlled clock (``now``), never the wall clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from newsarchive.archive import RunStats
from newsarchive.cli import cli
from newsarchive.health import assess

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def run(hours_ago: float, new: int, status: str = "ok", pages: int = 40, **counts) -> dict:
    started = (NOW - timedelta(hours=hours_ago)).isoformat(timespec="seconds")
    return {
        "status": status,
        "started": started,
        "finished": started,
        "pages": pages,
        "new": new,
        "updated": counts.get("updated", 0),
        "unchanged": counts.get("unchanged", 0),
        "failed": counts.get("failed", 0),
        "dropped": counts.get("dropped", 0),
        "dropped_reasons": counts.get("reasons", {}),
    }


def article(dated=True, credited=True, categorised=True, words=400) -> dict:
    return {"dated": dated, "credited": credited, "categorised": categorised, "words": words}


def activity(runs, newest=(), seen_hours_ago=1.0) -> dict:
    seen = (NOW - timedelta(hours=seen_hours_ago)).isoformat(timespec="seconds")
    return {
        "runs": runs,
        "articles": len(newest),
        "newest_published": seen,
        "newest_seen": seen,
        "newest": list(newest),
        "per_day": [],
    }


def test_a_steady_source_is_ok():
    runs = [run(h, 5) for h in range(1, 60, 6)]  # every 6 hours, newest first
    health = assess("s", activity(runs, [article()] * 50), 6 * 3600, NOW)
    assert health.state == "ok", health.flags
    assert health.new_per_crawl == 5
    assert health.trend == "steady"
    assert health.missing == {"date": 0.0, "byline": 0.0, "category": 0.0}


def test_a_source_that_stops_yielding_is_unhealthy():
    runs = [run(h, 0) for h in (1, 7, 13)] + [run(h, 8) for h in (19, 25, 31, 37)]
    health = assess("s", activity(runs, seen_hours_ago=80), 6 * 3600, NOW)
    assert health.state == "unhealthy"
    assert health.trend == "stopped"
    assert any("stopped yielding" in f and "8.0 a crawl" in f for f in health.flags)


def test_a_quiet_day_on_a_small_site_is_not_a_stop():
    """Three empty hourly crawls, the last new article five hours ago: not a stop."""
    runs = [run(h, 0) for h in (1, 2, 3)] + [run(h, 1) for h in (4, 5, 6, 7)]
    health = assess("s", activity(runs, seen_hours_ago=5), 3600, NOW)
    assert not any("stopped" in f for f in health.flags)
    assert health.state == "ok"


def test_no_successful_crawl_for_three_intervals():
    runs = [run(2, 0, "failed"), run(30, 4)]
    health = assess("s", activity(runs), 6 * 3600, NOW)
    assert health.state == "unhealthy"
    assert any("no successful crawl for 30 hours (interval 6 hours)" in f for f in health.flags)
    assert "the last crawl failed" in health.flags


def test_a_site_that_refuses_us():
    runs = [run(1, 0, "empty", pages=20, failed=15), run(7, 3)]
    health = assess("s", activity(runs), 6 * 3600, NOW)
    assert health.state == "unhealthy"
    assert health.error_rate == 0.75
    assert any("site down or refusing us" in f for f in health.flags)


def test_every_page_dropped_suggests_changed_urls():
    reasons = {"listing or section page": 30, "no article text": 10}
    runs = [run(1, 0, "empty", pages=40, dropped=40, reasons=reasons), run(7, 3)]
    health = assess("s", activity(runs), 6 * 3600, NOW)
    assert health.state == "warning"
    assert health.dropped_top[0] == ("listing or section page", 30)
    assert any("article URLs changed" in f for f in health.flags)


def test_a_layout_change_shows_as_missing_dates_and_shorter_text():
    newest = [article(dated=False, words=60)] * 20 + [article()] * 100
    health = assess("s", activity([run(1, 20)], newest), 6 * 3600, NOW)
    assert health.state == "unhealthy"
    assert health.missing["date"] == 1.0
    drops = [f for f in health.flags if "extraction quality dropped" in f]
    assert any("have no date (before: 0%)" in f for f in drops), drops
    assert any("60 words" in f for f in drops), drops


def test_a_source_without_bylines_is_not_a_quality_drop():
    """A paper that never prints bylines: always missing, never a drop."""
    newest = [article(credited=False)] * 120
    health = assess("s", activity([run(1, 20)], newest), 6 * 3600, NOW)
    assert health.state == "ok", health.flags
    assert health.missing["byline"] == 1.0


# --- the archive's figures and the commands ----------------------------------------------


# Four days before the real today: the archive's per-day figures count the last 30 days.
DAY = (datetime.now(UTC) - timedelta(days=4)).strftime("%Y-%m-%d")


def _crawled(archive, articles, source: str, new: int, status: str = "ok") -> None:
    run_id = archive.start_run("crawl", source, f"newsarchive crawl {source}")
    batch = [articles(source=source, published=f"{DAY}T10:00:00+01:00") for _ in range(new)]
    list(archive.upsert_articles(batch))
    archive.finish_run(run_id, RunStats(pages=new + 2, new=new, dropped=2), status)


def test_source_activity_gathers_runs_articles_and_coverage(archive, articles):
    _crawled(archive, articles, "alpha", 3)
    list(archive.upsert_articles([articles(source="alpha", author="سارة بن علي")]))
    figures = archive.source_activity()
    alpha = figures["alpha"]
    assert [r["new"] for r in alpha["runs"]] == [3]
    assert alpha["articles"] == 4
    assert alpha["newest"][0]["credited"] and not alpha["newest"][1]["credited"]
    assert alpha["newest"][0]["dated"] is False and alpha["newest"][1]["dated"] is True
    assert (DAY, 3) in alpha["per_day"]


def test_health_check_exits_1_naming_the_unhealthy_source(archive, articles, tmp_path):
    for _ in range(4):
        _crawled(archive, articles, "alpha", 5)
    for _ in range(3):
        _crawled(archive, articles, "alpha", 0, "empty")
    _crawled(archive, articles, "beta", 2)
    # alpha's newest article was first seen long ago: back-date it.
    archive.conn.execute("UPDATE articles SET first_seen = '2026-01-01T00:00:00+00:00'")
    archive.conn.commit()
    db = str(tmp_path / "archive.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["health", "--check", "--db", db])
    assert result.exit_code == 1, result.output
    assert "unhealthy: alpha" in result.output
    assert "alpha: stopped yielding" in result.output
    assert "beta" in result.output
    report = json.loads(runner.invoke(cli, ["health", "--json", "--db", db]).output)
    states = {h["source"]: h["state"] for h in report}
    assert states["alpha"] == "unhealthy"
    stats = runner.invoke(cli, ["stats", "--db", db])
    assert stats.exit_code == 0, stats.output
    assert "source health" in stats.output and "alpha: stopped yielding" in stats.output


def test_health_on_a_healthy_archive_exits_0(archive, articles, tmp_path):
    _crawled(archive, articles, "alpha", 5)
    result = CliRunner().invoke(cli, ["health", "--check", "--db", str(tmp_path / "archive.db")])
    assert result.exit_code == 0, result.output
    assert "alpha" in result.output


def test_health_page_in_datasette_is_arabic_with_a_chart(archive, articles, tmp_path):
    import asyncio

    from newsarchive.web import build_datasette

    for _ in range(4):
        _crawled(archive, articles, "alpha", 5)
    for _ in range(3):
        _crawled(archive, articles, "alpha", 0, "empty")
    archive.conn.execute("UPDATE articles SET first_seen = '2026-01-01T00:00:00+00:00'")
    archive.conn.commit()
    ds = build_datasette(tmp_path / "archive.db")

    async def get(path):
        return await ds.client.get(path)

    page = asyncio.run(get("/-/health"))
    assert page.status_code == 200
    html = page.text
    assert 'dir="rtl"' in html
    assert "صحة المصادر" in html and "معتل" in html
    assert "توقف المصدر عن تقديم مقالات جديدة" in html
    assert html.count("<rect") == 30  # one bar a day
    assert f"<title>{DAY}: 20</title>" in html
    menu = asyncio.run(get("/"))
    assert "/-/health" in menu.text
