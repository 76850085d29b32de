"""Removals are decided per column (issue #13 §2, archive/build/history.py `_complete_columns`).

A run that finished and names the columns it could not read completely proves absences in
every other column it listed — a retried 503 or an error elsewhere on the site does not block
that; an incomplete read of the report's own column does. A listing under a spelling variant
of the report's URL is the report.
"""
from __future__ import annotations

from typing import Any

from archive.build.history import fold

ORIGIN = "https://www.example.gov.cn"
COL_A = ORIGIN + "/zfxxgk/ndbg/2023n/"
COL_B = ORIGIN + "/zfxxgk/ndbg/2024n/"
R1 = COL_A + "202401/t20240110_1.htm"
R2 = COL_A + "202401/t20240111_2.htm"
R3 = COL_B + "202501/t20250110_3.htm"


def night(run: str, day: int, listed: dict[str, list[str]], status: str, errors: list[dict[str, str]],
          incomplete: list[str] | None, finish: str = "finished") -> list[dict[str, Any]]:
    at = f"2026-02-0{day}T02:00:00Z"
    base = {"run_id": run, "site_id": "example", "at": at}
    recs: list[dict[str, Any]] = [{**base, "type": "run_start", "spider": "trs", "platform": "trs"}]
    for col, urls in listed.items():
        recs.append({**base, "type": "listing", "column_url": col, "page_url": col, "report_urls": urls})
        for url in urls:
            rid = "r" + url.rsplit("_", 1)[1].split(".")[0]
            sha = f"{rid}{day}".ljust(64, "0")
            recs.append({**base, "type": "capture", "capture_id": f"c{run}{rid}", "url": url, "request_url": url,
                         "http_status": 200, "sha256": sha, "raw_path": f"raw/example/00/{sha}.html", "kind": "detail"})
            recs.append({**base, "type": "report", "report_id": rid, "url": url, "canonical_url": url,
                         "capture_id": f"c{run}{rid}", "sha256": sha, "column_url": col, "title": f"报告{rid}",
                         "attachments": []})
    recs += [{**base, "type": "error", "stage": "fetch", **e} for e in errors]
    stats: dict[str, Any] = {"finish_reason": finish}
    if incomplete is not None:
        stats["incomplete_columns"] = incomplete
    recs.append({**base, "type": "run_end", "status": status, "stats": stats})
    return recs


def first_night() -> list[dict[str, Any]]:
    return night("n1", 1, {COL_A: [R1, R2], COL_B: [R3]}, "ok", [], [])


def removed(recs: list[dict[str, Any]], rid: str) -> str | None:
    return fold(recs).reports[rid]["removed_at"]


def test_error_elsewhere_on_the_site_does_not_block_a_removal() -> None:
    # night 2: a list page of column B failed (503 after retries); column A was read completely
    errors = [{"url": COL_B + "index_1.htm", "kind": "http_503", "message": "HTTP 503"}]
    recs = first_night() + night("n2", 2, {COL_A: [R1], COL_B: [R3]}, "degraded", errors, [COL_B])
    assert removed(recs, "r2") is not None
    assert removed(recs, "r3") is None


def test_incomplete_read_of_the_reports_column_blocks_it() -> None:
    errors = [{"url": COL_A + "index_1.htm", "kind": "http_503", "message": "HTTP 503"}]
    recs = first_night() + night("n2", 2, {COL_A: [R1], COL_B: [R3]}, "degraded", errors, [COL_A])
    assert removed(recs, "r2") is None


def test_a_run_that_did_not_finish_proves_nothing() -> None:
    recs = first_night() + night("n2", 2, {COL_A: [R1], COL_B: [R3]}, "failed", [], [], finish="shutdown")
    assert removed(recs, "r2") is None


def test_a_listing_under_a_spelling_variant_is_the_report() -> None:
    variant = R2.replace("/zfxxgk/ndbg/", "/zfxxgk//ndbg/").replace("https://www.example.gov.cn",
                                                                      "HTTPS://WWW.example.gov.cn:443")
    n2 = night("n2", 2, {COL_A: [R1], COL_B: [R3]}, "ok", [], [])
    for rec in n2:
        if rec["type"] == "listing" and rec["column_url"] == COL_A:
            rec["report_urls"] = [R1, variant]
    assert removed(first_night() + n2, "r2") is None


def test_old_runs_without_the_field_keep_the_whole_run_rule() -> None:
    errors = [{"url": COL_B + "index_1.htm", "kind": "http_503", "message": "HTTP 503"}]
    recs = first_night() + night("n2", 2, {COL_A: [R1], COL_B: [R3]}, "degraded", errors, None)
    assert removed(recs, "r2") is None
