"""A scrapy-playwright download handler that starts Playwright only when a request needs it.

scrapy-playwright starts its Playwright driver (a Node.js process) when the engine starts,
once per handler: one for `http` and one for `https`, in every Crawler. `xxgk nightly` runs
one Crawler per site, so 55 sites started 110 drivers before the first request — about
40 s of start-up on two cores for 11 sites, the largest part of an unchanged night — while
only a few list pages (JavaScript-built NFCMS columns) ever ask for a browser.

This subclass launches on the first request with `meta["playwright"]`; everything else goes
through Scrapy's plain HTTP/1.1 handler as before. `xxgk nightly` installs it for its crawl
(`DOWNLOAD_HANDLERS`); it belongs in `crawler/` (settings.DOWNLOAD_HANDLERS) — proposed
there, kept separate here because the crawler is not this module's owner's to change.
"""
from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

HANDLERS = {scheme: f"{__name__}.LazyPlaywrightDownloadHandler" for scheme in ("http", "https")}


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    _lazy_lock: asyncio.Lock | None = None
    _lazy_started = False

    async def _maybe_launch_in_thread(self) -> None:  # engine_started: do nothing yet
        return None

    def _engine_started(self) -> Any:  # the same hook on Scrapy < 2.14
        from twisted.internet.defer import succeed
        return succeed(None)

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        if not self._lazy_started:
            if self._lazy_lock is None:
                self._lazy_lock = asyncio.Lock()
            async with self._lazy_lock:
                if not self._lazy_started:
                    await self._launch()
                    self._lazy_started = True
        return await super()._download_request(request, spider)
