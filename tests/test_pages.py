"""Page objects against saved single pages: the replica snapshots in tests/fixtures/replica
(rebuilt by its make_fixtures.py; URLs are the real portals'). Expected metadata comes from
the replica's manifest, matched by path."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.pages import gkmlpt, jcms, trs
from crawler.platforms.trs import TrsSpider

PAGES = Path(__file__).parent / "fixtures" / "replica"
INDEX: dict[str, Any] = json.loads((PAGES / "index.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def served() -> dict[str, dict[str, Any]]:
    """Manifest reports by URL path: what the replica says each page shows."""
    from replica.server import ReplicaServer

    with ReplicaServer() as srv:
        return {urlsplit(r["url"]).path: r for site in srv.manifest.values() for r in site["reports"]}


def url_of(name: str) -> str:
    return INDEX[name]["url"]


def response(name: str, headers: dict[str, str] | None = None) -> HtmlResponse:
    """A saved page as Scrapy would hand it to a callback (no charset header unless given)."""
    url = url_of(name)
    return HtmlResponse(url=url, body=(PAGES / name).read_bytes(), headers=headers or {}, request=Request(url))


def report(served: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    return served[urlsplit(url_of(name)).path]


# -- TRS ---------------------------------------------------------------------------------------
def test_trs_list_items_and_pagination() -> None:
    res = response("fuzhou_list_p1.htm")
    page = trs.parse_list(res.text, res.url)
    assert page.items, "no report links found"
    for url, title, date in page.items:
        assert trs.DETAIL_RE.search(urlsplit(url).path)
        assert url.startswith(res.url.rsplit("/", 1)[0] + "/")  # ./YYYYMM/t… resolved against the column
        assert "年度报告" in title or "年报" in title
        assert date and len(date) == 10
    assert page.page_count and page.page_count >= 2
    nexts = trs.page_urls(res.url, page)
    # 0-based pagers name page 2 index_1, 1-based ones index_2: both ranges are announced (the page
    # that does not exist answers 404 and is skipped, crawler/platforms/base.py parse_column)
    assert [u.rsplit("/", 1)[1] for u in nexts] == [f"index_{k}.htm" for k in range(1, page.page_count + 1)]


def test_trs_detail_metadata_equals_served(served: dict[str, dict[str, Any]]) -> None:
    expected = report(served, "fuzhou_detail_seed.htm")
    title, meta, atts = trs.parse_detail(response("fuzhou_detail_seed.htm").text, url_of("fuzhou_detail_seed.htm"))
    assert title == expected["title"]
    for field in ("index_no", "doc_no", "written_date", "published_date", "validity"):
        if expected.get(field):
            assert meta[field] == expected[field], field
    assert meta["agency"] == expected["agency"]
    att_paths = {urlsplit(a.url).path for a in atts}
    assert {urlsplit(a["url"]).path for a in expected["attachments"]} <= att_paths
    assert all(urlsplit(a.url).netloc == "www.fuzhou.gov.cn" for a in atts)


def test_trs_attachments_only_in_javascript_are_found(served: dict[str, dict[str, Any]]) -> None:
    html = (PAGES / "changle_detail_js_attachments.htm").read_bytes().decode("utf-8", "replace")
    assert "rel_appendix" in html
    _, _, atts = trs.parse_detail(response("changle_detail_js_attachments.htm").text,
                                  url_of("changle_detail_js_attachments.htm"))
    found = {urlsplit(a.url).path for a in atts}
    for att in report(served, "changle_detail_js_attachments.htm")["attachments"]:
        assert urlsplit(att["url"]).path in found
    assert any(a.attrs.get("js_only") for a in atts)


def test_trs_gbk_page_without_header_charset(served: dict[str, dict[str, Any]]) -> None:
    expected = report(served, "jinjiang_detail_seed.htm")
    raw = (PAGES / "jinjiang_detail_seed.htm").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    res = response("jinjiang_detail_seed.htm", headers={"Content-Type": "text/html"})
    assert res.encoding in ("gb18030", "gbk", "gb2312")
    title, meta, _ = trs.parse_detail(res.text, res.url)
    assert title == expected["title"]
    assert meta["index_no"] == expected["index_no"]


def test_trs_spider_turns_list_into_requests() -> None:
    spider = TrsSpider(start_url="https://www.fuzhou.gov.cn/zfxxgkzl/", site_id="fuzhou",
                       base_url="http://127.0.0.1:9")
    res = response("fuzhou_list_p1.htm")
    page = spider.parse_list_page(res)
    assert page.recognised and page.items
    assert page.next_requests
    column_dir = urlsplit(res.url).path.rsplit("/", 1)[0]
    for req in page.next_requests:  # pages of the real column, rebased onto the replica origin
        assert req.url.startswith("http://127.0.0.1:9" + column_dir + "/index_")


# -- gkmlpt ------------------------------------------------------------------------------------
def test_gkmlpt_index_config_and_annual_category() -> None:
    res = response("chaoyang_gkmlpt_index.html")
    sid, tree = gkmlpt.parse_config(res.text)
    assert sid and sid.isdigit()
    cats = gkmlpt.annual_categories(tree)
    assert [c["name"] for c in cats] == ["政府信息公开年报"]
    url = gkmlpt.api_url(res.url, cats[0]["id"], sid, 2)
    assert urlsplit(url).path == f"/stcyyjglj/gkmlpt/api/all/{cats[0]['id']}"
    assert parse_qs(urlsplit(url).query) == {"page": ["2"], "sid": [sid]}


def test_gkmlpt_api_page() -> None:
    page = gkmlpt.parse_list((PAGES / "chaoyang_gkmlpt_api_p1.json").read_text(encoding="utf-8"),
                             "https://www.gdcy.gov.cn/gkmlpt/api/all/1?page=1")
    items, total = page.items, page.total
    assert items and total and total >= len(items)
    for it in items:
        assert gkmlpt.DETAIL_RE.search(urlsplit(it["url"]).path)
        assert it["date"] and it["title"]
        assert it["index_no"]


def test_gkmlpt_detail_metadata_table(served: dict[str, dict[str, Any]]) -> None:
    exp = report(served, "chaoyang_detail_seed.html")
    title, meta, atts = gkmlpt.parse_detail(response("chaoyang_detail_seed.html").text,
                                            url_of("chaoyang_detail_seed.html"))
    assert title == exp["title"]
    assert meta["index_no"] == exp["index_no"]
    assert meta["agency"] == exp["agency"]
    assert meta["published_date"] == exp["published_date"]
    assert {urlsplit(a["url"]).path for a in exp["attachments"]} <= {urlsplit(a.url).path for a in atts}


# -- JCMS --------------------------------------------------------------------------------------
def test_jcms_column_embedded_records_and_proxy_plan() -> None:
    res = response("haiyan_column.html")
    page = jcms.parse_list(res.text, res.url)
    assert page.has_datastore and len(page.items) == 3 * page.per_page
    assert page.params["columnid"] == "1229449092"
    plan = jcms.proxy_requests(res.url, page)
    assert plan, "further records must come from dataproxy.jsp"
    first = parse_qs(urlsplit(plan[0][0]).query)
    assert first["startrecord"] == [str(len(page.items) + 1)]
    assert int(first["endrecord"][0]) - int(first["startrecord"][0]) + 1 <= 3 * page.per_page
    last_end = int(parse_qs(urlsplit(plan[-1][0]).query)["endrecord"][0])
    assert last_end == page.total


def test_jcms_dataproxy_answer() -> None:
    xml = (PAGES / "haiyan_dataproxy_16_30.xml").read_text(encoding="utf-8")
    items = jcms.parse_records(xml, url_of("haiyan_column.html"))
    assert len(items) == 15
    assert all(jcms.DETAIL_RE.search(urlsplit(u).path) for u, _, _ in items)


def test_jcms_article(served: dict[str, dict[str, Any]]) -> None:
    exp = report(served, "haiyan_article_seed.html")
    title, meta, atts = jcms.parse_detail(response("haiyan_article_seed.html").text, url_of("haiyan_article_seed.html"))
    assert title == exp["title"]
    assert meta["published_date"] == exp["published_date"]
    expected = {urlsplit(a["url"]).query for a in exp["attachments"]}
    assert expected <= {urlsplit(a.url).query for a in atts}
    assert all("downfile.jsp" in a.url for a in atts)
