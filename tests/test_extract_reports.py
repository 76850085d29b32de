"""Extraction of the generated seed-report fixtures (tests/fixtures/reports/, made by the documents
helper from the five real seeds): every format gives the same tables, and the seed figures come out."""
from __future__ import annotations

import io
import json
import os
import re

import pytest

from archive.extract import extract

REPORTS = os.path.join(os.path.dirname(__file__), "fixtures", "reports")
SEEDS = ["000_432eb86a694dbb63", "001_c517ed2aeb61ed6c", "002_ac214f3d55844a5d",
         "003_2094a5b1fba3121f", "004_870b2d41ea6f263b"]
FAST_FORMATS = ["html", "gbk.html", "docx", "pdf"]

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(REPORTS, f"{SEEDS[1]}.docx")),
                                reason="report fixtures not generated")


def load(name: str) -> bytes:
    with open(os.path.join(REPORTS, name), "rb") as fh:
        return fh.read()


def expected(seed: str) -> dict:
    return json.loads(load(f"{seed}.expected.json"))["expected"]


def squeeze(tables):
    """Tables compared without whitespace (the DOCX has '结果 维持' where the PDF shows '结果维持')."""
    return [[[re.sub(r"\s", "", c) for c in row] for row in t] for t in tables]


def row_values(tables, label: str) -> list[str]:
    for t in tables:
        for row in t:
            cells = [c for c in row if c]
            if cells and cells[0] == label:
                return cells[1:]
    raise AssertionError(f"no row {label!r}")


@pytest.fixture(scope="module")
def docx_tables() -> dict[str, list]:
    return {seed: extract(load(f"{seed}.docx")).tables for seed in SEEDS}


@pytest.mark.parametrize("fmt", FAST_FORMATS)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_format_gives_the_same_tables(seed, fmt, docx_tables):
    ex = extract(load(f"{seed}.{fmt}"), filename=f"{seed}.{fmt}")
    assert ex.method == {"html": "html", "gbk.html": "html", "docx": "docx", "pdf": "pdf_text"}[fmt]
    assert ex.tables and squeeze(ex.tables) == squeeze(docx_tables[seed])


@pytest.mark.parametrize("fmt", FAST_FORMATS)
def test_changle_section2_figures(fmt):
    seed = SEEDS[1]
    exp = expected(seed)
    ex = extract(load(f"{seed}.{fmt}"))
    assert row_values(ex.tables, "行政许可") == [str(exp["s2.licensing.prev_count"]),
                                               str(exp["s2.licensing.change"]),
                                               str(exp["s2.licensing.decisions"])] == ["30", "-7", "23"]
    assert row_values(ex.tables, "政府集中采购") == ["6", "66859 元"]
    assert "行政许可\t30\t-7\t23" in ex.text


@pytest.mark.parametrize("fmt", FAST_FORMATS)
def test_haiyan_procurement_money(fmt):
    ex = extract(load(f"{SEEDS[4]}.{fmt}"))
    assert row_values(ex.tables, "政府集中采购") == ["18", "102.85万元"]


@pytest.mark.parametrize("name", ["001_c517ed2aeb61ed6c.xls", "001_c517ed2aeb61ed6c.xlsx"])
def test_spreadsheets(name):
    ex = extract(load(name))
    assert row_values(ex.tables, "行政许可") == ["30", "-7", "23"]


def test_doc_via_libreoffice_or_antiword(docx_tables):
    """002's DOC loses its 附表 in LibreOffice's DOC import (the table becomes one paragraph):
    antiword's cross-check notices and its reading is used."""
    seed = SEEDS[2]
    ex = extract(load(f"{seed}.doc"), filename=f"{seed}.doc")
    assert ex.method == "doc_converted"
    assert squeeze(ex.tables) == squeeze(docx_tables[seed])
    assert any(w.startswith("table_rows_lost_in_conversion") for w in ex.warnings)
    assert row_values(ex.tables, "主动公开文件数") == ["128", "839"]


def test_office_files_batch(docx_tables):
    """The build's path: all DOC/WPS attachments through one soffice call, same results."""
    from archive.extract import ExtractError, extract_office_files
    paths = [os.path.join(REPORTS, f"{seed}.doc") for seed in SEEDS]
    junk = os.path.join(os.path.dirname(REPORTS), "bad", "garbage.bin")
    out = extract_office_files(paths + [junk], filenames={paths[1]: "长乐年报.wps"})
    for seed, path in zip(SEEDS, paths):
        assert squeeze(out[path].tables) == squeeze(docx_tables[seed]), seed
    assert out[paths[1]].method == "wps_converted" and out[paths[0]].method == "doc_converted"
    assert row_values(out[paths[1]].tables, "行政许可") == ["30", "-7", "23"]
    assert isinstance(out[junk], ExtractError) and out[junk].kind == "unsupported"


def test_scan_pdf_section3_page_ocr():
    """OCR one page of 长乐's image-only PDF: the page with section 3 (located in the text PDF)."""
    import pdfplumber
    import pypdf
    seed = SEEDS[1]
    with pdfplumber.open(os.path.join(REPORTS, f"{seed}.pdf")) as pdf:
        page = next(i for i, p in enumerate(pdf.pages) if "三、收到和处理" in (p.extract_text() or ""))
    writer = pypdf.PdfWriter()
    writer.add_page(pypdf.PdfReader(os.path.join(REPORTS, f"{seed}.scan.pdf")).pages[page])
    buf = io.BytesIO()
    writer.write(buf)
    ex = extract(buf.getvalue(), filename=f"{seed}.scan.pdf")
    assert ex.method == "ocr"
    assert row_values(ex.tables, "行政许可") == ["30", "-7", "23"]
    assert ["6", "66859 元"] in [row[1:3] for t in ex.tables for row in t]
    s3 = next(t for t in ex.tables if len(t[0]) == 10)
    figures = [c for row in s3[3:] for c in row[3:]]
    assert len(figures) >= 7 * 10
    assert sum(c == "0" for c in figures) >= 0.95 * len(figures)   # every s3 figure of 长乐 is 0
