"""Which runs may declare a report removed (archive/build/history.py)."""
from __future__ import annotations

from typing import Any

from archive.build.history import fold

COL = "https://www.haiyan.gov.cn/col/col1229449092/index.html"
A = "https://www.haiyan.gov.cn/art/2020/1/8/art_1229449092_1.html"
B = "https://www.haiyan.gov.cn/art/2020/1/9/art_1229449092_2.html"


def night(run: str, day: int, listed: list[str], status: str, errors: list[dict[str, str]]) -> list[dict[str, Any]]:
    at = f"2026-02-0{day}T02:00:00Z"
    base = {"run_id": run, "site_id": "haiyan", "at": at}
    recs = [{**base, "type": "run_start", "spider": "haiyan", "platform": "jcms"},
            {**base, "type": "listing", "column_url": COL, "page_url": COL, "report_urls": listed}]
    for i, url in enumerate(listed):
        sha = f"{i}{day}".ljust(64, "0")
        recs.append({**base, "type": "capture", "capture_id": f"c{run}{i}", "url": url, "request_url": url,
                     "http_status": 200, "sha256": sha, "raw_path": f"raw/haiyan/00/{sha}.html", "kind": "detail"})
        recs.append({**base, "type": "report", "report_id": f"r{i}", "url": url, "canonical_url": url,
                     "capture_id": f"c{run}{i}", "sha256": sha, "column_url": COL, "title": f"报告{i}",
                     "attachments": [{"url": url + ".pdf"}]})
    recs += [{**base, "type": "error", "stage": "fetch", **e} for e in errors]
    recs.append({**base, "type": "run_end", "status": status, "stats": {}})
    return recs


def removed_at(errors_night2: list[dict[str, str]], status: str) -> str | None:
    recs = night("n1", 1, [A, B], "ok", []) + night("n2", 2, [A], status, errors_night2)
    return fold(recs).reports["r1"]["removed_at"]


def test_clean_run_without_the_report_removes_it() -> None:
    assert removed_at([], "ok") is not None


def test_run_degraded_only_by_report_page_faults_still_removes() -> None:
    errors = [{"url": A + ".pdf", "kind": "truncated", "message": "attachment truncated"},
              {"url": A, "kind": "duplicate_listing", "message": "listed twice"}]
    assert removed_at(errors, "degraded") is not None


def test_list_page_fault_never_declares_removal() -> None:
    errors = [{"url": "https://www.haiyan.gov.cn/module/jpage/dataproxy.jsp?startrecord=16", "kind": "http_500",
               "message": "HTTP 500"}]
    assert removed_at(errors, "degraded") is None


def test_failed_run_never_declares_removal() -> None:
    assert removed_at([], "failed") is None


def test_report_seen_through_304_keeps_its_capture() -> None:
    recs = night("n1", 1, [A], "ok", [])
    n2 = night("n2", 2, [A], "ok", [])
    for rec in n2:  # night 2: validators said unchanged, no new capture
        if rec["type"] == "report":
            rec["capture_id"], rec["unchanged"] = None, True
    n2 = [r for r in n2 if r["type"] != "capture"]
    row = fold(recs + n2).reports["r0"]
    assert row["capture_id"] == "cn10"
    assert row["last_seen"] and row["last_seen"].startswith("2026-02-02")
