"""Guangdong gkmlpt portals: `scrapy crawl gkmlpt -a start_url=… -a site_id=…`.

A unit's 公开目录 is a Vue app; its data is public JSON, so no browser is needed:
`/gkmlpt/index` carries SID and the category TREE, `/gkmlpt/api/all/{cat}` lists posts.
Plain NFCMS columns (`…/content/post_N.html`) next to it are crawled as lists too.
"""
from __future__ import annotations


from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response, TextResponse

from archive.store import record_types as rt
from crawler.pages import common, gkmlpt
from crawler.platforms.base import DetailPage, ListItem, ListPage, PortalSpider


class GkmlptSpider(PortalSpider):
    name = "gkmlpt"
    platform = "gkmlpt"
    detail_url_re = gkmlpt.DETAIL_RE
    detail_markers = (b"classify", b"article-content", b"NFCMS_POST_ID", b"ArticleTitle")
    detail_parser = staticmethod(gkmlpt.parse_detail)

    def discover_extra(self, response: TextResponse, root: Any, depth_left: int) -> Iterable[Any]:
        if gkmlpt.INDEX_RE.search(urlsplit(response.url).path):
            yield from self.parse_index(response)
            return
        for link in common.links(root, response.url):
            if gkmlpt.INDEX_RE.search(urlsplit(link.url).path) and self.is_allowed(link.url):
                yield self.request(link.url, self.parse_index, "entry", unit_name=link.text,
                                   via_entry=response.meta.get("via_entry"))

    def entry_signature(self, response: TextResponse) -> bool:
        return b"_CONFIG" in response.body and b"TREE" in response.body

    def is_platform_index(self, response: TextResponse) -> bool:
        return bool(gkmlpt.INDEX_RE.search(urlsplit(response.url).path))

    def parse_index(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        sid, tree = gkmlpt.parse_config(response.text)
        if not tree:
            self.session.stats["structure_errors"] += 1
            self.session.error(response.url, "fetch", "structure", "gkmlpt index without a category TREE")
            return
        index_url = self.canonical(response.url.split("#")[0])
        for node in gkmlpt.annual_categories(tree):
            yield from self.open_category({
                "url": f"{index_url}#{node['id']}", "name": node.get("name"),
                "agency": response.meta.get("unit_name"), "found_on": self.canonical(response.url),
                "api": {"index_url": index_url, "category": node["id"], "sid": sid}},
                via_entry=response.meta.get("via_entry"))

    def reopen_column(self, col: dict[str, Any]) -> Iterator[Any]:
        """A gkmlpt column is an API category: its first API page, without the index page."""
        if col.get("api"):
            yield from self.open_category(col, reopened=True)
        else:
            yield from super().reopen_column(col)

    def open_category(self, col: dict[str, Any], **meta: Any) -> Iterator[Any]:
        """The column record of an API category and the request for its first page."""
        via = meta.pop("via_entry", None)
        if via and self.moved and not self.entry_found:
            self.entry_found = via
        if col["url"] in self.columns_seen:
            return
        self.columns_seen.add(col["url"])
        api = col["api"]
        yield {"_type": "column", **rt.Column(url=col.get("url"), name=col.get("name"), agency=col.get("agency"),
                                              found_on=col.get("found_on"), api=col.get("api"))}
        yield self.request(gkmlpt.api_url(api["index_url"], api["category"], api["sid"], 1), self.parse_api, "api",
                           column_url=col["url"], index_url=api["index_url"], category=api["category"],
                           sid=api["sid"], page=1, seen=0, expected_status=(404,), **meta)

    def parse_api(self, response: Response) -> Iterator[Any]:
        if response.status == 404:
            if response.meta.get("reopened"):  # a known category's first page is gone
                yield from self.rediscover(response.url, "answers 404")
            return  # past the last page on sites that answer 404 there
        self.list_pages += 1
        try:
            listed_page = gkmlpt.parse_list(response.text, response.url)
        except (ValueError, AttributeError) as exc:
            self.session.stats["structure_errors"] += 1
            self.session.error(response.url, "fetch", "structure", f"gkmlpt API answer is not the expected JSON: {exc}")
            if response.meta.get("reopened"):
                yield from self.rediscover(response.url, "is not the expected JSON")
            return
        items, total = listed_page.items, listed_page.total
        column_url = response.meta["column_url"]
        listed = [ListItem(self.rebase(it["url"]), it["title"], it["date"],
                           {k: it[k] for k in ("index_no", "doc_no", "agency", "topic")},
                           {"api_attachments": it["attachments"]}) for it in items]
        self.column_pages.setdefault(column_url, set()).add(response.url)
        listing, go_on = self.listing(response, column_url, listed, len(listed) - len({i.url for i in listed}))
        yield from listing
        if not go_on:
            return
        seen = response.meta["seen"] + len(items)
        page = response.meta["page"]
        if items and (total is None or seen < total) and page >= self.max_list_pages:
            self.session.error(response.url, "fetch", "too_many_pages",
                               f"API pagination capped at {self.max_list_pages} pages per column (XXGK_MAX_LIST_PAGES)")
        elif items and (total is None or seen < total):
            yield self.request(gkmlpt.api_url(response.meta["index_url"], response.meta["category"],
                                              response.meta["sid"], page + 1),
                               self.parse_api, "api", **{**_carry(response.meta), "page": page + 1, "seen": seen})

    def parse_list_page(self, response: TextResponse) -> ListPage:
        items = gkmlpt.nfcms_list(response.text, response.url)
        nexts = [self.request(u, self.parse_column, "list") for u in gkmlpt.nfcms_pages(response.text, response.url)]
        return ListPage([ListItem(*i) for i in items], nexts, recognised=bool(items))

    def parse_detail_page(self, response: TextResponse) -> DetailPage:
        title, meta, attachments = self.parsed_detail(response)
        known = {a.url for a in attachments}
        for api_att in response.meta.get("api_attachments") or []:
            url = self.rebase(api_att["url"])
            if url not in known:
                attachments.append(common.Link(url, api_att.get("name") or ""))
        return DetailPage(title, meta, attachments)


def _carry(meta: dict[str, Any]) -> dict[str, Any]:
    keys = ("column_url", "index_url", "category", "sid", "expected_status")
    return {k: meta[k] for k in keys if k in meta}



