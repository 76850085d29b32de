"""A distributed-crawl worker: one process, many site crawlers fed from Redis.

The worker joins the crawl named by `xxgk:current` (or `XXGK_CRAWL_ID`), waits for the seed,
then keeps up to `XXGK_WORKER_MAX_SITES` site crawlers open, choosing sites whose shared queue
has requests. Every site crawler is the site's ordinary spider with a small mixin:

* `start()` yields nothing: the coordinator already pushed the entry requests;
* its errback also acknowledges the request's lease (see crawler.distributed.leases);
* its `run_end` record describes this worker's share: zero reports is not a failure of the
  share when other workers captured the site. Whether the whole site failed is written once,
  by the worker that sees the site drained (a `run_end` in `<run_id>.<worker>-final.jsonl`).

A site crawler closes when its queue is empty and no lease is out (the site is done), or after
`XXGK_SITE_IDLE_GRACE` seconds with an empty queue while other workers still hold leases; the
supervisor reopens it if more requests arrive. The worker exits when every seeded site is done.

Per-process spider state (columns_seen, list_pages, discovery_pages) only avoids repeated
work and bounds pagination per worker; correctness rests on the shared duplicate filter.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from functools import cache
from typing import Any

from redis import Redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler, CrawlerProcess  # noqa: F401 - the type of Worker.process
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import Settings
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from archive.store import record_types as rt
from archive.store.home import Home
from archive.store.records import RecordWriter
from crawler.distributed.leases import Keys, Scripts, site_status
from crawler.session import ArchiveSession
from crawler.sitestop import Interrupted, SiteStop

logger = logging.getLogger(__name__)

MAX_CRASHES = 3


class WorkerSession(ArchiveSession):
    """ArchiveSession that counts reports crawl-wide and words run_end as one worker's share."""

    counter: tuple[Redis, str]

    def record(self, type_: str, **fields: Any) -> dict[str, Any]:
        if type_ == "report":
            server, key = self.counter
            server.hincrby(key, self.site_id, 1)
        if type_ == "run_end":
            stats = fields.get("stats") or {}
            if (fields.get("status") == "failed" and stats.get("finish_reason") == "finished"
                    and not stats.get("reports")):
                # this worker got no report pages of the site; the site's verdict is the final record
                fields["status"] = "degraded" if stats.get("errors") else "ok"
            fields["stats"] = {**stats, "worker_share": True}
        return super().record(type_, **fields)


class DistributedSpiderMixin:
    """Mixed into a site spider class for a worker (see the module docstring)."""

    async def start(self) -> AsyncIterator[Any]:
        return
        yield  # an async generator that yields nothing

    def on_error(self, failure: Failure) -> None:
        super().on_error(failure)  # type: ignore[misc]
        leases = getattr(self, "xxgk_leases", None)
        if failure.check(Interrupted) and SiteStop.of(self.crawler).reason == "shutdown":  # type: ignore[attr-defined]
            return  # not done: its lease goes back to the queue as the worker stops (crawler/shutdown.py)
        if leases is not None:
            leases.done(getattr(failure, "request", None))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)  # type: ignore[misc]
        keys = Keys(crawler.settings.get("XXGK_REDIS_PREFIX", "xxgk"), crawler.settings["XXGK_CRAWL_ID"])
        from scrapy_redis import connection
        spider.session.__class__ = WorkerSession  # same state, one method differs
        spider.session.counter = (connection.from_settings(crawler.settings), keys.crawl_key("reports"))
        return spider


@cache
def distributed_spider(cls: type[Spider]) -> type[Spider]:
    """`cls` with DistributedSpiderMixin in front; same name, so requests resolve their callbacks."""
    return type(cls.__name__, (DistributedSpiderMixin, cls), {"__module__": cls.__module__})


