"""OCR of an image-only PDF: ruled tables are read cell by cell, so the figures land in their cells.

One page only (OCR is slow): page 1 of the sample report (section 2 and the top of section 3),
rasterised at 150 dpi like a cheap scan. The page is set in Noto Sans CJK SC (fonts-noto-cjk) with
DejaVu Sans for Latin text and digits (fonts-dejavu-core), pinned by name and checked in the PDF,
so the test reads the same page on a machine with more CJK fonts (fonts-wqy-zenhei made
LibreOffice pick another fallback font before)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fixtures", "bad"))
import make_bad as mb  # noqa: E402

from archive.extract import extract  # noqa: E402
from archive.extract.ocr import OCR_DOUBT  # noqa: E402


FONT, LATIN = "Noto Sans CJK SC", "DejaVu Sans"


def fonts_of(pdf: bytes) -> set[str]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        out = subprocess.run(["pdffonts", fh.name], capture_output=True, text=True, timeout=60).stdout
    return {ln.split()[0].split("+")[-1] for ln in out.splitlines()[2:] if ln.strip()}


@pytest.fixture(scope="module")
def scan_page() -> bytes:
    pdf = mb.libreoffice(mb.docx_bytes(mb.blocks(), font=FONT, latin=LATIN), "docx", "pdf")
    used = fonts_of(pdf)
    assert used and all(f.startswith(("NotoSansCJK", "DejaVuSans")) for f in used), used  # pinned, no fallback
    return mb.scan_pdf(pdf, dpi=150, first_page_only=True)


def test_scan_pdf_tables_read_cell_by_cell(scan_page):
    ex = extract(scan_page, filename="report.scan.pdf")
    assert (ex.method, ex.format, ex.pages) == ("ocr", "pdf", 1)
    assert len(ex.tables) == 2
    s2, s3 = ex.tables
    expected_s2 = mb.grid_of(mb.SECTION2)
    assert len(s2) == len(expected_s2) and len(s2[0]) == len(expected_s2[0])   # grid found exactly
    assert ["30", "-7", "23"] in [row[1:] for row in s2]
    assert any(row[1:3] == ["6", "66859 元"] for row in s2)
    # section 3: every figure of the rows on this page, in its own cell
    expected = mb.grid_of(mb.section3())
    assert len(s3[0]) == len(expected[0]) == 10
    got = {(r, c): s3[r][c] for r in range(3, len(s3)) for c in range(3, 10)}
    want = {(r, c): expected[r][c] for r, c in got}
    assert len(got) >= 6 * 7
    right = sum(got[k] == want[k] for k in got)   # a doubtful figure (marked) is not counted right
    assert right >= 0.85 * len(got), [(k, got[k], want[k]) for k in got if got[k] != want[k]]
    doubtful = sum(OCR_DOUBT in got[k] for k in got)
    assert right + doubtful >= 0.9 * len(got)
    # labels come out as text, and the prose around the tables too
    assert "申请人情况" in ex.text and "予以公开" in ex.text
    assert "一、总体情况" in ex.text
