"""Document factory: seed specs hold the real figures, synthetic specs obey (or break) the
rules, and every rendered format has the structure real portals publish."""
from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html

from replica.documents import (
    broken_rules, compute_expected, prepare_attachments, render_attachment, render_docx,
    render_html_body, render_page_gbk, render_xlsx, seed_spec, seed_specs, synthetic_spec,
)
from replica.documents.normalize import parse_change, parse_count, parse_money_yuan, parse_wan
from replica.documents.spec import S4_KEYS, s3_row_keys

FIX = Path(__file__).parent / "fixtures" / "reports"
SEED_STEMS = sorted(p.name[:-len(".expected.json")] for p in FIX.glob("0*.expected.json"))


# ------------------------------------------------------------------ seeds


def test_five_seeds_with_sites_and_templates():
    specs = seed_specs()
    assert [(s.site_id, s.template, s.year) for s in specs] == [
        ("jinjiang", "G1", 2020), ("changle", "G1", 2020), ("fuzhou", "G0", 2018),
        ("chaoyang", "G1", 2020), ("haiyan", "G1", 2020)]
    for s in specs:
        assert s.expected == compute_expected(s)
        assert broken_rules(s.expected, s.template) == set() and s.violations == []


def test_seed_figures_are_the_real_ones():
    cl = seed_spec("changle")
    assert [cl.s2[f"licensing.{c}"] for c in ("prev_count", "change", "decisions")] == ["30", "-7", "23"]
    assert cl.s2["procurement.project_count"] == "6" and cl.s2["procurement.total_amount"] == "66859 元"
    assert cl.expected["s2.licensing.change"] == -7 and cl.expected["s2.procurement.total_amount"] == 66859
    assert cl.doc_no == "长应急〔2021〕2号" and cl.signature_date == "2021-01-11"
    jj = seed_spec("jinjiang")
    assert [jj.s2[f"licensing.{c}"] for c in ("prev_count", "change", "decisions")] == ["170", "减少166", "4"]
    assert jj.expected["s2.licensing.change"] == -166 and jj.expected["s2.penalty.change"] == -2
    hy = seed_spec("haiyan")
    assert [hy.s2[f"penalty.{c}"] for c in ("prev_count", "change", "decisions")] == ["51", "-2", "21"]
    assert hy.s2["procurement.total_amount"] == "102.85万元" and hy.expected["s2.procurement.total_amount"] == 1028500
    assert hy.s2["procurement.project_count"] == "18"
    cy = seed_spec("chaoyang")
    assert cy.s2["penalty.prev_count"] == "13宗共113200元" and cy.expected["s2.penalty.prev_count"] == 13
    assert all(c == "" for cells in cy.s3.values() for c in cells) and set(cy.s4.values()) == {""}
    assert cy.expected["s3.results_total.total"] == 0 and cy.s6_other is None
    fz = seed_spec("fuzhou")
    assert fz.g0[0][1:] == ("主动公开文件数", "", "128", "839")
    assert fz.expected["g0.proactive_docs.year"] == 128 and fz.expected["g0.proactive_docs.cumulative"] == 839
    assert fz.expected["g0.applications_total.cumulative"] == 40 and fz.page_meta["索引号"] == "FZ00503-3000-2019-00004"


def test_seed_tables_have_full_shape():
    for s in seed_specs():
        if s.template == "G0":
            assert len(s.g0) == 15
            continue
        assert sorted(s.s3) == sorted(s3_row_keys("G1")) and all(len(c) == 7 for c in s.s3.values())
        assert set(s.s4) == set(S4_KEYS) and len(s.s2) == 22


@pytest.mark.parametrize("raw,value", [("减少166", -166), ("-7", -7), ("+3", 3), ("增加3", 3), ("－７", -7), ("—", 0), ("", 0)])
def test_change_normalisation(raw, value):
    assert parse_change(raw) == value


