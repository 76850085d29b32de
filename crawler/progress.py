"""What a site's crawl is doing, said on the console; its budget and stalls watched.

One extension per crawler (= per site). Every second it checks the site's wall-clock
budget (crawler/budget.py) and whether progress stalled; every `XXGK_PROGRESS_SECONDS`
(default 30, 0 = never) it prints one line per site to stderr:

    [xxgk 04:51:10] fuzhou      pages 120  reports 45  errors 3  pending 15  back-off 2  ETA 2m10s
    [xxgk 04:51:10] jinjiang    pages 80   reports 30  errors 1  pending 40  paused until 04:52:10 (ip_block: HTTP 403 …)

`pending` counts requests in the scheduler, the downloader and our waits; the ETA is
pending ÷ the answers per second of the last minutes. A site with requests pending and no
answer for `XXGK_STALL_SECONDS` (default 180) is logged as stalled (with its pauses), once per
stall, with what holds it (a host pause, AutoThrottle's pace). With `XXGK_PROGRESS_SECONDS` > 0 and a terminal on stderr, Scrapy's INFO stream leaves
the console (it still goes to each site's `runs/<run_id>.log`).
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet.task import LoopingCall

from crawler import budget
from crawler.sitestop import SiteStop

logger = logging.getLogger(__name__)
SLOW_PACE = 5.0  # seconds between requests from which the console says the pace


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _clock(monotonic_at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(time.time() + monotonic_at - time.monotonic()))


def _span(seconds: float) -> str:
    if seconds == float("inf"):
        return "none"
    seconds = int(max(0, seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class SiteProgress:
    """The per-site extension (EXTENSIONS in crawler/settings.py)."""

    ATTR = "xxgk_progress"

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.every = _env_float("XXGK_PROGRESS_SECONDS", 30.0)
        self.stall_after = _env_float("XXGK_STALL_SECONDS", 180.0)
        self.started = time.monotonic()
        self.budget = float("inf")
        self.pages = 0
        self.last_answer = self.started
        self.answers: deque[float] = deque()  # answer times of the last few minutes (ETA)
        self.pauses: dict[str, tuple[float, str]] = {}  # host -> (monotonic end, why)
        self.stalled = False
        self.last_print = self.started
        self._loop: LoopingCall | None = None
        setattr(crawler, self.ATTR, self)
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.answered, signal=signals.response_received)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SiteProgress":
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> "SiteProgress | None":
        return getattr(crawler, cls.ATTR, None)

    @property
    def site(self) -> str:
        return str(getattr(self.crawler.spider, "site_id", None) or getattr(self.crawler.spider, "name", "?"))

    # -- life cycle ---------------------------------------------------------------------------
    def opened(self, spider: Any) -> None:
        from crawler.shutdown import SHUTDOWN

        self.started = self.last_answer = self.last_print = time.monotonic()
        state = getattr(getattr(spider, "session", None), "state", None)
        delay = self.crawler.settings.getfloat("DOWNLOAD_DELAY", 1.0)
        self.budget = budget.site_budget(delay, getattr(state, "last_requests", None))
        logger.info("%s: budget %s for this run (XXGK_SITE_BUDGET; see crawler/budget.py)%s", self.site,
                    _span(self.budget), "" if budget.run_deadline() is None else
                    f", and the run's deadline in {_span(budget.run_deadline() - time.time())}",  # type: ignore[operator]
                    extra={"spider": spider})
        SHUTDOWN.register(self.crawler)
        self._loop = LoopingCall(self.tick)
        self._loop.start(1.0, now=False).addErrback(lambda f: logger.error("progress: %s", f.getTraceback()))

    def closed(self, spider: Any, reason: str) -> None:
        from crawler.shutdown import SHUTDOWN

        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.every > 0:
            self.print_line(f"ended ({reason})")
        SHUTDOWN.unregister(self.crawler)

    def answered(self, *_: Any, **__: Any) -> None:
        now = time.monotonic()
        self.pages += 1
        self.last_answer = now
        self.answers.append(now)
        self.stalled = False

    def pause(self, url_or_host: str, seconds: float, why: str) -> None:
        """Our middleware holds every request of a host for `seconds` (a temporary block)."""
        host = url_or_host.split("://", 1)[-1].split("/", 1)[0]
        self.pauses[host] = (time.monotonic() + seconds, why)
        logger.warning("%s: host %s paused until %s (%s)", self.site, host, _clock(time.monotonic() + seconds),
                       why, extra={"spider": self.crawler.spider})

    def seconds_left(self) -> float:
        return budget.seconds_left(self.started, self.budget)

    # -- every second -------------------------------------------------------------------------
    def tick(self) -> None:
        now = time.monotonic()
        stop = SiteStop.of(self.crawler)
        if not stop.stopping and self.seconds_left() <= 0:
            stop.stop("budget_exhausted", f"the site's budget of {_span(self.budget)} for this run is used up "
                      f"after {_span(now - self.started)}" + ("" if budget.run_deadline() is None
                                                              else " (or the run's deadline is reached)"))
        pending = self.pending()
        if pending and not self.stalled and now - self.last_answer >= self.stall_after:
            self.stalled = True
            logger.warning("%s: stalled: no answer for %s while %d request(s) are pending%s", self.site,
                           _span(now - self.last_answer), pending, self._pause_text(now),
                           extra={"spider": self.crawler.spider})
        if self.every > 0 and now - self.last_print >= self.every:
            self.print_line()

    def pending(self) -> int:
        engine = self.crawler.engine
        if engine is None:
            return 0
        downloader = getattr(engine, "downloader", None)
        stop = SiteStop.of(self.crawler)
        return stop.pending_in_scheduler() + len(getattr(downloader, "active", ())) + stop.waiting

    def _pause_text(self, now: float) -> str:
        active = [(h, end, why) for h, (end, why) in self.pauses.items() if end > now]
        text = "".join(f"  paused until {_clock(end)} ({why[:80]})" for h, end, why in active)
        delay = self.slot_delay()
        if delay >= SLOW_PACE:  # AutoThrottle slowed the host down (slow or failing answers)
            text += f"  pace: 1 request per {delay:.0f}s (AutoThrottle)"
        return text

    def slot_delay(self) -> float:
        """The longest download delay of this site's hosts now (DOWNLOAD_DELAY raised by AutoThrottle)."""
        downloader = getattr(self.crawler.engine, "downloader", None)
        slots = getattr(downloader, "slots", None) or {}
        return max((getattr(slot, "delay", 0.0) for slot in slots.values()), default=0.0)

    def line(self, state: str = "") -> str:
        now = time.monotonic()
        session = getattr(self.crawler.spider, "session", None)
        counts = getattr(session, "stats", {})
        reports = counts.get("records_report", 0) + counts.get("reports_skipped", 0)
        while self.answers and now - self.answers[0] > 300:
            self.answers.popleft()
        pending = self.pending()
        parts = [f"pages {self.pages:<5}", f"reports {reports:<4}", f"errors {counts.get('errors', 0):<4}",
                 f"pending {pending:<4}"]
        waiting = SiteStop.of(self.crawler).waiting
        if waiting:
            parts.append(f"back-off {waiting}")
        if state:
            parts.append(state)
        else:
            window = min(300.0, now - self.started)
            rate = len(self.answers) / window if window > 0 else 0.0
            if pending and rate > 0:
                parts.append(f"ETA {_span(pending / rate)}")
            elif pending:
                parts.append(f"no answer for {_span(now - self.last_answer)}")
            parts.append(f"budget left {_span(self.seconds_left())}")
        return f"[xxgk {time.strftime('%H:%M:%S')}] {self.site:<12} " + "  ".join(parts) + self._pause_text(now)

    def print_line(self, state: str = "") -> None:
        self.last_print = time.monotonic()
        print(self.line(state), file=sys.stderr, flush=True)


def quiet_console_for_progress() -> None:
    """With progress lines on a terminal, Scrapy's INFO stream stays in the run logs only."""
    if _env_float("XXGK_PROGRESS_SECONDS", 30.0) <= 0 or not sys.stderr.isatty():
        return
    from scrapy.utils import log as scrapy_log

    handler = getattr(scrapy_log, "_scrapy_root_handler", None)
    if handler is not None:
        handler.setLevel(logging.WARNING)