class SiteIdleExtension:
    """Keeps a site crawler open while its site may still get requests (see the module docstring)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        s = crawler.settings
        self.grace = s.getfloat("XXGK_SITE_IDLE_GRACE", 5.0)
        self.max_requeues = s.getint("XXGK_LEASE_MAX_REQUEUES", 3)
        self.idle_since: float | None = None
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.busy, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SiteIdleExtension":
        return cls(crawler)

    def busy(self) -> None:
        self.idle_since = None

    def spider_idle(self, spider: Spider) -> None:
        leases = getattr(spider, "xxgk_leases", None)
        if leases is None:
            return
        leases.flush()
        queued, leased, _ = site_status(leases.server, leases.keys, [leases.site_id], self.max_requeues,
                                        leases.scripts)[leases.site_id]
        if queued:
            self.idle_since = None
            raise DontCloseSpider
        if not leased:
            return  # the site is done
        now = time.monotonic()
        self.idle_since = self.idle_since or now
        if now - self.idle_since < self.grace:
            raise DontCloseSpider


class Worker:
    """Runs site crawlers for one crawl until every seeded site is done."""

    def __init__(self, name: str, settings: Settings, server: Redis, keys: Keys, home: Home):
        self.name, self.settings, self.server, self.keys, self.home = name, settings, server, keys, home
        self.max_sites = settings.getint("XXGK_WORKER_MAX_SITES", 64)
        self.max_requeues = settings.getint("XXGK_LEASE_MAX_REQUEUES", 3)
        self.scripts = Scripts(server)
        self.jobs: dict[str, dict[str, Any]] = {}
        self.open: set[str] = set()
        self.opened_total = 0
        self.crashes: dict[str, int] = {}  # a site whose crawler keeps failing to start is left to others
        self.process: CrawlerProcess | None = None

    def registry(self) -> dict[str, dict[str, Any]]:
        if self.server.hlen(self.keys.crawl_key("sites")) != len(self.jobs):
            raw = self.server.hgetall(self.keys.crawl_key("sites"))
            self.jobs = {k.decode(): json.loads(v) for k, v in raw.items()}
        return self.jobs

    def run(self, wait_seed: float = 600.0) -> list[str]:
        """Crawl until done; returns the run ids of the crawl's sites."""
        deadline = time.monotonic() + wait_seed
        while not self.server.exists(self.keys.crawl_key("seeded")):
            if time.monotonic() > deadline:
                raise SystemExit(f"crawl {self.keys.crawl}: nothing seeded after {wait_seed:.0f}s")
            time.sleep(0.5)
        from scrapy.utils.reactor import install_reactor

        install_reactor(self.settings["TWISTED_REACTOR"])  # before anything imports the default one
        from twisted.internet import reactor

        from crawler.shutdown import BoundedCrawlerProcess

        self.process = BoundedCrawlerProcess(self.settings, install_root_handler=True)
        loop = LoopingCall(self.tick)
        reactor.callWhenRunning(lambda: loop.start(self.settings.getfloat("XXGK_WORKER_POLL", 1.0))
                                .addErrback(self._tick_failed))
        self.process.start(stop_after_crawl=False)
        return [job["kwargs"]["run_id"] for job in self.registry().values()]

    def _tick_failed(self, failure: Failure) -> None:
        from twisted.internet import reactor

        logger.error("worker %s: supervisor stopped: %s", self.name, failure.getTraceback())
        reactor.stop()

    def tick(self) -> None:
        from twisted.internet import reactor

        from crawler.shutdown import SHUTDOWN

        if SHUTDOWN.requested:  # no new site crawlers; the open ones are ending (crawler/shutdown.py)
            return
        jobs = self.registry()
        done = {m.decode() for m in self.server.smembers(self.keys.crawl_key("done"))}
        pending = [s for s in jobs if s not in done]
        status = site_status(self.server, self.keys, pending, self.max_requeues, self.scripts, mark=True) \
            if pending else {}
        for site, (_, _, newly_done) in status.items():
            if newly_done:
                self.final_record(site, jobs[site])
        given_up = {s for s, n in self.crashes.items() if n >= MAX_CRASHES}
        if all(st[:2] == (0, 0) or s in given_up for s, st in status.items()) and not self.open:
            logger.info("worker %s: all %d sites done (%d site crawlers opened here; gave up on %s)",
                        self.name, len(jobs), self.opened_total, sorted(given_up) or "none")
            reactor.stop()
            return
        ready = sorted((s for s, st in status.items()
                        if st[0] > 0 and s not in self.open and s not in given_up),
                       key=lambda s: -status[s][0])
        for site in ready[: max(0, self.max_sites - len(self.open))]:
            self.start_site(site, jobs[site])

    def start_site(self, site: str, job: dict[str, Any]) -> None:
        from crawler.sites import platform_spider

        assert self.process is not None
        cls = distributed_spider(platform_spider(job["spider"]))
        self.open.add(site)
        self.opened_total += 1
        d = self.process.crawl(cls, **job["kwargs"], worker=self.name)
        d.addErrback(self._crashed, site)
        d.addBoth(lambda _: self.open.discard(site))

    def _crashed(self, failure: Failure, site: str) -> None:
        self.crashes[site] = self.crashes.get(site, 0) + 1
        logger.error("worker %s: site crawler %s failed (%d): %s", self.name, site, self.crashes[site],
                     failure.getTraceback())

    def final_record(self, site: str, job: dict[str, Any]) -> None:
        """The whole site's verdict, once, by the worker that saw it drained."""
        reports = int(self.server.hget(self.keys.crawl_key("reports"), site) or 0)
        with RecordWriter(self.home, site, job["kwargs"]["run_id"], worker=f"{self.name}-final") as w:
            w.write("run_end", **rt.RunEnd(status="ok" if reports else "failed", stats=rt.RunStats(
                reports_all_workers=reports, worker_share=False, finish_reason="drained")))
