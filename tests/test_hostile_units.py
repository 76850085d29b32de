"""Hostile-portal guards in isolation: caps, detectors and file checks on hand-made input."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from archive.store.home import Home
from archive.store.records import iter_records
from crawler.antibot import challenge_kind, looks_blocked
from crawler.filetypes import body_problem, clean_filename, disposition_filename, raw_disposition_name
from crawler.platforms.trs import TrsSpider
from crawler.session import ArchiveSession
from tests.fixtures.reliability.outcomes import Case, case  # noqa: F401 - fixture

LIST_URL = "http://127.0.0.1:9/zgfzzt/sajj/zfxxgkzl/ndbg/index{}.htm"


def list_page(n: int, ids: range, claimed: int = 9999) -> HtmlResponse:
    items = "".join(f'<li><a href="./202301/t20230114_{i}.htm" title="第{i}号报告">第{i}号报告</a>'
                    f"<span>2023-01-14</span></li>" for i in ids)
    html = (f'<html><head><meta charset="utf-8"></head><body><div class="list"><ul>{items}</ul></div>'
            f'<script>createPageHTML({claimed}, {n}, "index", "htm");</script></body></html>')
    url = LIST_URL.format("" if n == 0 else f"_{n}")
    return HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url, meta={"column_url": "C"}))


def spider(tmp_path: Path, max_pages: int) -> TrsSpider:
    sp = TrsSpider(start_url="https://www.fuzhou.gov.cn/zfxxgkzl/", site_id="fuzhou",
                   base_url="http://127.0.0.1:9", max_list_pages=str(max_pages))
    sp.session = ArchiveSession("fuzhou", home=Home(tmp_path), incremental=False)
    return sp


def follow(sp: TrsSpider, first: HtmlResponse, page_items: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Crawl the column's pages through the spider, serving page n with page_items(n)."""
    fetched, queue = [], [first]
    while queue:
        res = queue.pop(0)
        fetched.append(res.url)
        for out in sp.parse_column(res):
            if isinstance(out, Request) and out.meta.get("kind") == "list":
                n = int(out.url.rsplit("_", 1)[-1].split(".")[0])
                page = list_page(n, page_items(n))
                page.request.meta.update(out.meta)
                queue.append(page.replace(request=out.replace(url=page.url)))
    sp.session.close()
    return fetched, [r for r in iter_records(sp.session.home, "fuzhou") if r["type"] == "error"]


def test_list_pages_per_column_are_capped(tmp_path: Path, case: Case) -> None:
    case.describe("pagination", "a pager announcing 9999 pages that all bring new reports",
                  "pages are requested one at a time and never more than XXGK_MAX_LIST_PAGES per column; "
                  "one `too_many_pages` row")
    sp = spider(tmp_path, max_pages=5)
    fetched, errors = follow(sp, list_page(0, range(1, 7)), lambda n: range(n * 10, n * 10 + 6))
    assert len(fetched) == 5
    assert [e["kind"] for e in errors] == ["too_many_pages"]
    case.saw(f"{len(fetched)} pages fetched of 9999 announced (cap 5)")


def test_repeated_page_stops_the_column(tmp_path: Path) -> None:
    sp = spider(tmp_path, max_pages=200)
    fetched, errors = follow(sp, list_page(0, range(1, 7)), lambda n: range(1, 7) if n >= 3 else range(n * 10, n * 10 + 6))
    assert len(fetched) == 4  # pages 0, 1, 2 bring reports, page 3 repeats page 0
    assert [e["kind"] for e in errors] == ["endless_pagination"]


def test_request_budget_is_enforced(tmp_path: Path) -> None:
    from scrapy.exceptions import IgnoreRequest

    from crawler.middlewares import RebaseMiddleware

    sp = spider(tmp_path, 10)
    sp.max_requests = 3
    mw = RebaseMiddleware()
    mw.crawler = type("C", (), {"spider": sp})()  # type: ignore[assignment]
    url = "http://127.0.0.1:9/zfxxgkzl/"
    for _ in range(3):
        assert mw.process_request(Request(url)) is None
    for _ in range(2):
        with pytest.raises(IgnoreRequest):
            mw.process_request(Request(url))
    sp.session.close()
    kinds = [r["kind"] for r in iter_records(Home(tmp_path), "fuzhou") if r["type"] == "error"]
    assert kinds == ["too_many_requests"]


