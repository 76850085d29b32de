"""The shared request queue of a distributed crawl: scrapy-redis, plus leases.

scrapy-redis pops a request out of Redis for good, so a worker killed with requests in
flight would lose them. Here a pop is a *lease*: one Lua script moves the request into the
site's lease table with a deadline (Redis server time, so machine clocks do not matter).
The worker renews its leases while it works on them and acknowledges each request once its
callback (or errback) has run, i.e. after its captures, records and child requests exist.
Any worker that pops from the site, and every worker's supervisor tick, first puts the
leases whose deadline passed back at the head of the queue: a dead worker's requests are
fetched again by the others within `XXGK_LEASE_SECONDS`. A request requeued more than
`XXGK_LEASE_MAX_REQUEUES` times (it keeps killing workers) goes to the dead list.

Keys (prefix `xxgk`, crawl id C, site S):
  xxgk:current                 id of the crawl workers join
  xxgk:C:sites                 hash S -> JSON {spider, kwargs}     (written by the seed)
  xxgk:C:seeded / :done        seed finished / set of drained sites
  xxgk:C:dead                  list of dead-lettered requests
  xxgk:C:reports               hash S -> report records written (all workers)
  xxgk:C:site:S:queue          list of pickled requests (scrapy-redis FifoQueue)
  xxgk:C:site:S:dupefilter     set of fingerprints (scrapy-redis RFPDupeFilter)
  xxgk:C:site:S:leases         hash lease id -> pickled request
  xxgk:C:site:S:deadlines      zset lease id -> deadline
  xxgk:C:site:S:requeues       hash sha1(request) -> times requeued
"""
from __future__ import annotations

import itertools
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import FifoQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

LEASE_META = "xxgk_lease"

# Put expired leases back at the head of the queue (or on the dead list). Shared prefix of
# the scripts below; KEYS[1..5] = queue, leases, deadlines, requeues, dead.
_REQUEUE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 200)
for _, id in ipairs(expired) do
  local data = redis.call('HGET', KEYS[2], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  if data then
    local n = redis.call('HINCRBY', KEYS[4], redis.sha1hex(data), 1)
    if n > tonumber(ARGV[1]) then
      redis.call('RPUSH', KEYS[5], data)
    else
      redis.call('RPUSH', KEYS[1], data)
    end
  end
end
"""
# ARGV: max_requeues, lease id, ttl -> the leased request or nil
POP_LUA = _REQUEUE + """
local data = redis.call('RPOP', KEYS[1])
if not data then return false end
redis.call('HSET', KEYS[2], ARGV[2], data)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[2])
return data
"""
# KEYS[6] = done set; ARGV: max_requeues, site id, mark ('1': a drained site joins `done`)
# -> {queued, leased, newly_done}
STATUS_LUA = _REQUEUE + """
local queued = redis.call('LLEN', KEYS[1])
local leased = redis.call('HLEN', KEYS[2])
local newly = 0
if queued == 0 and leased == 0 and ARGV[3] == '1' then newly = redis.call('SADD', KEYS[6], ARGV[2]) end
return {queued, leased, newly}
"""
# KEYS: queue, dupefilter, leases, deadlines; ARGV: request, fingerprint ('' = dont_filter), old lease
# -> 1 queued, 0 a duplicate. Seen-mark, push and the end of the replaced lease are one step, so a
# worker killed in between cannot leave a fingerprint without its request.
PUSH_LUA = """
if ARGV[2] ~= '' and redis.call('SADD', KEYS[2], ARGV[2]) == 0 then
  if ARGV[3] ~= '' then redis.call('HDEL', KEYS[3], ARGV[3]); redis.call('ZREM', KEYS[4], ARGV[3]) end
  return 0
end
redis.call('LPUSH', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('HDEL', KEYS[3], ARGV[3]); redis.call('ZREM', KEYS[4], ARGV[3]) end
return 1
"""
# KEYS[1] = deadlines; ARGV: ttl, ids... -> how many of the ids were still leased
RENEW_LUA = """
local t = redis.call('TIME')
local deadline = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
local kept = 0
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', deadline, ARGV[i]) == 1 then kept = kept + 1 end
end
return kept
"""
# KEYS: leases, deadlines; ARGV: ttl, id -> 1 the lease is still this holder's (deadline renewed),
# 0 it expired and its request went back to the queue (another worker fetches it)
CLAIM_LUA = """
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0 then return 0 end
local t = redis.call('TIME')
redis.call('ZADD', KEYS[2], tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1]), ARGV[2])
return 1
"""
# KEYS: queue, leases, deadlines; ARGV: ids -> give leases back now (graceful stop)
RELEASE_LUA = """
for i = 1, #ARGV do
  local data = redis.call('HGET', KEYS[2], ARGV[i])
  if data then
    redis.call('HDEL', KEYS[2], ARGV[i])
    redis.call('ZREM', KEYS[3], ARGV[i])
    redis.call('RPUSH', KEYS[1], data)
  end
