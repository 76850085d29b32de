"""Issue #14 in a real browser: report pages, search, deadlines, legacy figures, the pivot,
archived originals, Atom and CSV — against the demo archive (factory scenario + reader_factory).

Screenshots go to tests/artifacts/reader_*.png.
"""
from __future__ import annotations

import sqlite3
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from archive.build.builder import build
from archive.store.home import Home
from archive.serve.app import serve_app
from fixtures.archive.factory import SCRIPT_MARKER, make_scenario
from archive.store.search_index import register_functions
from fixtures.archive.reader_factory import EXTERNAL, PDF_NAME, XLSX_NAME, add_reader_reports

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    home = Home.from_env(tmp_path_factory.mktemp("reader"))
    ids = make_scenario(home)
    ids.update(add_reader_reports(home, ids["a_url"]))
    build(home, progress=False)
    srv = serve_app(home)
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15000)
        yield srv.url.rstrip("/"), page, home, ids
        browser.close()
    srv.stop()


def db_value(home: Home, sql: str, params: list) -> object:
    con = sqlite3.connect(home.db)
    register_functions(con)  # xxgk_text: the report_texts view decompresses texts.text_zlib
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def row_cells(page, key: str) -> list[str]:
    return [t.strip() for t in page.locator(f"table.s3 tr[data-row='{key}'] td.num").all_inner_texts()]


