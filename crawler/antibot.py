"""Hostile portals: JS-cookie challenges, temporary IP blocks, throttling by wrong content.

Detect-and-report first (guide: portals/antibot-and-http.md). A 瑞数-style 412/202 `$_ts`
page or a 加速乐-style 521 cookie page is passed **once** in Chromium, only when met; the
cookies it sets are then replayed over plain HTTP, so the crawl stays a crawl. A temporary
block (429, 403 "访问过于频繁", or 403s for several URLs of a host that answered before)
pauses the whole host and slows it down for the rest of the run instead of hammering it. A 200 answer that
is the home page instead of the requested report is retried later, then reported.

Knobs (environment, so tests can shrink them): `XXGK_BLOCK_PAUSE` (first pause, s; doubles
per new block, default 60), `XXGK_BLOCK_RETRIES` (per request, default 4),
`XXGK_BLOCK_INTERVAL` (per-host spacing after a block, s, default 0.5; doubles per block),
`XXGK_CHALLENGE_TIMEOUT` (s in Chromium, default 30), `XXGK_WRONG_PAGE_RETRIES` (default 2).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

RUISHU_MARKERS = (b"$_ts", b"nsd=", b"arg1=", b'createElement("section")')
SHELL_MAX = 8_000  # challenge shells are tiny pages of script with no text
BLOCK_WORDS = ("访问过于频繁".encode(), "访问过于频繁".encode("gbk"), b"Too Many Requests", "频繁".encode(),
               "频繁".encode("gbk"))


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def challenge_kind(status: int, body: bytes) -> str | None:
    """`js_challenge` (瑞数 412/202 shell), `cookie_challenge` (加速乐 521), or None."""
    if status in (412, 202) and len(body) < SHELL_MAX and any(m in body for m in RUISHU_MARKERS):
        return "js_challenge"
    if status == 521 and b"document.cookie" in body:
        return "cookie_challenge"
    if status == 412 and b"<script" in body.lower() and len(body) < SHELL_MAX:
        return "js_challenge"
    return None


def looks_blocked(status: int, body: bytes, recent_forbidden_urls: int) -> bool:
    """429, a 403 that says 访问过于频繁, or 403s for several URLs of a host that answered before.

    A lone 403 on one URL is that URL's answer (recorded as `http_403`), not a reason to
    pause a whole portal.
    """
    if status not in (403, 429):
        return False
    return status == 429 or recent_forbidden_urls >= 2 or any(w in body[:4000] for w in BLOCK_WORDS)


async def pass_challenge(url: str, launch_options: dict[str, Any], user_agent: str | None,
                         timeout: float) -> list[dict[str, Any]]:
    """Open `url` in Chromium until its script has set its cookies and the page answers 2xx.

    Returns the context's cookies (name, value, path). Raises RuntimeError when the page
    never gets past the challenge in `timeout` seconds.
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(**launch_options)
        try:
            context = await browser.new_context(user_agent=user_agent) if user_agent else await browser.new_context()
            page = await context.new_page()
            statuses: list[int] = []  # main-frame navigation answers, in order

            def on_response(resp: Any) -> None:
                if resp.request.is_navigation_request() and resp.frame == page.main_frame:
                    statuses.append(resp.status)

            page.on("response", on_response)
            try:
                await page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
            except Exception as exc:  # navigation interrupted by the script's reload is normal
                logger.debug("challenge navigation: %s", exc)
            deadline = time.monotonic() + timeout
            while not _past_challenge(statuses):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"still challenged after {timeout:.0f}s in Chromium (answers {statuses[:6]})")
                await asyncio.sleep(0.2)
            cookies = await context.cookies()
        finally:
            await browser.close()
    return [{"name": c["name"], "value": c["value"], "path": c.get("path") or "/"} for c in cookies]


CHALLENGE_STATUSES = (412, 521, 202, 403)


def _past_challenge(statuses: list[int]) -> bool:
    """A 2xx/3xx page, or a later answer that is no longer a challenge (say a 503 the crawl retries)."""
    return any(s < 400 and s != 202 for s in statuses) or any(s not in CHALLENGE_STATUSES for s in statuses[1:])