end
return 1
"""


@dataclass(frozen=True)
class Keys:
    """Redis key names of one crawl (see the module docstring)."""

    prefix: str
    crawl: str

    @property
    def current(self) -> str:
        return f"{self.prefix}:current"

    def crawl_key(self, name: str) -> str:
        return f"{self.prefix}:{self.crawl}:{name}"

    def site(self, site_id: str, name: str) -> str:
        return f"{self.prefix}:{self.crawl}:site:{site_id}:{name}"

    def lease_keys(self, site_id: str) -> list[str]:
        """KEYS[1..5] of the lease scripts."""
        return [self.site(site_id, n) for n in ("queue", "leases", "deadlines", "requeues")] + \
            [self.crawl_key("dead")]


def keys_from_settings(settings: Any) -> Keys:
    crawl = settings.get("XXGK_CRAWL_ID")
    if not crawl:
        raise ValueError("distributed mode needs XXGK_CRAWL_ID (set by `xxgk crawl --distributed`)")
    return Keys(settings.get("XXGK_REDIS_PREFIX", "xxgk"), crawl)


class Scripts:
    """The Lua scripts, registered once per connection."""

    def __init__(self, server: Redis):
        self.pop = server.register_script(POP_LUA)
        self.push = server.register_script(PUSH_LUA)
        self.status = server.register_script(STATUS_LUA)
        self.renew = server.register_script(RENEW_LUA)
        self.release = server.register_script(RELEASE_LUA)
        self.claim = server.register_script(CLAIM_LUA)


_lease_counter = itertools.count(1)
_worker_tag = f"{socket.gethostname()}:{os.getpid()}"


class LeasedQueue(FifoQueue):
    """scrapy-redis FIFO queue whose pop leases the request (see the module docstring)."""

    def __init__(self, server: Redis, spider: Spider, key: str, serializer: Any = None, *,
                 keys: Keys, site_id: str, ttl: float, max_requeues: int, scripts: Scripts):
        super().__init__(server, spider, key, serializer)
        self.keys, self.site_id = keys, site_id
        self.ttl, self.max_requeues, self.scripts = ttl, max_requeues, scripts
        self.held: set[str] = set()     # leases this process works on
        self.finished: set[str] = set()  # acknowledged, not yet sent to Redis
        self.renewed_at = time.monotonic()

    def pop(self, timeout: int = 0) -> Request | None:
        lease = f"{_worker_tag}:{next(_lease_counter)}"
        data = self.scripts.pop(keys=self.keys.lease_keys(self.site_id),
                                args=[self.max_requeues, lease, self.ttl], client=self.server)
        if not data:
            return None
        request = self._decode_request(data)
        request.meta[LEASE_META] = lease
        self.held.add(lease)
        return request

    def push_unseen(self, request: Request, fingerprint: str | None) -> bool:
        """Queue `request` unless `fingerprint` was seen; a request that replaces a leased one
        (retry, redirect: it carries the lease id) ends that lease in the same step."""
        old = request.meta.pop(LEASE_META, None) or ""
        self.held.discard(old)
        self.finished.discard(old)
        keys = [self.key, self.keys.site(self.site_id, "dupefilter"), self.keys.site(self.site_id, "leases"),
                self.keys.site(self.site_id, "deadlines")]
        data = self._encode_request(request)
        return bool(self.scripts.push(keys=keys, args=[data, fingerprint or "", old], client=self.server))

    def done(self, request: Request | None) -> None:
        """The request's callback/errback ran: acknowledge its lease (batched, see `flush`)."""
        lease = request.meta.get(LEASE_META) if request is not None else None
        if lease and lease in self.held:
            self.held.discard(lease)
            self.finished.add(lease)

    def claim(self, request: Request | None) -> bool:
        """Before a response's callback runs: is its lease still ours? A lease that expired (this
        process was too slow to renew it) had its request put back in the queue, and another
        worker fetches it; the late holder then drops its copy, writing nothing, so no record of
        the site comes after its final verdict (written once no lease is out)."""
        lease = request.meta.get(LEASE_META) if request is not None else None
        if not lease or lease not in self.held:
            return True  # not leased here (seeded in-process, or already acknowledged)
        if self.scripts.claim(keys=[self.keys.site(self.site_id, "leases"), self.keys.site(self.site_id, "deadlines")],
                              args=[self.ttl, lease], client=self.server):
            return True
        self.held.discard(lease)
        logger.info("%s: lease of %s expired before its response was handled; dropped here (requeued for "
                    "another worker)", self.site_id, getattr(request, "url", "?"))
        return False

    def flush(self, renew: bool = False) -> None:
        """Send the batched acknowledgements; renew the leases still held every third of their time."""
        if self.finished:
            done, self.finished = list(self.finished), set()
            pipe = self.server.pipeline(transaction=True)
            self._ack_in(pipe, done)
            pipe.execute()
        if renew or time.monotonic() - self.renewed_at > self.ttl / 3:
            self.renew()

    def renew(self) -> None:
        self.renewed_at = time.monotonic()
        if self.held:
            kept = self.scripts.renew(keys=[self.keys.site(self.site_id, "deadlines")],
                                      args=[self.ttl, *self.held], client=self.server)
            if kept < len(self.held):
                logger.warning("%s: %d lease(s) expired before renewal; other workers may fetch them again",
                               self.site_id, len(self.held) - kept)

    def release(self) -> None:
        """On a graceful stop: acknowledge what finished, give the rest back to the queue at once."""
        self.flush()
        if self.held:
            self.scripts.release(keys=self.keys.lease_keys(self.site_id)[:3], args=list(self.held),
                                 client=self.server)
            self.held.clear()

    def _ack_in(self, pipe: Any, leases: list[str]) -> None:
        pipe.hdel(self.keys.site(self.site_id, "leases"), *leases)
        pipe.zrem(self.keys.site(self.site_id, "deadlines"), *leases)


