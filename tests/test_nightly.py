"""`xxgk nightly` over five nights of the replica portals.

Night 1 archives fuzhou, changle and haiyan; the replica then switches to day 2 (a changed
fuzhou report, a removed haiyan report, changle's 财政局 column in new markup, new 2025
reports everywhere), day 3 (the haiyan report is back) and day 4 (a haiyan report edited in
place, no list page changed); night 5 crawls day 4 again with revalidation of every known
page (XXGK_REVALIDATE_DAYS=0). Each night's summary, records and archive.db are kept and
checked: history, incremental downloads, health and exit codes.
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from archive.store.home import Home
from archive.serve.originals import lookup
from archive.store.records import iter_records
from tests.nightly_helpers import by_site, fast_build, nightly, q

SITES = ["changle", "fuzhou", "haiyan"]
CHANGED = ("fuzhou", "福州市应急管理局", 2021)
REMOVED = ("haiyan", "嘉兴市生态环境局海盐分局", 2019)
BROKEN = ("changle", "福州市长乐区财政局")
QUIET_CHANGED = ("haiyan", "海盐县教育局", 2016)
# night -> (replica day, extra nightly arguments)
NIGHTS = {1: (1, ()), 2: (2, ()), 3: (3, ()), 4: (4, ()), 5: (4, ("-s", "XXGK_REVALIDATE_DAYS=0"))}


def _find(manifest: dict[str, Any], site: str, agency: str, year: int) -> dict[str, Any]:
    return next(r for r in manifest[site]["reports"] if r["agency"] == agency and r["year"] == year)


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from replica.server import ReplicaServer

    home = tmp_path_factory.mktemp("nightly-home")
    snap = tmp_path_factory.mktemp("nightly-dbs")
    out: dict[str, Any] = {"home": home, "summary": {}, "rc": {}, "db": {}, "manifest": {}}
    with pytest.MonkeyPatch.context() as mp, ReplicaServer(day=1) as srv:
        fast_build(mp)
        for night, (day, extra) in NIGHTS.items():
            srv.set_day(day)
            out["manifest"][night] = copy.deepcopy(srv.manifest)
            rc, summary = nightly(home, srv.base_urls, SITES, *extra)
            out["rc"][night], out["summary"][night] = rc, summary
            out["db"][night] = snap / f"night{night}.db"
            shutil.copyfile(home / "archive.db", out["db"][night])
    return out


def _run_records(home: Path, site: str, run_id: str, type_: str) -> list[dict[str, Any]]:
    return [r for r in iter_records(Home(home), site, types={type_}) if r["run_id"] == run_id]


def _report(db: Path, title: str) -> dict[str, Any]:
    rows = q(db, "select * from reports where title = ?", [title])
    assert len(rows) == 1, (title, len(rows))
    return rows[0]


# ------------------------------------------------------------------------- health and exit codes
def test_night1_healthy_exit_zero(nights: dict[str, Any]) -> None:
    summary = nights["summary"][1]
    assert nights["rc"][1] == 0 and summary["exit_status"] == 0, summary["unhealthy"]
    for site, row in by_site(summary).items():
        listed = [r for r in nights["manifest"][1][site]["reports"] if r.get("in_column", True)]
        assert row["health"] == "healthy" and row["reasons"] is None
        assert row["new_reports"] >= len(listed) and row["not_modified"] == 0
        assert row["requests"] > row["new_reports"] and row["new_attachments"] > 0


def test_changed_markup_makes_changle_unhealthy(nights: dict[str, Any]) -> None:
    for day in (2, 3):  # day 3 still serves the new markup: still unhealthy
        summary = nights["summary"][day]
        assert nights["rc"][day] == 1 and summary["unhealthy"] == ["changle"], summary["unhealthy"]
        row = by_site(summary)["changle"]
        column = next(c for c in nights["manifest"][day]["changle"]["columns"] if c["agency"] == BROKEN[1])
        assert column["list_broken"]
        assert row["failed_rules"] == ["structure"]
        assert "no longer parse" in row["reasons"] and column["url"] in row["reasons"]
        # the same verdict in archive.db, for Datasette: the latest run per site
        view = {r["site_id"]: r for r in q(nights["db"][day], "select * from crawl_health")}
        assert view["changle"]["health"] == "unhealthy" and view["changle"]["reasons"] == row["reasons"]
        assert view["changle"]["run_id"] == row["run_id"]
        assert {s for s, r in view.items() if r["health"] == "healthy"} == {"fuzhou", "haiyan"}


def test_summary_in_logs_and_crawl_runs(nights: dict[str, Any]) -> None:
    home: Path = nights["home"]
    summary = nights["summary"][2]
    log = (home / "runs" / f"{summary['run_id']}.log").read_text(encoding="utf-8")
    assert "changle" in log and "no longer parse" in log and "Spider closed" in log
    for row in summary["sites"]:
        site_log = (home / "runs" / f"{row['run_id']}.log").read_text(encoding="utf-8")
        assert f"[nightly] health: {row['health']}" in site_log
        run = q(nights["db"][2], "select * from crawl_runs where run_id = ?", [row["run_id"]])[0]
        for col in ("new_reports", "changed_reports", "removed_reports", "new_attachments",
                    "requests", "not_modified", "errors"):
            assert run[col] == row[col], (row["site_id"], col)


# ------------------------------------------------------------------------------------ history
def test_changed_report_keeps_both_versions(nights: dict[str, Any]) -> None:
    site, agency, year = CHANGED
    before, after = _find(nights["manifest"][1], *CHANGED), _find(nights["manifest"][2], *CHANGED)
    assert after.get("revision") == 2
    db, night2 = nights["db"][2], by_site(nights["summary"][2])[site]
    report = _report(db, after["title"])
    caps = q(db, "select sha256, raw_path, fetched_at, run_id from captures where url = ? order by fetched_at",
             [before["url"]])
    assert len({c["sha256"] for c in caps}) == 2, caps
    assert caps[-1]["run_id"] == night2["run_id"]
    for cap in caps:  # the old version stays archived, byte for byte
        assert (nights["home"] / cap["raw_path"]).is_file()
        assert lookup(db, Home(nights["home"]), cap["sha256"]) is not None
    assert report["first_seen"] < report["last_changed"] and report["removed_at"] is None
    assert night2["started_at"] <= report["last_changed"] <= night2["finished_at"]
    events = [e["event"] for e in q(db, "select event from report_history where report_id = ? order by at",
                                     [report["report_id"]])]
    assert events[0] == "first_seen" and "changed" in events
    assert night2["changed_reports"] >= 1


def test_removed_report_stays_browsable_then_returns(nights: dict[str, Any]) -> None:
    site = REMOVED[0]
    gone = _find(nights["manifest"][1], *REMOVED)
    assert gone["url"] not in {r["url"] for r in nights["manifest"][2][site]["reports"]}
    night2 = by_site(nights["summary"][2])[site]
    assert night2["removed_reports"] == 1 and night2["changed_reports"] == 0
    report = _report(nights["db"][2], gone["title"])
    assert report["removed_at"] is not None and report["removed_at"] > report["first_seen"]
    original = lookup(nights["db"][2], Home(nights["home"]), report["sha256"])
    assert original is not None, "the archived copy of a removed report must stay browsable"
    assert gone["title"] in original.path.read_text(encoding="utf-8")
    back = _report(nights["db"][3], gone["title"])
    assert back["removed_at"] is None and back["last_seen"] > report["removed_at"]
    events = [e["event"] for e in q(nights["db"][3], "select event from report_history where report_id = ? "
                                    "order by at", [back["report_id"]])]
    assert events == ["first_seen", "removed", "returned"]
    assert by_site(nights["summary"][3])[site]["new_reports"] == 0


# ---------------------------------------------------------------------------------- incremental
def _urls(r: dict[str, Any]) -> set[str]:
    return {r["url"], *r.get("alt_urls", [])}


@pytest.mark.parametrize("site", ["fuzhou", "haiyan"])
def test_night2_downloads_only_what_is_new_or_changed(nights: dict[str, Any], site: str) -> None:
    old = {r["url"]: r for r in nights["manifest"][1][site]["reports"]}
    new = nights["manifest"][2][site]["reports"]
    expected = set().union(*[_urls(r) for r in new if r["url"] not in old
                             or r.get("revision", 1) != old[r["url"]].get("revision", 1)])
    run_id = by_site(nights["summary"][2])[site]["run_id"]
    caps = _run_records(nights["home"], site, run_id, "capture")
    details = {c["url"] for c in caps if c["kind"] == "detail"}
    assert details == expected
    new_atts = {a["sha256"] for r in new if r["url"] not in old for a in r["attachments"]}
    assert {c["sha256"] for c in caps if c["kind"] == "attachment"} == new_atts


@pytest.mark.parametrize("site", ["fuzhou", "changle"])
def test_unchanged_night_downloads_no_detail_or_attachment(nights: dict[str, Any], site: str) -> None:
    row = by_site(nights["summary"][3])[site]
    caps = _run_records(nights["home"], site, row["run_id"], "capture")
    assert [c["url"] for c in caps if c["kind"] in ("detail", "attachment")] == []
    assert {c["kind"] for c in caps} <= {"entry", "list", "api", "other"}
    end = _run_records(nights["home"], site, row["run_id"], "run_end")[0]["stats"]
    # the portal is not walked again: the known columns are reopened, unless one of them fails
    # (changle's redesigned column lists nothing: the portal is walked, its columns found again)
    entry_pages = [c for c in caps if c["kind"] == "entry"]
    if site == "fuzhou":
        assert end["discovery"] == "skipped" and entry_pages == []
    else:
        assert end["discovery"] == "fallback" and entry_pages
    columns = {c["url"] for c in _run_records(nights["home"], site, row["run_id"], "column")}
    night1 = by_site(nights["summary"][1])[site]["run_id"]
    assert columns == {c["url"] for c in _run_records(nights["home"], site, night1, "column")}
    # list pages unchanged: known report pages are not even asked (no 304 either) ...
    assert end["reports_skipped"] > 0 and end["attachments"] == 0
    assert row["not_modified"] == end["not_modified"] < end["reports_skipped"]
    assert row["new_reports"] == row["new_attachments"] == row["removed_reports"] == 0
    # ... yet every report its lists show counts as seen this night, and none is taken for removed
    listed = {u for rec in _run_records(nights["home"], site, row["run_id"], "listing") for u in rec["report_urls"]}
    seen = q(nights["db"][3], "select url, last_seen, removed_at from reports where site_id = ? and url in "
             f"({', '.join('?' * len(listed))})", [site, *listed])
    before = q(nights["db"][2], "select url from reports where site_id = ? and removed_at is null", [site])
    assert {r["url"] for r in seen} == {r["url"] for r in before} & listed
    assert all(r["last_seen"] >= row["started_at"] and r["removed_at"] is None for r in seen)
    after = q(nights["db"][3], "select url from reports where site_id = ? and removed_at is null", [site])
    assert {r["url"] for r in after} == {r["url"] for r in before}  # unlisted ones (broken column) kept too


def test_quiet_edit_found_when_known_pages_are_revalidated(nights: dict[str, Any]) -> None:
    """A report edited in place, no list page changed: not seen by the default night (its page
    is not due for revalidation yet), found by the night that revalidates every known page."""
    site = QUIET_CHANGED[0]
    before, after = _find(nights["manifest"][3], *QUIET_CHANGED), _find(nights["manifest"][4], *QUIET_CHANGED)
    assert before["url"] == after["url"] and after.get("revision") == 2
    night4, night5 = by_site(nights["summary"][4])[site], by_site(nights["summary"][5])[site]
    caps4 = _run_records(nights["home"], site, night4["run_id"], "capture")
    assert [c["url"] for c in caps4 if c["kind"] in ("detail", "attachment")] == []
    assert night4["changed_reports"] == 0 and night4["not_modified"] == 0
    caps5 = _run_records(nights["home"], site, night5["run_id"], "capture")
    assert {c["url"] for c in caps5 if c["kind"] == "detail"} == _urls(after)
    assert night5["changed_reports"] == 1 and night5["new_reports"] == 0
    end5 = _run_records(nights["home"], site, night5["run_id"], "run_end")[0]["stats"]
    assert end5["reports_skipped"] == 0 and night5["not_modified"] > 20  # the others: asked, 304
    report = _report(nights["db"][5], after["title"])
    assert report["last_changed"] >= night5["started_at"] and report["versions"] == 2
    unseen = _report(nights["db"][4], after["title"])
    assert unseen["versions"] == 1 and unseen["last_changed"] == _report(nights["db"][3], after["title"])["last_changed"]