def test_count_and_money_normalisation():
    assert parse_count("       6") == 6 and parse_count("１２件") == 12 and parse_count("/") == 0
    assert parse_count("见附件") is None
    assert parse_money_yuan("66859 元") == 66859 and parse_money_yuan("8040") == 8040
    assert parse_wan("0.35") == 0.35 and parse_wan("3500元") == 0.35


# ------------------------------------------------------------------ synthetic


@pytest.mark.parametrize("year", [2016, 2019, 2021, 2024])
def test_synthetic_consistent_and_broken(year):
    for i in range(25):
        ok = synthetic_spec("某县某局", year, random.Random(i))
        assert ok.template == ("G0" if year <= 2018 else "G1" if year <= 2020 else "G2")
        assert ok.violations == [] and broken_rules(ok.expected, ok.template) == set()
        assert compute_expected(ok) == ok.expected
        bad = synthetic_spec("某县某局", year, random.Random(i), consistent=False)
        assert len(bad.violations) == 1 and broken_rules(bad.expected, bad.template) == set(bad.violations)


@pytest.mark.parametrize("rule,template", [("R1", "G1"), ("R2", "G2"), ("R3", "G2"), ("R4", "G1"), ("R5", "G2"), ("R9", "G0")])
def test_synthetic_breaks_the_chosen_rule(rule, template):
    s = synthetic_spec("某县某局", 2020, random.Random(7), template=template, violate=rule)
    assert s.violations == [rule] and broken_rules(s.expected, template) == {rule}


def test_synthetic_g0_cumulative_covers_the_year():
    for i in range(30):
        s = synthetic_spec("某县某局", 2015, random.Random(i))
        for key, _label, _unit, _y, _c in s.g0:
            assert s.expected[f"g0.{key}.cumulative"] >= s.expected[f"g0.{key}.year"] >= 0, key


def test_synthetic_label_variants_keep_the_numbers():
    specs = [synthetic_spec("某县某局", 2019 + i % 6, random.Random(i)) for i in range(80)]
    printed = {v for s in specs for v in s.label_overrides.values()}
    assert "(一) 予以公开" in printed and "1、属于国家秘密" in printed and "规范性文件" in printed
    for s in specs[:20]:
        s3 = _tables(render_html_body(s))[1]
        data = _expand(s3)[3:]
        assert [[x.strip() for x in r[3:]] for r in data] == [[x.strip() for x in s.s3[k]] for k in s3_row_keys(s.template)]


def test_synthetic_is_deterministic_and_varies_raw_forms():
    a = synthetic_spec("某县某局", 2020, random.Random(3))
    assert a.to_json() == synthetic_spec("某县某局", 2020, random.Random(3)).to_json()
    raws = {c for i in range(60) for s in [synthetic_spec("某县某局", 2019 + i % 5, random.Random(i))]
            for c in list(s.s2.values()) + [x for row in s.s3.values() for x in row]}
    assert any(r.startswith("+") for r in raws) and any(r.startswith("减少") for r in raws)
    assert "—" in raws and any(re.search("[０-９]", r) for r in raws) and any(r.endswith("元") for r in raws)
    assert any(re.fullmatch(r"\d+\.\d+", r) for r in raws)  # G2 fees in 万元


# ------------------------------------------------------------------ HTML


def _expand(table) -> list[list[str]]:
    """HTML table -> grid with spans expanded (text at every covered position)."""
    grid: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.xpath(".//tr")):
        c = 0
        for td in tr.xpath("./td|./th"):
            while (r, c) in grid:
                c += 1
            rs, cs = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
            text = td.text_content().replace("\xa0", " ").replace("\u3000", " ").strip()
            for i in range(rs):
                for j in range(cs):
                    grid[(r + i, c + j)] = text
            c += cs
    nrows, ncols = max(k[0] for k in grid) + 1, max(k[1] for k in grid) + 1
    return [[grid.get((r, c), "") for c in range(ncols)] for r in range(nrows)]


def _tables(body: str):
    return lxml_html.fromstring(f"<div>{body}</div>").xpath("//table")


