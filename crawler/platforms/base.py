"""The shared crawl flow every platform base spider follows.

entry page ──discover──> 年度报告 column(s) ──list pages──> report pages ──> attachments

A platform subclass supplies page parsing (`parse_list_page`, `parse_detail_page`, and
optionally `discover_extra`); a site spider only configures (site_id, name, region code,
real entry URLs). Everything fetched is captured by `crawler.capture`; this module turns
pages into `column`, `listing`, `report` and `attachment` records.
"""
from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import scrapy
from scrapy import FormRequest, Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive.store import record_types as rt
from archive.store import urlnorm
from archive.store.home import check_site_id
from archive.store.records import capture_id_for, report_id_for, short_hash
from crawler import discovery, linktext, revalidate, sitestop
from crawler.middlewares import exception_kind
from crawler.pages import common
from crawler.session import ArchiveSession


@dataclass
class ListItem:
    url: str
    title: str = ""
    date: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    request_meta: dict[str, Any] = field(default_factory=dict)  # more meta for its detail request


@dataclass
class ListPage:
    items: list[ListItem]
    next_requests: list[Request] = field(default_factory=list)
    recognised: bool = True  # False when the page has none of the platform's list markup
    duplicates: int = 0      # report links the page showed more than once


@dataclass
class DetailPage:
    title: str
    meta: dict[str, str]
    attachments: list[common.Link]
    extra: dict[str, Any] = field(default_factory=dict)


DetailParser = Callable[[str, str], "tuple[str, dict[str, str], list[common.Link]]"]



