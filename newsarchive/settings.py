"""Scrapy settings for every newsarchive crawl (scrapy.cfg points here).

Politeness is the default: robots.txt obeyed from a site's first request on (Crawl-delay
included, which Scrapy itself ignores), AutoThrottle, at most two requests in flight per
site, retries with backoff that honour Retry-After, and a User-Agent that names the
project and a contact.
"""

import os

from newsarchive import __version__
from newsarchive.limits import MAX_ARTICLE_SIZE

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Who we are. Operators should set their own contact (env NEWSARCHIVE_CONTACT).
NEWSARCHIVE_CONTACT = os.environ.get(
    "NEWSARCHIVE_CONTACT", "https://github.com/newsarchive/newsarchive"
)
USER_AGENT = f"newsarchive/{__version__} (+{NEWSARCHIVE_CONTACT})"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Backoff for 429/503 without Retry-After: base * 2**attempt seconds, capped.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 300.0

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's lets requests through while robots.txt is downloading (newsarchive.politeness).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsarchive.politeness.RobotsTxtFirstMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsarchive.politeness.RetryAfterMiddleware": 550,
    # Every response into WARC as the server sent it: outside RedirectMiddleware (600)
    # and HttpCompressionMiddleware (590), so 3xx and compressed bodies are kept as such.
    "newsarchive.capture.CaptureMiddleware": 610,
}
EXTENSIONS = {
    "newsarchive.politeness.RobotsCrawlDelay": 600,
    # The live line `newsarchive crawl` shows on a terminal (NEWSARCHIVE_PROGRESS).
    "newsarchive.progress.ProgressLine": 900,
    "scrapy.extensions.telnet.TelnetConsole": None,
}
NEWSARCHIVE_PROGRESS = False
# Scrapy's RFPDupeFilter keeps 20-byte fingerprints in a set, ~93 bytes a request; this
# one 8 bytes of each in a flat array (newsarchive.seen, issue 9).
DUPEFILTER_CLASS = "newsarchive.seen.SeenFilter"
ITEM_PIPELINES = {
    "newsarchive.pipelines.ArchivePipeline": 300,
}
# With a Redis URL here, a crawl is one worker of a distributed crawl (newsarchive.
# distributed: the add-on switches the scheduler, pipeline and politeness over).
NEWSARCHIVE_REDIS = ""
# A worker silent this many seconds is dead: the others take back its in-flight requests.
NEWSARCHIVE_WORKER_TTL = 10
ADDONS = {"newsarchive.distributed.RedisAddon": 0}

# Where articles go (env NEWSARCHIVE_DB, as for every command).
NEWSARCHIVE_DB = os.environ.get("NEWSARCHIVE_DB", "data/archive.db")
# The source registry the spiders are made from, when given as a setting (a scrapyd job
# is given it so: newsarchive.spiderloader); empty: env NEWSARCHIVE_SITES, else
# seeds/sites.toml (newsarchive.sites.sites_path).
NEWSARCHIVE_SITES = ""
SPIDER_LOADER_CLASS = "newsarchive.spiderloader.RegistrySpiderLoader"
# Extraction runs in this many worker processes off the reactor thread; 0 = inline.
# Each adds ~70 MB: 4 workers peaked at 377 MB for the whole process tree on 2,000 pages
# (bench/bench_crawl.py), so 3 keeps a 5,000-page crawl under 400 MB on big machines.
NEWSARCHIVE_EXTRACT_WORKERS = min(os.cpu_count() or 1, 3)
# Re-fetch articles already in the archive even when no feed/sitemap says they changed.
NEWSARCHIVE_REFRESH = False
# Items written to SQLite per transaction.
NEWSARCHIVE_BATCH_SIZE = 50

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")
# Discovery without feeds or sitemaps: section and listing pages are followed breadth
# first this many links below the start pages (pagination of one listing does not count).
NEWSARCHIVE_DISCOVERY_DEPTH = 3
# Follow the links of article pages too (related stories), as listings: off by default,
# since a site's feeds, sitemaps and sections list its articles.
NEWSARCHIVE_FOLLOW_ARTICLE_LINKS = False
# At most this many pages of one listing's pagination (0: no limit but --max-pages).
NEWSARCHIVE_LISTING_DEPTH = 0
# The largest article stored, in UTF-8 bytes of title, text and description (2 MB;
# env NEWSARCHIVE_MAX_ARTICLE_SIZE, as for ingest): see newsarchive/limits.py.
NEWSARCHIVE_MAX_ARTICLE_SIZE = MAX_ARTICLE_SIZE
# Keep every fetched response as WARC in warc/<source>/ beside the archive
# (newsarchive.capture): `crawl --no-warc` or `warc = false` for a source turns it off.
NEWSARCHIVE_WARC = True
# A new WARC file past this size (bytes, or 500MB): Heritrix's default.
NEWSARCHIVE_WARC_MAX_SIZE = "1GB"
