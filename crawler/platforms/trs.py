"""TRS WCM static portals (Fujian): `scrapy crawl trs -a start_url=… -a site_id=…` crawls any of them."""
from __future__ import annotations

from scrapy.http import TextResponse

from crawler.pages import trs
from crawler.platforms.base import ListItem, ListPage, PortalSpider


class TrsSpider(PortalSpider):
    name = "trs"
    platform = "trs"
    detail_url_re = trs.DETAIL_RE
    detail_markers = (b"ArticleTitle", b"xxgk_table", b"TRS_Editor", b"article_attachment")
    detail_parser = staticmethod(trs.parse_detail)

    def parse_list_page(self, response: TextResponse) -> ListPage:
        page = trs.parse_list(response.text, response.url)
        # a pager may claim 9999 pages: never build more requests than a column may use
        nexts = [self.request(u, self.parse_column, "list")
                 for u in trs.page_urls(response.url, page)[: self.max_list_pages]]
        recognised = bool(page.items) or page.page_count is not None
        return ListPage([ListItem(u, t, d) for u, t, d in page.items], nexts, recognised, page.duplicates)
