"""Downloader middlewares: rebasing onto replicas, conditional requests, charset repair, backoff."""
from __future__ import annotations

import asyncio
import random
from urllib.parse import urlsplit

import charset_normalizer
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes


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
        if not spider.is_allowed(request.url):
            session = getattr(spider, "session", None)
            if session is not None:
                session.error(request.url, "fetch", "offsite", "request to a host outside the site dropped")
            raise IgnoreRequest(f"off-site: {request.url}")
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

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        try:
            response.body.decode(response.encoding)
            return response
        except (UnicodeDecodeError, LookupError):
            pass
        meta_enc = response._body_declared_encoding()  # noqa: SLF001 - Scrapy's own <meta> sniffing
        candidates = [meta_enc] if meta_enc else []
        best = charset_normalizer.from_bytes(response.body[:200_000]).best()
        if best is not None:
            candidates.append(best.encoding)
        candidates += ["gb18030", "utf-8"]
        for enc in candidates:
            try:
                response.body.decode(enc)
            except (UnicodeDecodeError, LookupError, TypeError):
                continue
            session = getattr(self.spider, "session", None)
            if session is not None:
                session.stats["charset_repaired"] += 1
            return response.replace(encoding=enc)
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries with exponential backoff and jitter instead of immediately.

    The wait is an asyncio sleep inside the middleware chain, so the reactor stays free
    while this site is held back; 429/503 `Retry-After` is honoured up to the maximum.
    """

    def __init__(self, settings):  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    def _delay(self, request: Request, response: Response | None = None) -> float:
        tries = request.meta.get("retry_times", 0)
        delay = min(self.cap, self.base * (2 ** tries))
        if response is not None:
            after = response.headers.get(b"Retry-After")
            if after and after.isdigit():
                delay = min(self.cap, max(delay, float(after)))
        return delay * random.uniform(0.75, 1.25)

    async def process_response(self, request: Request, response: Response):  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(self._delay(request, response))
        return result

    async def process_exception(self, request: Request, exception: Exception):  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self._delay(request))
        return result


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
