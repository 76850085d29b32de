"""What an incremental crawl asks again: known report pages of unchanged lists, known columns."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from archive.store.home import Home
from archive.store.records import RecordWriter
from crawler import revalidate
from crawler.platforms.base import ListItem
from crawler.platforms.trs import TrsSpider
from crawler.session import ArchiveSession, KnownReport, SiteState

NOW = datetime(2026, 2, 22, 3, 0, tzinfo=timezone.utc)
BASE = "https://www.fuzhou.gov.cn/zgfzzt/sajj/zfxxgkzl/ndbg/"
URLS = [f"{BASE}20{y}01/t20{y}0120_{4000 + y}.htm" for y in range(10, 26)]


def stamp(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_due_between_days_and_twice_days_spread_per_url() -> None:
    for url in URLS:
        assert not revalidate.is_due(url, stamp(6.9), 7, NOW)
        assert revalidate.is_due(url, stamp(14.01), 7, NOW)
        assert revalidate.is_due(url, stamp(0), 0, NOW)  # 0: every night
        assert revalidate.spread(url) == revalidate.spread(url)
    due_at_10 = [u for u in URLS if revalidate.is_due(u, stamp(10.5), 7, NOW)]
    assert 0 < len(due_at_10) < len(URLS)  # a site's pages do not all come due the same night
    assert revalidate.is_due(URLS[0], "not a time", 7, NOW)


def write(home: Home, run: str, *records: tuple[str, dict]) -> None:
    with RecordWriter(home, "fuzhou", run) as w:
        for type_, fields in records:
            w.write(type_, **fields)


def report(url: str, *att_urls: str) -> tuple[str, dict]:
    return "report", {"report_id": url[-9:], "url": url, "attachments": [{"url": u} for u in att_urls]}


def attachment(url: str) -> tuple[str, dict]:
    return "attachment", {"report_id": "r", "url": url, "final_url": url + "?dl", "capture_id": "c-" + url[-6:]}


def test_a_report_is_complete_only_with_all_its_attachments(tmp_path: Path) -> None:
    home = Home(tmp_path).ensure()
    a, b = URLS[0].replace(".htm", "/P0.pdf"), URLS[0].replace(".htm", "/P1.docx")
    write(home, "20260201T000000000000Z-h-1", report(URLS[0], a, b), attachment(a), report(URLS[1]),
          ("listing", {"column_url": BASE, "page_url": BASE, "report_urls": URLS[:2], "page_key": BASE,
                       "items_digest": "d1"}))
    state = SiteState.load(home, "fuzhou")
    assert state.complete_report(URLS[0]) is None  # killed before its second file: read again
    assert state.complete_report(URLS[1]) is not None and state.complete_report(URLS[2]) is None
    assert state.listings == {BASE: "d1"} and "c-P0.pdf" in state.attached
    write(home, "20260202T000000000000Z-h-1", attachment(b))
    assert SiteState.load(home, "fuzhou").complete_report(URLS[0]) is not None


@pytest.fixture
def spider(tmp_path: Path) -> TrsSpider:
    sp = TrsSpider(site_id="fuzhou", start_url=BASE)
    sp.session = ArchiveSession("fuzhou", home=Home(tmp_path))
    sp.revalidate_days = 7.0
    return sp


def list_response() -> HtmlResponse:
    return HtmlResponse(BASE + "index.htm", body=b"<html></html>", request=Request(BASE + "index.htm"))


def requested(out: list) -> list[str]:
    return [r.url for r in out if isinstance(r, Request)]


def test_unchanged_list_skips_known_pages_changed_list_asks_all(spider: TrsSpider) -> None:
    # titles as listed on the portal: a title that names no annual report is not fetched (crawler/linktext.py)
    items = [ListItem(u, f"福州市应急管理局{2009 + i}年政府信息公开工作年度报告", "2026-01-20")
             for i, u in enumerate(URLS[:3])]
    first, go_on = spider.listing(list_response(), BASE, items)
    assert go_on and requested(first) == URLS[:3] and first[0]["unchanged"] is False
    listing = first[0]
    # the next run: this listing, URLS[0] read recently and complete, URLS[1] read long ago, URLS[2] never
    state = spider.session.state
    state.listings[listing["page_key"]] = listing["items_digest"]
    state.reports[URLS[0]] = revalidate_known(0.5)
    state.reports[URLS[1]] = revalidate_known(30)
    spider.column_items.clear()
    spider.column_pages.clear()
    again, _ = spider.listing(list_response(), BASE, items)
    assert again[0]["unchanged"] is True and requested(again) == URLS[1:3]
    assert spider.session.stats["reports_skipped"] == 1
    # a changed listed date (an edit the portal shows in its list) asks every page again
    edited = [ListItem(i.url, i.title, "2026-02-20" if i.url == URLS[2] else i.date) for i in items]
    spider.column_items.clear()
    spider.column_pages.clear()
    changed, _ = spider.listing(list_response(), BASE, edited)
    assert changed[0]["unchanged"] is False and requested(changed) == URLS[:3]


def revalidate_known(days_ago: float) -> KnownReport:
    """A complete report read `days_ago` days before now (the spider compares with the clock)."""
    return KnownReport((datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ"), ())


def test_known_columns_reopened_until_due_and_walked_again_when_one_fails(tmp_path: Path) -> None:
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    home = Home(tmp_path).ensure()
    col = {"url": BASE, "name": "年度报告", "agency": "福州市应急管理局", "found_on": "https://www.fuzhou.gov.cn/zfxxgkzl/"}
    write(home, "20260201T000000000000Z-h-1", ("column", col),
          ("run_end", {"status": "ok", "stats": {"finish_reason": "finished", "discovery": "scheduled"}}))
    write(home, "20260202T000000000000Z-h-1", ("column", {**col, "url": BASE + "old/"}),
          ("run_end", {"status": "failed", "stats": {"finish_reason": "shutdown"}}))  # a killed run's columns: ignored

    def spider(days: float) -> TrsSpider:
        sp = TrsSpider(site_id="fuzhou", start_url="https://www.fuzhou.gov.cn/zfxxgkzl/")
        sp.session = ArchiveSession("fuzhou", home=home)
        sp.discovery = sp.discovery_mode(days)
        return sp

    async def started(sp: TrsSpider) -> list:
        return [x async for x in sp.start()]

    import asyncio
    assert spider(0).discovery == "scheduled"  # due every run
    sp = spider(7)  # walked minutes ago (the record's clock): not due
    assert sp.discovery == "skipped"
    out = asyncio.run(started(sp))
    assert [o["url"] for o in out if isinstance(o, dict)] == [BASE]
    (reopened,) = [o for o in out if isinstance(o, Request)]
    assert reopened.url == BASE and reopened.meta["reopened"] and reopened.meta["kind"] == "list"
    # the column is gone (404): the portal is walked from its entry page, once
    gone = HtmlResponse(BASE, status=404, body=b"", request=reopened)
    failure = Failure(HttpError(gone))
    failure.request = reopened  # type: ignore[attr-defined]
    walk = sp.on_error(failure)
    assert [r.url for r in walk] == ["https://www.fuzhou.gov.cn/zfxxgkzl/"] and sp.discovery == "fallback"
    assert sp.on_error(failure) == []


def test_a_column_rendered_last_time_is_reopened_in_the_browser(tmp_path: Path) -> None:
    home = Home(tmp_path).ensure()
    js, plain = BASE, BASE.replace("sajj", "tjj")

    def listing(column: str, page: str, rendered: bool) -> tuple[str, dict]:
        return "listing", {"column_url": column, "page_url": page, "report_urls": [], "page_key": page,
                           "items_digest": "d", "rendered": rendered}

    write(home, "20260201T000000000000Z-h-1", listing(js, js, True), listing(js, js + "index_1.htm", True),
          listing(plain, plain, False))
    assert SiteState.load(home, "fuzhou").rendered_columns == {js}
    sp = TrsSpider(site_id="fuzhou", start_url=BASE)
    sp.session = ArchiveSession("fuzhou", home=home)
    (_, req), (_, req2) = (list(sp.reopen_column({"url": u, "name": "年度报告"})) for u in (js, plain))
    assert req.meta.get("playwright") is True and not req2.meta.get("playwright")
    # a later page of a rendered column is rendered too
    page1 = HtmlResponse(js, body=b"<html></html>", request=req)
    (nxt,) = sp.next_list_page(page1, js, [Request(js + "index_1.htm")])
    assert nxt.meta.get("playwright") is True
    # the portal redesigned: the list reads over plain HTTP again (a walk found it so): no browser
    write(home, "20260208T000000000000Z-h-1", listing(js, js, False))
    assert SiteState.load(home, "fuzhou").rendered_columns == set()
