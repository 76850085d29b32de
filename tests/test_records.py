"""The record log: every line written and flushed at once, the periodic fsync off the
writing thread, the last one on close."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from archive.store import records
from archive.store.home import Home
from archive.store.records import RecordWriter, iter_records


def test_periodic_fsync_runs_in_the_background_and_close_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced_by: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced_by.append(threading.current_thread().name)
        real_fsync(fd)

    monkeypatch.setattr(records.os, "fsync", spy)
    home = Home(tmp_path).ensure()
    writer = RecordWriter(home, "fuzhou", "20260201T000000000000Z-h-1", fsync_every=10)
    for i in range(35):
        writer.write("error", url=f"https://example.gov.cn/{i}", stage="fetch", kind="http_500", message="x")
        # each line is in the file (flushed to the OS) as soon as write() returns
        assert writer.path.read_text(encoding="utf-8").count("\n") == i + 1
    writer.close()
    assert synced_by and synced_by[-1] == threading.current_thread().name  # the last fsync: on close
    background = synced_by[:-1]
    assert 1 <= len(background) <= 3 and all(n.startswith("xxgk-records-sync") for n in background)
    lines = [json.loads(x) for x in writer.path.read_text(encoding="utf-8").splitlines()]
    assert [r["url"][-2:].lstrip("/") for r in lines] == [str(i) for i in range(35)]
    assert len(list(iter_records(home, "fuzhou"))) == 35


def test_a_failed_background_fsync_is_raised_not_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    home = Home(tmp_path).ensure()
    writer = RecordWriter(home, "fuzhou", "20260201T000000000000Z-h-2", fsync_every=2)
    monkeypatch.setattr(records.os, "fsync", broken)
    writer.write("error", url="u1", stage="fetch", kind="k", message="m")
    writer.write("error", url="u2", stage="fetch", kind="k", message="m")  # starts the failing fsync
    with pytest.raises(OSError, match="Input/output error"):
        writer.close()
    assert writer._fh.closed  # closed all the same
    assert writer.path.read_text(encoding="utf-8").count("\n") == 2  # the lines themselves are kept


# -- the record contract (archive/store/record_types.py) ---------------------------------------

BASE = "https://www.fuzhou.gov.cn/zgfzzt/sajj/zfxxgkzl/ndbg/"
REPORT_URL = BASE + "202401/t20240120_4024.htm"
REPORT_PAGE = ("<html><head><title>福州市应急管理局2023年政府信息公开工作年度报告</title></head><body>"
               "<h1>福州市应急管理局2023年政府信息公开工作年度报告</h1>"
               "<p>索引号：FZ00100-0300-2024-00001</p>"
               "<a href='P020240120.pdf'>年度报告.pdf</a></body></html>")


class _Pipeline:
    """What crawler.pipelines.RecordPipeline does with the spider's items."""

    def __init__(self, spider: Any) -> None:
        from crawler.pipelines import RecordPipeline

        self.pipeline = RecordPipeline(type("C", (), {"spider": spider})())  # type: ignore[arg-type]

    def __call__(self, outputs: Any) -> list[Any]:
        outputs = list(outputs)
        for out in outputs:
            self.pipeline.process_item(out)
        return outputs


