"""Downloader middlewares: rebasing onto replicas, conditional requests, charset repair, backoff."""
from __future__ import annotations

import asyncio
import random
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from twisted.internet.error import (ConnectError, ConnectionLost, ConnectionRefusedError, DNSLookupError,
                                    TCPTimedOutError, TimeoutError)
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from archive.store import charset
from crawler.antibot import Guard, challenge_kind, looks_blocked, pass_challenge
from crawler.hostdown import HARD_FAILURES, HostFailures
from crawler.sitestop import Interrupted, SiteStop


class CrawlerAware:
    """Scrapy 2.14 style: methods take no `spider`; the running spider comes from the crawler."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler):  # type: ignore[no-untyped-def]
        obj = cls()
        obj.crawler = crawler
        return obj

    @property
    def spider(self) -> Spider:
        return self.crawler.spider  # type: ignore[return-value]


class RebaseMiddleware(CrawlerAware):
    """Send every request for the site's real origin to its replica, and keep crawls on-site.

    Page content (API JSON, absolute links, redirects) names the real hosts; a spider started
    with `-a base_url=` must follow them on the replica. Requests to hosts that belong to no
    site of this crawl (an off-site redirect, a link to a commercial mirror) are dropped and
    recorded.
    """

    def process_request(self, request: Request) -> Request | None:
        spider = self.spider
        rebase = getattr(spider, "rebase", None)
        if rebase is None:
            return None
        new_url = rebase(request.url)
        if new_url != request.url:
            return request.replace(url=new_url)
        session = getattr(spider, "session", None)
        if not spider.is_allowed(request.url):
            if session is not None:
                session.error(request.url, "fetch", "offsite", "request to a host outside the site dropped")
            raise IgnoreRequest(f"off-site: {request.url}")
        budget = getattr(spider, "max_requests", 0)
        if budget:
            spider.requests_made = getattr(spider, "requests_made", 0) + 1
            if spider.requests_made > budget:
                if spider.requests_made == budget + 1 and session is not None:
                    session.error(request.url, "fetch", "too_many_requests",
                                  f"request budget of {budget} per site and run (XXGK_MAX_REQUESTS) used up; "
                                  "this and every further request dropped")
                raise IgnoreRequest(f"request budget used up: {request.url}")
        return None


class ConditionalRequestMiddleware(CrawlerAware):
    """If-None-Match / If-Modified-Since from the previous capture; a 304 is answered from the store.

    The spider then parses the stored body as if freshly fetched (so the report is seen
    again), while the capture middleware records `not_modified` instead of a new version.
    """

    def process_request(self, request: Request) -> None:
        session = getattr(self.spider, "session", None)
        if session is None or not request.meta.get("conditional"):
            return None
        prev = session.state.get(request.url)
        if prev is None:
            return None
        if prev.etag:
            request.headers.setdefault(b"If-None-Match", prev.etag.encode("latin-1"))
        if prev.last_modified:
            request.headers.setdefault(b"If-Modified-Since", prev.last_modified.encode("latin-1"))
        request.meta["xxgk_prev"] = prev
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        prev = request.meta.get("xxgk_prev")
        if response.status != 304 or prev is None:
            return response
        session = self.spider.session
        try:
            body = session.store.read(prev.raw_path)
        except (OSError, ValueError):
            session.error(response.url, "fetch", "missing_raw", "304 but the stored copy is unreadable; refetching")
            return request.replace(headers={k: v for k, v in request.headers.items()
                                            if k not in (b"If-None-Match", b"If-Modified-Since")},
                                   meta={**request.meta, "conditional": False, "xxgk_prev": None},
                                   dont_filter=True)  # type: ignore[return-value]
        headers = Headers({"Content-Type": prev.content_type or "application/octet-stream"})
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        request.meta["xxgk_not_modified"] = prev.sha256
        kwargs = {"encoding": prev.charset} if issubclass(cls, TextResponse) and prev.charset else {}
        return cls(url=response.url, status=200, headers=headers, body=body, request=request, **kwargs)


class CharsetMiddleware(CrawlerAware):
    """Repair text responses whose declared charset contradicts their bytes.

    Scrapy trusts the Content-Type header first; portals send `charset=utf-8` over GBK
    bodies or no charset at all. When the declared or detected encoding cannot decode the
    body, the body's own `<meta>` or a statistical guess decides. The raw bytes are never
    changed: only the encoding used to read them.
    """

    reported: set[tuple[str, str, str]]

    @classmethod
    def from_crawler(cls, crawler: Crawler):  # type: ignore[no-untyped-def]
        obj = super().from_crawler(crawler)
        obj.reported = set()
        return obj

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        # the one charset policy (archive/store/charset.py); Scrapy's own <meta> sniffing, asked
        # only when the chosen encoding fails
        enc = charset.repair_encoding(response.body, response.encoding,
                                      response._body_declared_encoding)  # noqa: SLF001
        if enc is None:
            return response
        session = getattr(self.spider, "session", None)
        if session is not None:
            session.stats["charset_repaired"] += 1
            key = (origin(response.url), response.encoding, enc)
            if key not in self.reported:  # one row per host and (declared, used) pair, not per page
                self.reported.add(key)
                session.error(response.url, "fetch", "bad_charset",
                              f"declared/detected {response.encoding} cannot decode the body; read as {enc} "
                              "(later pages of this host with the same problem are not listed)")
        return response.replace(encoding=enc)


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries with exponential backoff and jitter; hostile answers handled before retrying.

    The wait is an asyncio sleep inside the middleware chain, so the reactor stays free
    while this site is held back; 429/503 `Retry-After` is honoured up to the maximum.
    Every retry is recorded (kind of the fault, attempt, wait), and the hostile answers of
    `crawler.antibot` are handled here, before a response reaches the capture middleware:
    challenge pages, temporary blocks and wrong pages are never stored as documents.
    """

    def __init__(self, settings):  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.guard = Guard(settings)
        self.failures = HostFailures()

    @property
    def stop(self) -> SiteStop:
        """Every wait below goes through it, so a stop (shutdown, host down, budget) cuts it short."""
        return SiteStop.of(self.crawler)

    def _delay(self, request: Request, response: Response | None = None) -> float:
        tries = request.meta.get("retry_times", 0)
        delay = min(self.cap, self.base * (2 ** tries))
        if response is not None:
            after = response.headers.get(b"Retry-After")
            if after and after.isdigit():
                delay = min(self.cap, max(delay, float(after)))
        return delay * random.uniform(0.75, 1.25)

    def _error(self, url: str, kind: str, message: str) -> None:
        session = getattr(self.crawler.spider, "session", None)
        if session is not None:
            session.error(url, "fetch", kind, message)

    async def process_request(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls") or []
        if chain.count(request.url) >= 2:  # once is a cookie-setting redirect to itself; twice is a loop
            self._error(request.url, "redirect_loop",
                        "redirect loop: " + " -> ".join([*chain[-4:], request.url])[:480])
            raise IgnoreRequest(f"redirect loop: {request.url}")
        # redirected copies inherit this: a chain is followed (and a loop seen) instead of being
        # silently dropped by the duplicate filter when it comes back to a URL already fetched
        request.dont_filter = True
        self.stop.check(request)
        await self.guard.wait_turn(request.url, sleep=lambda s: self.stop.sleep(s, request))
        request.meta["xxgk_sent_at"] = time.monotonic()
        request.meta.pop("download_latency", None)  # set again when this attempt's headers arrive
        return None

    async def process_response(self, request: Request, response: Response):  # type: ignore[override]
        challenge = challenge_kind(response.status, response.body)
        if challenge and not request.meta.get("playwright"):
            return await self._challenge(request, response, challenge)
        host = self.guard.host(request.url)
        recent = self.guard.forbidden_urls(request.url) if response.status == 403 else 0
        if looks_blocked(response.status, response.body, recent) and not _is_robots(request.url):
            tries = request.meta.get("xxgk_blocked", 0)
            if tries < self.guard.block_retries:
                wait, new = self.guard.block(request.url)
                if new:
                    self._error(response.url, "ip_block",
                                f"HTTP {response.status} (temporary block: {recent or 'a'} URL(s) refused): "
                                f"host paused {wait:.0f}s, then requests spaced {host.interval:.2f}s")
                    paused_beyond_budget(self.crawler, response.url, wait,
                                         f"ip_block: HTTP {response.status}, pause {wait:.0f}s")
                await self.stop.sleep(wait, request)
                return _again(request, xxgk_blocked=tries + 1)
            self._error(response.url, "ip_block", f"still HTTP {response.status} after {tries} pauses; giving up")
        self.guard.note_answer(request.url, response.status)
        self.failures.answered(request.url)
        if 200 <= response.status < 300:
            again = await self._check_content(request, response)
            if again is not None:
                return again
        result = super().process_response(request, response)
        if isinstance(result, Request):
            delay = self._delay(request, response)
            self._error(response.url, f"http_{response.status}", f"HTTP {response.status}; retry "
                        f"{result.meta.get('retry_times')} of {self.max_retry_times} in {delay:.1f}s")
            await self.stop.sleep(delay, request)
        return result

    async def process_exception(self, request: Request, exception: Exception):  # type: ignore[override]
        if isinstance(exception, IgnoreRequest):
            return None
        kind = exception_kind(exception)
        if kind == "timeout" and "download_latency" in request.meta:
            self.failures.answered(request.url)  # headers came, the body trickled: the host is up
        else:
            if kind in HARD_FAILURES:
                self._unpace(request)
            if self.failures.failed(request.url, kind):
                self.stop.stop("host_down", self.failures.describe(request.url), self.failures.host(request.url))
        if self.stop.stopping:
            return None  # no retry: this request's own failure is its error row
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            delay = self._delay(request)
            self._error(request.url, kind,
                        f"{type(exception).__name__}: {str(exception)[:200]}; retry "
                        f"{result.meta.get('retry_times')} of {self.max_retry_times} in {delay:.1f}s")
            await self.stop.sleep(delay, request)
        return result

    def _unpace(self, request: Request) -> None:
        """A host that refused or reset the connection is asked again at the politeness minimum.

        AutoThrottle spaces a host that answered slowly (or with 5xx) up to AUTOTHROTTLE_MAX_DELAY
        (60 s) a request and only revises that on an answer; a host that has gone away never
        answers, so the failures that show it is down would come a minute apart. A refusal costs
        the host nothing; its first answer, if it comes back, lets AutoThrottle pace it again.
        """
        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        if downloader is None:
            return
        slot = downloader.slots.get(downloader.get_slot_key(request))
        floor = self.crawler.settings.getfloat("DOWNLOAD_DELAY", 0.0)
        if slot is not None and slot.delay > floor:
            slot.delay = floor

    async def _check_content(self, request: Request, response: Response) -> Request | None:
        """Entry/list bodies are remembered; a report page that is one of them (or has no
        report markup) is throttling by wrong content: retried later, then dropped."""
        kind = request.meta.get("kind")
        if kind in ("entry", "list"):
            self.guard.note_navigation(response.body)
            return None
        ctype = (response.headers.get(b"Content-Type") or b"").lower()
        if kind != "detail" or not (b"html" in ctype or b"<html" in response.body[:2048].lower()):
            return None
        why = self.guard.wrong_page(response.body, tuple(getattr(self.crawler.spider, "detail_markers", ())))
        if why is None:
            return None
        tries = request.meta.get("xxgk_wrong", 0)
        if tries < self.guard.wrong_page_retries:
            await self.stop.sleep(self._delay(request), request)
            return _again(request, xxgk_wrong=tries + 1)
        self._error(response.url, "wrong_page", f"HTTP 200 but {why} (throttling?); tried {tries + 1} times, "
                    "not archived as the report")
        raise IgnoreRequest(f"wrong page: {response.url}")

    async def _challenge(self, request: Request, response: Response, kind: str) -> Request:
        label = {"js_challenge": "瑞数-style JS challenge", "cookie_challenge": "加速乐-style cookie challenge"}[kind]
        host = self.guard.host(request.url)
        tries = request.meta.get("xxgk_challenge", 0)
        if tries >= 2 or host.solves >= self.guard.max_solves:
            self._error(response.url, "challenge", f"{label} (HTTP {response.status}) still served after passing "
                        f"it {host.solves} time(s); request dropped")
            raise IgnoreRequest(f"challenge: {response.url}")
        async with host.lock:
            self.stop.check(request)  # a stop while this request waited for another's pass
            # a host paused after a temporary block answers Chromium 403 too: the one attempt the
            # host gets would be spent on the block (seen in the chaos crawl), so wait it out first
            await self.guard.wait_turn(request.url, sleep=lambda s: self.stop.sleep(s, request))
            if host.solved_at < request.meta.get("xxgk_sent_at", 0.0):  # no cookies newer than this request's
                try:  # a stopping site cuts the browser short like a download (crawler/sitestop.py)
                    host.cookies = await self.stop.cuttable(pass_challenge(
                        request.url, self.guard.launch_options, self.guard.user_agent, self.guard.challenge_timeout))
                except Interrupted:
                    raise
                except Exception as exc:  # noqa: BLE001 - any browser failure ends in one error row
                    host.solves = self.guard.max_solves
                    self._error(response.url, "challenge", f"{label} (HTTP {response.status}) not passed in "
                                f"Chromium: {exc}"[:500])
                    raise IgnoreRequest(f"challenge: {response.url}") from exc
                host.solved_at = time.monotonic()
                host.solves += 1
                self._error(response.url, "challenge_passed",
                            f"{label} (HTTP {response.status}) passed in Chromium; continuing over plain HTTP "
                            f"with its cookies ({', '.join(c['name'] for c in host.cookies)})")
        new = _again(request, xxgk_challenge=tries + 1)
        new.cookies = list(host.cookies)  # type: ignore[assignment]
        new.headers.pop(b"Cookie", None)
        return new


def paused_beyond_budget(crawler: Crawler, url: str, seconds: float, why: str) -> None:
    """A host pause is shown on the console; one longer than the site's budget left ends the site."""
    from crawler.progress import SiteProgress

    progress = SiteProgress.of(crawler)
    if progress is None:
        return
    progress.pause(url, seconds, why)
    left = progress.seconds_left()
    if seconds > left:
        host = urlsplit(url).netloc
        SiteStop.of(crawler).stop("host_down", f"host {host} paused {seconds:.0f}s ({why}), longer than the "
                                  f"{max(0.0, left):.0f}s left of the site's budget", host)


def _again(request: Request, **meta: Any) -> Request:
    return request.replace(dont_filter=True, meta={**request.meta, **meta})


def _is_robots(url: str) -> bool:
    return urlsplit(url).path.endswith("/robots.txt")


# Chromium's names for the same transport failures (a Playwright page.goto error carries them)
BROWSER_NET_ERRORS = (
    ("ERR_CONNECTION_REFUSED", "refused"),
    ("ERR_NAME_NOT_RESOLVED", "dns"),
    ("ERR_NAME_RESOLUTION_FAILED", "dns"),
    ("ERR_CONNECTION_TIMED_OUT", "timeout"),
    ("ERR_TIMED_OUT", "timeout"),
    ("ERR_CONNECTION_RESET", "connection_reset"),
    ("ERR_CONNECTION_CLOSED", "connection_reset"),
    ("ERR_EMPTY_RESPONSE", "connection_reset"),
    ("ERR_CONNECTION_FAILED", "connect_failed"),
    ("ERR_ADDRESS_UNREACHABLE", "connect_failed"),
)


def exception_kind(exc: BaseException) -> str:
    """A short slug for a transport failure (the `kind` of its error record)."""
    if isinstance(exc, (TimeoutError, TCPTimedOutError, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(exc, DNSLookupError):
        return "dns"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    msg = str(exc).lower()
    if isinstance(exc, ConnectError):  # Twisted's connect-time failures: reset, no route, ...
        return "connection_reset" if "reset" in msg else "connect_failed"
    if ("maxsize" in msg or "max size" in msg) or ("cancel" in msg and "size" in msg):
        return "too_large"
    if isinstance(exc, (ResponseNeverReceived, ConnectionLost, ResponseFailed)):
        return "connection_reset"
    for code, kind in BROWSER_NET_ERRORS:
        if f"net::{code.lower()}" in msg:
            return kind
    return type(exc).__name__.lower()[:40]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
