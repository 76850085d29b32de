"""Hanweb JCMS portals (Zhejiang): `scrapy crawl jcms -a start_url=… -a site_id=…`."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from urllib.parse import parse_qsl, urlsplit

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

    JPAAS_PAGE_SIZE = 50

    def entry_signature(self, response: TextResponse) -> bool:
        return b"<datastore" in response.body or jcms.jpaas_query(response.text) is not None

    def parse_list_page(self, response: TextResponse) -> ListPage:
        query = None if response.meta.get("playwright") else jcms.jpaas_query(response.text)
        if query is not None:
            # a jpaas-publish-server shell: the list is the gateway's JSON, read directly
            first = self.request(jcms.jpaas_url(response.url, query, 1, self.JPAAS_PAGE_SIZE), self.parse_jpaas, "api",
                                 column_url=response.meta.get("column_url"), jpaas=query, page_no=1, seen=0,
                                 shell_url=response.url)
            return ListPage([], [first], recognised=True)
        page = jcms.parse_list(response.text, response.url)
        if response.meta.get("playwright") and not page.items and jcms.jpaas_query(response.text) is not None:
            # the jpaas gateway refused us; the page's own script wrote the list in Chromium
            return ListPage([ListItem(*i) for i in jcms.rendered_items(response.text, response.url)], [],
                            recognised=True)
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

    def parse_jpaas(self, response: Response) -> Iterator[Any]:
        """One page of a jpaas column from the gateway; Chromium renders the shell only if the
        gateway does not answer as expected."""
        self.list_pages += 1
        column_url = response.meta.get("column_url")
        if "shell_url" not in response.meta:  # the first page, queued as plain data by next_list_page
            q = dict(parse_qsl(urlsplit(response.url).query))
            response.meta.update(shell_url=self.rebase(column_url), page_no=1, seen=0,
                                 jpaas={k: q.get(k, "") for k in ("webId", "pageId", "tagId", "tplSetId")})
        try:
            text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
            # the HTML is written into the column page: its links resolve against that page
            items, total = jcms.parse_jpaas(text, response.meta["shell_url"])
        except (ValueError, AttributeError) as exc:
            # not an error yet: the column page's own script may still build the list in Chromium
            self.session.stats["jpaas_rendered"] += 1
            self.logger.warning("jpaas gateway answer for %s is not the expected JSON (%s): rendering the column "
                                "in Chromium", column_url, str(exc)[:120])
            yield self.request(response.meta["shell_url"], self.parse_column, "list", column_url=column_url,
                               playwright=True, dont_filter=True)
            return
        listing, go_on = self.listing(response, column_url, [ListItem(*i) for i in items])
        yield from listing
        seen = response.meta["seen"] + len(items)
        page_no = response.meta["page_no"]
        if go_on and items and (total is None or seen < total) and page_no < self.max_list_pages:
            yield self.request(jcms.jpaas_url(response.meta["shell_url"], response.meta["jpaas"], page_no + 1,
                                              self.JPAAS_PAGE_SIZE),
                               self.parse_jpaas, "api", column_url=column_url, jpaas=response.meta["jpaas"],
                               page_no=page_no + 1, seen=seen, shell_url=response.meta["shell_url"])
