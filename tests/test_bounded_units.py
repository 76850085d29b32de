"""The parts of issue 19 that need no crawl: budgets, host-down counting, cancellable waits."""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest

from crawler import budget
from crawler.hostdown import HostFailures
from crawler.sitestop import Interrupted, SiteStop, finish


def test_durations_read_as_seconds() -> None:
    assert budget.parse_duration("5400") == 5400
    assert budget.parse_duration("90m") == 5400
    assert budget.parse_duration("1.5h") == 5400
    assert budget.parse_duration("") is None
    with pytest.raises(ValueError):
        budget.parse_duration("tomorrow")


def test_default_site_budget_follows_the_documented_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XXGK_SITE_BUDGET", raising=False)
    monkeypatch.delenv("XXGK_EXPECTED_REQUESTS", raising=False)
    assert budget.site_budget(1.0, None) == 600 + 3 * 2000 * 1.0      # first run: 1 h 50 min
    assert budget.site_budget(1.0, 300) == 600 + 3 * 300 * 1.0        # from the last finished run
    assert budget.site_budget(0.0, 300) == 600 + 3 * 300 * 0.5        # --delay 0 still costs per request
    assert budget.site_budget(2.0, 300) == 600 + 3 * 300 * 2.0
    monkeypatch.setenv("XXGK_SITE_BUDGET", "20m")
    assert budget.site_budget(1.0, 300) == 1200


def test_a_night_keeps_a_reserve_for_its_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XXGK_NIGHT_DEADLINE", raising=False)
    assert budget.night_deadline() == 23 * 3600
    assert budget.crawl_share(23 * 3600) == 22 * 3600
    assert budget.crawl_share(3600) == 2700  # a short night keeps a quarter
    monkeypatch.setenv("XXGK_RUN_DEADLINE", str(time.time() + 10))
    assert budget.seconds_left(time.monotonic(), 1000) <= 10


def test_a_host_is_down_after_n_connection_failures_in_a_row() -> None:
    hf = HostFailures(after=4, silence=0)
    url = "http://www.example.gov.cn/a.html"
    assert not any(hf.failed(url, "timeout") for _ in range(3))
    hf.answered("http://www.example.gov.cn/b.html")  # any answer of the host resets the streak
    assert [hf.failed(url, k) for k in ("timeout", "timeout", "http_503", "refused", "timeout")] == \
        [False, False, False, False, True]  # an HTTP status is an answer, not a connection failure
    assert not hf.failed(url, "refused")  # said once per run
    assert "host www.example.gov.cn down: 5 connection failures in a row" in hf.describe(url)
    assert not hf.failed("http://other.gov.cn/", "timeout")  # per host
    burst = HostFailures(after=4, silence=30)  # a burst of failures in one instant is not a dead host
    assert not any(burst.failed(url, "refused") for _ in range(12))


def test_timeouts_of_a_cpu_starved_replica_are_not_a_dead_host() -> None:
    """tests/test_hostile.py's fuzhou under load: four heavy attachments in flight time out
    together, and so do their retries, seconds after the host's last answer. Ten timeouts in
    a row with no silent spell once ended the site `host_down` and lost half its reports."""
    hf = HostFailures(after=10, silence=30)
    base = "http://127.0.0.1:40805/zgfzzt/sajj/zfxxgkzl/ndbg/2022{:02d}/P0202201.pdf"
    hf.answered(base.format(0))
    assert not any(hf.failed(base.format(i % 4), "timeout") for i in range(16))
    assert not hf.down


def test_a_slowly_paced_host_is_down_after_two_refusals_and_a_silent_minute() -> None:
    hf = HostFailures(after=10, silence=60)
    url = "http://slow.example.gov.cn/a.html"
    hf.answered(url)
    hf.quiet_since["slow.example.gov.cn"] -= 30  # its last answer, 30 s ago
    assert not hf.failed(url, "refused")
    assert not hf.failed(url, "timeout")
    hf.quiet_since["slow.example.gov.cn"] -= 40  # AutoThrottle's pace: the next try 40 s later
    assert hf.failed(url, "connection_reset")  # two refusals/resets and no answer for 70 s
    other = "http://hanging.example.gov.cn/"
    hf.failed(other, "timeout")
    hf.quiet_since["hanging.example.gov.cn"] -= 300
    assert not any(hf.failed(other, "timeout") for _ in range(5))  # timeouts alone need the full count