def test_challenge_and_block_detectors() -> None:
    ruishu = b'<html><head><meta charset="utf-8"><script>$_ts=window[\'$_ts\'];$_ts.nsd=1;</script></head></html>'
    assert challenge_kind(412, ruishu) == "js_challenge" and challenge_kind(202, ruishu) == "js_challenge"
    assert challenge_kind(521, b"<html><script>document.cookie='__jsl_clearance_s=1'</script></html>") == "cookie_challenge"
    page = b"<html><body>" + "信息公开".encode() * 3000 + b"<script>$_ts={}</script></body></html>"
    assert challenge_kind(200, page) is None and challenge_kind(202, page) is None  # real page with $_ts
    assert looks_blocked(403, "访问过于频繁".encode("gbk"), recent_forbidden_urls=0)
    assert looks_blocked(403, b"Forbidden", recent_forbidden_urls=2) and looks_blocked(429, b"", 0)
    assert not looks_blocked(403, b"Forbidden", recent_forbidden_urls=1)  # one forbidden URL is not a block


def test_lone_forbidden_url_does_not_pause_the_host() -> None:
    from scrapy.settings import Settings

    from crawler.antibot import Guard

    guard = Guard(Settings())
    base = "http://127.0.0.1:9/a/"
    assert guard.forbidden_urls(base + "1.pdf") == 0  # host never answered: not counted
    guard.note_answer(base, 200)
    assert guard.forbidden_urls(base + "1.pdf") == 1
    assert guard.forbidden_urls(base + "1.pdf") == 1  # the same URL again
    assert guard.forbidden_urls(base + "2.pdf") == 2
    wait, new = guard.block(base + "2.pdf")
    assert new and wait == guard.block_pause and guard.block(base + "3.pdf")[1] is False


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_attachment_checks() -> None:
    docx = zip_bytes({"word/document.xml": b"<w:document/>" * 100})
    assert body_problem(docx, "docx") is None
    assert body_problem(docx[: len(docx) // 2], "docx")[0] == "truncated"  # type: ignore[index]
    assert body_problem(zip_bytes({"word/document.xml": b"\0" * (25 * 2**20)}), "docx")[0] == "zip_bomb"  # type: ignore[index]
    assert body_problem(b"", "pdf")[0] == "empty"  # type: ignore[index]
    assert body_problem(b"<html><body>404</body></html>", "html", "application/pdf", "pdf")[0] == "wrong_type"  # type: ignore[index]
    assert body_problem(b"%PDF-1.4\n1 0 obj<<>>endobj\n", "pdf")[0] == "truncated"  # type: ignore[index]
    assert body_problem(b"%PDF-1.4\ntrailer<</Encrypt 5 0 R>>\n%%EOF\n", "pdf")[0] == "encrypted"  # type: ignore[index]


@pytest.mark.parametrize("header,expected", [
    ('attachment; filename="../../../etc/passwd.pdf"', "passwd.pdf"),
    ('attachment; filename="/etc/cron.d/job.pdf"', "job.pdf"),
    ("attachment; filename*=UTF-8''a%00b%0D%0AX-Evil%3A%201.pdf", "abX-Evil: 1.pdf"),
    ('attachment; filename="..\\\\..\\\\windows\\\\system.ini"', "system.ini"),
])
def test_hostile_disposition_names_become_plain_names(header: str, expected: str) -> None:
    assert disposition_filename(header) == expected


def test_long_and_mixed_encoding_names() -> None:
    long_name = disposition_filename("attachment; filename*=UTF-8''" + "%E5%B9%B4" * 500 + ".pdf")
    assert long_name and len(long_name) <= 200 and long_name.endswith(".pdf")
    raw = 'attachment; filename="'.encode() + "年度报告".encode("gbk") + "年报".encode() + b'.pdf"'
    name = disposition_filename(raw)
    assert name and name.endswith(".pdf") and "/" not in name
    assert raw_disposition_name(raw) is not None
    assert clean_filename("\x00\x01..") is None