@pytest.mark.parametrize("template,results_span", [("G1", 20), ("G2", 22)])
def test_html_section3_official_spans(template, results_span):
    spec = synthetic_spec("某县某局", 2022, random.Random(17), template=template)
    body = render_html_body(spec)
    assert "<html" not in body.lower()
    s2, s3, s4 = _tables(body)
    note = s3.xpath(".//td[contains(., '勾稽关系')]")[0]
    assert (note.get("rowspan"), note.get("colspan")) == ("3", "3")
    assert s3.xpath(".//td[contains(., '申请人情况')]")[0].get("colspan") == "7"
    assert s3.xpath(".//td[contains(., '法人或其他组织')]")[0].get("colspan") == "5"
    assert s3.xpath(".//td[contains(., '本年度办理结果')]")[0].get("rowspan") == str(results_span)
    grid = _expand(s3)
    data = grid[3:]
    assert len(data) == len(s3_row_keys(template))
    for key, row in zip(s3_row_keys(template), data):
        assert [x.strip() for x in row[3:]] == [x.strip() for x in spec.s3[key]], key
    assert [td.get("colspan") for td in s4.xpath(".//tr[1]/td")] == ["5", "10"]
    assert [x.strip() for x in _expand(s4)[3]] == [spec.s4[k].strip() for k in S4_KEYS]
    if template == "G2":  # single-value rows span the three value columns
        lic = s2.xpath(".//tr[td[contains(., '行政许可')]]/td")
        assert lic[1].get("colspan") == "3"


def test_seed_html_fixture_holds_figures_and_quirks():
    page = (FIX / "001_c517ed2aeb61ed6c.html").read_text(encoding="utf-8")
    s2 = _expand(_tables(page)[0])
    assert ["行政许可", "30", "-7", "23"] in s2 and ["政府集中采购", "6", "66859 元", ""] in s2
    assert "(一) 予以公开" in page and "1. 属于国家秘密" in page  # seed 001 label style
    jinjiang = (FIX / "000_432eb86a694dbb63.html").read_text(encoding="utf-8")
    s4_head = _expand(_tables(jinjiang)[2])[2]
    assert s4_head[5:7] == ["结 果 维 持", "结 果 维 持"] and s4_head[0] == "结果 维持"  # seed typo kept
    chaoyang = (FIX / "003_2094a5b1fba3121f.html").read_text(encoding="utf-8")
    assert "（三）<br/>不予公开" in chaoyang and "对外公开总数<" in chaoyang
    fuzhou = (FIX / "002_ac214f3d55844a5d.html").read_text(encoding="utf-8")
    g0 = _expand(_tables(fuzhou)[0])
    assert g0[0] == ["指标名称", "单位", "2018年", "历年累计"] and g0[1] == ["主动公开文件数", "", "128", "839"]
    assert "FZ00503-3000-2019-00004" in fuzhou


def test_gbk_page():
    data = render_page_gbk(seed_spec("changle"))
    assert data == (FIX / "001_c517ed2aeb61ed6c.gbk.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gbk")
    assert 'content="text/html; charset=gb2312"' in text and "66859 元" in text and "<html" not in text.lower()[:5]


# ------------------------------------------------------------------ DOCX / XLSX


def test_docx_has_real_merged_cells_and_figures():
    data = (FIX / "000_432eb86a694dbb63.docx").read_bytes()
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert '<w:gridSpan w:val="7"/>' in xml and '<w:gridSpan w:val="10"/>' in xml
    assert xml.count('<w:vMerge w:val="restart"/>') >= 10 and "<w:vMerge/>" in xml
    assert "减少166" in xml and "晋江市应急管理局文件" in xml
    hy = zipfile.ZipFile(io.BytesIO((FIX / "004_870b2d41ea6f263b.docx").read_bytes()))
    assert 'HYPERLINK "http://www.haiyan.gov.cn/module/xxgk/javascript: d.o(7);"' in hy.read("word/document.xml").decode()


