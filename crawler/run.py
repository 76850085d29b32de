"""`xxgk crawl`: run several site spiders at once in one Scrapy process.

Sites crawl concurrently; politeness holds per portal (one download slot per host,
AutoThrottle). Each site's run gets its own run id, capture-record file and log
`runs/<run_id>.log`.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from archive.store.home import Home
from archive.store.records import new_run_id
from crawler.jobs import CrawlJob, format_summary, jobs_for, parse_mapping


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sites", nargs="*", help="site ids (default: every active site of registry/sites.csv)")
    parser.add_argument("--base-url", action="append", metavar="SITE=URL",
                        help="rebase a site onto a replica (repeatable)")
    parser.add_argument("--delay", type=float, help="seconds between requests to one portal (default 1.0)")
    parser.add_argument("--full", action="store_true", help="ignore earlier captures (no conditional requests)")
    parser.add_argument("--url", action="append", metavar="[SITE=]URL",
                        help="crawl a portal that has no site config with the generic spider (repeatable; "
                             "the site id is derived from the host unless given as SITE=URL)")
    parser.add_argument("--site-id", help="site id for --url (default: derived from the host)")
    parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="extra Scrapy setting")
    from crawler.distributed import roles  # --distributed, --seed, --worker: docs/scaling.md

    roles.add_arguments(parser)


def generic_jobs(urls: list[str], site_id: str | None, run_batch: str, full: bool) -> list[CrawlJob]:
    """`xxgk crawl --url URL`: the generic spider on a portal of unknown platform."""
    from crawler.platforms.generic import site_id_for

    if site_id and len(urls) > 1:
        raise SystemExit("--site-id names one site: give one --url with it")
    jobs = []
    for spec in urls:
        named, sep, rest = spec.partition("=")
        if sep and "://" not in named and "/" not in named:
            site, url = named, rest
        else:
            site, url = site_id or site_id_for(spec), spec
        kw: dict[str, Any] = {"run_id": f"{run_batch}-{site}", "start_url": url, "site_id": site}
        if full:
            kw["incremental"] = "0"
        jobs.append(CrawlJob(site, "generic", kw))
    return jobs


class RunLogFilter(logging.Filter):
    """Keep the log lines that belong to one site's run.

    By site id, not spider name: several sites crawled by the same generic platform spider
    (`trs`, `gkmlpt`, `jcms`) share a name. Scrapy and the spiders' own loggers attach the
    spider to each record (`extra={"spider": …}`).
    """

    def __init__(self, site_id: str):
        super().__init__()
        self.site_id = site_id

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(getattr(record, "spider", None), "site_id", None) == self.site_id


def run_jobs(jobs: list[CrawlJob], settings_overrides: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Crawl every job in one process; returns {site_id: run_end stats} from the records."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    from crawler.progress import quiet_console_for_progress
    from crawler.shutdown import BoundedCrawlerProcess

    home = Home.from_env().ensure()
    settings = get_project_settings()
    for key, value in (settings_overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    process = BoundedCrawlerProcess(settings, install_root_handler=True)
    quiet_console_for_progress()
    handlers = []
    for job in jobs:
        handler = logging.FileHandler(home.runs / f"{job.kwargs['run_id']}.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
        handler.addFilter(RunLogFilter(job.site_id))
        logging.getLogger().addHandler(handler)
        handlers.append(handler)
        process.crawl(job.spider, **job.kwargs)
    try:
        process.start()
    finally:
        for h in handlers:
            logging.getLogger().removeHandler(h)
            h.close()
    return run_results(home, [j.kwargs["run_id"] for j in jobs])


def run_results(home: Home, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    from archive.store.records import iter_records

    wanted = set(run_ids)
    out: dict[str, dict[str, Any]] = {}
    for rec in iter_records(home, types={"run_end"}):
        if rec["run_id"] in wanted:
            out[rec["site_id"]] = {"status": rec["status"], **rec.get("stats", {})}
    return out


def settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = dict(parse_mapping(args.set, "--set")) if getattr(args, "set", None) else {}
    if getattr(args, "delay", None) is not None:
        overrides["DOWNLOAD_DELAY"] = args.delay
        overrides["AUTOTHROTTLE_START_DELAY"] = args.delay
        if args.delay == 0:
            overrides["AUTOTHROTTLE_ENABLED"] = False
    return overrides


def run(args: argparse.Namespace) -> int:
    if getattr(args, "distributed", False) or os.environ.get("XXGK_DISTRIBUTED", "0") not in ("", "0"):
        from crawler.distributed import roles

        return roles.run(args, settings_from_args(args))
    base_urls = parse_mapping(args.base_url, "--base-url")
    batch = new_run_id()
    url_jobs = generic_jobs(args.url or [], getattr(args, "site_id", None), batch, args.full)
    jobs = url_jobs + (jobs_for(args.sites, base_urls, batch, args.full) if args.sites or not url_jobs else [])
    results = run_jobs(jobs, settings_from_args(args))
    print(format_summary(results))
    from crawler.shutdown import SHUTDOWN

    if SHUTDOWN.requested:  # every site's run_end says `interrupted`; the next run picks up
        return SHUTDOWN.exit_code
    return 0 if results and all(r["status"] != "failed" for r in results.values()) else 1
