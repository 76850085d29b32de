"""The served archive in a real browser: search (4 and 2 characters), a report, its figures,
its original — and the original's `<script>` must not run on the archive's origin."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive.build.builder import build
from archive.store.home import Home
from archive.serve.app import serve_app
from fixtures.archive.factory import SCRIPT_MARKER, make_scenario

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    home = Home.from_env(tmp_path_factory.mktemp("browser"))
    ids = make_scenario(home)
    build(home, progress=False)
    srv = serve_app(home)
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(15000)
        yield srv.url.rstrip("/"), page, home, ids
        browser.close()
    srv.stop()


def search(page, base: str, term: str) -> None:
    page.goto(f"{base}/archive/reports")
    page.fill("input[name=_search]", term)
    page.press("input[name=_search]", "Enter")
    page.wait_for_load_state("load")


def test_four_character_search_uses_fts(site):
    base, page, _, ids = site
    search(page, base, "长乐区应急")
    page.screenshot(path=str(ARTIFACTS / "archive_search_4chars.png"), full_page=True)
    assert "/archive/reports" in page.url
    body = page.inner_text("body")
    assert "福州市长乐区应急管理局2020年度政府信息公开工作年度报告" in body
    assert "福州市应急管理局2018年" not in body.split("福州市长乐区应急管理局2020年度")[0][-200:]
    assert page.locator(f"a[href$='/archive/reports/{ids['a']}']").count() >= 1


def test_two_character_search_on_the_table_page(site):
    base, page, _, ids = site
    search(page, base, "附件")
    page.screenshot(path=str(ARTIFACTS / "archive_search_2chars.png"), full_page=True)
    assert "/archive/reports" in page.url  # answered on the table page, from the bigram index
    assert "福州市长乐区统计局2020年政府信息公开年度报告" in page.inner_text("body")
    page.click(f"a[href$='/archive/reports/{ids['b']}']")  # a result opens its report
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/archive/reports/{ids['b']}")
    page.click("details.xxgk-text summary")  # the report page holds its text, folded
    assert "报告全文见附件" in page.inner_text("details.xxgk-text")


def _rowid(home, report_id: str) -> int:
    con = sqlite3.connect(home.db)
    try:
        return con.execute("select rowid from reports where report_id = ?", [report_id]).fetchone()[0]
    finally:
        con.close()


def test_report_figures_and_original(site):
    base, page, home, ids = site
    page.goto(f"{base}/archive/reports/{ids['a']}")
    page.screenshot(path=str(ARTIFACTS / "archive_report.png"), full_page=True)
    assert "福州市长乐区应急管理局" in page.inner_text("body")
    page.goto(f"{base}/archive/application_rows?report_rowid=" + str(_rowid(home, ids["a"])))
    page.screenshot(path=str(ARTIFACTS / "archive_report_s3_dense.png"), full_page=True)
    assert "natural_person" in page.inner_text("body")
    page.goto(f"{base}/archive/disclosure_items?report_id={ids['a']}")
    page.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / "archive_report_figures.png"), full_page=True)
    text = page.inner_text("body")
    assert "licensing" in text and "-7" in text  # 行政许可 本年增/减 in the 长乐 seed
    # the report with the hostile <script>: follow its link to the original
    page.goto(f"{base}/archive/reports/{ids['c']}")
    link = page.locator("a.xxgk-page-original").first
    href = link.get_attribute("href")
    con = sqlite3.connect(home.db)
    sha = con.execute("select sha256 from reports where report_id = ?", [ids["c"]]).fetchone()[0]
    con.close()
    assert href == f"/-/archived/{sha}"
    link.click()
    page.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / "archive_original_sandboxed.png"), full_page=True)
    assert page.url.endswith(href)
    frame = page.frame_locator("iframe.xxgk-frame")
    assert "福州市应急管理局2018年政府信息公开工作年度报告" in frame.locator("body").inner_text()  # rendered…
    assert page.title() != SCRIPT_MARKER  # …but its script did not run
    assert page.evaluate("() => window.__pwned === undefined")
    page.goto(f"{base}/archive")
    assert page.evaluate("() => localStorage.getItem('pwned')") is None
    assert page.title() != SCRIPT_MARKER


def test_dashboards_render_charts(site):
    base, page, _, _ = site
    page.goto(f"{base}/")
    page.click("a[href='/-/dashboards/overview']")
    page.wait_for_selector("#chart-published svg, #chart-published canvas")
    page.screenshot(path=str(ARTIFACTS / "archive_dashboards.png"), full_page=True)
    for chart in ("requests", "outcomes", "published"):
        assert page.locator(f"#chart-{chart} svg, #chart-{chart} canvas").count() >= 1, chart
