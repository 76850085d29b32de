"""The configured sites: one spider per line of `registry/sites.csv` (made in `spiders/`)."""
from __future__ import annotations

import os
from typing import Any

from crawler.platforms.base import PortalSpider

PLATFORM_SPIDERS = ("trs", "gkmlpt", "jcms", "generic")
os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


def site_spiders() -> dict[str, type[PortalSpider]]:
    """Every registry site with a spider, active or unverified: {site_id: spider class}."""
    from spiders import SITE_SPIDERS

    return dict(SITE_SPIDERS)


def default_sites() -> list[str]:
    """The sites crawled when none are named: the registry's active lines."""
    from registry.sites import default_sites as active

    return [s for s in active() if s in site_spiders()]


def platform_spider(platform: str) -> type[PortalSpider]:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    return loader.load(platform)


def site_info(site_id: str) -> dict[str, Any] | None:
    from registry.sites import site_info as info

    return info(site_id)
