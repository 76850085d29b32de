"""A Playwright download handler that starts Playwright on the first request that needs it.

scrapy-playwright launches its Node driver when the engine starts, once per crawler. A worker
runs one crawler per site, so a worker with 64 sites would start 64 drivers (seconds each) for
the few list pages that need JavaScript. This subclass starts the driver lazily instead, in
the crawler whose site first asks for `meta["playwright"]`. Single-machine crawls use it too
(crawler/settings.py). Every download runs as a task its site can cut when the run ends
early (crawler/sitestop.py).
"""
from __future__ import annotations

import asyncio

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.sitestop import SiteStop


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        for receiver in (self._maybe_launch_in_thread, self._engine_started):
            crawler.signals.disconnect(receiver, signal=signals.engine_started)
        self._launched = False
        self._launch_lock = asyncio.Lock()

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if request.meta.get("playwright") and not self._launched:
            async with self._launch_lock:
                if not self._launched:
                    await self._maybe_future_from_coro(self._launch())
                    self._launched = True
        # a site that stops (shutdown, host down, budget) cuts its downloads after a grace period
        return await SiteStop.of(self._crawler).cuttable(super().download_request(request))
