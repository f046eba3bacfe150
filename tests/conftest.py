"""Shared fixtures: a fresh archive in tmp_path, a factory for Article records, and a
throw-away redis-server for the distributed crawl tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count

import pytest

from newsarchive.archive import Archive, open_archive
from newsarchive.items import Article
from tests.crawling import start_redis


@pytest.fixture
def archive(tmp_path) -> Iterator[Archive]:
    """An empty archive at tmp_path/archive.db, closed after the test."""
    with open_archive(tmp_path / "archive.db") as opened:
        yield opened


@pytest.fixture
def articles() -> Callable[..., Article]:
    """A factory for Articles with unique URLs; keyword arguments override the fields."""
    numbers = count(1)

    def make(**fields) -> Article:
        number = next(numbers)
        fields.setdefault("url", f"https://example.com/news/{number}")
        fields.setdefault("title", f"خبر رقم {number}")
        fields.setdefault("text", f"الفقرة الأولى من الخبر {number}.\nالفقرة الثانية.")
        fields.setdefault("source", "example")
        return Article(**fields)

    return make


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A redis-server of the test's own on 127.0.0.1 (Debian's; skips without it)."""
    try:
        server, url = start_redis(tmp_path)
    except FileNotFoundError:
        pytest.skip("redis-server is not installed: apt-get install redis-server (.ci/run does)")
    yield url
    server.kill()
    server.wait()
