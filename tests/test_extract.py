"""archive.extract on realistic report documents in every format (built from seed 001's figures)."""
from __future__ import annotations

import io
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "bad"))
import make_bad as mb  # noqa: E402

from archive.extract import (ExtractError, Extracted, convert_with_libreoffice, extract,  # noqa: E402
                             html_body_text, sniff_format)

S2 = mb.grid_of(mb.SECTION2)
S3 = mb.grid_of(mb.section3())


@pytest.fixture(scope="session")
def report_docx() -> bytes:
    return mb.docx_bytes(mb.blocks())


@pytest.fixture(scope="session")
def converted(report_docx) -> dict[str, bytes]:
    """The sample report as PDF and as DOC (LibreOffice; cached across test modules)."""
    return {target: mb.libreoffice(report_docx, "docx", target) for target in ("pdf", "doc")}


def assert_report(ex: Extracted) -> None:
    assert ex.tables[:2] == [S2, S3]
    assert "行政许可\t30\t-7\t23" in ex.text
    assert "政府集中采购\t6\t66859 元\t" in ex.text
    # reading order: prose, section-2 table, heading 三, section-3 table, heading 四
    order = [ex.text.index(s) for s in ("一、总体情况", "第二十条第（五）项", "三、收到和处理",
                                        "二、上年结转政府信息公开申请数量", "四、政府信息公开行政复议")]
    assert order == sorted(order)


# ------------------------------------------------------------------ sniffing

def test_sniff_by_bytes_not_by_name(report_docx, converted):
    assert sniff_format(report_docx, ext="doc") == "docx"
    assert sniff_format(converted["pdf"], filename="x.html") == "pdf"
    assert sniff_format(converted["doc"], filename="a.pdf") == "doc"
    assert sniff_format(converted["doc"], ext="wps") == "wps"
    assert sniff_format(b"\n\n<!DOCTYPE html><html><body>x</body></html>", ext="pdf") == "html"
    assert sniff_format("<p>年度报告</p>".encode("gbk"), mime="application/pdf") == "html"
    assert sniff_format(b"") == "empty"
    assert sniff_format(mb.garbage()) == "unknown"


# ------------------------------------------------------------------ HTML

def test_html_body_tables_and_no_chrome():
    page = mb.html_page(mb.blocks()).encode("utf-8")
    ex = extract(page, ext="htm")
    assert (ex.method, ex.format) == ("html", "html")
    assert_report(ex)
    for chrome in ("首页", "通知公告", "版权所有", "脚本", "var x"):
        assert chrome not in ex.text
    assert ex.text.startswith("  福州市长乐区应急管理局")      # &nbsp;&nbsp; kept as spaces


@pytest.mark.parametrize("meta", [True, False])
def test_html_gbk_with_and_without_meta(meta):
    page = mb.html_page(mb.blocks(), charset="gb2312", meta=meta).encode("gbk")
    ex = extract(page)
    assert_report(ex)
    assert any(w.startswith("charset:gb") for w in ex.warnings)


def test_html_spans_merged_text_in_first_cell_and_hostile_spans_clamped():
    page = ("<div id='zoom'><p>\u3000\u3000表格如下</p><table>"
            "<tr><td rowspan=2>行政许可</td><td colspan=2>本年</td></tr>"
            "<tr><td>30</td><td>-7</td></tr>"
            "<tr><td rowspan=99999>x</td><td colspan=2>y</td></tr></table></div>")
    ex = extract(page.encode())
    assert ex.tables == [[["行政许可", "本年", ""], ["", "30", "-7"], ["x", "y", ""]]]
    assert "\u3000\u3000表格如下" in ex.text


def test_html_largest_block_when_no_known_container():
    filler = "".join(f"<p>第{i}段 政府信息公开工作情况说明，内容较长。</p>" for i in range(12))
    page = (f"<html><body><div class='top'><a href='/'>网站首页</a><a href='/x'>机构概况</a></div>"
            f"<div class='wrap'><div class='left'><a href='/1'>栏目一</a></div>"
            f"<div class='main-text'>{filler}</div></div><div class='foot'>联系我们 网站地图</div></body></html>")
    text = html_body_text(page)
    assert "第0段" in text and "第11段" in text
    assert "网站首页" not in text and "联系我们" not in text


def test_html_layout_table_rendered_as_blocks():
    inner = mb.html_page([mb.SECTION2]).split("<div class=\"TRS_Editor\">")[1].split("</div>")[0]
    page = f"<html><body><table width=100%><tr><td><p>正文开始，这是一个布局表格里的报告。</p>{inner}</td></tr></table></body></html>"
    ex = extract(page.encode())
    assert ex.tables == [S2]


def test_gkmlpt_detail_used_when_body_is_rendered_by_script():
    page = ('<html><body><div id="app"></div><script>window._CONFIG = {SID: "1", DETAIL: {"id": 5, '
            '"title": "t", "content": "\\u003Cp\\u003E一、总体情况，本机关2020年度报告正文内容如下\\u003C/p\\u003E'
            '\\u003Ctable\\u003E\\u003Ctr\\u003E\\u003Ctd\\u003E行政许可\\u003C/td\\u003E\\u003Ctd\\u003E30'
            '\\u003C/td\\u003E\\u003C/tr\\u003E\\u003C/table\\u003E"}, TREE: []};</script></body></html>')
    ex = extract(page.encode())
    assert "一、总体情况" in ex.text
    assert ex.tables == [[["行政许可", "30"]]]


