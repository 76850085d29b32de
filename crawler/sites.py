"""The configured sites: one spider per line of `registry/sites.csv` (made in `spiders/`)."""
from __future__ import annotations

import os

from crawler.platforms.base import PortalSpider

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


def site_spiders() -> dict[str, type[PortalSpider]]:
    """Every registry site with a spider, active or unverified: {site_id: spider class}."""
    from spiders import SITE_SPIDERS

    return dict(SITE_SPIDERS)


def default_sites() -> list[str]:
    """The sites crawled when none are named: the registry's active lines."""
    from registry.sites import default_sites as active

    return [s for s in active() if s in site_spiders()]


def platform_spiders() -> dict[str, type[PortalSpider]]:
    """The platform families' base spiders by name (= platform): every portal spider Scrapy's
    loader finds in `crawler.platforms` without a site of its own. Found, not registered."""
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    out = {}
    for name in loader.list():
        cls = loader.load(name)
        if issubclass(cls, PortalSpider) and not cls.site_id and cls.__module__.startswith("crawler.platforms."):
            out[name] = cls
    return out


def platform_spider(platform: str) -> type[PortalSpider]:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    loader = SpiderLoader.from_settings(get_project_settings())
    return loader.load(platform)

