"""Politeness across processes: a Redis-backed limit per host, shared by every worker.

Scrapy's download slots (CONCURRENT_REQUESTS_PER_DOMAIN, DOWNLOAD_DELAY, AutoThrottle)
live inside one process, so three workers on one portal would hit it three times as hard.
This downloader middleware sits just before the download handler and asks Redis, in one
Lua call per request, for

* a concurrency slot: at most `XXGK_HOST_CONCURRENCY` requests of all workers in flight to
  the host (a sorted set of holders; a holder that is never released, e.g. its worker was
  killed, expires after the download timeout), and
* a start time: requests to the host start at least `XXGK_HOST_INTERVAL` seconds apart
  (a reservation: the script moves the host's next free time on by one interval and tells
  the caller how long to wait; no polling, no lost races).

Redis is reached with the asyncio client (the reactor is asyncio's), and a waiting request
sleeps, so the reactor serves other sites meanwhile. Scrapy runs downloader middlewares before
its own slots queue a request, so a local per-host semaphore of the same size comes first:
only requests that could start now ask Redis. Redis server time is the clock, so machines
with skewed clocks still agree. The local Scrapy limits stay in force on top.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import random
import socket
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from redis import asyncio as aioredis

SLOT_META = "xxgk_host_slot"

# KEYS: holders zset, next-start key; ARGV: holder id, limit, interval, hold ttl
# -> {1, wait} when the slot is granted (start after `wait` seconds), {0, retry_after} when full
ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return {0, tostring(math.min(0.25, math.max(0.05, tonumber(ARGV[3]) / 2)))}
end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
local start = math.max(now, nxt)
local interval = tonumber(ARGV[3])
redis.call('SET', KEYS[2], tostring(start + interval), 'PX', math.floor((start - now + interval) * 1000) + 1000)
redis.call('ZADD', KEYS[1], start + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.floor((start - now + tonumber(ARGV[4])) * 1000) + 1000)
return {1, tostring(start - now)}
"""

_holder_ids = itertools.count(1)
_tag = f"{socket.gethostname()}:{os.getpid()}"


class HostLimiter:
    """Acquire/release the shared per-host slot (asyncio; the benchmark uses it directly too)."""

    def __init__(self, redis_url: str, prefix: str, limit: int, interval: float, hold_ttl: float):
        self.server = aioredis.Redis.from_url(redis_url)
        self.prefix = prefix
        self.limit, self.interval, self.hold_ttl = limit, interval, hold_ttl
        self.script = self.server.register_script(ACQUIRE_LUA)
        self.local: dict[str, asyncio.Semaphore] = {}

    def keys(self, host: str) -> list[str]:
        return [f"{self.prefix}:host:{host}:active", f"{self.prefix}:host:{host}:next"]

    async def acquire(self, host: str) -> str:
        await self.local.setdefault(host, asyncio.Semaphore(self.limit)).acquire()
        holder = f"{_tag}:{next(_holder_ids)}"
        try:
            while True:
                granted, wait = await self.script(keys=self.keys(host),
                                                  args=[holder, self.limit, self.interval, self.hold_ttl])
                if int(granted):
                    if float(wait) > 0:
                        await asyncio.sleep(float(wait))
                    return holder
                await asyncio.sleep(float(wait) * random.uniform(0.5, 1.0))
        except BaseException:
            self.local[host].release()
            raise

    async def release(self, host: str, holder: str) -> None:
        self.local[host].release()
        await self.server.zrem(self.keys(host)[0], holder)


class HostLimitMiddleware:
    """Downloader middleware around HostLimiter (enabled by `xxgk crawl --distributed`)."""

    def __init__(self, limiter: HostLimiter):
        self.limiter = limiter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "HostLimitMiddleware":
        s = crawler.settings
        interval = s.get("XXGK_HOST_INTERVAL")
        interval = float(interval) if interval not in (None, "") else s.getfloat("DOWNLOAD_DELAY", 1.0)
        limit = s.getint("XXGK_HOST_CONCURRENCY") or s.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        hold = s.getfloat("DOWNLOAD_TIMEOUT", 60) + 30  # a killed worker's slot frees itself
        return cls(HostLimiter(s["REDIS_URL"], s.get("XXGK_REDIS_PREFIX", "xxgk"), limit, interval, hold))

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).netloc
        holder = await self.limiter.acquire(host)
        request.meta[SLOT_META] = (host, holder)
        return None

    async def _release(self, request: Request) -> None:
        slot = request.meta.pop(SLOT_META, None)
        if slot:
            await self.limiter.release(*slot)

    async def process_response(self, request: Request, response: Response) -> Response:
        await self._release(request)
        return response

    async def process_exception(self, request: Request, exception: Exception) -> None:
        await self._release(request)
        return None