class FakeSession:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def error(self, url: str | None, stage: str, kind: str, message: str) -> None:
        self.rows.append((url, stage, kind, message))


def fake_crawler() -> Any:
    spider = SimpleNamespace(site_id="demo", session=FakeSession())
    crawler = SimpleNamespace(spider=spider, engine=None)
    spider.crawler = crawler
    return crawler


def test_a_stop_cuts_every_wait_short_and_drops_later_requests() -> None:
    crawler = fake_crawler()
    stop = SiteStop.of(crawler)

    async def scenario() -> tuple[float, list[Any]]:
        waits = [asyncio.ensure_future(stop.sleep(120)) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert stop.waiting == 3
        started = time.monotonic()
        stop.stop("host_down", "host demo down", "www.demo.gov.cn")
        results = await asyncio.gather(*waits, return_exceptions=True)
        return time.monotonic() - started, results

    took, results = asyncio.run(scenario())
    assert took < 1 and all(isinstance(r, Interrupted) for r in results)
    with pytest.raises(Interrupted):
        stop.check()
    assert stop.dropped == 4
    (row,) = crawler.spider.session.rows
    assert row[0] == "www.demo.gov.cn" and row[2] == "host_down"
    assert "3 remaining request(s) of the site dropped" in row[3]  # the three held at the moment of the stop
    summary: dict[str, Any] = {}
    assert finish(crawler.spider, "host_down", summary) == "failed" and summary["dropped_requests"] == 4
    assert not stop.stop("budget_exhausted")  # the first reason stays


@pytest.mark.parametrize("reason,status", [("shutdown", "interrupted"), ("budget_exhausted", "degraded"),
                                           ("host_down", "failed"), ("finished", None)])
def test_the_run_end_status_follows_the_stop(reason: str, status: str | None) -> None:
    assert finish(fake_crawler().spider, reason, {}) == status


def fake_progress_crawler(pending: int) -> Any:
    from collections import Counter

    class Session(FakeSession):
        stats = Counter(records_report=7, errors=2)
        state = None

    class Scheduler:
        def __len__(self) -> int:
            return pending

    spider = SimpleNamespace(site_id="demo", session=Session())
    closed: list[str] = []
    engine = SimpleNamespace(_slot=SimpleNamespace(scheduler=Scheduler()), downloader=SimpleNamespace(active=set()),
                             spider=spider, close_spider=lambda spider, reason: closed.append(reason))
    return SimpleNamespace(spider=spider, engine=engine, signals=SimpleNamespace(connect=lambda *a, **k: None),
                           settings=SimpleNamespace(getfloat=lambda name, default=None: 1.0), closed=closed)


def test_progress_line_says_what_the_site_is_doing(caplog: pytest.LogCaptureFixture) -> None:
    from crawler.progress import SiteProgress

    progress = SiteProgress(fake_progress_crawler(pending=12))
    progress.every, progress.stall_after = 0, 180
    for _ in range(6):
        progress.answered()
    progress.pause("http://www.demo.gov.cn/x", 60, "ip_block: HTTP 403, pause 60s")
    line = progress.line()
    assert "demo" in line and "pages 6" in line and "reports 7" in line and "errors 2" in line
    assert "pending 12" in line and "ETA " in line
    assert "paused until " in line and "(ip_block: HTTP 403, pause 60s)" in line
    # no answer for longer than XXGK_STALL_SECONDS while requests are pending: logged once
    progress.last_answer -= 200
    progress.tick()
    progress.tick()
    stalls = [r for r in caplog.records if "stalled" in r.getMessage()]
    assert len(stalls) == 1 and "12 request(s) are pending" in stalls[0].getMessage()
    progress.budget, progress.started = 10.0, time.monotonic() - 11  # budget used up: the site stops
    progress.tick()
    assert SiteStop.of(progress.crawler).reason == "budget_exhausted" and progress.crawler.closed == ["budget_exhausted"]
    (row,) = progress.crawler.spider.session.rows
    assert row[2] == "budget_exhausted" and "12 remaining request(s) of the site dropped" in row[3]


def test_downloads_in_flight_are_cut_after_the_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_SHUTDOWN_GRACE", "0.3")
    crawler = fake_crawler()
    stop = SiteStop.of(crawler)

    async def scenario() -> tuple[Any, Any, float, float]:
        quick = asyncio.ensure_future(stop.cuttable(asyncio.sleep(0.1, result="answer")))
        slow = asyncio.ensure_future(stop.cuttable(asyncio.sleep(60)))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        stop.stop("shutdown")
        done = await asyncio.gather(quick, slow, return_exceptions=True)
        took = time.monotonic() - started
        with pytest.raises(Interrupted):  # nothing new starts once the grace period is over
            await stop.cuttable(asyncio.sleep(0))
        return done[0], done[1], took, stop.dropped

    quick, slow, took, dropped = asyncio.run(scenario())
    assert quick == "answer"  # a download that ends within the grace period is kept
    assert isinstance(slow, Interrupted) and 0.25 <= took < 2 and dropped == 1


def test_every_way_a_vanished_host_fails_counts_as_a_hard_failure() -> None:
    """Seen when a replica was killed mid-crawl: Twisted reports a reset at connect time as a
    ConnectError and Chromium as net::ERR_CONNECTION_RESET; neither counted, so a site whose
    pending requests failed that way was declared down two minutes late."""
    from playwright._impl._errors import Error as PlaywrightError
    from twisted.internet import error as terr

    from crawler.hostdown import HARD_FAILURES
    from crawler.middlewares import exception_kind

    url = "http://127.0.0.1:33445/cy/zwgk/zfxxgknb/index_2.html"
    seen = {
        terr.ConnectError(osError="104: Connection reset by peer."): "connection_reset",
        terr.ConnectError(osError="113: No route to host."): "connect_failed",
        terr.ConnectionRefusedError("111: Connection refused."): "refused",
        terr.DNSLookupError("www.fzcl.gov.cn"): "dns",
        PlaywrightError(f"Page.goto: net::ERR_CONNECTION_RESET at {url}"): "connection_reset",
        PlaywrightError(f"Page.goto: net::ERR_CONNECTION_REFUSED at {url}"): "refused",
        PlaywrightError(f"Page.goto: net::ERR_NAME_NOT_RESOLVED at {url}"): "dns",
    }
    assert {exc: exception_kind(exc) for exc in seen} == seen
    assert set(seen.values()) <= HARD_FAILURES
    assert exception_kind(terr.TCPTimedOutError()) == "timeout"  # a ConnectError too, but only slow


def _throttle(cls: type) -> Any:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from crawler import settings as defaults

    crawler = Crawler(Spider, Settings({k: getattr(defaults, k) for k in dir(defaults)
                                        if k.startswith("AUTOTHROTTLE") or k == "DOWNLOAD_DELAY"}))
    throttle = cls(crawler)
    throttle._spider_opened(Spider("demo"))
    return throttle


def _pace(cls: type, answers: list[tuple[float, int]]) -> float:
    """A host's delay after these (latency, status) answers, from the default start delay."""
    from scrapy.core.downloader import Slot
    from scrapy.http import Response

    throttle = _throttle(cls)
    slot = Slot(1, throttle.mindelay, True)
    for latency, status in answers:
        throttle._adjust_delay(slot, latency, Response("http://www.haiyan.gov.cn/art/x.html", status=status))
    return slot.delay


def test_one_hanging_url_does_not_set_the_pace_of_its_host() -> None:
    """Seen in the chaos crawl: one report that hung 40 s, then a burst of 5xx on every path,
    left haiyan at one request per 40 s with 20 requests pending (0 pages a minute for 6 min)."""
    from scrapy.extensions.throttle import AutoThrottle

    from crawler.throttle import HostThrottle

    answers = [(0.05, 200)] * 6 + [(40.0, 200)] + [(0.02, 503), (0.02, 502), (0.02, 500)] * 5
    assert _pace(AutoThrottle, answers) == 40.0          # Scrapy's: the slowest URL sets the pace
    assert _pace(HostThrottle, answers) <= 2.0           # the host's typical answer does
    slow_host = [(0.05, 200)] * 3 + [(8.0, 200), (9.0, 200), (10.0, 200)]
    assert _pace(HostThrottle, slow_host) >= 8.0          # a host slow on most answers is still paced
    assert _pace(HostThrottle, [(0.05, 200)] * 3 + [(90.0, 200)] * 5) == 60.0  # AUTOTHROTTLE_MAX_DELAY
