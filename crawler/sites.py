"""The registry of configured sites: every spider in `spiders/` is one portal."""
from __future__ import annotations

import os
from functools import cache
from typing import Any

from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from crawler.platforms.base import PortalSpider

PLATFORM_SPIDERS = ("trs", "gkmlpt", "jcms", "generic")
os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")


@cache
def site_spiders() -> dict[str, type[PortalSpider]]:
    loader = SpiderLoader.from_settings(get_project_settings())
    out = {}
    for name in loader.list():
        cls = loader.load(name)
        if name not in PLATFORM_SPIDERS and issubclass(cls, PortalSpider) and cls.site_id:
            out[name] = cls
    return out


def platform_spider(platform: str) -> type[PortalSpider]:
    loader = SpiderLoader.from_settings(get_project_settings())
    return loader.load(platform)


def site_info(site_id: str) -> dict[str, Any] | None:
    cls = site_spiders().get(site_id)
    if cls is None:
        return None
    return {"site_id": cls.site_id, "name": cls.site_name, "region_code": cls.region_code,
            "province": cls.province, "prefecture": cls.prefecture, "county": cls.county,
            "platform": cls.platform, "home_url": cls.home_url}