def test_office_renderers_are_deterministic():
    spec = seed_spec("haiyan")
    assert render_docx(spec) == render_docx(seed_spec("haiyan"))
    assert render_xlsx(spec) == render_xlsx(seed_spec("haiyan"))
    assert render_html_body(spec) == render_html_body(seed_spec("haiyan"))


def test_xlsx_one_sheet_per_section_with_merges():
    import openpyxl
    wb = openpyxl.load_workbook((FIX / "001_c517ed2aeb61ed6c.xlsx"))
    assert wb.sheetnames == ["二、主动公开", "三、依申请公开", "四、复议诉讼"]
    merged = {str(r) for r in wb["三、依申请公开"].merged_cells.ranges}
    assert "A2:C4" in merged and "D2:J2" in merged


# ------------------------------------------------------------------ PDF / DOC fixtures


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("stem,figures", [
    ("001_c517ed2aeb61ed6c", ["66859 元", "-7", "长应急〔2021〕2号"]),
    ("000_432eb86a694dbb63", ["减少166", "170"]),
    ("004_870b2d41ea6f263b", ["102.85万元", "51"]),
    ("003_2094a5b1fba3121f", ["13宗共113200元", "7宗共312800元"]),
    ("002_ac214f3d55844a5d", ["839", "历年累计"]),
])
def test_pdf_text_layer_and_scan(stem, figures):
    text = re.sub(r"\s+", "", _pdftotext(FIX / f"{stem}.pdf"))  # LibreOffice spaces CJK/Latin runs
    for f in figures:
        assert f.replace(" ", "") in text
    assert _pdftotext(FIX / f"{stem}.scan.pdf").strip() == ""
    images = subprocess.run(["pdfimages", "-list", str(FIX / f"{stem}.scan.pdf")], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(FIX / f"{stem}.pdf")],
                                                                 capture_output=True, text=True).stdout).group(1))
    assert len([ln for ln in images.splitlines()[2:] if " gray " in ln]) == pages


@pytest.mark.skipif(shutil.which("antiword") is None, reason="antiword not installed")
def test_doc_fixture_is_word97():
    data = (FIX / "000_432eb86a694dbb63.doc").read_bytes()
    assert data[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
    out = subprocess.run(["antiword", str(FIX / "000_432eb86a694dbb63.doc")], capture_output=True, text=True).stdout
    assert "减少166" in out


def test_expected_fixtures_are_current():
    for spec in seed_specs():
        stem = Path(spec.seed).stem
        assert stem in SEED_STEMS
        assert json.loads((FIX / f"{stem}.expected.json").read_text(encoding="utf-8")) == spec.summary()
    for stem in ("synthetic_g2_2022", "synthetic_g0_2016"):
        summary = json.loads((FIX / f"{stem}.expected.json").read_text(encoding="utf-8"))
        assert summary["template"] == stem.split("_")[1].upper() and summary["violations"] == []
        assert broken_rules(summary["expected"], summary["template"]) == set()


# ------------------------------------------------------------------ attachment cache


def test_render_attachment_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XXGK_ASSET_CACHE", str(tmp_path))
    spec = synthetic_spec("某县某局", 2021, random.Random(1))
    first = render_attachment(spec, "xlsx")
    assert list(tmp_path.glob("*.xlsx")) and render_attachment(spec, "xlsx") == first
    with pytest.raises(ValueError):
        render_attachment(spec, "odt")


def test_prepare_attachments_batched_soffice(tmp_path, monkeypatch):
    monkeypatch.setenv("XXGK_ASSET_CACHE", str(tmp_path))
    specs = [synthetic_spec("某县某局", 2021, random.Random(i)) for i in range(2)]
    paths = prepare_attachments([(s, f) for s in specs for f in ("pdf", "wps", "xls")])
    assert len(paths) == 6
    for s in specs:
        wps, doc = render_attachment(s, "wps"), render_attachment(s, "doc")
        assert wps == doc and wps[:4] == bytes.fromhex("d0cf11e0")
        assert render_attachment(s, "pdf").startswith(b"%PDF") and render_attachment(s, "xls")[:4] == bytes.fromhex("d0cf11e0")
