"""One spider per configured source (seeds/sites.toml, or --sites / NEWSARCHIVE_SITES),
so `scrapy list` shows them all and `scrapy crawl NAME` works for each."""

from __future__ import annotations

from newsarchive.sites import Site, load_sites
from spiders.news import NewsSpider


def spider_for(site: Site) -> type[NewsSpider]:
    class_name = "".join(part.title() for part in site.name.split("_")) + "Spider"
    # __module__ must be this module, or Scrapy's spider loader skips the class
    # (scrapy/utils/spider.py iter_spider_classes).
    return type(
        class_name, (NewsSpider,), {"name": site.name, "site": site, "__module__": __name__}
    )


def _define_spiders() -> None:
    for site in load_sites().values():
        spider = spider_for(site)
        globals()[spider.__name__] = spider


_define_spiders()