# ------------------------------------------------------------------ 1. a report is a document
def test_g1_report_page_reads_as_printed(site):
    base, page, _, ids = site
    page.goto(f"{base}/archive/reports/{ids['a']}")
    page.screenshot(path=str(ARTIFACTS / "reader_report_g1.png"), full_page=True)
    title = "福州市长乐区应急管理局2020年度政府信息公开工作年度报告"
    assert page.title() == title and page.inner_text("h1") == title
    meta = page.inner_text("table.xxgk-meta")
    for label, value in (("发布机关", "福州市长乐区应急管理局"), ("地区", "福州市长乐区人民政府"),
                         ("报告年度", "2020"), ("格式", "G1"), ("索引号", "FZCL-2021-00002"),
                         ("发布日期", "2021-01-15"), ("成文日期", "2021-01-15"),
                         ("抓取时间", "2024-03-02T02:00:04Z")):
        assert label in meta and value in meta, (label, value)
    # section 三: official order and labels, the seven applicant columns in one row
    labels = page.locator("table.s3 tr[data-row] th.label").all_inner_texts()
    assert labels[0] == "一、本年新收政府信息公开申请数量" and labels[1] == "二、上年结转政府信息公开申请数量"
    keys = page.locator("table.s3 tr[data-row]").evaluate_all("rs => rs.map(r => r.dataset.row)")
    assert keys[:5] == ["new", "carried_over", "granted", "partial", "denied.state_secret"]
    assert keys[-3:] == ["other", "results_total", "carried_forward"] and len(keys) == 23
    assert len(row_cells(page, "new")) == 7
    heads = page.inner_text("table.s3 tr:nth-child(3)")
    assert [h for h in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他") if h in heads] == \
        ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    # section 二: integers as integers, the signed change, money with its unit
    licensing = page.locator("table.s2 tr", has_text="行政许可").inner_text().split()
    assert licensing[1:] == ["30", "-7", "23"]
    assert "66859 元" in page.inner_text("table.s2")
    assert ".0" not in page.inner_text("table.s2") + page.inner_text("table.s3")
    # every check beside its figures: R3 per row, R1/R2 per column, R4 per group
    assert page.locator("table.s3 tr[data-row] td.check.ok").count() == 23
    assert page.locator("table.s3 tr[data-rule='R1'] td.check.ok").count() == 7
    assert page.locator("table.s3 tr[data-rule='R2'] td.check.ok").count() == 7
    assert page.locator("table.s4 tr[data-rule='R4'] td.check.ok").count() == 3
    # other versions: both captures of the page, each linking to its archived copy
    versions = page.locator("table.xxgk-versions a[href^='/-/archived/']")
    assert versions.count() == 2
    assert "内容变更 changed" in page.inner_text("table.xxgk-versions")


def test_blank_cells_stay_blank_and_late_report_says_so(site):
    base, page, _, ids = site
    page.goto(f"{base}/archive/reports/{ids['e']}")  # seed 003: every section-3 cell blank
    page.screenshot(path=str(ARTIFACTS / "reader_report_blank.png"), full_page=True)
    assert row_cells(page, "new") == [""] * 7
    assert page.locator("table.s3 tr[data-row='new'] td.num").first.get_attribute("title").startswith("空白")
    assert "逾期 late" in page.inner_text("table.xxgk-meta") and "第四十九条" in page.inner_text("table.xxgk-meta")
    att = page.locator("a.xxgk-attachment")
    assert att.inner_text() == PDF_NAME
    assert "PDF" in page.inner_text("ul.xxgk-originals") and "KB" in page.inner_text("ul.xxgk-originals")


def test_g2_report_page(site):
    base, page, _, ids = site
    page.goto(f"{base}/archive/reports/{ids['f']}")
    keys = page.locator("table.s3 tr[data-row]").evaluate_all("rs => rs.map(r => r.dataset.row)")
    assert len(keys) == 25 and keys[20:23] == ["other.overdue_correction", "other.unpaid_fee", "other.other"]
    assert row_cells(page, "new") == ["16", "0", "0", "0", "3", "3", "22"]
    s2 = page.inner_text("table.s2")
    assert "行政规范性文件" in s2 and "1.2 万元" in s2 and "第二十条第（九）项" not in s2
    assert page.locator("a.xxgk-attachment").inner_text() == XLSX_NAME


def test_legacy_report_page(site):
    base, page, _, ids = site
    page.goto(f"{base}/archive/reports/{ids['c']}")
    page.screenshot(path=str(ARTIFACTS / "reader_report_legacy.png"), full_page=True)
    assert page.inner_text("h1") == "福州市应急管理局2018年政府信息公开工作年度报告"
    table = page.locator("table.g0")
    assert table.locator("tr").first.inner_text().split() == ["指标名称", "单位", "2018年", "历年累计"]
    labels = table.locator("th.label").all_inner_texts()
    assert labels[:4] == ["主动公开文件数", "其中:1.政府网站公开数", "2.政府公报公开数", "受理政府信息公开申请总数"]
    assert table.locator("tr", has_text="主动公开文件数").first.inner_text().split()[-2:] == ["128", "839"]
    assert "R9 ✓" in page.inner_text("ul.xxgk-checks")
    meta = page.inner_text("table.xxgk-meta")
    assert "2019-03-31" in meta and "第三十一条" in meta and "按时 on time" in meta
    assert page.locator("table.s3").count() == 0  # a legacy report has no section-3 table


def test_reports_are_linked_everywhere(site):
    base, page, _, ids = site
    # the reports table: first on the front page, titles on one line, the id opens the document
    page.goto(f"{base}/")
    assert page.locator("p.xxgk-tables a").first.inner_text() == "reports"
    page.goto(f"{base}/archive/reports?_sort=report_id")
    page.screenshot(path=str(ARTIFACTS / "reader_reports_table.png"), full_page=True)
    # each title on one line (not a character per line), each row a few lines at most
    heights = page.evaluate("""() => Array.from(document.querySelectorAll('td.col-title')).map(c => {
        const r = document.createRange(); r.selectNodeContents(c); return r.getBoundingClientRect().height })""")
    assert len(heights) == 8 and max(heights) < 30, heights
    rows = page.locator("table.rows-and-columns tbody tr").evaluate_all("rs => rs.map(r => r.offsetHeight)")
    assert max(rows) < 120, rows
    page.locator(f"td.col-report_id a[href='/archive/reports/{ids['a']}']").click()
    page.wait_for_load_state("load")
    assert page.inner_text("h1").startswith("福州市长乐区应急管理局2020")
    # from a figures table (foreign key) and from a canned query
    page.goto(f"{base}/archive/legacy_indicators?report_id={ids['c']}")
    page.locator(f"a[href='/archive/reports/{ids['c']}']").first.click()
    page.wait_for_load_state("load")
    assert page.locator("table.g0").count() == 1
    page.goto(f"{base}/archive/report_summary")
    page.locator(f"a[href='/archive/reports/{ids['g']}']").first.click()
    page.wait_for_load_state("load")
    assert page.inner_text("h1").startswith("示例市示例区人民政府办公室2016")
    page.goto(f"{base}/archive/late_reports")
    page.locator(f"a[href='/archive/reports/{ids['e']}']").first.click()
    page.wait_for_load_state("load")
    assert page.inner_text("h1").startswith("汕头市潮阳区应急管理局")
    # the row page with every column stays one click away
    page.goto(f"{base}/archive/reports/{ids['a']}?_row=1")
    assert "text_id" in page.inner_text("body") and "index_no" in page.inner_text("body")


def test_counts_are_integers_in_table_views(site):
    base, page, _, ids = site
    page.goto(f"{base}/archive/legacy_indicators?report_id={ids['c']}")
    text = page.inner_text("table.rows-and-columns")
    assert "128" in text and "128.0" not in text and "839.0" not in text


# ------------------------------------------------------------------ 2. search
def test_search_ranks_and_highlights(site):
    base, page, _, ids = site
    page.goto(f"{base}/-/search?" + urllib.parse.urlencode({"q": "应急管理 行政处罚"}))
    page.screenshot(path=str(ARTIFACTS / "reader_search.png"), full_page=True)
    hits = page.locator("ol.xxgk-results > li")
    assert hits.count() >= 2
    marks = page.locator(".xxgk-snippet mark").all_inner_texts()
    assert "行政处罚" in marks
    assert "bm25" in page.inner_text("p.xxgk-count")
    # every hit holds both words
    con_words = ("应急管理", "行政处罚")
    for rid in hits.locator("a.xxgk-hit").evaluate_all("as => as.map(a => a.getAttribute('href'))"):
        text = db_value(site[2], "select title || body_text from report_texts where report_id = ?",
                        [rid.rsplit("/", 1)[1]])
        assert all(w in text for w in con_words), rid
    hits.locator("a.xxgk-hit").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1.xxgk-title").count() == 1


@pytest.mark.parametrize("query, words", [("应急 管理", ["应急", "管理"]), ("附件", ["附件"]),
                                          ("应急管理 附件", ["应急管理", "附件"]), ("年报", None)])
def test_search_any_word_length(site, query, words):
    base, page, home, _ = site
    page.goto(f"{base}/-/search?" + urllib.parse.urlencode({"q": query}))
    count = page.inner_text("p.xxgk-count")
    n = page.locator("ol.xxgk-results > li").count()
    con = sqlite3.connect(home.db)
    register_functions(con)
    expected = sum(1 for (t,) in con.execute("select title || ' ' || coalesce(agency, '') || ' ' || "
                                             "coalesce(body_text, '') from report_texts")
                   if all(w in t for w in query.split()))
    con.close()
    assert n == expected, (query, count)
    if words:
        assert n > 0
        assert set(words) <= set(page.locator("mark").all_inner_texts())


def test_front_page_examples_find_something(site):
    base, page, _, _ = site
    page.goto(f"{base}/")
    page.screenshot(path=str(ARTIFACTS / "reader_front.png"), full_page=True)
    examples = page.locator("a[href^='/-/search?q=']").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert len(examples) >= 3
    for href in examples:
        page.goto(base + href)
        assert page.locator("ol.xxgk-results > li").count() > 0, href


# ------------------------------------------------------------------ 3. first questions
def test_late_reports_by_the_articles(site):
    base, page, _, ids = site
    page.goto(f"{base}/archive/late_reports")
    page.screenshot(path=str(ARTIFACTS / "reader_late_reports.png"), full_page=True)
    body = page.inner_text("body")
    late = set(page.locator("td.col-report_id").all_inner_texts())
    assert late == {ids["e"], ids["f"]}  # departments after 31 January (2019 条例)
    # on time: the government's own report of 10 March, a 2016 report of 20 March (2008 条例)
    assert ids["h"] not in late and ids["g"] not in late
    assert "第四十九条" in body and "第三十一条" in body and "第五十条" not in body
    assert db_value(site[2], "select agency_kind from report_headlines where report_id = ?", [ids["h"]]) == "government"


def test_legacy_figures_start_series_in_2008(site):
    base, page, home, ids = site
    assert db_value(home, "select applications_received from report_headlines where report_id = ?", [ids["g"]]) is not None
    assert db_value(home, "select figures_basis from report_headlines where report_id = ?", [ids["g"]]) == "g0_annex"
    page.goto(f"{base}/archive/requests_by_agency_year")
    years = set(page.locator("td.col-report_year").all_inner_texts())
    assert {"2016", "2018"} <= years
    page.goto(f"{base}/-/dashboards/overview")
    page.wait_for_selector("#chart-requests svg, #chart-requests canvas")
    page.screenshot(path=str(ARTIFACTS / "reader_dashboards.png"), full_page=True)
    options = page.locator("select#site option").all_inner_texts()
    assert "福州市人民政府" in options and "fuzhou" not in options  # names, not slugs
    page.select_option("select#site", "福州市人民政府")
    page.click("input[type=submit]")
    page.wait_for_selector("#chart-requests svg, #chart-requests canvas")
    assert "site=" in page.url


def test_pivot_agency_by_year(site):
    base, page, home, ids = site
    page.goto(f"{base}/-/pivot")
    region = page.locator("select[name=region]")
    assert "福州市长乐区人民政府" in region.locator("option").all_inner_texts()
    with page.expect_navigation():
        region.select_option(label="福州市长乐区人民政府")
    page.screenshot(path=str(ARTIFACTS / "reader_pivot.png"), full_page=True)
    agencies = page.locator("select[name=agency] option").all_inner_texts()
    assert "福州市长乐区应急管理局" in agencies and "福州市长乐区人民政府" in agencies
    table = page.locator("table.xxgk-pivot")
    assert table.locator("tr").first.locator("th").all_inner_texts()[1:] == ["2020"]
    with page.expect_navigation():
        page.locator("select[name=agency]").select_option("福州市长乐区应急管理局")
    assert page.locator("table.xxgk-pivot th.label a").all_inner_texts() == ["福州市长乐区应急管理局"]
    with page.expect_navigation():
        page.locator("select[name=region]").select_option("example")
    text = page.inner_text("table.xxgk-pivot")
    assert "2016" in text and "2022" in text and "†" in text  # 2016 from the 附表, marked
    assert "22" in text


# ------------------------------------------------------------------ 4. originals
def test_archived_page_banner_and_links(site):
    base, page, home, ids = site
    sha = db_value(home, "select sha256 from reports where report_id = ?", [ids["h"]])
    page.goto(f"{base}/archive/reports/{ids['h']}")
    page.click("a.xxgk-page-original")
    page.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / "reader_archived_page.png"), full_page=True)
    banner = page.inner_text(".xxgk-banner")
    assert "t20210310_8.htm" in banner and "2024-03-04T02:00:03Z" in banner and sha in banner
    assert page.locator(f".xxgk-banner a[href='/archive/reports/{ids['h']}']").count() == 1
    frame = page.frame_locator("iframe.xxgk-frame")
    a_sha = db_value(home, "select sha256 from reports where report_id = ?", [ids["a"]])
    inner = frame.locator(f"a[href='/-/archived/{a_sha}']")
    assert inner.count() == 1  # another archived report page → its archived copy
    assert frame.locator(f"a[href='/-/archived/{ids['e_pdf_sha']}']").count() == 1  # archived PDF
    leaving = frame.locator(f"a[href='{EXTERNAL}']")
    assert leaving.get_attribute("class") == "xxgk-leaves" and leaving.get_attribute("target") == "_blank"
    inner.click()  # the archived copy opens at the top, with its own banner
    page.wait_for_url(f"**/-/archived/{a_sha}")
    assert "t20210115_1.htm" in page.inner_text(".xxgk-banner")


