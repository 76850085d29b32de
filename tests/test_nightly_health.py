"""Health rules (archive.build.health) on hand-made crawl_runs/errors/captures/reports rows."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from archive.build import health
from archive.build.schema import ensure_schema

T0, T1 = "2026-11-20T02:00:00Z", "2026-11-21T02:00:00Z"


def run_row(site: str, night: int, **kw: Any) -> dict[str, Any]:
    stats = {"reports": kw.pop("reports", 40), "captures": kw.pop("captures", 50),
             "finish_reason": kw.pop("finish_reason", "finished")}
    row = {"run_id": f"n{night}-{site}", "site_id": site, "started_at": [T0, T1][night - 1],
           "finished_at": [T0, T1][night - 1].replace("02:00", "02:30"), "status": "ok",
           "requests": 100, "responses": 100, "not_modified": 0, "new_reports": 0, "changed_reports": 0,
           "removed_reports": 0, "new_attachments": 0, "errors": 0, "stats": json.dumps(stats)}
    row.update(kw)
    return row


def err(site: str, night: int, kind: str, url: str, stage: str = "fetch") -> dict[str, Any]:
    return {"error_id": f"{site}{night}{kind}{url}", "run_id": f"n{night}-{site}", "site_id": site,
            "url": url, "stage": stage, "kind": kind, "message": kind, "at": T1, "origin": "crawl"}


def cap(site: str, night: int, url: str, sha: str) -> dict[str, Any]:
    return {"capture_id": f"{url}{sha}", "run_id": f"n{night}-{site}", "site_id": site, "url": url,
            "fetched_at": [T0, T1][night - 1], "http_status": 200, "sha256": sha, "kind": "list"}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    d = sqlite_utils.Database(path)
    ensure_schema(d)
    sites = ["ok", "down", "empty", "noisy", "killed", "stopped", "decoy", "broken"]
    runs = [run_row(s, 1) for s in sites] + [
        run_row("ok", 2, not_modified=40, captures=10),
        run_row("down", 2, responses=0, captures=0, reports=0, status="failed"),
        run_row("empty", 2, reports=0, status="failed"),
        run_row("noisy", 2, requests=100),
        run_row("killed", 2, finished_at=None, status=None),
        run_row("stopped", 2, finish_reason="closespider_timeout", status="failed"),
        run_row("decoy", 2),
        run_row("broken", 2, status="degraded")]
    d["crawl_runs"].insert_all(runs, pk="run_id")
    errors = [err("down", 2, "dns", "http://down.example/"),
              *[err("noisy", 2, "http_500", f"http://noisy.example/{i}") for i in range(30)],
              err("noisy", 2, "offsite", "http://elsewhere.example/"),
              # a portal listing reports twice is a quirk, not a failing fetch (15 of 100 requests)
              *[err("ok", 2, "duplicate_listing", f"http://ok.example/list{i}") for i in range(15)],
              err("decoy", 1, "structure", "http://decoy.example/gkmlpt/index"),
              err("decoy", 2, "structure", "http://decoy.example/gkmlpt/index"),
              err("broken", 2, "structure", "http://broken.example/col/")]
    d["errors"].insert_all(errors, pk="error_id")
    d["captures"].insert_all([cap("decoy", 1, "http://decoy.example/gkmlpt/index", "a"),
                              cap("broken", 1, "http://broken.example/col/", "b"),
                              cap("broken", 2, "http://broken.example/col/", "c")], pk="capture_id")
    d["reports"].insert_all([{"report_id": f"e{i}", "site_id": "empty", "first_seen": T0} for i in range(7)],
                            pk="report_id")
    d.close()
    return path


def verdicts(rows: list[dict[str, Any]]) -> dict[str, tuple[list[str], str | None]]:
    return {r["site_id"]: (r["failed_rules"], r["reasons"]) for r in rows}


def test_rules(db: Path) -> None:
    got = verdicts(health.evaluate(db))  # latest run of each site = night 2
    assert got["ok"] == ([], None)
    assert got["down"][0] == ["unreachable"] and "dns" in got["down"][1]
    assert got["empty"][0] == ["no_reports"] and "7 archived before" in got["empty"][1]
    assert got["noisy"][0] == ["error_rate"] and "30 errors / 100 requests" in got["noisy"][1]
    assert got["killed"][0] == ["unfinished"]
    assert got["stopped"][0] == ["stopped"] and "closespider_timeout" in got["stopped"][1]
    # a page that never parsed is not "no longer parsing"; one that parsed on night 1 is
    assert got["decoy"] == ([], None)
    assert got["broken"][0] == ["structure"] and "http://broken.example/col/" in got["broken"][1]


def test_threshold_and_run_selection(db: Path) -> None:
    assert verdicts(health.evaluate(db, ["n2-noisy"], max_error_rate=0.5)) == {"noisy": ([], None)}
    night1 = verdicts(health.evaluate(db, [f"n1-{s}" for s in ("ok", "down", "broken")]))
    assert all(v == ([], None) for v in night1.values()) and len(night1) == 3
    assert health.evaluate(db, []) == []


def test_view_matches_evaluate(db: Path) -> None:
    import sqlite3
    con = sqlite3.connect(db)
    view = {r[0]: (r[1], r[2]) for r in con.execute("select site_id, health, reasons from crawl_health")}
    con.close()
    for row in health.evaluate(db):
        assert view[row["site_id"]] == (row["health"], row["reasons"])
    assert {s for s, v in view.items() if v[0] == "healthy"} == {"ok", "decoy"}
