"""The coverage census in a real browser: per-province counts, one province's missing counties."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive.build.builder import build
from archive.store.home import Home
from archive.serve.app import serve_app
from fixtures.archive.factory import make_scenario

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def page_at(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    home = Home.from_env(tmp_path_factory.mktemp("coverage"))
    make_scenario(home)
    build(home, progress=False)
    srv = serve_app(home)
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(15000)
        yield srv.url.rstrip("/"), page
        browser.close()
    srv.stop()


def cells(page, column: str) -> list[str]:
    return [c.strip() for c in page.locator(f"table.rows-and-columns td.col-{column}").all_inner_texts()]


def test_coverage_per_province_page(page_at):
    base, page = page_at
    page.goto(f"{base}/archive/coverage_by_province?_size=100")
    page.screenshot(path=str(ARTIFACTS / "coverage_by_province.png"), full_page=True)
    assert "覆盖情况（按省）" in page.inner_text("body")
    provinces = cells(page, "province")
    assert len(provinces) == 31 and "福建省" in provinces and "西藏自治区" in provinces
    fujian = provinces.index("福建省")
    counties = int(cells(page, "counties")[fujian])
    missing = int(cells(page, "counties_no_portal")[fujian])
    assert counties > missing > 0
    assert int(cells(page, "reports")[fujian]) > 0
    # the description links to the list of what is missing
    page.click("text=缺少门户的地区 Missing divisions")
    page.wait_for_load_state("load")
    assert "/archive/missing_divisions" in page.url


def test_missing_counties_of_one_province(page_at):
    base, page = page_at
    page.goto(f"{base}/archive/missing_divisions?province=福建省&_size=max")
    page.screenshot(path=str(ARTIFACTS / "coverage_missing_fujian.png"), full_page=True)
    names = cells(page, "name")
    assert "闽侯县" in names and "长乐区" not in names and "仓山区" not in names
    page.goto(f"{base}/archive/coverage?province=福建省&_facet=portal_status&_sort=code")
    page.screenshot(path=str(ARTIFACTS / "coverage_fujian_table.png"), full_page=False)
    body = page.inner_text("body")
    assert "portal_status" in body and "no_portal" in body and "unverified" in body
