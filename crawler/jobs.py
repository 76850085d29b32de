"""Crawl jobs: which spider crawls which site with which arguments, and the run summary table.

Shared by the single-process runner (crawler.run), distributed mode (crawler.distributed)
and `xxgk nightly`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CrawlJob:
    site_id: str
    spider: str  # spider name: a site spider or a platform spider
    kwargs: dict[str, Any] = field(default_factory=dict)


def parse_mapping(pairs: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise SystemExit(f"{what} must look like SITE=VALUE, got {pair!r}")
        out[key] = value
    return out


def jobs_for(sites: list[str], base_urls: dict[str, str], run_batch: str, full: bool) -> list[CrawlJob]:
    from crawler.sites import default_sites, site_spiders

    known = site_spiders()
    unknown = [s for s in sites if s not in known]
    if unknown:
        raise SystemExit(f"unknown site(s): {', '.join(unknown)} (known: {', '.join(sorted(known))}; "
                         "add a portal with `xxgk sites add URL`)")
    jobs = []
    for site in sites or default_sites():  # none named: the registry's active sites
        kw: dict[str, Any] = {"run_id": f"{run_batch}-{site}"}
        if site in base_urls:
            kw["base_url"] = base_urls[site]
        if full:
            kw["incremental"] = "0"
        jobs.append(CrawlJob(site, site, kw))
    return jobs


def format_summary(results: dict[str, dict[str, Any]]) -> str:
    cols = ("status", "requests", "captures", "not_modified", "reports", "attachments", "errors")
    lines = ["site".ljust(12) + "".join(c.rjust(13) for c in cols)]
    for site, r in sorted(results.items()):
        lines.append(site.ljust(12) + "".join(str(r.get(c, "")).rjust(13) for c in cols))
    return "\n".join(lines)
