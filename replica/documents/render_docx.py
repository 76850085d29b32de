"""DOCX renderer (python-docx) with real merged cells: `merge()` writes gridSpan / vMerge."""
from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from .layout import PLAIN, Block, Table, Variant, build_document, split_links
from .ooxml import stable_zip
from .spec import ReportSpec

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"


@dataclass(frozen=True)
class Fonts:
    body: str
    heading: str
    title: str


OFFICIAL = Fonts(BODY_FONT, HEADING_FONT, TITLE_FONT)


def _font(run, name: str, size: float | None = None, bold: bool = False) -> None:
    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    run.bold = bold or None


def _field_link(par: Paragraph, text: str, url: str, fonts: Fonts) -> None:
    """A Word HYPERLINK field (what leaks as `HYPERLINK "…"` in some text extractions)."""
    def fld(kind: str) -> None:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        par.add_run()._r.append(el)

    fld("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f' HYPERLINK "{url}" '
    par.add_run()._r.append(instr)
    fld("separate")
    run = par.add_run(text)
    _font(run, fonts.body, 14)
    run.font.color.rgb = RGBColor(0x00, 0x00, 0xFF)
    run.underline = True
    fld("end")


def _para(doc, b: Block, fonts: Fonts) -> None:
    par = doc.add_paragraph()
    fmt = par.paragraph_format
    fmt.space_after = Pt(0)
    if b.kind == "letterhead":
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = par.add_run(b.text)
        _font(run, fonts.title, 26, bold=True)
        run.font.color.rgb = RGBColor(0xFF, 0x00, 0x00)
        return
    if b.kind == "title":
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        fmt.space_before = fmt.space_after = Pt(12)
        _font(par.add_run(b.text), fonts.title, 20, bold=True)
        return
    if b.kind == "doc_no":
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(par.add_run(b.text), fonts.body, 14)
        return
    if b.kind in ("signature", "date"):
        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(par.add_run(b.text), fonts.body, 14)
        return
    fmt.first_line_indent = Pt(28)
    if b.kind == "heading":
        _font(par.add_run(b.text), fonts.heading, 14, bold=True)
        return
    for text, url in split_links(b.text):
        if url:
            _field_link(par, text, url, fonts)
        else:
            _font(par.add_run(text), fonts.body, 14)


#: column widths in cm per table kind (text width is 16.6 cm)
_WIDTHS = {"s2": [4.1] * 4, "s3": [1.5, 1.9, 3.3] + [1.35] * 7, "s4": [1.1] * 15, "g0": [7.0, 2.0, 3.5, 3.5]}


def _table(doc, t: Table, fonts: Fonts) -> None:
    table = doc.add_table(rows=len(t.rows), cols=t.ncols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _WIDTHS.get(t.key, [16.4 / t.ncols] * t.ncols)
    for col, w in zip(table.columns, widths):
        col.width = Cm(w)
    size = 7.5 if t.ncols > 10 else (8 if t.small else 10.5)
    # Snapshot the unmerged cells once (table.cell() is O(n)); spans never overlap, so each
    # merge only touches its own region and the other snapshot cells stay valid.
    grid = [list(row.cells) for row in table.rows]
    for r, c, cell in t.placed():
        target = grid[r][c]
        target.width = Cm(sum(widths[c:c + cell.colspan]))
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(grid[r + cell.rowspan - 1][c + cell.colspan - 1])
        target.text = cell.text
        for par in target.paragraphs:
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER
            par.paragraph_format.space_after = Pt(0)
            for run in par.runs:
                _font(run, fonts.body, size, bold=cell.header and t.key != "s3")


def render_docx(spec: ReportSpec, variant: Variant = PLAIN) -> bytes:
    """The report as a Word 2007+ document (A4, official-style fonts, merged table cells).
    `variant.font` pins every run to one installed family (scans that must not depend on
    which fallback font a machine has)."""
    fonts = Fonts(variant.font, variant.font, variant.font) if variant.font else OFFICIAL
    doc = new_docx()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.2)
    sec.top_margin = sec.bottom_margin = Cm(2.5)
    normal = doc.styles["Normal"]
    normal.font.name = fonts.body
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), fonts.body)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = spec.title, spec.agency, spec.agency
    props.revision = 1
    for b in build_document(spec, variant).blocks:
        if b.kind == "table" and b.table is not None:
            _table(doc, b.table, fonts)
        else:
            _para(doc, b, fonts)
    buf = io.BytesIO()
    doc.save(buf)
    return stable_zip(buf.getvalue(), spec.signature_date or f"{spec.year + 1}-01-15")
