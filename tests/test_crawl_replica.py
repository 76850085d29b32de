"""End to end: the five site spiders crawl the replica portals and archive everything listed.

One crawl of all five sites (in a child process, as `xxgk crawl` runs) feeds every test here;
assertions compare the capture records and raw files with what the replica says it served.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from crawler.sites import site_spiders
from tests.crawl_helpers import records_by_type, run_crawl, to_real

SITES = ["fuzhou", "changle", "jinjiang", "chaoyang", "haiyan"]
# field -> the labels a page shows it under
META_FIELDS = {"index_no": "索引号", "doc_no": "发文字号|文号", "written_date": "成文日期|生成日期",
               "published_date": "发布日期|发布时间|时间", "agency": "发文机关|发布机构"}


def labelled(page: str, field: str, value: str) -> bool:
    """Does the page show `value` under one of the field's labels?"""
    flat = re.sub(r"<[^>]+>|&nbsp;|[\s\u3000\xa0]+", "", page)
    return bool(re.search(f"(?:{META_FIELDS[field]})[:：]{{0,2}}" + re.escape(value), flat))


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from replica.server import ReplicaServer

    home = tmp_path_factory.mktemp("home")
    with ReplicaServer() as srv:
        proc = run_crawl(home, {s: srv.base_urls[s] for s in SITES})
        manifest = srv.manifest
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return {"home": home, "manifest": manifest, "stdout": proc.stdout}


def real_origin(site: str) -> str:
    entry = site_spiders()[site].entry_urls[0]
    return entry.split("/", 3)[0] + "//" + entry.split("/", 3)[2]


def site_view(crawl: dict[str, Any], site: str) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    return crawl["manifest"][site], records_by_type(crawl["home"], site)


def real(man: dict[str, Any], site: str, url: str) -> str:
    return to_real(url, man["base_url"], real_origin(site))


@pytest.mark.parametrize("site", SITES)
def test_annual_column_discovered(crawl: dict[str, Any], site: str) -> None:
    man, recs = site_view(crawl, site)
    found = {c["url"] for c in recs["column"]}
    annual = [c for c in man["columns"] if c.get("kind", "annual") in ("annual", "gkmlpt", "nfcms")]
    assert annual, "replica lists no annual column"
    for col in annual:
        url = real(man, site, col["url"])
        assert any(f.split("#")[0].rstrip("/") in (url.split("#")[0].rstrip("/"), url.rstrip("/").rsplit("/index", 1)[0])
                   or url.startswith(f.split("#")[0]) for f in found), (url, sorted(found))


def served_text(home: Path, recs: dict[str, list[dict[str, Any]]], report: dict[str, Any]) -> str:
    """The detail page as archived (the replica's world knows metadata some pages do not show)."""
    raw_path = next(c["raw_path"] for c in recs["capture"] if c["capture_id"] == report["capture_id"])
    cap = next(c for c in recs["capture"] if c["capture_id"] == report["capture_id"])
    return (home / raw_path).read_bytes().decode(cap["charset"] or "utf-8", "replace")


@pytest.mark.parametrize("site", SITES)
def test_every_listed_report_captured_with_metadata(crawl: dict[str, Any], site: str) -> None:
    man, recs = site_view(crawl, site)
    reports = {r["url"]: r for r in recs["report"]}
    checked = 0
    listed = [r for r in man["reports"] if r.get("in_column", True)]
    assert len(listed) >= 5
    for expected in listed:
        urls = [real(man, site, u) for u in [expected["url"], *expected.get("alt_urls", [])]]
        got = next((reports[u] for u in urls if u in reports), None)
        assert got is not None, f"{site}: not captured: {urls[0]} ({expected['title']})"
        assert got["title"] == expected["title"]
        page = served_text(crawl["home"], recs, got)
        for field in META_FIELDS:
            if expected.get(field) and labelled(page, field, expected[field]):
                assert got[field] == expected[field], (field, got[field], expected[field])
                checked += 1
    assert checked >= len(listed), "metadata of most reports should be checked"


@pytest.mark.parametrize("site", SITES)
def test_seed_report_captured(crawl: dict[str, Any], site: str) -> None:
    man, recs = site_view(crawl, site)
    seeds = [r for r in man["reports"] if r.get("seed")]
    assert seeds, f"{site} serves no seed report"
    titles = {r["title"] for r in recs["report"]}
    for seed in seeds:
        assert seed["title"] in titles


