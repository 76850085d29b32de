"""Hanweb JCMS portals (Zhejiang): `scrapy crawl jcms -a start_url=… -a site_id=…`."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy import FormRequest
from scrapy.http import Response, TextResponse

from crawler.pages import jcms
from crawler.platforms.base import ListItem, ListPage, PortalSpider


class JcmsSpider(PortalSpider):
    name = "jcms"
    platform = "jcms"
    detail_url_re = jcms.DETAIL_RE
    detail_markers = (b"ArticleTitle", b'id="zoom"', b"article-info")
    detail_parser = staticmethod(jcms.parse_detail)

    def parse_list_page(self, response: TextResponse) -> ListPage:
        page = jcms.parse_column(response.text, response.url)
        nexts = [
            FormRequest(self.rebase(url), formdata=form, callback=self.parse_proxy, errback=self.on_error,
                        headers={"Referer": response.url, "X-Requested-With": "XMLHttpRequest"},
                        meta={"kind": "api", "column_url": response.meta.get("column_url")})
            for url, form in jcms.proxy_requests(response.url, page)[: self.max_list_pages]
        ]
        return ListPage([ListItem(*i) for i in page.items], nexts, recognised=page.has_datastore,
                        duplicates=page.duplicates)

    def parse_proxy(self, response: Response) -> Iterator[Any]:
        self.list_pages += 1
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        items, dups = jcms.records_and_duplicates(text, response.url)
        column_url = response.meta.get("column_url")
        if not items:
            self.session.stats["structure_errors"] += 1
            self.session.error(response.url, "fetch", "structure", "dataproxy returned no records")
        listing, go_on = self.listing(response, column_url, [ListItem(*i) for i in items], dups)
        yield from listing
        if not go_on:
            return
        yield from self.next_list_page(response, column_url, [])
