"""Ending one site's run early: a host that is down, a budget used up, a shutdown signal.

Our middlewares hold requests outside Scrapy's scheduler (back-off before a retry, a host
paused after a temporary block, spacing after it). Scrapy's own closing waits for every
request it has handed to the downloader, so a run whose requests sleep in those waits
would not end until they wake up and are retried. Every such wait goes through
`SiteStop.sleep`, which the stop cuts short: the request ends with `Interrupted` (an
`IgnoreRequest`: no error row of its own), requests still queued in the downloader's
slots are dropped, and the engine closes the spider with the stop's reason.

Reasons and the status of the site's `run_end`:

    host_down         failed       one `host_down` error row naming how many requests were dropped
    budget_exhausted  degraded     one `budget_exhausted` row, same count
    shutdown          interrupted  (SIGTERM/SIGINT; crawler/shutdown.py) no row: the run_end says it
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

STATUS_FOR_REASON = {"host_down": "failed", "budget_exhausted": "degraded", "shutdown": "interrupted"}
ROW_FOR_REASON = ("host_down", "budget_exhausted")


def grace_seconds() -> float:
    """How long downloads in flight may go on after a stop (`XXGK_SHUTDOWN_GRACE`, default 5 s)."""
    try:
        return float(os.environ.get("XXGK_SHUTDOWN_GRACE", "5"))
    except ValueError:
        return 5.0


class Interrupted(IgnoreRequest):
    """A request dropped because its site's run is ending (see the module docstring)."""


class SiteStop:
    """One per crawler (one crawler = one site): why and when its run is being ended."""

    ATTR = "xxgk_site_stop"

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.reason: str | None = None
        self.message = ""
        self.url: str | None = None  # the host (or request) that made the stop
        self.dropped = 0          # requests refused or cut short since the stop
        self._waiting: set[asyncio.Future[None]] = set()
        self._transfers: set[asyncio.Future[Any]] = set()  # downloads in flight (crawler/browser.py)
        self._cutting = False

    @classmethod
    def of(cls, crawler: Crawler) -> "SiteStop":
        stop = getattr(crawler, cls.ATTR, None)
        if stop is None:
            stop = cls(crawler)
            setattr(crawler, cls.ATTR, stop)
        return stop

    @property
    def stopping(self) -> bool:
        return self.reason is not None

    @property
    def waiting(self) -> int:
        """Requests held in one of our waits right now (back-off, host pause, spacing)."""
        return len(self._waiting)

    # -- waits that a stop cuts short -------------------------------------------------------
    async def sleep(self, seconds: float, request: Request | None = None) -> None:
        """asyncio.sleep, unless the site stops first: then `Interrupted` (the request ends)."""
        self.check(request)
        if seconds <= 0:
            return
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(seconds, _resolve, woken)
        self._waiting.add(woken)
        try:
            await woken
        finally:
            timer.cancel()
            self._waiting.discard(woken)
        self.check(request)

    async def cuttable(self, download: Any) -> Any:
        """Await a download that a stop cuts after the grace period (then `Interrupted`)."""
        if self._cutting:  # the grace period is over: nothing new starts
            close = getattr(download, "close", None)
            if close is not None:
                close()  # a coroutine never awaited
            raise Interrupted(f"site run ending ({self.reason})")
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # driven by Twisted alone: nothing to cut with
            return await download
        task = asyncio.ensure_future(download)
        self._transfers.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            if self._cutting and task.cancelled():
                raise Interrupted(f"download cut: site run ending ({self.reason})") from None
            raise
        finally:
            self._transfers.discard(task)

    def _cut_transfers(self) -> None:
        self._cutting = True
        if self._transfers:
            logger.warning("%s: %d download(s) still in flight after the grace period: cut",
                           getattr(self.crawler.spider, "site_id", "?"), len(self._transfers),
                           extra={"spider": self.crawler.spider})
        for task in list(self._transfers):
            self.dropped += 1
            task.cancel()

    def check(self, request: Request | None = None) -> None:
        """Drop `request` if the site is stopping (counted once per request)."""
        if self.reason is None:
            return
        if request is None or not request.meta.get("xxgk_dropped"):
            self.dropped += 1
            if request is not None:
                request.meta["xxgk_dropped"] = True
        raise Interrupted(f"site run ending ({self.reason})")

    # -- the stop ---------------------------------------------------------------------------
    def stop(self, reason: str, message: str = "", url: str | None = None) -> bool:
        """End this site's run for `reason`; False if it was already ending."""
        if self.reason is not None:
            return False
        self.reason, self.message, self.url = reason, message, url
        spider = self.crawler.spider
        logger.warning("%s: ending the run (%s)%s", getattr(spider, "site_id", "?"), reason,
                       f": {message}" if message else "", extra={"spider": spider})
        held = len(self._waiting)
        for woken in list(self._waiting):
            _resolve(woken)
        queued = self._drop_downloader_queues()
        if reason in ROW_FOR_REASON:  # written now, so its time is when the site stopped
            session = getattr(spider, "session", None)
            remaining = held + queued + self.pending_in_scheduler()
            if session is not None:
                session.error(url, "fetch", reason, f"{message}; {remaining} remaining request(s) of the site "
                              "dropped for this run")
        try:
            asyncio.get_running_loop().call_later(grace_seconds(), self._cut_transfers)
        except RuntimeError:  # no event loop (a tool, a test): nothing is in flight
            pass
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None and reason != "shutdown":
            # a shutdown closes every crawler through Scrapy's own graceful stop
            if hasattr(engine, "close_spider_async"):
                from scrapy.utils.defer import deferred_from_coro

                deferred_from_coro(engine.close_spider_async(reason=reason))
            else:
                engine.close_spider(engine.spider, reason=reason)
        return True

    def _drop_downloader_queues(self) -> int:
        """Requests waiting for their turn in a downloader slot (DOWNLOAD_DELAY) are never sent."""
        engine = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        dropped = 0
        for slot in list(getattr(downloader, "slots", {}).values()):
            queue = getattr(slot, "queue", None)
            while queue:
                request, deferred = queue.popleft()
                self.dropped += 1
                dropped += 1
                request.meta["xxgk_dropped"] = True
                deferred.errback(Failure(Interrupted(f"site run ending ({self.reason})")))
        return dropped

    def pending_in_scheduler(self) -> int:
        slot = getattr(self.crawler.engine, "_slot", None)
        scheduler = getattr(slot, "scheduler", None)
        try:
            return len(scheduler) if scheduler is not None else 0
        except (TypeError, NotImplementedError, Exception):  # noqa: BLE001 - a scheduler without len()
            return 0


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def finish(spider: Any, reason: str, summary: dict[str, Any]) -> str | None:
    """Called as a site's run ends, before its `run_end`: the status a stop implies (None: no
    stop, the usual rules apply); `dropped_requests` joins the run's stats."""
    if reason not in STATUS_FOR_REASON:
        return None
    crawler = getattr(spider, "crawler", None)
    stop = getattr(crawler, SiteStop.ATTR, None) if crawler is not None else None
    if stop is not None:
        summary["dropped_requests"] = stop.dropped + stop.pending_in_scheduler()
    return STATUS_FOR_REASON[reason]
