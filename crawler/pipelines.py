"""Items become capture records: the spider yields dicts tagged with `_type`."""
from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler


class RecordPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RecordPipeline":
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        session = getattr(self.crawler.spider, "session", None)
        if session is not None and isinstance(item, dict) and "_type" in item:
            fields = {k: v for k, v in item.items() if k != "_type"}
            session.record(item["_type"], **fields)
        return item
