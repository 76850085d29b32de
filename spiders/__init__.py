"""One spider per line of `registry/sites.csv`, made when Scrapy (or anyone) imports this module.

A site spider is its platform spider (`crawler/platforms/`) with the line's configuration as
class attributes — site_id, site_name, region_code, province, prefecture, county, home_url,
entry_urls (the home page when the line gives none) and footholds — so `scrapy list`,
`scrapy crawl <site>` and `xxgk crawl <site>` see every line. Adding a portal is adding a line
(`xxgk sites add URL` writes it); a bad line stops the import with the file, line and column.
"""
from __future__ import annotations

import importlib
import re

from crawler.platforms.base import PortalSpider
from registry import sites as registry


def platform_class(spider: str) -> type[PortalSpider] | None:
    """The platform spider named `spider` (None while its module does not exist)."""
    try:
        module = importlib.import_module(f"crawler.platforms.{spider}")
    except ModuleNotFoundError as exc:
        if exc.name == f"crawler.platforms.{spider}":
            return None
        raise
    for obj in vars(module).values():
        if (isinstance(obj, type) and issubclass(obj, PortalSpider) and obj.__module__ == module.__name__
                and getattr(obj, "name", None) == spider):
            return obj
    return None


def class_name(site_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", site_id)) + "Spider"


def make_spider(site: registry.Site) -> type[PortalSpider] | None:
    base = platform_class(site.spider)
    if base is None:
        return None
    attrs = {
        "__module__": __name__,
        "__doc__": f"{site.name} — {site.note}" if site.note else site.name,
        "name": site.site_id, "site_id": site.site_id, "site_name": site.name,
        "region_code": site.region_code, "province": site.province, "prefecture": site.prefecture,
        "county": site.county, "home_url": site.home_url, "entry_urls": site.start_urls,
        "footholds": list(site.footholds), "registry_status": site.status, "family": site.family,
    }
    return type(class_name(site.site_id), (base,), attrs)


SITE_SPIDERS: dict[str, type[PortalSpider]] = {}
for _site in registry.load():
    _cls = make_spider(_site)
    if _cls is not None:
        SITE_SPIDERS[_site.site_id] = _cls
        globals()[_cls.__name__] = _cls  # Scrapy's SpiderLoader finds spiders among module globals
del _site, _cls
