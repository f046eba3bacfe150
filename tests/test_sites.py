"""The source registry: the bundled entries, validation, URL patterns."""

import textwrap

import pytest

from newsarchive.sites import Site, SitesError, load_sites, parse_interval


def test_bundled_registry_has_elmaouid_and_other_algerian_dailies():
    sites = load_sites()
    elmaouid = sites["elmaouid"]
    assert elmaouid.cms == "wordpress"
    assert "/feed/" in elmaouid.feeds
    assert elmaouid.extraction.default_author == "الموعد اليومي"
    assert "span.tie-date" in elmaouid.extraction.date
    assert {"ennaharonline", "elkhabar", "elbilad"} <= set(sites)
    assert sites["elkhabar"].cms == "generic"


def test_every_bad_entry_is_reported_in_one_error(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text(
        """
[sites.good]
base_url = "https://good.dz/"
[sites.nourl]
feeds = ["/feed/"]
[sites.badregex]
base_url = "https://x.dz/"
article_patterns = ["(unclosed"]
[sites.badinterval]
base_url = "https://y.dz/"
interval = "often"
concurrency = 40
[sites.badselector]
base_url = "https://z.dz/"
[sites.badselector.extract]
title = ["h1[[["]
""",
        encoding="utf-8",
    )
    with pytest.raises(SitesError) as error:
        load_sites(path)
    message = str(error.value)
    for fragment in ("[sites.nourl]", "[sites.badregex]", "often", "concurrency", "h1[[["):
        assert fragment in message
    assert "[sites.good]" not in message


def test_missing_and_broken_registry(tmp_path):
    with pytest.raises(SitesError, match="no source registry"):
        load_sites(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[sites.x\n", encoding="utf-8")
    with pytest.raises(SitesError, match="not valid TOML"):
        load_sites(broken)


def test_registry_path_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "mine.toml"
    path.write_text('[sites.mine]\nbase_url = "https://mine.dz/"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSARCHIVE_SITES", str(path))
    assert list(load_sites()) == ["mine"]


def test_article_url_patterns():
    sites = load_sites()
    elkhabar = sites["elkhabar"]
    assert elkhabar.is_article_url("https://www.elkhabar.com/press/article/135314/slug/")
    assert not elkhabar.is_article_url("https://www.elkhabar.com/press/category/28/x/")
    elbilad = sites["elbilad"]
    assert elbilad.is_article_url("https://www.elbilad.net/article/detail?id=80988")
    wp = Site(name="wp", base_url="https://wp.dz/")
    assert wp.is_article_url("https://wp.dz/2024/01/15/slug/")
    for listing in (
        "/category/sport/",
        "/tag/x/",
        "/author/a/",
        "/page/2/",
        "/?s=x",
        "/2024/01/15/slug/amp/",
        "/feed/",
        "/",
    ):
        assert not wp.is_article_url("https://wp.dz" + listing), listing
    assert not wp.is_article_url("https://other.dz/2024/01/15/slug/")


def test_site_for_an_unconfigured_url():
    site = Site.for_url("https://www.example-news.dz/")
    assert site.name == "example_news_dz"
    assert site.base_url == "https://www.example-news.dz/"
    with pytest.raises(SitesError):
        Site.for_url("not a url")


def test_intervals():
    assert parse_interval("30m") == 1800
    assert parse_interval("6h") == 21600
    assert parse_interval("1.5h") == 5400
    assert parse_interval(90) == 90
    # Not intervals: words, negative or non-finite numbers, booleans, TOML dates, and
    # what would crawl a site more than once a minute or overflow the clock.
    for bad in ("soon", -5, True, float("inf"), float("nan"), [1], 0, "10s", "400d"):
        with pytest.raises(ValueError):
            parse_interval(bad)


def test_a_bad_interval_is_one_line_naming_the_source_and_the_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from newsarchive.cli import cli

    path = tmp_path / "sites.toml"
    path.write_text(
        '[defaults]\ninterval = "2x"\n[sites.one]\nbase_url = "https://one.dz/"\n'
        '[sites.two]\nbase_url = "https://two.dz/"\ninterval = "5s"\n',
        encoding="utf-8",
    )
    # `crawl` exports its registry to the environment (for the spider loader): put it
    # back afterwards.
    monkeypatch.setenv("NEWSARCHIVE_SITES", str(path))
    with pytest.raises(SitesError) as error:
        load_sites(path)
    message = str(error.value)
    assert str(path) in message
    assert "[sites.one]: bad interval '2x'" in message and "(from [defaults])" in message
    assert "[sites.two]: interval '5s' is out of range" in message
    for command in (["crawl", "--due"], ["schedule", "--once"]):
        args = [*command, "--sites", str(path), "--db", str(tmp_path / "a.db")]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1
        assert "[sites.two]" in result.output and str(path) in result.output


def test_the_readmes_new_site_entry_is_valid(tmp_path):
    """The registry entry and overrides of the README's "Add a new site", as written."""
    import re

    from tests.crawling import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.DOTALL)
    assert len(blocks) == 2
    path = tmp_path / "sites.toml"
    path.write_text("".join(textwrap.dedent(block) for block in blocks), encoding="utf-8")
    site = load_sites(path)["examplenews"]
    assert site.interval == 6 * 3600
    assert site.is_article_url("https://www.example-news.dz/2024/03/10/some-story/")
    assert not site.is_article_url("https://www.example-news.dz/sport/")
    assert site.extraction.timezone == "Africa/Algiers"
    assert site.extraction.default_author == "أخبار المثال"