def test_archived_page_scripts_do_not_run(site):
    base, page, home, ids = site
    sha = db_value(home, "select sha256 from reports where report_id = ?", [ids["c"]])
    page.goto(f"{base}/-/archived/{sha}")
    frame = page.frame_locator("iframe.xxgk-frame")
    assert "福州市应急管理局2018年" in frame.locator("body").inner_text()
    assert page.title() != SCRIPT_MARKER
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.evaluate("() => localStorage.getItem('pwned')") is None


def test_pdf_opens_in_the_browser_viewer(site):
    base, page, _, ids = site
    page.goto(f"{base}/-/archived/{ids['e_pdf_sha']}")
    for _ in range(40):  # the viewer loads in its own frame
        frames = {f.url: f for f in page.frames}
        if any(u.startswith(PDF_VIEWER) for u in frames):
            break
        page.wait_for_timeout(250)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "reader_archived_pdf.png"))
    pdf = [f for u, f in frames.items() if "/-/original/" in u]
    assert pdf and pdf[0].evaluate("document.contentType") == "application/pdf"
    assert any(u.startswith(PDF_VIEWER) for u in frames), list(frames)
    with urllib.request.urlopen(f"{base}/-/original/{ids['e_pdf_sha']}?view=1") as resp:
        assert resp.headers["content-disposition"].startswith("inline")
        assert resp.headers["content-security-policy"].startswith("sandbox;")


