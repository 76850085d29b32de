"""Scrapy settings for xxgk-archive: polite by default, every response captured.

robots.txt policy: obeyed by default (`ROBOTSTXT_OBEY = True`). A robots.txt that is
missing, forbidden (403) or not a robots file yields no rules, so everything is allowed
(Scrapy's RobotsTxtMiddleware behaviour, checked in tests against the replica). Set
`XXGK_OBEY_ROBOTS=0` (or `-s ROBOTSTXT_OBEY=False`) to ignore robots.txt.
"""
from __future__ import annotations

import os

BOT_NAME = "xxgk-archive"
SPIDER_MODULES = ["crawler.platforms", "spiders"]
NEWSPIDER_MODULE = "spiders"

# An honest User-Agent that says who we are and why, in the browser-compatible form some
# portals insist on (they answer 403 to a User-Agent without "Mozilla/").
USER_AGENT = os.environ.get(
    "XXGK_USER_AGENT",
    "Mozilla/5.0 (compatible; xxgk-archive/0.1; archive of 政府信息公开工作年度报告; +https://github.com/xxgk-archive)",
)
ROBOTSTXT_OBEY = os.environ.get("XXGK_OBEY_ROBOTS", "1") != "0"

# Politeness: one request at a time per portal, AutoThrottle on top of a base delay.
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = float(os.environ.get("XXGK_DOWNLOAD_DELAY", "1.0"))
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Retries with backoff on 5xx and timeouts (crawler.middlewares.BackoffRetryMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = float(os.environ.get("XXGK_RETRY_BACKOFF", "2.0"))
RETRY_BACKOFF_MAX = 120.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = int(os.environ.get("XXGK_MAX_BYTES", str(100 * 2**20)))  # cap: stop reading, record it
DOWNLOAD_WARNSIZE = 32 * 2**20
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = True
# Scrapy starts CONCURRENT_ITEMS worker tasks for the output of *every* callback (default 100):
# about a third of a bare fetch's CPU per page here. Our callbacks yield a few records and
# requests and the record pipeline is synchronous, so more than a few gains nothing.
CONCURRENT_ITEMS = 4

# Bounds per site and run (no endless pagination, no runaway crawl).
XXGK_MAX_LIST_PAGES = int(os.environ.get("XXGK_MAX_LIST_PAGES", "200"))
XXGK_MAX_REQUESTS = int(os.environ.get("XXGK_MAX_REQUESTS", "20000"))
XXGK_DISCOVERY_MAX_PAGES = int(os.environ.get("XXGK_DISCOVERY_MAX_PAGES", "300"))  # pages walked per site to find columns
# A known report page on an unchanged list page is asked again after 1-2x this many days
# (crawler/revalidate.py); 0 = ask every known page every run (conditionally).
XXGK_REVALIDATE_DAYS = float(os.environ.get("XXGK_REVALIDATE_DAYS", "7"))
# The portal is walked from its entry pages to the 年度报告 columns every 1-2x this many days
# (and whenever a known column fails); between walks the known columns are opened directly.
XXGK_REDISCOVER_DAYS = float(os.environ.get("XXGK_REDISCOVER_DAYS", "7"))

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.RebaseMiddleware": 60,
    "crawler.middlewares.ConditionalRequestMiddleware": 545,
    "crawler.middlewares.CharsetMiddleware": 542,
    "crawler.capture.CaptureMiddleware": 540,
    # status line and headers as received, before HttpCompressionMiddleware (590) decodes the body
    "crawler.wire.WireHeadersMiddleware": 595,
}
ITEM_PIPELINES = {"crawler.pipelines.RecordPipeline": 300}
# Per-site progress on the console, the site's budget and stall watch (crawler/progress.py).
# AutoThrottle paced by a host's median answer time, not its slowest URL (crawler/throttle.py).
EXTENSIONS = {"crawler.progress.SiteProgress": 500, "scrapy.extensions.throttle.AutoThrottle": None,
              "crawler.throttle.HostThrottle": 0}

# Playwright (scrapy-playwright) only for requests that ask for it (meta playwright=True);
# the browser is launched lazily on the first such request. Debian's Chromium is used
# because `playwright install` cannot download here; elsewhere `playwright install chromium`
# and XXGK_CHROMIUM="" use Playwright's own build.
DOWNLOAD_HANDLERS = {  # starts Playwright's driver on the first request that needs a browser
    "http": "crawler.browser.LazyPlaywrightDownloadHandler",
    "https": "crawler.browser.LazyPlaywrightDownloadHandler",
}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
_chromium = os.environ.get("XXGK_CHROMIUM", "/usr/bin/chromium")
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "headless": True,
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
    **({"executable_path": _chromium} if _chromium else {}),
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_MAX_CONTEXTS = 2

LOG_LEVEL = os.environ.get("XXGK_LOG_LEVEL", "INFO")
# Scrapy's check for `return value` inside generator callbacks re-reads and re-parses the
# callback's source on EVERY response (its cache is keyed weakly on bound methods, which are
# new objects each time): a third of a nightly's CPU. Our callbacks are checked by review.
WARN_ON_GENERATOR_RETURN_VALUE = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
TELNETCONSOLE_ENABLED = False

# ---- Distributed crawling (crawler/distributed*.py, docs/scaling.md) -----------------------
# Unused unless `xxgk crawl --distributed` (or XXGK_DISTRIBUTED=1); then Redis is required.
REDIS_URL = os.environ.get("REDIS_URL") or None      # e.g. redis://10.0.0.5:6379/0
XXGK_REDIS_PREFIX = os.environ.get("XXGK_REDIS_PREFIX", "xxgk")
XXGK_CRAWL_ID = os.environ.get("XXGK_CRAWL_ID") or None  # default: the crawl the last --seed started
SCHEDULER_SERIALIZER = "scrapy_redis.picklecompat"
XXGK_LEASE_SECONDS = float(os.environ.get("XXGK_LEASE_SECONDS", "60"))  # a dead worker's requests return after this
XXGK_LEASE_MAX_REQUEUES = 3                          # then the request goes to the dead list
# Per-host limits across all workers together (defaults: DOWNLOAD_DELAY, CONCURRENT_REQUESTS_PER_DOMAIN).
XXGK_HOST_INTERVAL = os.environ.get("XXGK_HOST_INTERVAL") or None
XXGK_HOST_CONCURRENCY = int(os.environ.get("XXGK_HOST_CONCURRENCY", "0")) or None
XXGK_WORKER_MAX_SITES = int(os.environ.get("XXGK_WORKER_MAX_SITES", "64"))  # site crawlers per worker
XXGK_SITE_IDLE_GRACE = 5.0
XXGK_WORKER_POLL = 1.0
