"""The first SIGTERM/SIGINT ends the crawl promptly.

Scrapy's own graceful stop closes each spider once the requests it handed to the
downloader are done; ours may be sleeping in a back-off or a host pause for minutes, and
a hanging download holds its slot up to DOWNLOAD_TIMEOUT. So on the first signal:

1. every site is stopped (crawler/sitestop.py, reason `shutdown`): our waits end at once,
   the requests queued in the downloader's slots are dropped, nothing new is scheduled,
   and Scrapy's graceful stop closes the spiders: each writes its `run_end` with status
   `interrupted` and closes its record file (flush + fsync);
2. downloads still in flight get `XXGK_SHUTDOWN_GRACE` seconds (default 5) to finish, then
   they are cut (crawler/browser.py runs each download as a task the site can cancel);
3. 2 s later whatever is still open is ended by hand: `run_end` (`interrupted`) for each site
   not yet closed, record files closed, distributed leases given back, the store helper
   finishes what it was given, Chromium and other child processes are terminated, and
   the process exits with 128 + the signal number.

A second signal skips the grace period. Nothing already archived can be damaged by
either path: bodies are durable before their record, records are append-only lines.
"""
from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.ossignal import install_shutdown_handlers, signal_names

from crawler.sitestop import SiteStop, grace_seconds

logger = logging.getLogger(__name__)


class Shutdown:
    """Process-wide: the signal received and the crawlers it must end."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.crawlers: list[Crawler] = []
        self.before_exit: list[Callable[[], None]] = []  # e.g. a distributed worker's lease hand-back
        self.started_at = 0.0

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGTERM)

    def register(self, crawler: Crawler) -> None:
        if crawler not in self.crawlers:
            self.crawlers.append(crawler)
        if self.requested:  # a crawler that opens after the signal ends at once
            SiteStop.of(crawler).stop("shutdown", "signal received")

    def unregister(self, crawler: Crawler) -> None:
        if crawler in self.crawlers:
            self.crawlers.remove(crawler)

    def begin(self, signum: int) -> None:
        """The first signal: stop every site now, cut what is left after the grace period."""
        from twisted.internet import reactor

        if self.requested:
            return
        self.signum, self.started_at = signum, time.monotonic()
        grace = grace_seconds()
        logger.warning("Received %s: ending the run (in-flight downloads get %.0f s, then they are cut)",
                       signal_names.get(signum, signum), grace)
        for crawler in list(self.crawlers):
            SiteStop.of(crawler).stop("shutdown", f"{signal_names.get(signum, signum)} received")
        # the sites cut their downloads at `grace`; whatever has not closed a little later is ended here
        reactor.callLater(grace + HARD_STOP_AFTER_CUT, self.hard_stop)  # type: ignore[attr-defined]

    def hard_stop(self) -> None:
        """Whatever the graceful stop has not closed in time is ended here, and the process exits."""
        logger.warning("grace period over: ending %d open site run(s) by hand", len(self.crawlers))
        for crawler in list(self.crawlers):
            spider = crawler.spider
            session = getattr(spider, "session", None)
            closer = getattr(spider, "_closed", None)
            try:
                if session is not None and closer is not None and not session.writer._fh.closed:  # noqa: SLF001
                    closer(spider, "shutdown")  # run_end `interrupted`, records flushed and fsynced
            except Exception:  # noqa: BLE001 - the other sites must still get theirs
                logger.exception("could not end %s's run", getattr(spider, "site_id", "?"))
            scheduler = getattr(getattr(crawler.engine, "_slot", None), "scheduler", None)
            try:
                if scheduler is not None and hasattr(scheduler, "close"):
                    scheduler.close("shutdown")  # distributed: leases given back
            except Exception:  # noqa: BLE001
                logger.exception("scheduler close failed")
        for hook in self.before_exit:
            try:
                hook()
            except Exception:  # noqa: BLE001
                logger.exception("shutdown hook failed")
        stop_helpers()
        logging.shutdown()
        os._exit(self.exit_code)


SHUTDOWN = Shutdown()
HARD_STOP_AFTER_CUT = 2.0
SAME_SIGNAL = 1.0  # seconds within which a second signal is the first one delivered twice
HELPER_WAIT = 2.0  # the store helper finishes its batch on its own after that (it reads end-of-file)


def stop_helpers() -> None:
    """The store helper finishes what it was given and exits; other children (Playwright's
    driver and its Chromium) are terminated."""
    from crawler.store_parse_helper import STORE_WRITER

    helper = STORE_WRITER.helper_pid()
    for pid in descendants(os.getpid()):
        if pid != helper:
            try:
                os.kill(pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
    try:
        STORE_WRITER.hang_up(HELPER_WAIT)  # end-of-file: the helper finishes what it was given and exits
    except Exception:  # noqa: BLE001 - it exits by itself; never killed mid-write
        logger.warning("store helper still finishing its last bodies; it exits by itself")


def descendants(root: int) -> list[int]:
    """Process ids below `root` (children first), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("latin-1")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = list(parents.get(root, []))
    while todo:
        pid = todo.pop(0)
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


class BoundedCrawlerProcess(CrawlerProcess):
    """CrawlerProcess whose first SIGTERM/SIGINT ends the run promptly (see the module docstring)."""

    first_signal_at = 0.0

    def _signal_shutdown(self, signum: int, _: Any) -> None:
        from twisted.internet import reactor

        self.first_signal_at = time.monotonic()
        install_shutdown_handlers(self._signal_kill)
        reactor.callFromThread(SHUTDOWN.begin, signum)
        reactor.callFromThread(self._graceful_stop_reactor)

    def _signal_kill(self, signum: int, _: Any) -> None:
        from twisted.internet import reactor

        if time.monotonic() - self.first_signal_at < SAME_SIGNAL:
            return  # Ctrl-C reaches a nightly's crawl child from the terminal and from the nightly: one signal
        install_shutdown_handlers(signal.SIG_IGN)
        if SHUTDOWN.signum is None:
            SHUTDOWN.signum = signum
        reactor.callFromThread(SHUTDOWN.hard_stop)