@dataclass
class HostState:
    paused_until: float = 0.0
    interval: float = 0.0          # minimum spacing between requests, raised after a block
    next_slot: float = 0.0
    blocks: int = 0                # consecutive block events (reset by a good answer)
    answered: bool = False         # has answered 2xx in this run
    cookies: list[dict[str, Any]] = field(default_factory=list)
    solved_at: float = -1.0
    solves: int = 0
    forbidden: dict[str, float] = field(default_factory=dict)  # URL -> time of its last 403
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Guard:
    """Per-spider state of the hostile-portal defences (one per downloader middleware)."""

    def __init__(self, settings: Any):
        self.hosts: dict[str, HostState] = {}
        self.block_pause = _env("XXGK_BLOCK_PAUSE", 60.0)
        self.block_retries = int(_env("XXGK_BLOCK_RETRIES", 4))
        self.block_interval = _env("XXGK_BLOCK_INTERVAL", 0.5)
        self.challenge_timeout = _env("XXGK_CHALLENGE_TIMEOUT", 30.0)
        self.max_solves = 3
        self.wrong_page_retries = int(_env("XXGK_WRONG_PAGE_RETRIES", 2))
        self.launch_options = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {"headless": True})
        self.user_agent = settings.get("USER_AGENT")
        self.nav_hashes: set[str] = set()  # entry and list pages seen: never a report's content
        self.nav_sizes: set[int] = set()   # their lengths: a body of another length is no copy (no hash needed)

    def host(self, url: str) -> HostState:
        key = urlsplit(url).netloc.lower()
        if key not in self.hosts:
            self.hosts[key] = HostState()
        return self.hosts[key]

    # -- pacing -------------------------------------------------------------------------------
    async def wait_turn(self, url: str, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Hold a request while its host is paused, and space requests after a block (`sleep`:
        a wait that a stopping site cuts short, crawler/sitestop.py)."""
        h = self.host(url)
        while True:
            now = time.monotonic()
            if h.paused_until > now:
                await sleep(h.paused_until - now)
                continue
            if h.interval:
                slot = max(now, h.next_slot)
                h.next_slot = slot + h.interval
                if slot > now:
                    await sleep(slot - now)
            return

    def forbidden_urls(self, url: str, window: float = 10.0) -> int:
        """Note a 403 for `url`; how many distinct URLs of an answering host got one lately."""
        h = self.host(url)
        if not h.answered:
            return 0
        now = time.monotonic()
        h.forbidden[url] = now
        for u in [u for u, t in h.forbidden.items() if now - t > window]:
            del h.forbidden[u]
        return len(h.forbidden)

    def note_answer(self, url: str, status: int) -> None:
        if 200 <= status < 400:
            h = self.host(url)
            h.answered = True
            h.blocks = 0

    def block(self, url: str) -> tuple[float, bool]:
        """A block was met: (seconds to wait, whether this is a new block event)."""
        h = self.host(url)
        now = time.monotonic()
        if h.paused_until > now:
            return h.paused_until - now, False
        pause = self.block_pause * (2 ** h.blocks)
        h.blocks += 1
        h.paused_until = now + pause
        h.interval = max(h.interval * 2, self.block_interval)
        return pause, True

    # -- wrong content --------------------------------------------------------------------------
    def note_navigation(self, body: bytes) -> None:
        self.nav_hashes.add(hashlib.sha256(body).hexdigest())
        self.nav_sizes.add(len(body))

    def wrong_page(self, body: bytes, markers: tuple[bytes, ...]) -> str | None:
        """Why a 200 detail answer is not a report page (throttling by wrong content), or None."""
        if len(body) in self.nav_sizes and hashlib.sha256(body).hexdigest() in self.nav_hashes:
            return "the answer is a copy of an entry/list page already fetched"
        if markers and not any(m in body for m in markers):
            return "the answer has none of the platform's report-page markup"
        return None