# ------------------------------------------------------------------ DOCX

def test_docx_merged_cells_and_order(report_docx):
    ex = extract(report_docx, filename="report.doc")      # wrong name: bytes decide
    assert (ex.method, ex.format) == ("docx", "docx")
    assert_report(ex)


def test_docx_text_boxes_ignored_nested_tables_flattened():
    import docx
    from docx.oxml import parse_xml
    doc = docx.Document()
    p = doc.add_paragraph("正文段落")
    p._p.append(parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox><w:txbxContent>'
        '<w:p><w:r><w:t>文本框内容</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))
    t = doc.add_table(rows=1, cols=2)
    t.cell(0, 0).text = "外层"
    inner = t.cell(0, 1).add_table(rows=2, cols=1)
    inner.cell(0, 0).text = "内1"
    inner.cell(1, 0).text = "内2"
    buf = io.BytesIO()
    doc.save(buf)
    ex = extract(buf.getvalue())
    assert "文本框内容" not in ex.text and "正文段落" in ex.text
    assert ex.tables == [[["外层", "内1 内2"]]]


# ------------------------------------------------------------------ PDF (text layer), DOC, WPS

def test_pdf_text_tables_joined_across_pages(converted):
    ex = extract(converted["pdf"], mime="application/pdf")
    assert (ex.method, ex.format) == ("pdf_text", "pdf")
    assert ex.pages == 2          # section 3 runs onto page 2 and a row is cut by the page break
    assert_report(ex)


def test_doc_via_libreoffice(converted):
    ex = extract(converted["doc"], filename="report.doc")
    assert (ex.method, ex.format) == ("doc_converted", "doc")
    assert_report(ex)


def test_batch_conversion_one_call_many_files(converted, tmp_path):
    srcs = []
    for i, name in enumerate(["a.doc", "b.wps", "sub/a.doc"]):    # same stem twice, a .wps name
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(converted["doc"])
        srcs.append(str(path))
    broken = tmp_path / "broken.doc"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    out = convert_with_libreoffice(srcs + [str(broken)], "docx", outdir=str(tmp_path / "out"))
    assert set(out) == set(srcs)
    assert len(set(out.values())) == 3
    for dest in out.values():
        assert extract(open(dest, "rb").read()).tables[:2] == [S2, S3]


def test_antiword_cross_check_warns_when_rows_are_lost():
    from archive.extract.office import antiword_tables, cross_check
    aw = antiword_tables("|行政许可 |30 |-7 |23 |\n|行政处罚 |1 |0 |1 |\n|行政强制 |0 |0 |0 |\n")
    assert aw == [[["行政许可", "30", "-7", "23"], ["行政处罚", "1", "0", "1"], ["行政强制", "0", "0", "0"]]]
    assert cross_check(aw, [aw[0][:1]])
    assert cross_check(aw, aw) == []


# ------------------------------------------------------------------ spreadsheets

def test_xlsx_every_sheet_merged_ranges():
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "主动公开"
    for row in S2:
        ws.append(row)
    ws.merge_cells("A1:D1")
    ws2 = wb.create_sheet("依申请")
    ws2.append(["行政许可", 30, -7, 23.0])
    buf = io.BytesIO()
    wb.save(buf)
    ex = extract(buf.getvalue(), filename="统计表.xls")
    assert (ex.method, ex.format, ex.pages) == ("xlsx", "xlsx", 2)
    assert ex.tables[0] == S2
    assert ex.tables[1] == [["行政许可", "30", "-7", "23"]]
    assert "行政许可\t30\t-7\t23" in ex.text


def test_batch_timeout_costs_only_the_file_that_hangs(monkeypatch):
    """soffice converts in order; a file that hangs it kills the batch at the timeout. What
    finished is kept (minus the last output, maybe cut off) and the rest is retried in halves."""
    from archive.extract import office
    calls = []

    def fake_chunk(paths, target, timeout, outdir):
        calls.append(list(paths))
        if "hang" not in paths:
            return {p: f"{p}.{target}" for p in paths}, False
        if len(paths) == 1:
            raise ExtractError("timeout", "soffice")
        before = paths[:paths.index("hang")]
        return {p: f"{p}.{target}" for p in before[:-1]}, True

    monkeypatch.setattr(office, "_convert_chunk", fake_chunk)
    files = [f"f{i}" for i in range(7)]
    files.insert(4, "hang")
    out = convert_with_libreoffice(files, "docx", outdir="/tmp/xxgk-test-unused")
    assert set(out) == set(files) - {"hang"}
    assert len(calls) <= 8                # not one call per file
    with pytest.raises(ExtractError):
        convert_with_libreoffice(["hang"], "docx", outdir="/tmp/xxgk-test-unused")