@pytest.mark.parametrize("site", SITES)
def test_attachments_on_disk_with_hash_and_type(crawl: dict[str, Any], site: str) -> None:
    man, recs = site_view(crawl, site)
    home: Path = crawl["home"]
    by_sha = {a["sha256"]: a for a in recs["attachment"]}
    expected = [a for r in man["reports"] if r.get("in_column", True) for a in r["attachments"]]
    assert expected, f"{site}: replica serves no attachments"
    for att in expected:
        got = by_sha.get(att["sha256"])
        assert got is not None, f"{site}: attachment missing: {att['url']} {att['filename']}"
        data = (home / got["raw_path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == att["sha256"]
        assert got["ext"] == att["ext"], (got["ext"], att)
        assert "/" not in got["filename"] and "\x00" not in got["filename"]


def test_js_written_attachments_found(crawl: dict[str, Any]) -> None:
    js_only = [(s, a) for s in SITES for r in crawl["manifest"][s]["reports"] for a in r["attachments"]
               if a.get("js_only")]
    assert js_only, "the replica should have a report whose attachments exist only in JavaScript"
    for site, att in js_only:
        shas = {a["sha256"] for a in records_by_type(crawl["home"], site)["attachment"]}
        assert att["sha256"] in shas


def test_gbk_portal_text_is_right(crawl: dict[str, Any]) -> None:
    man, recs = site_view(crawl, "jinjiang")
    assert all(r.get("charset", "gbk").lower() in ("gbk", "gb2312", "gb18030") for r in man["reports"])
    titles = {r["title"] for r in recs["report"]}
    assert any("晋江市应急管理局" in t for t in titles)
    details = [c for c in recs["capture"] if c["kind"] == "detail"]
    assert details and all(c["charset"] in ("gb18030", "gbk", "gb2312") for c in details)


def test_browser_used_only_for_the_js_list(crawl: dict[str, Any]) -> None:
    browser = [(s, c["url"]) for s in SITES for c in records_by_type(crawl["home"], s)["capture"]
               if c["fetched_with"] == "browser"]
    assert browser, "the JS-only list must be rendered in Chromium"
    assert all(s == "chaoyang" and "/zfxxgknb/" in u and "/content/" not in u for s, u in browser), browser
    man, recs = site_view(crawl, "chaoyang")
    js_listed = [r for r in man["reports"] if r.get("listed_by_js")]
    assert js_listed
    captured = {r["url"] for r in recs["report"]}
    for r in js_listed:
        assert real(man, "chaoyang", r["url"]) in captured


def test_same_report_at_two_urls_is_one_report(crawl: dict[str, Any]) -> None:
    man, recs = site_view(crawl, "fuzhou")
    doubled = [r for r in man["reports"] if r.get("alt_urls")]
    assert doubled
    ids_by_url = {r["url"]: r["report_id"] for r in recs["report"]}
    for r in doubled:
        ids = {ids_by_url.get(real(man, "fuzhou", u)) for u in [r["url"], *r["alt_urls"]]} - {None}
        assert len(ids) == 1, (r["title"], ids)


def test_captures_are_content_addressed_and_complete(crawl: dict[str, Any]) -> None:
    home: Path = crawl["home"]
    for site in SITES:
        for cap in records_by_type(home, site)["capture"]:
            path = home / cap["raw_path"]
            assert path.is_file()
            assert path.name.startswith(cap["sha256"])
            assert hashlib.sha256(path.read_bytes()).hexdigest() == cap["sha256"]


@pytest.mark.parametrize("site", SITES)
def test_run_recorded_ok(crawl: dict[str, Any], site: str) -> None:
    _, recs = site_view(crawl, site)
    assert len(recs["run_start"]) == 1 and len(recs["run_end"]) == 1
    end = recs["run_end"][0]
    assert end["status"] in ("ok", "degraded")
    assert end["stats"]["reports"] > 0


@pytest.mark.parametrize("site", SITES)
def test_clean_portal_gives_no_errors(crawl: dict[str, Any], site: str) -> None:
    """Nothing is wrong with the day-1 replica, so nothing may be recorded as wrong."""
    _, recs = site_view(crawl, site)
    assert recs["error"] == []
    assert recs["run_end"][0]["status"] == "ok"
