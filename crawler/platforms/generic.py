"""Portals of unknown platform: `scrapy crawl generic -a start_url=URL -a site_id=ID`.

No template is assumed. From the start page the spider walks by link text (`crawler.linktext`)
to the 年度报告 columns, reads their lists by structure (`crawler.pages.generic`), follows
sub-columns (years, unit types, units) and pagers, and keeps only what is an annual report:
other documents listed beside them (指南, 通知, 工作要点 …) are fetched at most once and
never become reports, and one report listed under two URLs becomes one report.

Where a page shows a known platform's machinery (a gkmlpt index, a Hanweb datastore) the
spider uses that platform's reader for it, so a mixed portal works too.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import FormRequest
from scrapy.http import Response, TextResponse

from crawler import linktext
from crawler.pages import common, generic, jcms
from crawler.platforms.base import DetailPage, ListItem, ListPage, PortalSpider
from crawler.platforms.gkmlpt import GkmlptSpider
from crawler.platforms.jcms import JcmsSpider

GUESSED_PAGE_RE = re.compile(r"(/index_\d+\.)(s?html?)$")


class GenericSpider(PortalSpider):
    name = "generic"
    platform = "generic"
    detail_parser = staticmethod(generic.parse_detail)
    # discovery is bounded by the page budget (XXGK_GENERIC_DISCOVERY_MAX_PAGES), not by a small
    # depth: 部门 columns three or four levels below an entry that moved are normal
    ENTRY_DEPTH: ClassVar[int] = 8

    # borrowed readers of known machinery met on an unknown portal
    parse_index = GkmlptSpider.parse_index
    open_category = GkmlptSpider.open_category
    parse_api = GkmlptSpider.parse_api
    parse_proxy = JcmsSpider.parse_proxy
    parse_jpaas = JcmsSpider.parse_jpaas
    JPAAS_PAGE_SIZE = JcmsSpider.JPAAS_PAGE_SIZE

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_discovery_pages = crawler.settings.getint("XXGK_GENERIC_DISCOVERY_MAX_PAGES", 200)
        return spider

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.report_keys: dict[str, str] = {}
        self.guessed_pages: set[str] = set()  # numbered list pages whose extension was a guess
        self.announced: dict[str | None, list[str]] = {}  # column -> its guessed numbered pages
        self.numbered_ok: set[str] = set()  # columns one of whose guessed pages exists  # 索引号 / content fingerprint -> first URL archived

    def request(self, url: str, callback: Any, kind: str, dont_filter: bool = False, **meta: Any) -> Any:
        """Every URL in one spelling (browsers drop tabs and newlines inside an href; `//`, `./`)."""
        url = generic.normalise_url(url)
        if kind == "list" and GUESSED_PAGE_RE.search(url):
            meta.setdefault("expected_status", (404,))  # a guessed page name: 404 means try the next spelling
        return super().request(url, callback, kind, dont_filter, **meta)

    def canonical(self, url: str) -> str:
        return super().canonical(generic.normalise_url(url))

    # -- discovery ------------------------------------------------------------------------------
    def is_detail_url(self, url: str) -> bool:
        return False

    def is_column_link(self, link: common.Link) -> bool:
        if linktext.is_column_text(link.text):
            return True
        text = common.squash(link.text)
        return (linktext.is_column_url(link.url) and 0 < len(text) <= 12
                and not linktext.is_annual_report_title(text) and not linktext.NOT_NAV_RE.search(text))

    def is_navigation_link(self, link: common.Link) -> bool:
        text = common.squash(link.text)
        if linktext.is_entry_text(text) or linktext.is_navigation_text(text):
            return True
        return linktext.is_entry_url(link.url) and 0 < len(text) <= 12 and not linktext.NOT_NAV_RE.search(text)

    def discover_extra(self, response: TextResponse, root: Any, depth_left: int) -> Iterable[Any]:
        return GkmlptSpider.discover_extra(self, response, root, depth_left)  # type: ignore[arg-type]

    def looks_like_list(self, response: TextResponse) -> bool:
        """A page met on the way that lists annual reports in dated rows: a column, whatever its
        name (a report filed under 应主动公开的其他信息, a start page that is the column itself).
        Not the portal's front page, whose "latest news" rows come and go."""
        if urlsplit(response.url).path.strip("/") in ("", "index.html", "index.htm", "index.shtml"):
            return False
        page = generic.parse_list(response.text, response.url)
        return any(d and linktext.is_annual_report_title(t) for _, t, d in page.items)

    # -- lists ----------------------------------------------------------------------------------
    def parse_list_page(self, response: TextResponse) -> ListPage:
        query = None if response.meta.get("playwright") else jcms.jpaas_query(response.text)
        if query is not None:  # a Hanweb jpaas shell: the list is the gateway's JSON (as JcmsSpider reads it)
            first = self.request(jcms.jpaas_url(response.url, query, 1, self.JPAAS_PAGE_SIZE), self.parse_jpaas,
                                 "api", column_url=response.meta.get("column_url"), jpaas=query, page_no=1, seen=0,
                                 shell_url=response.url)
            return ListPage([], [first], recognised=True)
        page = generic.parse_list(response.text, response.url)
        if page.pages and generic.ext_is_guessed(response.text, response.url):
            self.guessed_pages.update(page.pages)
            self.announced.setdefault(response.meta.get("column_url"), list(page.pages))
        items = [ListItem(u, t, d) for u, t, d in page.items
                 if linktext.may_be_annual_report(t) and self.is_allowed(u)]
        nexts: list[Any] = [self.request(u, self.parse_column, "list") for u in page.pages[: self.max_list_pages]]
        if "<datastore" in response.text:  # a Hanweb column: its further records come from the proxy
            jl = jcms.parse_list(response.text, response.url)
            nexts += [FormRequest(self.rebase(url), formdata=form, callback=self.parse_proxy, errback=self.on_error,
                                  headers={"Referer": response.url, "X-Requested-With": "XMLHttpRequest"},
                                  meta={"kind": "api", "column_url": response.meta.get("column_url")})
                      for url, form in jcms.proxy_requests(response.url, jl)[: self.max_list_pages]]
        recognised = bool(page.row_links or page.subcolumns or page.pages)
        return ListPage(items, nexts, recognised, page.duplicates)

    def parse_column(self, response: Response) -> Iterator[Any]:
        """A column page (the base reads it: items, empty columns, sub-columns, pagers). When the
        numbered pages' extension was a guess and none of them exists, they are asked again
        under the other extensions."""
        column_url = response.meta.get("column_url")
        if response.status == 404 and response.url in self.guessed_pages and not response.meta.get("xxgk_pending") \
                and column_url not in self.numbered_ok:
            retry = self.other_page_spelling(response)
            if retry is not None:
                yield retry
                return
        elif response.status == 200 and response.url in self.guessed_pages and column_url:
            self.numbered_ok.add(column_url)
        yield from super().parse_column(response)

    def other_page_spelling(self, response: Response) -> Any:
        """The announced pages of this column again with the next extension (a directory column URL
        does not say whether its numbered pages are .htm, .html or .shtml), or None."""
        column_url = response.meta.get("column_url")
        announced = self.announced.get(column_url) or []
        tried = set(response.meta.get("tried_exts") or ())
        m = GUESSED_PAGE_RE.search(response.url)
        if m:
            tried.add(m.group(2))
        rest = [e for e in ("html", "htm", "shtml") if e not in tried]
        if not announced or not rest:
            return None
        urls = [GUESSED_PAGE_RE.sub(lambda x: x.group(1) + rest[0], u) for u in announced]
        self.guessed_pages.update(urls)
        pending = [{"url": u, "form": None, "headers": None, "kind": "list", "callback": "parse_column"}
                   for u in urls[1:]]
        keep = {k: response.meta[k] for k in ("column_url", "column_agency") if k in response.meta}
        return self.request(urls[0], self.parse_column, "list", xxgk_pending=pending, tried_exts=sorted(tried), **keep)

    def sub_columns(self, root: Any, response: TextResponse, column_url: str) -> list[common.Link]:
        """The base's sub-columns (by name, by path below the column), less the documents the
        list rows show (a dated row is a document even in a directory of its own), plus year /
        unit-type links the generic list reader saw."""
        page = generic.parse_list(response.text, response.url)
        docs = {u for u, t, d in page.items
                if d or linktext.may_be_annual_report(t) or linktext.NON_REPORT_RE.search(common.squash(t))}
        pages = set(page.pages)
        out: dict[str, common.Link] = {}
        for link in super().sub_columns(root, response, column_url):
            url = generic.normalise_url(link.url)
            if url not in docs and url not in pages:
                out.setdefault(url, link)
        for url, text in page.subcolumns:
            if url not in docs and url not in pages and self.is_allowed(url) and self.canonical(url) != column_url:
                out.setdefault(url, common.Link(url, text))
        return list(out.values())

    # -- report pages -----------------------------------------------------------------------------
    def parse_detail_page(self, response: TextResponse) -> DetailPage:
        cached = response.meta.get("_generic_page")
        if cached is not None:
            return cached
        page = DetailPage(*self.parsed_detail(response))
        known = {a.url for a in page.attachments}
        for api_att in response.meta.get("api_attachments") or []:  # gkmlpt API posts
            url = self.rebase(api_att["url"])
            if url not in known:
                page.attachments.append(common.Link(url, api_att.get("name") or ""))
        response.meta["_generic_page"] = page
        return page

    def parse_detail(self, response: Response) -> Iterator[Any]:
        listed = response.meta.get("listed_title")
        if not isinstance(response, TextResponse):
            if linktext.is_annual_report_title(listed):
                yield from super().parse_detail(response)
            return
        page = self.parse_detail_page(response)
        if linktext.is_column_text(page.title) and (
                self.looks_like_list(response) or generic.parse_list(response.text, response.url).subcolumns):
            # a "report" that is a list of reports: a year column named `2023年政府信息公开年报`
            yield from self.open_column(response.url, page.title, response.meta.get("column_agency"),
                                        found_on=response.url, fetched=response)
            return
        if not (linktext.is_annual_report_title(page.title) or linktext.is_annual_report_title(listed)):
            self.session.stats["not_reports"] += 1
            self.logger.debug("%s is not an annual report (%r): not archived as one", response.url, page.title)
            return
        url = self.canonical(response.url)
        keys = [f"fp:{common.squash(page.title)}|{page.meta.get('published_date') or ''}|"
                f"{generic.body_fingerprint(response.text, page.title)}"]
        if page.meta.get("index_no"):
            keys.insert(0, f"idx:{page.meta['index_no']}")
        first = next((self.report_keys[k] for k in keys if k in self.report_keys), None)
        if first is not None and first != url:
            self.session.stats["duplicate_reports"] += 1
            self.logger.info("%s is the report already archived from %s: not archived twice", url, first)
            return
        for k in keys:
            self.report_keys.setdefault(k, url)
        yield from super().parse_detail(response)


def site_id_for(url: str) -> str:
    """A site id from a portal's host: www.fzcl.gov.cn -> fzcl, yjj.fuzhou.gov.cn -> yjj-fuzhou."""
    host = (urlsplit(url).hostname or "").lower()
    parts = [p for p in host.split(".") if p not in ("www", "gov", "cn", "com", "org", "net")]
    slug = "-".join(parts) or "site"
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in slug).strip("-")
    return slug or "site"
