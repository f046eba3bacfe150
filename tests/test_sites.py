"""The source registry: the bundled entries, validation, URL patterns."""

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
    assert parse_interval(90) == 90
    with pytest.raises(ValueError):
        parse_interval("soon")