def crawl_nothing(home: Home, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every kind of record, written by the crawler's own code paths (spider, capture middleware,
    session), without a crawl: the bodies go straight to the raw store."""
    import asyncio

    from scrapy import Request
    from scrapy.http import HtmlResponse, Response

    from crawler import capture as capture_mod
    from crawler.capture import CaptureMiddleware
    from crawler.platforms.base import ListItem
    from crawler.platforms.trs import TrsSpider
    from crawler.session import ArchiveSession

    class Direct:  # the store helper's answer, without the helper process
        async def put(self, store, site_id, body, ext, page=None):  # type: ignore[no-untyped-def]
            return store.put(site_id, body, ext), page.parser(page.text, page.url) if page else None

    monkeypatch.setattr(capture_mod, "STORE_WRITER", Direct())
    sp = TrsSpider(site_id="fuzhou", start_url="https://www.fuzhou.gov.cn/zfxxgkzl/")
    sp.session = session = ArchiveSession("fuzhou", home=home)
    sp.crawler = type("Crawler", (), {"stats": None, "spider": sp})()  # type: ignore[assignment]
    emit = _Pipeline(sp)
    middleware = CaptureMiddleware()
    middleware.crawler = sp.crawler  # type: ignore[assignment]

    def fetched(url: str, body: bytes, kind: str, cls: type = HtmlResponse, **meta: Any) -> Response:
        request = Request(url, meta={"kind": kind, **meta})
        kwargs = {"encoding": "utf-8"} if cls is HtmlResponse else {}
        res = cls(url, body=body, request=request, headers={"Content-Type": "text/html; charset=utf-8"
                                                              if cls is HtmlResponse else "application/pdf"},
                  **kwargs)
        return asyncio.run(middleware.process_response(request, res))

    sp._opened(sp)                                                               # run_start
    emit(sp.open_column(BASE, "年度报告", "福州市应急管理局", found_on=BASE))        # column
    listed = fetched(BASE + "index.htm", b"<html></html>", "list")             # capture
    emit(sp.listing(listed, BASE, [ListItem(REPORT_URL, "福州市应急管理局2023年政府信息公开工作年度报告")])[0])
    wire = {"protocol": "HTTP/1.1", "reason": "OK", "headers": [["Content-Type", "text/html"]],
            "method": "GET", "request_headers": [["Accept", "*/*"]], "request_body": "a=1"}
    page = fetched(REPORT_URL, REPORT_PAGE.encode(), "detail", column_url=BASE, xxgk_wire=wire)
    out = emit(sp.parse_detail(page))                                            # report
    (att_request,) = [o for o in out if isinstance(o, Request)]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    att = fetched(att_request.url, pdf, "attachment", Response,
                  **{k: v for k, v in att_request.meta.items() if k != "kind"})
    emit(sp.parse_attachment(att))                                               # attachment
    prev = session.state.get(att.url) or _previous(att)
    sp.attached.clear()
    emit(sp._recovered_attachment("r1", att.url, "年度报告.pdf", prev))          # attachment, recovered
    emit(sp._file_report(fetched(BASE + "2024.pdf", pdf, "detail", Response, column_url=BASE)))
    fetched(REPORT_URL, REPORT_PAGE.encode(), "detail", xxgk_not_modified="ab" * 32)  # not_modified
    session.error(BASE, "fetch", "http_500", "HTTP 500 for list page")          # error
    sp._closed(sp, "finished")                                                   # run_end (closes the session)
    return list(iter_records(home, "fuzhou"))


def _previous(response: Any) -> Any:
    from crawler.session import PreviousCapture

    cap = response.meta["capture"]
    return PreviousCapture(cap["url"], cap["sha256"], cap["raw_path"], None, None, cap["content_type"], None)


def test_every_record_the_crawler_writes_matches_its_definition(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.store import record_types as rt

    recs = crawl_nothing(Home(tmp_path).ensure(), monkeypatch)
    assert {r["type"] for r in recs} == rt.RECORD_TYPES
    for rec in recs:
        assert rt.problems(rec) == [], rec
    for rec in recs:
        if rec["type"] == "report":
            for link in rec["attachments"]:
                assert set(link) <= set(rt.AttachmentLink.__annotations__), link
        if rec["type"] == "run_end":
            assert set(rec["stats"]) <= set(rt.RunStats.__annotations__), rec["stats"]
    captured = [r for r in recs if r["type"] == "capture" and r["kind"] == "detail"]
    assert any("response_headers" in r for r in captured)  # the optional wire fields are declared too


def test_a_field_its_kind_does_not_declare_is_refused(tmp_path: Path) -> None:
    with RecordWriter(Home(tmp_path).ensure(), "fuzhou", "20260201T000000000000Z-h-3") as writer:
        writer.write("error", url="u", stage="fetch", kind="k", message="m")
        with pytest.raises(ValueError, match="canonical"):
            writer.write("report", report_id="r", url="u", canonical="u")  # renamed on the writing side only
        with pytest.raises(ValueError, match="unknown record type"):
            writer.write("figures", n=1)


class _Tracked(dict):  # type: ignore[type-arg]
    """A record that notes every key a reader asks for."""

    def __init__(self, rec: dict[str, Any], asked: set[str], prefix: str = "") -> None:
        super().__init__(rec)
        self.asked, self.prefix = asked, prefix

    def __getitem__(self, key: str) -> Any:
        self.asked.add(self.prefix + key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(self.prefix + key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.asked.add(self.prefix + str(key))
        return super().__contains__(key)


def tracked(recs: list[dict[str, Any]], asked: dict[str, set[str]]) -> list[dict[str, Any]]:
    out = []
    for rec in recs:
        seen = asked.setdefault(rec["type"], set())
        rec = dict(rec)
        if rec["type"] == "report":
            rec["attachments"] = [_Tracked(a, seen, "attachments.") for a in rec["attachments"]]
        if rec["type"] == "run_end":
            rec["stats"] = _Tracked(rec["stats"], seen, "stats.")
        out.append(_Tracked(rec, seen))
    return out


def undeclared(asked: dict[str, set[str]]) -> dict[str, set[str]]:
    from archive.store import record_types as rt

    nested = {"attachments.": set(rt.AttachmentLink.__annotations__), "stats.": set(rt.RunStats.__annotations__)}
    out: dict[str, set[str]] = {}
    for kind, keys in asked.items():
        for key in keys:
            prefix = next((p for p in nested if key.startswith(p)), "")
            ok = key[len(prefix):] in nested[prefix] if prefix else (key in rt.FIELDS[kind] or key in rt.COMMON_FIELDS)
            if not ok:
                out.setdefault(kind, set()).add(key)
    return out


def test_the_readers_ask_only_for_declared_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.build.history import fold
    from archive.export import warc, wacz
    from crawler import session as session_mod

    home = Home(tmp_path).ensure()
    recs = crawl_nothing(home, monkeypatch)
    asked: dict[str, set[str]] = {}
    folded = fold(tracked(recs, asked))
    assert folded.reports and folded.attachments and folded.runs
    monkeypatch.setattr(session_mod, "iter_records", lambda home, site, types: iter(
        tracked([r for r in recs if r["type"] in types], asked)))
    state = session_mod.SiteState.load(home, "fuzhou")
    assert state.reports and state.listings and state.columns
    captures = [r for r in tracked(recs, asked) if r["type"] == "capture"]
    stats = warc.write_warc(home, tmp_path / "warc", captures)
    assert stats.responses
    monkeypatch.setattr(wacz, "iter_records", lambda *a, **k: iter(tracked([r for r in recs if r["type"] == "report"],
                                                                         asked)))
    assert wacz.report_pages(home, captures)
    assert undeclared(asked) == {}
