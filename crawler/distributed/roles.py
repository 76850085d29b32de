"""`xxgk crawl --distributed`: many worker processes, on one or many machines, share a crawl.

Roles (docs/scaling.md has the operator's view):

    xxgk crawl --distributed --seed [SITES…] [--site-list FILE]   # coordinator, once per crawl
    xxgk crawl --distributed --worker NAME                         # any number, anywhere

The seed starts a new crawl id (`xxgk:current`), registers the chosen sites (spider name and
arguments) and pushes their entry requests into the per-site scrapy-redis queues. Workers
(crawler.distributed.worker) consume them. Scheduler, duplicate filter, leases:
crawler.distributed.leases; politeness across workers: crawler.distributed.hostlimit.
Everything writes to the shared `$XXGK_HOME` exactly as a single-machine crawl does
(`records/<site>/<run_id>.<worker>.jsonl`), and `xxgk build` merges it.

Without `--distributed` (and without `XXGK_DISTRIBUTED=1`) nothing here is used.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from redis import Redis
from scrapy import Request, Spider
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter

from archive.store.home import Home, check_site_id
from archive.store.records import iter_records, new_run_id
from crawler.distributed.leases import Keys, LeasedQueue, Scripts
from crawler.jobs import CrawlJob

logger = logging.getLogger(__name__)

STATUS_RANK = {"ok": 0, "degraded": 1, "failed": 2, "interrupted": 3}


def overlay(settings: Settings, crawl_id: str | None = None) -> Settings:
    """Switch a project settings object to the shared Redis scheduler, filter and limits."""
    if not settings.get("REDIS_URL"):
        raise SystemExit("distributed mode needs Redis: set REDIS_URL (e.g. redis://host:6379/0) "
                         "or pass --redis-url")
    prio = "cmdline"
    settings.set("SCHEDULER", "crawler.distributed.leases.DistributedScheduler", priority=prio)
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority=prio)
    settings.set("SCHEDULER_PERSIST", True, priority=prio)
    # one crawler per site: a few requests beyond the host's limit keep it busy; more would
    # only sit leased in this worker while other workers could take them
    settings.set("CONCURRENT_REQUESTS", 2 * settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") + 4, priority=prio)
    mws = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    mws["crawler.distributed.hostlimit.HostLimitMiddleware"] = 990
    settings.set("DOWNLOADER_MIDDLEWARES", mws, priority=prio)
    smws = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    smws["crawler.distributed.leases.LeaseAckMiddleware"] = 10
    settings.set("SPIDER_MIDDLEWARES", smws, priority=prio)
    exts = dict(settings.getdict("EXTENSIONS"))
    exts["crawler.distributed.worker.SiteIdleExtension"] = 0
    settings.set("EXTENSIONS", exts, priority=prio)
    if crawl_id:
        settings.set("XXGK_CRAWL_ID", crawl_id, priority=prio)
    return settings


def connect(settings: Settings) -> Redis:
    server = connection.from_settings(settings)
    server.ping()
    return server


def current_crawl(server: Redis, prefix: str) -> Keys | None:
    crawl = server.get(f"{prefix}:current")
    return Keys(prefix, crawl.decode()) if crawl else None


def read_site_list(path: str | Path) -> list[CrawlJob]:
    """Lines `site_id spider start_url [arg=value …]` (whitespace separated; `#` comments): sites
    without a spider module, crawled by a platform spider (trs, gkmlpt, jcms); args are spider
    arguments such as `max_list_pages=2`."""
    jobs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        args = dict(p.split("=", 1) for p in parts[3:] if "=" in p)
        if len(parts) < 3 or len(args) != len(parts) - 3:
            raise SystemExit(f"{path}: expected 'site_id spider start_url [arg=value …]', got {line!r}")
        site, spider, url = parts[:3]
        jobs.append(CrawlJob(check_site_id(site), spider, {**args, "site_id": site, "start_url": url}))
    return jobs


def entry_requests(job: CrawlJob) -> tuple[Spider, list[Request]]:
    """The requests the site spider's `start()` yields (spider built without a crawler; the
    serializer names callbacks by looking them up on it)."""
    from crawler.sites import platform_spider

    spider = platform_spider(job.spider)(**job.kwargs)

    async def collect() -> list[Request]:
        return [r async for r in spider.start() if isinstance(r, Request)]

    return spider, asyncio.run(collect())


def seed(server: Redis, settings: Settings, jobs: Iterable[CrawlJob], crawl_id: str | None = None) -> Keys:
    """Start a crawl: register the sites, push their entry requests, point `current` at it."""
    prefix = settings.get("XXGK_REDIS_PREFIX", "xxgk")
    keys = Keys(prefix, crawl_id or new_run_id())
    serializer = load_object(settings.get("SCHEDULER_SERIALIZER", "scrapy_redis.picklecompat"))
    scripts = Scripts(server)
    for job in jobs:
        job.kwargs["run_id"] = f"{keys.crawl}-{job.site_id}"
        spider, requests = entry_requests(job)
        queue = LeasedQueue(server, spider, keys.site(job.site_id, "queue"), serializer, keys=keys,
                            site_id=job.site_id, ttl=0, max_requeues=0, scripts=scripts)
        df = RFPDupeFilter(server, keys.site(job.site_id, "dupefilter"))
        for req in requests:
            queue.push_unseen(req, None if req.dont_filter else df.request_fingerprint(req))
        server.hset(keys.crawl_key("sites"), job.site_id, json.dumps({"spider": job.spider, "kwargs": job.kwargs}))
    server.set(keys.crawl_key("seeded"), "1")
    server.set(keys.current, keys.crawl)
    return keys


def merged_results(home: Home, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per site, the run_end records of all workers folded as `xxgk build` does (sum, worst status)."""
    wanted = set(run_ids)
    out: dict[str, dict[str, Any]] = {}
    for rec in iter_records(home, types={"run_end"}):
        if rec["run_id"] not in wanted:
            continue
        row = out.setdefault(rec["site_id"], {"status": "ok"})
        if STATUS_RANK.get(rec.get("status"), 2) > STATUS_RANK.get(row["status"], 2):
            row["status"] = rec.get("status") or "failed"
        for k, v in (rec.get("stats") or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                row[k] = row.get(k, 0) + v
    return out


# -- command line (called from crawler.run) ------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("distributed crawling (docs/scaling.md)")
    g.add_argument("--distributed", action="store_true",
                   help="share the crawl through Redis (REDIS_URL) with other worker processes")
    g.add_argument("--seed", action="store_true", help="coordinator: start a crawl of the named sites")
    g.add_argument("--worker", metavar="NAME", help="worker: crawl from the shared queue (name: records suffix)")
    g.add_argument("--redis-url", help="Redis URL (default: $REDIS_URL)")
    g.add_argument("--site-list", metavar="FILE", help="with --seed: extra sites, lines 'site_id spider start_url'")
    g.add_argument("--max-sites", type=int, help="worker: site crawlers open at once (default 64)")


def run(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    import os

    from scrapy.utils.project import get_project_settings

    from crawler.jobs import format_summary, jobs_for, parse_mapping

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    if args.redis_url:
        settings.set("REDIS_URL", args.redis_url, priority="cmdline")
    if args.max_sites:
        settings.set("XXGK_WORKER_MAX_SITES", args.max_sites, priority="cmdline")
    if bool(args.seed) == bool(args.worker):
        raise SystemExit("--distributed needs exactly one role: --seed (coordinator) or --worker NAME")
    overlay(settings)
    server = connect(settings)
    prefix = settings.get("XXGK_REDIS_PREFIX", "xxgk")
    if args.seed:
        jobs = jobs_for(args.sites, parse_mapping(args.base_url, "--base-url"), "", args.full) \
            if args.sites or not args.site_list else []
        for job in read_site_list(args.site_list) if args.site_list else []:
            jobs.append(job)
            if args.full:
                job.kwargs["incremental"] = "0"
        keys = seed(server, settings, jobs)
        print(f"crawl {keys.crawl}: seeded {len(jobs)} sites")
        return 0
    from crawler.distributed.worker import Worker

    keys = _wait_for_crawl(server, prefix, settings.get("XXGK_CRAWL_ID"))
    settings.set("XXGK_CRAWL_ID", keys.crawl, priority="cmdline")
    home = Home.from_env().ensure()
    _worker_log(home, f"{keys.crawl}.{args.worker}")
    run_ids = Worker(args.worker, settings, server, keys, home).run()
    results = merged_results(home, run_ids)
    print(format_summary(results))
    from crawler.shutdown import SHUTDOWN

    if SHUTDOWN.requested:  # this worker's site runs ended `interrupted`, its leases given back
        return SHUTDOWN.exit_code
    return 0 if results and all(r["status"] != "failed" for r in results.values()) else 1


def _wait_for_crawl(server: Redis, prefix: str, crawl_id: str | None, timeout: float = 600.0) -> Keys:
    import time

    if crawl_id:
        return Keys(prefix, crawl_id)
    deadline = time.monotonic() + timeout
    while (keys := current_crawl(server, prefix)) is None:
        if time.monotonic() > deadline:
            raise SystemExit("no crawl seeded (run `xxgk crawl --distributed --seed …` first)")
        time.sleep(0.5)
    return keys


def _worker_log(home: Home, name: str) -> None:
    handler = logging.FileHandler(home.runs / f"{name}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    logging.getLogger().addHandler(handler)
