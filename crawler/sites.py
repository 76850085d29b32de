"""The registry of configured sites: every spider in `spiders/` is one portal.

Found, not registered: Scrapy's spider loader walks `SPIDER_MODULES` (crawler.platforms,
spiders). A portal spider with a `site_id` is a site; one without is a platform family's
base spider (`scrapy crawl trs -a start_url=… -a site_id=…`).
"""
from __future__ import annotations

import os
from functools import cache

from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from crawler.platforms.base import PortalSpider

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


@cache
def _portal_spiders() -> dict[str, type[PortalSpider]]:
    loader = SpiderLoader.from_settings(get_project_settings())
    return {name: cls for name in loader.list() if issubclass(cls := loader.load(name), PortalSpider)}


def site_spiders() -> dict[str, type[PortalSpider]]:
    return {name: cls for name, cls in _portal_spiders().items() if cls.site_id}


def platform_spiders() -> dict[str, type[PortalSpider]]:
    """The platform families' base spiders, by name (= platform): trs, gkmlpt, jcms, …"""
    return {name: cls for name, cls in _portal_spiders().items() if not cls.site_id}


def platform_spider(platform: str) -> type[PortalSpider]:
    loader = SpiderLoader.from_settings(get_project_settings())
    return loader.load(platform)