def test_office_files_download_under_original_names(site):
    base, page, _, ids = site
    page.goto(f"{base}/-/archived/{ids['f_xlsx_sha']}")
    with page.expect_download() as dl:
        page.click("p.xxgk-download a")
    assert dl.value.suggested_filename == XLSX_NAME
    page.goto(f"{base}/archive/reports/{ids['d']}")
    page.click("a.xxgk-attachment")
    page.wait_for_load_state("load")
    with page.expect_download() as dl:
        page.click("p.xxgk-download a")
    assert dl.value.suggested_filename == "海盐县应急管理局2020年报.docx"


def test_atom_entries_link_to_report_pages(site):
    base, page, _, ids = site
    with urllib.request.urlopen(f"{base}/archive/new_reports_feed.atom") as resp:
        feed = ET.fromstring(resp.read())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 8
    for e in entries:
        eid = e.find("a:id", ns).text
        assert eid.startswith("tag:xxgk-archive.org,2024:report/")
        href = e.find("a:link", ns).get("href")
        assert href == "/archive/reports/" + eid.rsplit("/", 1)[1]
    page.goto(urllib.parse.urljoin(f"{base}/archive/new_reports_feed.atom", href))
    assert page.locator("h1.xxgk-title").count() == 1


def test_csv_for_excel_has_a_bom(site):
    base, page, _, _ = site
    page.goto(f"{base}/archive/reports")
    link = page.locator("a.xxgk-csv-bom").first
    href = link.get_attribute("href")
    assert "_bom=1" in href
    with urllib.request.urlopen(base + href) as resp:
        data = resp.read()
    assert data.startswith(b"\xef\xbb\xbf") and "福州市".encode() in data
    with urllib.request.urlopen(f"{base}/archive/reports.csv") as resp:
        assert not resp.read().startswith(b"\xef\xbb\xbf")  # the plain CSV is unchanged