def site_status(server: Redis, keys: Keys, site_ids: list[str], max_requeues: int,
                scripts: Scripts | None = None, mark: bool = False) -> dict[str, tuple[int, int, bool]]:
    """{site: (queued, leased, newly_done)} after requeuing expired leases; with `mark`, drained
    sites join `done` (newly_done tells the one caller that did it)."""
    scripts = scripts or Scripts(server)
    pipe = server.pipeline(transaction=False)
    for site in site_ids:
        scripts.status(keys=keys.lease_keys(site) + [keys.crawl_key("done")],
                       args=[max_requeues, site, "1" if mark else "0"], client=pipe)
    return {site: (int(q), int(n), bool(new)) for site, (q, n, new) in zip(site_ids, pipe.execute())}


def spider_site(spider: Spider) -> str:
    site = getattr(spider, "site_id", None)
    if not site:
        raise ValueError(f"distributed mode needs a site spider (site_id): {spider.name}")
    return site


class DistributedScheduler(RedisScheduler):
    """scrapy-redis scheduler keyed by site, with leased pops (one per site crawler of a worker).

    Requests are never flushed on close (other workers share them); the duplicate filter is
    scrapy-redis's, one fingerprint set per site and crawl.
    """

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DistributedScheduler":
        s = crawler.settings
        server = connection.from_settings(s)
        server.ping()
        obj = cls(server=server, persist=True, dupefilter=None,
                  serializer=load_object(s.get("SCHEDULER_SERIALIZER", "scrapy_redis.picklecompat")))
        obj.stats, obj.crawler = crawler.stats, crawler
        obj.keys = keys_from_settings(s)
        obj.ttl = s.getfloat("XXGK_LEASE_SECONDS", 60.0)
        obj.max_requeues = s.getint("XXGK_LEASE_MAX_REQUEUES", 3)
        obj.scripts = Scripts(server)
        return obj

    def open(self, spider: Spider) -> None:
        self.spider = spider
        site = spider_site(spider)
        self.queue = LeasedQueue(self.server, spider, self.keys.site(site, "queue"), self.serializer,
                                 keys=self.keys, site_id=site, ttl=self.ttl,
                                 max_requeues=self.max_requeues, scripts=self.scripts)
        self.df = RFPDupeFilter(self.server, key=self.keys.site(site, "dupefilter"),
                                debug=spider.settings.getbool("DUPEFILTER_DEBUG"))
        spider.xxgk_leases = self.queue  # the ack points (spider middleware, errback) reach it here
        self._loop = LoopingCall(self.queue.flush)
        self._loop.start(min(0.5, self.ttl / 4), now=False)

    def close(self, reason: str) -> None:
        if self._loop.running:
            self._loop.stop()
        self.queue.release()

    def enqueue_request(self, request: Request) -> bool:
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        if not self.queue.push_unseen(request, fingerprint):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class LeaseAckMiddleware:
    """Spider middleware: a response's lease ends when its callback's output has been consumed."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "LeaseAckMiddleware":
        obj = cls()
        obj.crawler = crawler
        return obj

    def _done(self, response: Any) -> None:
        leases = getattr(self.crawler.spider, "xxgk_leases", None)
        if leases is not None:
            leases.done(getattr(response, "request", None))

    def _still_ours(self, response: Any) -> bool:
        """False: the lease was lost (see LeasedQueue.claim); the callback is not run (its output
        is never iterated) and the request is counted in `lease/lost`."""
        leases = getattr(self.crawler.spider, "xxgk_leases", None)
        if leases is None or leases.claim(getattr(response, "request", None)):
            return True
        if self.crawler.stats:
            self.crawler.stats.inc_value("lease/lost")
        return False

    def process_spider_output(self, response: Any, result: Any) -> Any:
        if not self._still_ours(response):
            return
        yield from result
        self._done(response)

    async def process_spider_output_async(self, response: Any, result: Any) -> Any:
        if not self._still_ours(response):
            return
        async for item in result:
            yield item
        self._done(response)

    def process_spider_exception(self, response: Any, exception: Exception) -> None:
        self._done(response)
        return None
