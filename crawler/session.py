"""Per-spider archive session: where a crawl writes, and what earlier runs already hold."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from archive.store import record_types as rt
from archive.store.home import Home
from archive.store.records import RecordWriter, iter_records, new_run_id
from archive.store.raw import RawStore


@dataclass
class PreviousCapture:
    url: str
    sha256: str
    raw_path: str
    etag: str | None
    last_modified: str | None
    content_type: str | None
    charset: str | None


@dataclass
class KnownReport:
    """The latest report record an earlier run wrote for a report page URL (canonical)."""

    at: str                       # when that run read the page (fetched or 304)
    attachment_urls: tuple[str, ...]


@dataclass
class SiteState:
    """What earlier runs recorded for one site, read from its records in one pass.

    `captures`: the latest 2xx version of every fetched URL (for conditional requests);
    `reports`: report pages already read, by canonical URL; `attached_urls`: attachment URLs
    with an attachment record; `attached`: capture ids with one; `listings`: the item digest
    each list page showed last time (see `PortalSpider.listing`). Fields as declared in
    `archive.store.record_types` (tests/test_records.py checks `load` reads no other).
    """

    captures: dict[str, PreviousCapture] = field(default_factory=dict)
    reports: dict[str, KnownReport] = field(default_factory=dict)
    attached_urls: set[str] = field(default_factory=set)
    attached: set[str] = field(default_factory=set)
    listings: dict[str, str] = field(default_factory=dict)
    # columns whose list was last rendered in Chromium (it showed no items without JavaScript)
    rendered_columns: set[str] = field(default_factory=set)
    # the 年度报告 columns of the latest finished run, and when a finished run last walked the portal
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_discovery: str | None = None
    last_requests: int | None = None  # requests of the latest finished run (the default budget)
    # the 信息公开 page the latest finished run found from the home page (its entry had moved)
    entry_found: str | None = None
    # document key (the doc id in a report URL) -> the report id first given to it: one report
    # listed under two URLs stays one report even without a 索引号 (crawler.discovery.doc_key)
    doc_reports: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, home: Home, site_id: str) -> "SiteState":
        state = cls()
        run_columns: dict[str, dict[str, dict[str, Any]]] = {}
        for rec in iter_records(home, site_id, types={"capture", "report", "attachment", "listing",
                                                      "column", "run_end"}):
            kind = rec["type"]
            if kind == "column":
                run_columns.setdefault(rec["run_id"], {})[rec["url"]] = rec
            elif kind == "run_end":
                stats = rec.get("stats") or {}
                if stats.get("finish_reason") != "finished":
                    continue  # killed, timed out: its columns may be a part
                state.last_requests = stats.get("requests") or state.last_requests
                if run_columns.get(rec["run_id"]):
                    state.columns = run_columns[rec["run_id"]]
                if stats.get("entry_found"):
                    state.entry_found = stats["entry_found"]
                if stats.get("discovery", "scheduled") != "skipped":  # older runs always discovered
                    state.last_discovery = rec.get("at")
            elif kind == "capture":
                state._capture(rec)
            elif kind == "report":
                if rec.get("url"):
                    atts = tuple(a["url"] for a in rec.get("attachments") or () if a.get("url"))
                    state.reports[rec["url"]] = KnownReport(rec.get("at") or "", atts)
                    if rec.get("doc_key") and rec.get("report_id"):
                        state.doc_reports.setdefault(rec["doc_key"], rec["report_id"])
            elif kind == "attachment":
                state.attached.add(rec.get("capture_id") or "")
                state.attached_urls.update(u for u in (rec.get("url"), rec.get("final_url")) if u)
            elif kind == "listing" and rec.get("page_key") and rec.get("items_digest"):
                state.listings[rec["page_key"]] = rec["items_digest"]
                if rec.get("rendered"):
                    state.rendered_columns.add(rec["column_url"])
                elif rec.get("page_url") == rec.get("column_url"):  # its first page read over plain HTTP
                    state.rendered_columns.discard(rec["column_url"])
        return state

    def _capture(self, rec: dict[str, Any]) -> None:
        if not (200 <= int(rec.get("http_status") or 0) < 300):
            return
        prev = PreviousCapture(rec["url"], rec["sha256"], rec["raw_path"], rec.get("etag"),
                               rec.get("last_modified"), rec.get("content_type"), rec.get("charset"))
        self.captures[rec["url"]] = prev
        if rec.get("request_url"):
            self.captures.setdefault(rec["request_url"], prev)

    def get(self, url: str) -> PreviousCapture | None:
        return self.captures.get(url)

    def complete_report(self, url: str) -> KnownReport | None:
        """The report read earlier at `url` if every attachment it listed was archived too
        (a run killed between the page and its files must fetch the page again)."""
        known = self.reports.get(url)
        if known is None or any(a not in self.attached_urls for a in known.attachment_urls):
            return None
        return known


class ArchiveSession:
    """Opened when a spider starts; middlewares and pipelines write through it."""

    def __init__(self, site_id: str, home: Home | None = None, run_id: str | None = None,
                 worker: str | None = None, incremental: bool = True):
        self.home = (home or Home.from_env()).ensure()
        self.site_id = site_id
        self.run_id = run_id or new_run_id()
        self.store = RawStore(self.home)
        self.writer = RecordWriter(self.home, site_id, self.run_id, worker=worker)
        self.state = SiteState.load(self.home, site_id) if incremental else SiteState()
        self.stats: Counter[str] = Counter()

    def record(self, type_: str, **fields: Any) -> dict[str, Any]:
        self.stats[f"records_{type_}"] += 1
        return self.writer.write(type_, **fields)

    def error(self, url: str | None, stage: str, kind: str, message: str) -> None:
        self.stats["errors"] += 1
        self.record("error", **rt.Error(url=url, stage=stage, kind=kind, message=str(message)[:2000]))

    def close(self) -> None:
        self.writer.close()