class PortalSpider(scrapy.Spider):
    """Base of every platform spider. Subclasses set `platform` and the parsing hooks."""

    platform: ClassVar[str] = ""
    # Site configuration (a site spider sets these; a generic spider takes -a site_id/start_url).
    site_id: str = ""
    site_name: str = ""
    region_code: str = ""
    province: str = ""
    prefecture: str = ""
    county: str = ""
    home_url: str = ""
    entry_urls: ClassVar[list[str]] = []
    # every URL the field guide gives as evidence for the portal (known columns, known
    # report pages): more footholds for a crawl than the entry alone
    footholds: ClassVar[list[str]] = []
    extra_hosts: ClassVar[list[str]] = []  # other hosts of the same government (attachments, sub-domains)
    registry_status: str = ""  # active | unverified (registry/sites.py); "" for an ad hoc crawl
    family: str = ""           # the registry's platform family (may be finer than `platform`)

    detail_url_re: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    # bytes every report page of the platform carries (a 200 without any is throttling by wrong content)
    detail_markers: ClassVar[tuple[bytes, ...]] = ()
    # the platform's report-page parser, a function of (html, url) -> (title, metadata,
    # attachment links) in crawler.pages: the store helper runs it beside the write
    # (crawler/store_parse_helper.py), so the event loop does not
    detail_parser: ClassVar[DetailParser | None] = None
    # incremental runs (from_crawler sets both from the settings; a spider built without a
    # crawler, as the distributed coordinator does, walks the portal)
    discovery: str = "scheduled"
    revalidate_days: float = revalidate.DEFAULT_DAYS

    def __init__(self, *args: Any, base_url: str | None = None, start_url: str | None = None,
                 site_id: str | None = None, host_map: str | None = None, incremental: str = "1",
                 max_list_pages: str | None = None, run_id: str | None = None, worker: str | None = None,
                 home_url: str | None = None, footholds: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if start_url:
            self.entry_urls = [start_url]
            self.home_url = home_url or self.home_url or _origin(start_url) + "/"
        elif home_url:
            self.home_url = home_url
        if footholds:
            self.footholds = [u for u in (json.loads(footholds) if footholds.lstrip().startswith("[")
                                          else footholds.split(",")) if u]
        if site_id:
            self.site_id = site_id
        if not self.site_id or not self.entry_urls:
            raise NotConfigured(f"{self.name}: needs site_id and start URLs "
                                f"(scrapy crawl {self.name} -a start_url=URL -a site_id=ID)")
        check_site_id(self.site_id)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.host_map: dict[str, str] = {}  # real netloc -> replica origin
        primary = urlsplit(self.entry_urls[0]).netloc
        if self.base_url:
            self.host_map[primary] = self.base_url
        if host_map:
            for real, local in json.loads(host_map).items():
                self.host_map[urlsplit(real).netloc or real] = local.rstrip("/")
        self.reverse_map = {urlsplit(v).netloc: k for k, v in self.host_map.items()}
        self.real_hosts = {urlsplit(u).netloc for u in self.entry_urls} | set(self.extra_hosts)
        if self.home_url:
            self.real_hosts.add(urlsplit(self.home_url).netloc)
        self.incremental = incremental not in ("0", "false", "no")
        self._run_id, self._worker = run_id, worker
        self._max_list_pages_arg = max_list_pages
        self.max_list_pages = int(max_list_pages or 200)  # from_crawler applies the settings
        self.max_discovery_pages, self.max_requests = 300, 0
        self.moved: list[dict[str, Any]] = []          # entry_moved / column_moved notes for run_end
        self.entry_found: str | None = None            # the 信息公开 page found from the home page
        self.incomplete_columns: set[str] = set()      # columns whose list was not read completely
        self.not_reports = 0                           # pages read from a column that are no reports
        self.doc_reports: dict[str, str] = {}          # doc key -> report id given this run
        self._home_walked = False
        self.footholds_pending: set[str] = set()       # foothold columns requested, not yet answered
        self.columns_seen: set[str] = set()
        self.column_items: dict[str, set[str]] = {}   # column -> report URLs its pages showed
        self.column_pages: dict[str, set[str]] = {}   # column -> list page URLs requested
        self.list_pages = 0
        self.requests_made = 0
        self.attached: set[str] = set()
        self.discovery_pages = 0

    # -- life cycle -------------------------------------------------------------------------
    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.session = ArchiveSession(spider.site_id, run_id=spider._run_id, worker=spider._worker,
                                        incremental=spider.incremental)
        # captures that already have their attachment record (see _recovered_attachment)
        spider.attached = set(spider.session.state.attached)
        s = crawler.settings
        spider.max_list_pages = int(spider._max_list_pages_arg or s.getint("XXGK_MAX_LIST_PAGES", 200))
        spider.max_discovery_pages = s.getint("XXGK_DISCOVERY_MAX_PAGES", 300)
        spider.max_requests = s.getint("XXGK_MAX_REQUESTS", 20000)
        spider.revalidate_days = s.getfloat("XXGK_REVALIDATE_DAYS", revalidate.DEFAULT_DAYS)
        spider.discovery = spider.discovery_mode(s.getfloat("XXGK_REDISCOVER_DAYS", revalidate.DEFAULT_DAYS))
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def discovery_mode(self, rediscover_days: float) -> str:
        """`skipped`: reopen the columns the last finished run found; `scheduled`: walk the portal
        (first run, `--full`, or the last walk is 1-2 x rediscover_days old: new agencies' columns)."""
        state = self.session.state
        if (self.incremental and state.columns and state.last_discovery
                and not revalidate.is_due(self.site_id, state.last_discovery, rediscover_days)):
            return "skipped"
        return "scheduled"

    def _opened(self, spider: scrapy.Spider) -> None:
        self.session.record("run_start", **rt.RunStart(
            spider=self.name, platform=self.platform, base_url=self.base_url, start_urls=self.entry_urls,
            site_info=self.site_info(), discovery=self.discovery))

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        counts = dict(self.session.stats)
        summary: rt.RunStats = {
            "requests": stats.get("downloader/request_count", 0),
            "responses": stats.get("downloader/response_count", 0),
            "not_modified": counts.get("not_modified", 0),
            "captures": counts.get("captures", 0),
            "bytes": counts.get("bytes", 0),
            "columns": counts.get("records_column", 0),
            "list_pages": self.list_pages,
            # reports seen: pages read (fetched or 304) + known pages of unchanged lists not asked again
            "reports": counts.get("records_report", 0) + counts.get("reports_skipped", 0),
            "reports_skipped": counts.get("reports_skipped", 0),
            "attachments": counts.get("records_attachment", 0),
            "attachments_skipped": counts.get("attachments_skipped", 0),
            "errors": counts.get("errors", 0),
            "structure_errors": counts.get("structure_errors", 0),
            "finish_reason": reason,
            "discovery": self.discovery,  # scheduled | skipped (known columns reopened) | fallback
            # entry_moved / column_moved: what moved and what was found instead (not failures)
            "moved": self.moved, "entry_found": self.entry_found,
            # columns whose list was not read completely: no removal is decided from them
            "incomplete_columns": sorted(self.incomplete_columns),
            "not_reports": self.not_reports,
            "discovery_pages": self.discovery_pages,
        }
        stopped = sitestop.finish(self, reason, summary)  # shutdown, host down, budget (crawler/sitestop.py)
        if stopped:
            status = stopped
        elif summary["reports"] == 0 or reason not in ("finished",):
            status = "failed"
        elif summary["errors"] or summary["structure_errors"]:
            status = "degraded"
        else:
            status = "ok"
        self.session.record("run_end", **rt.RunEnd(status=status, stats=summary))
        self.session.close()

    def site_info(self) -> rt.SiteInfo:
        return {"site_id": self.site_id, "name": self.site_name, "region_code": self.region_code,
                "province": self.province, "prefecture": self.prefecture, "county": self.county,
                "platform": self.platform, "home_url": self.home_url or _origin(self.entry_urls[0]) + "/"}

    # -- URLs ---------------------------------------------------------------------------------
    def rebase(self, url: str) -> str:
        """A real-portal URL -> the same path on the replica named by base_url/host_map."""
        parts = urlsplit(url)
        local = self.host_map.get(parts.netloc)
        if not local:
            return url
        lp = urlsplit(local)
        return urlunsplit((lp.scheme, lp.netloc, parts.path, parts.query, ""))

    def canonical(self, url: str) -> str:
        """A replica URL -> the real portal URL (ids stay the same on replica and real site),
        normalised (`archive.store.urlnorm`): one page, one URL, however a link spelled it."""
        parts = urlsplit(urlnorm.normalize(url))
        real = self.reverse_map.get(parts.netloc)
        if not real:
            return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        scheme = urlsplit(self.entry_urls[0]).scheme if real == urlsplit(self.entry_urls[0]).netloc else "http"
        return urlunsplit((scheme, real, parts.path, parts.query, ""))

    def is_allowed(self, url: str) -> bool:
        host = urlsplit(url).netloc
        hostname = urlsplit(url).hostname or ""
        return (host in self.real_hosts or host in self.reverse_map
                or hostname.endswith(".gov.cn") or not hostname)

    def request(self, url: str, callback: Any, kind: str, dont_filter: bool = False, **meta: Any) -> Request:
        if meta.get("expected_status"):  # statuses the callback handles itself (e.g. 404 = end of list)
            meta["handle_httpstatus_list"] = list(meta["expected_status"])
        return Request(self.rebase(urlnorm.normalize(url)), callback=callback, errback=self.on_error,
                       meta={"kind": kind, **meta}, dont_filter=dont_filter)

    # -- flow ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        if self.discovery == "skipped":
            self.logger.info("%s: reopening %d known column(s); the portal is walked again when due "
                             "(XXGK_REDISCOVER_DAYS) or when one of them fails", self.site_id,
                             len(self.session.state.columns))
            for col in self.session.state.columns.values():
                for out in self.reopen_column(col):
                    yield out
            return
        for request in self.entry_requests():
            yield request

    ENTRY_DEPTH: ClassVar[int] = 5  # levels below a 信息公开 page; the page budget is the real bound

    def entry_requests(self) -> list[Request]:
        """The configured entry (a hint: it may have moved), the 信息公开 page an earlier run
        found instead, and the evidenced footholds (columns opened directly)."""
        out: list[Request] = []
        remembered = getattr(self.session.state, "entry_found", None) if hasattr(self, "session") else None
        for url in [*self.entry_urls, *([remembered] if remembered else [])]:
            out.append(self.request(url, self.parse_entry, "entry", depth_left=self.ENTRY_DEPTH,
                                    entry_hint=url, expected_status=(404, 410), dont_filter=True))
        self._remembered = remembered
        for url in dict.fromkeys(discovery.column_of_report(u) or u for u in self.footholds):
            if self.is_detail_url(url):
                continue  # a report page whose column cannot be told from its URL: read when listed
            # the column counts as opened: the walk reaching it later asks for it no second time
            # (and the duplicate filter, shared by distributed workers, drops the same URL anyway)
            self.footholds_pending.add(urlnorm.identity(self.canonical(url)))
            out.append(self.request(url, self.parse_foothold, "list", foothold=url, expected_status=(404, 410)))
        return out

    def parse_foothold(self, response: Response) -> Iterator[Any]:
        """A known column URL from the site config: open it as a column; gone -> column_moved."""
        if response.status in (404, 410) or not isinstance(response, TextResponse):
            self.moved.append({"kind": "column_moved", "url": self.canonical(response.url),
                               "why": f"http_{response.status}"})
            return
        if self.is_platform_index(response):  # a platform index (gkmlpt _CONFIG): discover from it
            yield from self.discover(response, 1)
            return
        yield from self.open_column(response.url, "", agency=None, found_on=response.url, fetched=response,
                                    foothold=True)

    def entry_problem(self, response: Response) -> str | None:
        """Why a configured entry page is not (any more) the 信息公开 page, or None."""
        if response.status in (404, 410):
            return f"http_{response.status}"
        if not isinstance(response, TextResponse):
            return "not_html"
        home = urlsplit(urlnorm.normalize(self.rebase(self.home_url or _origin(response.url) + "/")))
        here = urlsplit(urlnorm.normalize(response.url))
        if response.meta.get("redirect_urls") and here.path in ("/", home.path, "/index.html", "/index.htm"):
            return "redirect_home"
        root = common.parse_html(response.text)
        links = common.links(root, response.url)
        if not any(self.is_column_link(link) or self.is_navigation_link(link) or self.is_detail_url(link.url)
                   for link in links if self.is_allowed(link.url)) and not self.entry_signature(response):
            return "no_links"
        return None

    def entry_signature(self, response: TextResponse) -> bool:
        """Platform data that makes a page an entry without links (gkmlpt _CONFIG, JCMS lists)."""
        return False

    def is_platform_index(self, response: TextResponse) -> bool:
        """A foothold that is a platform's catalogue index (gkmlpt), not a list page."""
        return False

    def walk_home(self, why: str, configured: str) -> list[Request]:
        """The configured entry moved: walk from the home page (once per run)."""
        self.moved.append({"kind": "entry_moved", "url": self.canonical(configured), "why": why})
        remembered = getattr(self, "_remembered", None)
        if remembered and urlnorm.identity(remembered) != urlnorm.identity(self.canonical(configured)):
            self.entry_found = self.entry_found or remembered
            return []  # the page an earlier run found instead is being read; it walks home if gone too
        if self._home_walked:
            return []
        self._home_walked = True
        home = self.home_url or _origin(configured) + "/"
        self.logger.warning("%s: entry %s %s: looking for the 信息公开 page from %s", self.site_id, configured, why, home)
        return [self.request(home, self.parse_home, "entry", dont_filter=True)]

    def parse_home(self, response: Response) -> Iterator[Any]:
        """The home page: the 信息公开 page by link text, then the field guide's slugs."""
        if not isinstance(response, TextResponse):
            return
        root = common.parse_html(response.text)
        found = [link for link in discovery.entry_links(root, response.url) if self.is_allowed(link.url)]
        for link in found[:4]:
            self.discovery_pages += 1
            yield self.request(link.url, self.parse_entry, "entry", depth_left=self.ENTRY_DEPTH,
                               via_entry=self.canonical(link.url))
        yield from self.discover(response, 1)
        if not found:
            for url in discovery.slug_guesses(self.canonical(response.url)):
                self.discovery_pages += 1
                yield self.request(url, self.parse_entry, "entry", depth_left=self.ENTRY_DEPTH,
                                   via_entry=url, expected_status=(404, 410))

    def reopen_column(self, col: dict[str, Any]) -> Iterator[Any]:
        """A column an earlier run found, opened without walking the portal to it again
        (in Chromium straight away when its list showed nothing without JavaScript last time)."""
        rendered = {"playwright": True} if col["url"] in self.session.state.rendered_columns else {}
        yield from self.open_column(col["url"], col.get("name") or "", col.get("agency"),
                                    found_on=col.get("found_on") or col["url"], reopened=True, **rendered)

    def rediscover(self, url: str | None, why: str) -> list[Request]:
        """A reopened column failed (gone, moved, redesigned): walk the portal after all."""
        if self.discovery != "skipped":
            return []
        self.discovery = "fallback"
        self.logger.warning("%s: known column %s %s: walking the portal from its entry pages", self.site_id, url, why)
        return self.entry_requests()

    def parse_entry(self, response: Response) -> Iterator[Any]:
        """A 信息公开 page: find the 年度报告 columns by their link text, or walk towards them."""
        hint = response.meta.get("entry_hint")
        if hint:
            why = self.entry_problem(response)
            if why:
                yield from self.walk_home(why, hint)
                return
        if not isinstance(response, TextResponse) or response.status >= 400:
            return
        yield from self.discover(response, response.meta.get("depth_left", 0))

    def discover(self, response: TextResponse, depth_left: int) -> Iterator[Any]:
        root = common.parse_html(response.text)
        found = False
        for link in common.links(root, response.url):
            if not self.is_allowed(link.url) or common.is_attachment_url(link.url) or self.is_detail_url(link.url):
                continue
            if self.is_column_link(link):
                found = True
                yield from self.open_column(link.url, link.text, agency=self.page_agency(root), found_on=response.url,
                                            via_entry=response.meta.get("via_entry"))
            elif depth_left > 0 and self.is_navigation_link(link):
                if self.discovery_pages < self.max_discovery_pages:
                    self.discovery_pages += 1
                    yield self.request(link.url, self.parse_entry, "entry", depth_left=depth_left - 1,
                                       via_entry=response.meta.get("via_entry"))
        yield from self.discover_extra(response, root, depth_left)
        if not found and self.looks_like_list(response):
            yield from self.open_column(response.url, "", agency=None, found_on=response.url, fetched=response)

    def open_column(self, url: str, name: str, agency: str | None, found_on: str,
                    fetched: TextResponse | None = None, **meta: Any) -> Iterator[Any]:
        key = self.canonical(url)
        ident = urlnorm.identity(key)
        via = meta.pop("via_entry", None)
        if via and self.moved and not self.entry_found:
            self.entry_found = via  # the 信息公开 page reached from the home page leads to columns
        if meta.pop("foothold", False) and fetched is not None:
            # a foothold's answer is always read: the same URL reached by the walk was dropped by
            # the duplicate filter (shared by distributed workers, whose columns_seen differ)
            self.footholds_pending.discard(ident)
            if not (key in self.columns_seen or ident in self.columns_seen):
                self.columns_seen.update((key, ident))
                yield {"_type": "column", **rt.Column(url=key, name=name, agency=agency,
                                                      found_on=self.canonical(found_on))}
            yield from self.parse_column(fetched)
            return
        if ident in self.footholds_pending:
            return  # requested as a foothold at the start: read when it answers
        if key in self.columns_seen or ident in self.columns_seen:
            return
        self.columns_seen.update((key, ident))
        yield {"_type": "column", **rt.Column(url=key, name=name, agency=agency, found_on=self.canonical(found_on))}
        if fetched is not None:
            yield from self.parse_column(fetched)
        else:
            yield self.request(url, self.parse_column, "list", column_url=key, column_agency=agency,
                               via_entry=via, **meta)

    def parse_column(self, response: Response) -> Iterator[Any]:
        if response.status == 404 and response.meta.get("xxgk_pending") is not None:
            # an announced further page that does not exist (past the end, or a 1-based pager's
            # `index_1`): the next announced page, if any
            yield from self.next_list_page(response, response.meta.get("column_url"), [])
            return
        if not isinstance(response, TextResponse):
            self.session.error(response.url, "fetch", "structure", "list page is not text")
            if response.meta.get("reopened"):
                yield from self.rediscover(response.url, "is not a text page")
            return
        self.list_pages += 1
        column_url = response.meta.get("column_url") or self.canonical(response.url)
        page = self.parse_list_page(response)
        root = common.parse_html(response.text)
        subs = self.sub_columns(root, response, column_url)
        nothing = not page.items and not page.next_requests and not subs
        says_empty = nothing and discovery.says_empty(common.text_content(root))
        if nothing and not says_empty and not response.meta.get("playwright") \
                and self.may_need_browser(response, page):
            self.logger.info("list %s shows no items without JavaScript: rendering it in Chromium", response.url)
            yield response.request.replace(meta={**response.meta, "playwright": True}, dont_filter=True)
            return
        if says_empty or (nothing and discovery.has_empty_list(root)):
            # a valid empty column (暂无信息 / an empty list): read completely, lists nothing
            self.session.stats["empty_columns"] += 1
            listing, _ = self.listing(response, column_url, [], 0)
            yield from listing
            return
        if not page.items and not page.next_requests and not subs:
            self.incomplete_columns.add(column_url)
            self.session.stats["structure_errors"] += 1
            self.session.error(response.url, "fetch", "structure",
                               "list page shows no report links (markup changed or empty column)")
            if response.meta.get("reopened"):
                yield from self.rediscover(response.url, "shows no report links")
        listing, go_on = self.listing(response, column_url, page.items, page.duplicates)
        yield from listing
        if not go_on:
            return
        # sub-columns below an annual-report column (years, unit types, units), whatever their names
        for link in subs:
            if self.discovery_pages >= self.max_discovery_pages:
                self.session.error(link.url, "fetch", "discovery_budget",
                                   f"sub-columns not opened: page budget of {self.max_discovery_pages} "
                                   "(XXGK_DISCOVERY_MAX_PAGES) spent")
                self.incomplete_columns.add(column_url)
                break
            if urlnorm.identity(self.canonical(link.url)) not in self.columns_seen:
                self.discovery_pages += 1
            yield from self.open_column(link.url, link.text, response.meta.get("column_agency"),
                                        found_on=response.url, via_entry=response.meta.get("via_entry"))
        yield from self.next_list_page(response, column_url, page.next_requests)

    def sub_columns(self, root: Any, response: TextResponse, column_url: str) -> list[common.Link]:
        """Links of a column page to columns below it (by name or by path), not reports or files."""
        out, seen = [], {urlnorm.identity(column_url), urlnorm.identity(self.canonical(response.url))}
        for link in discovery.sub_column_links(root, response.url, response.url) + [
                link for link in common.links(root, response.url) if self.is_column_link(link)]:
            ident = urlnorm.identity(self.canonical(link.url))
            if (ident in seen or self.is_detail_url(link.url) or common.is_attachment_url(link.url)
                    or not self.is_allowed(link.url) or self.is_list_page_of(link.url, column_url)):
                continue
            seen.add(ident)
            out.append(link)
        return out

    def is_list_page_of(self, url: str, column_url: str) -> bool:
        """`index_3.htm` / `index_3.html` next to the column: a page of it, not a sub-column."""
        path = urlsplit(urlnorm.normalize(url)).path
        base = urlsplit(urlnorm.identity(self.rebase(column_url))).path
        return bool(re.fullmatch(re.escape(base.rstrip("/")) + r"/(?:index|default)(?:_\d+)?\.s?html?", path))

    def listing(self, response: Response, column_url: str, items: list[ListItem],
                duplicates: int = 0) -> tuple[list[Any], bool]:
        """A list page's `listing` record and the requests for its report pages.

        Every platform's list pages end here. When the page lists exactly what it listed on
        the previous run (same URLs, titles, dates: `items_digest`), report pages read before
        (with all their attachments archived) are not asked again unless due for
        revalidation (`crawler.revalidate`): the listing alone marks them seen. The second
        value is False when the page only repeats earlier pages (pagination stops there).
        """
        unique: dict[str, ListItem] = {}
        for item in items:
            unique.setdefault(item.url, item)
        canonical = {url: self.canonical(url) for url in unique}
        page_url = self.canonical(response.url)
        page_key = page_url
        if response.request is not None and response.request.method == "POST":
            page_key += "#" + short_hash(response.request.body.decode("latin-1"))
        digest = short_hash(json.dumps([[canonical[i.url], i.title, i.date, i.extra, i.request_meta]
                                        for i in unique.values()],
                                       ensure_ascii=False, sort_keys=True, default=str))
        unchanged = self.incremental and self.session.state.listings.get(page_key) == digest
        out: list[Any] = [{"_type": "listing", **rt.Listing(
            column_url=column_url, page_url=page_url, report_urls=list(canonical.values()),
            page_key=page_key, items_digest=digest, unchanged=unchanged,
            rendered=bool(response.meta.get("playwright")))}]
        self.note_duplicates(response.url, duplicates)
        if not self.note_list_items(response.url, column_url, list(unique)):
            return out, False
        for item in unique.values():
            if not linktext.may_be_report(item.title):
                self.not_reports += 1
                continue
            if unchanged and not self.revalidate(canonical[item.url]):
                self.session.stats["reports_skipped"] += 1
                continue
            out.append(self.request(item.url, self.parse_detail, "detail", conditional=self.incremental,
                                    column_url=column_url, listed_title=item.title, listed_date=item.date,
                                    list_extra=item.extra, **item.request_meta))
        return out, True

    def report_identity(self, index_no: str | None, canonical_url: str) -> tuple[str, str | None]:
        """(report id, document key). With a 索引号 the id is site + 索引号; without one, a
        report listed in two columns under two URLs with one doc id gets the id its first URL
        got (this run or an earlier one), so it stays one report."""
        key = discovery.doc_key(canonical_url)
        if index_no and index_no.strip():
            return report_id_for(self.site_id, index_no, canonical_url), key
        if key is None:
            return report_id_for(self.site_id, None, canonical_url), None
        known = self.doc_reports.get(key) or (self.session.state.doc_reports.get(key)
                                              if hasattr(self, "session") else None)
        rid = known or report_id_for(self.site_id, None, canonical_url)
        self.doc_reports[key] = rid
        return rid, key

    def revalidate(self, canonical_url: str) -> bool:
        """Whether a report page on an unchanged list page is asked again this run."""
        known = self.session.state.complete_report(canonical_url)
        return known is None or revalidate.is_due(canonical_url, known.at, self.revalidate_days)

    # -- pagination guards ----------------------------------------------------------------------
    def note_duplicates(self, url: str, duplicates: int) -> None:
        if duplicates:
            self.session.error(url, "fetch", "duplicate_listing",
                               f"list page shows {duplicates} report link(s) twice; each report fetched once")

    def note_list_items(self, page_url: str, column_url: str, item_urls: list[str]) -> bool:
        """Remember a list page's reports; False (and an error) when it repeats earlier pages only.

        A page with items that are all already known is what endless pagination looks
        like (page N+1 = page N, a pager claiming 9999 pages): the column stops there.
        """
        seen = self.column_items.setdefault(column_url, set())
        urls = {self.canonical(u) for u in item_urls}
        if urls and urls <= seen and len(self.column_pages.get(column_url, ())) > 0:
            self.incomplete_columns.add(column_url)
            self.session.error(page_url, "fetch", "endless_pagination",
                               f"list page repeats reports already listed in {column_url}: pagination stopped")
            return False
        seen |= urls
        return True

    def next_list_page(self, response: Response, column_url: str, found: list[Request]) -> Iterator[Request]:
        """Follow a column's further pages one at a time (each must bring new reports), capped.

        Pages a pager announces are queued in the request meta as plain specs (URL, form,
        callback name), so a claim of 9999 pages costs nothing until a page proves new.
        """
        requested = self.column_pages.setdefault(column_url, {response.url})
        pending = list(response.meta.get("xxgk_pending") or [])
        queued = {p["url"] for p in pending}
        for req in found:
            if req.url not in requested and req.url not in queued:
                pending.append(_page_spec(req))
                queued.add(req.url)
        if not pending:
            return
        if len(requested) >= self.max_list_pages:
            self.incomplete_columns.add(column_url)
            self.session.error(pending[0]["url"], "fetch", "too_many_pages",
                               f"list pagination capped at {self.max_list_pages} pages per column "
                               f"(XXGK_MAX_LIST_PAGES); {len(pending)} more announced page(s) not fetched")
            return
        spec, rest = pending[0], pending[1:]
        requested.add(spec["url"])
        meta = {"column_url": column_url, "column_agency": response.meta.get("column_agency"),
                "xxgk_pending": rest}
        if response.meta.get("playwright"):  # a list built by JavaScript is built so on every page
            meta["playwright"] = True
        callback = getattr(self, spec["callback"])
        if spec.get("form") is not None:
            yield FormRequest(spec["url"], formdata=spec["form"], callback=callback, errback=self.on_error,
                              headers=spec.get("headers"), meta={"kind": spec["kind"], **meta})
        else:
            if spec["kind"] == "list":  # a GET list page announced by a pager: 404 = it does not exist
                meta["expected_status"] = (404,)
            yield self.request(spec["url"], callback, spec["kind"], **meta)

    def parse_detail(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            # a "report" link that is itself a file: archive it as the report's only attachment
            yield from self._file_report(response)
            return
        cap = response.meta.get("capture") or {}
        page = self.parse_detail_page(response)
        if not linktext.is_report_title(page.title or response.meta.get("listed_title") or ""):
            # listed beside the reports but not one (指南, 通知, 工作要点 …): archived page, no report
            self.not_reports += 1
            return
        listed_extra = response.meta.get("list_extra") or {}
        meta = {k: v for k, v in {**{f: listed_extra.get(f) for f in rt.REPORT_META}, **page.meta}.items() if v}
        canonical_url = self.canonical(response.url)
        report_id, key = self.report_identity(meta.get("index_no"), canonical_url)
        unchanged = bool(response.meta.get("xxgk_not_modified"))
        atts = [rt.attachment_link(self.canonical(a.url), a.text, a.text or None, bool(a.attrs.get("js_only")))
                for a in page.attachments]
        yield {"_type": "report", **rt.report(
            report_id=report_id, url=self.canonical(response.url), canonical_url=canonical_url,
            capture_id=cap.get("capture_id"), sha256=cap.get("sha256") or response.meta.get("xxgk_not_modified"),
            column_url=response.meta.get("column_url"), title=page.title or response.meta.get("listed_title"),
            meta=meta, listed_title=response.meta.get("listed_title"), listed_date=response.meta.get("listed_date"),
            attachments=atts, extra={**page.extra, **{k: v for k, v in meta.items() if k not in rt.REPORT_META}},
            unchanged=unchanged, doc_key=key)}
        for att in page.attachments:
            prev = self.session.state.get(att.url) if unchanged else None
            if prev is not None:
                self.session.stats["attachments_skipped"] += 1
                yield from self._recovered_attachment(report_id, att.url, att.text, prev)
                continue
            yield self.request(att.url, self.parse_attachment, "attachment", conditional=self.incremental,
                               report_id=report_id, link_text=att.text)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        cap = response.meta.get("capture")
        if not cap:  # not modified: the earlier attachment record stands (or is written now, see below)
            prev = response.meta.get("xxgk_prev")
            if prev is not None and response.meta.get("xxgk_not_modified"):
                yield from self._recovered_attachment(response.meta.get("report_id"),
                                                      response.meta.get("redirect_urls", [response.url])[0],
                                                      response.meta.get("link_text"), prev)
            return
        self.attached.add(cap["capture_id"])
        name = cap.get("filename") or common.clean(response.meta.get("link_text")) or _url_tail(response.url)
        from crawler.filetypes import mime_for  # local: keeps the module import light
        yield {"_type": "attachment", **rt.attachment(
            report_id=response.meta.get("report_id"),
            url=self.canonical(response.meta.get("redirect_urls", [response.url])[0]),
            final_url=self.canonical(response.url), filename=name, ext=cap["ext"],
            mime=mime_for(cap["ext"], cap.get("content_type")), size=cap["size"], sha256=cap["sha256"],
            raw_path=cap["raw_path"], capture_id=cap["capture_id"])}

    def _recovered_attachment(self, report_id: str | None, url: str, link_text: str | None,
                              prev: Any) -> Iterator[dict[str, Any]]:
        """The attachment record an earlier run stored the file for but was killed before writing.

        Crash safety: the body is in raw/ and its capture record written before the
        attachment record; a run killed in between must not leave the file unlinked for
        ever (later runs see 304 or skip it as unchanged).
        """
        cid = capture_id_for(prev.url, prev.sha256)
        if cid in self.attached:
            return
        self.attached.add(cid)
        from crawler.filetypes import mime_for

        ext = prev.raw_path.rsplit(".", 1)[-1]
        try:
            size = self.session.store.path(prev.raw_path).stat().st_size
        except (OSError, ValueError):
            return
        yield {"_type": "attachment", **rt.attachment(
            report_id=report_id, url=self.canonical(self.rebase(url)), final_url=self.canonical(prev.url),
            filename=common.clean(link_text) or _url_tail(prev.url), ext=ext, mime=mime_for(ext, prev.content_type),
            size=size, sha256=prev.sha256, raw_path=prev.raw_path, capture_id=cid)}

    def _file_report(self, response: Response) -> Iterator[Any]:
        cap = response.meta.get("capture")
        if not cap:
            return
        canonical_url = self.canonical(response.url)
        report_id = report_id_for(self.site_id, None, canonical_url)
        title = response.meta.get("listed_title") or ""
        yield {"_type": "report", **rt.report(
            report_id=report_id, url=canonical_url, canonical_url=canonical_url, capture_id=cap["capture_id"],
            sha256=cap["sha256"], column_url=response.meta.get("column_url"), title=title, meta={},
            listed_title=title, listed_date=response.meta.get("listed_date"),
            attachments=[rt.attachment_link(canonical_url, title, cap.get("filename"))],
            extra={"report_is_file": True}, unchanged=False)}
        response.meta["report_id"] = report_id
        yield from self.parse_attachment(response)

    # -- errors -------------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> list[Request]:
        request = getattr(failure, "request", None)
        self.record_failure(failure)
        if request is not None and request.meta.get("kind") in ("list", "api") and request.meta.get("column_url"):
            self.incomplete_columns.add(request.meta["column_url"])
        if request is not None and request.meta.get("reopened"):
            return self.rediscover(request.url, f"failed ({failure.getErrorMessage()[:80]})")
        return []

    def record_failure(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else None
        if failure.check(HttpError):
            return  # recorded by the capture middleware with its status
        if failure.check(IgnoreRequest):
            msg = failure.getErrorMessage()
            if "robots.txt" in msg:
                self.session.error(url, "fetch", "robots_disallowed", "forbidden by the portal's robots.txt")
            elif "redirection" in msg:
                chain = " -> ".join((request.meta.get("redirect_urls") or [])[-4:]) if request is not None else ""
                self.session.error(url, "fetch", "redirect_loop", f"{msg} (last hops: {chain})"[:500])
            return  # off-site, budget, challenge and wrong-page drops are recorded where they happen
        kind = _failure_kind(failure)
        self.session.error(url, "fetch", kind, f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500])

    # -- hooks for platforms ------------------------------------------------------------------
    def is_detail_url(self, url: str) -> bool:
        return bool(self.detail_url_re.search(urlsplit(url).path))

    def is_column_link(self, link: common.Link) -> bool:
        """年度报告 / 政府信息公开年报 / 2023年政府信息公开年报 — a column name, not a report title."""
        return linktext.is_column_text(link.text)

    NAV_RE: ClassVar[re.Pattern[str]] = re.compile(
        # portal sections, or a unit name: the administrative suffixes of report-format.md §2.3
        r"信息公开|政务公开|公开目录|主动公开|公开内容|部门|单位|机构|乡镇|镇街|区直|市直|县直|"
        r"(?:局|委|办|厅|政府|办事处|街道|乡|镇|中心|管委会|室|院|署|所|站|会)$")

    def is_navigation_link(self, link: common.Link) -> bool:
        text = common.squash(link.text)
        if not text or len(text) > 24 or common.ANNUAL_TITLE_RE.search(text):
            return False
        if re.search(r"指南|制度|依申请|意见箱|留言|登录|English|无障碍", text):
            return False
        return bool(self.NAV_RE.search(text))

    def page_agency(self, root: Any) -> str | None:
        return None

    def looks_like_list(self, response: TextResponse) -> bool:
        return False

    def may_need_browser(self, response: TextResponse, page: ListPage) -> bool:
        """An empty list with scripts that build it: render it once in Chromium."""
        return b"<script" in response.body and not page.recognised

    def discover_extra(self, response: TextResponse, root: Any, depth_left: int) -> Iterable[Any]:
        return ()

    def parse_list_page(self, response: TextResponse) -> ListPage:
        raise NotImplementedError

    def parse_detail_page(self, response: TextResponse) -> DetailPage:
        """A report page: the platform's `detail_parser` result (platforms add what their
        pages carry elsewhere, as gkmlpt its API's attachments)."""
        return DetailPage(*self.parsed_detail(response))

    def detail_parser_for(self, url: str) -> DetailParser | None:
        """The parser for the report page at `url` (the capture middleware asks, to have the
        store helper run it); the platform's, unless a spider serves several platforms."""
        return self.detail_parser

    def parsed_detail(self, response: TextResponse) -> tuple[str, dict[str, str], list[common.Link]]:
        """The report page parsed: by the store helper while it stored this very body (the
        result is paired with the body's capture id), else here."""
        done = response.meta.get("xxgk_parsed")
        cap = response.meta.get("capture") or {}
        if done is not None and (cap.get("capture_id"), response.url) == done[:2]:
            return done[2]
        parser = self.detail_parser_for(response.url)
        if parser is None:
            raise NotImplementedError(f"{type(self).__name__} has no detail_parser")
        return parser(response.text, response.url)


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


def _url_tail(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1] or "attachment"


def _failure_kind(failure: Failure) -> str:
    return exception_kind(failure.value)


def _page_spec(req: Request) -> dict[str, Any]:
    """A list-page request as plain data (kept in meta until its turn comes)."""
    form = None
    if req.method == "POST":
        form = dict(parse_qsl(req.body.decode("latin-1"), keep_blank_values=True))
    headers = {k.decode("latin-1"): v[0].decode("latin-1") for k, v in req.headers.items()
               if k.lower() in (b"referer", b"x-requested-with")}
    return {"url": req.url, "form": form, "headers": headers or None, "kind": req.meta.get("kind", "list"),
            "callback": getattr(req.callback, "__name__", "parse_column")}
