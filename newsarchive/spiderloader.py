"""Scrapy's spider loader, with the source registry named by a setting.

The spiders of configured sources are made from the registry when ``spiders.sources``
is imported, and that module finds the registry through env NEWSARCHIVE_SITES (see
newsarchive.sites.sites_path). A scrapyd job can be given settings (``-s NAME=VALUE``,
scrapyd's ``setting`` parameter) but not environment variables, so the registry named
by the NEWSARCHIVE_SITES setting, when one is given, is made the process's before the
spider modules are loaded: `newsarchive schedule --scrapyd` passes it, with
NEWSARCHIVE_DB, to every job.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from scrapy.spiderloader import SpiderLoader

from newsarchive.sites import SitesError

SOURCES_MODULE = "spiders.sources"


class RegistrySpiderLoader(SpiderLoader):
    def __init__(self, settings: Any):
        registry = settings.get("NEWSARCHIVE_SITES")
        if registry and os.environ.get("NEWSARCHIVE_SITES") != str(registry):
            os.environ["NEWSARCHIVE_SITES"] = str(registry)
            if SOURCES_MODULE in sys.modules:  # made from another registry: make them anew
                importlib.reload(sys.modules[SOURCES_MODULE])
        try:
            super().__init__(settings)
        except SitesError as exc:
            # The loader is where `scrapy list|crawl|check` meet the registry: a bad
            # sites.toml is the user's one-line error there, not a 40-line traceback.
            raise SystemExit(f"Error: {exc}") from None
