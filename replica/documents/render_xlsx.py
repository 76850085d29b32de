"""XLSX renderer (openpyxl): the statistics tables, one sheet per section, merged ranges."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from .layout import Table, build_document
from .ooxml import stable_zip
from .spec import ReportSpec

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _sheet(wb: Workbook, spec: ReportSpec, t: Table, heading: str) -> None:
    ws = wb.create_sheet(t.name)
    ws.cell(1, 1, f"{spec.agency}{spec.year}年{heading}").font = Font(bold=True, size=12)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=t.ncols)
    for r, c, cell in t.placed():
        row, col = r + 2, c + 1
        x = ws.cell(row, col, cell.text)
        x.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        x.font = Font(name="宋体", size=9 if t.small else 10, bold=cell.header)
        for i in range(cell.rowspan):
            for j in range(cell.colspan):
                ws.cell(row + i, col + j).border = _BORDER
        if cell.rowspan > 1 or cell.colspan > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row + cell.rowspan - 1,
                           end_column=col + cell.colspan - 1)
    for c in range(t.ncols):
        ws.column_dimensions[get_column_letter(c + 1)].width = 14 if t.ncols <= 4 else 10


def render_xlsx(spec: ReportSpec) -> bytes:
    """The tables of the report as a workbook (sheets 二/三/四, or 附表 for G0)."""
    wb = Workbook()
    wb.remove(wb.active)
    blocks = build_document(spec).blocks
    heading = ""
    for b in blocks:
        if b.kind == "heading":
            heading = b.text
        if b.table is not None:
            _sheet(wb, spec, b.table, heading.split("、", 1)[-1])
    if not wb.sheetnames:
        wb.create_sheet("报告")["A1"] = spec.title
    wb.properties.creator = spec.agency
    wb.properties.title = spec.title
    buf = io.BytesIO()
    wb.save(buf)
    return stable_zip(buf.getvalue(), spec.signature_date or f"{spec.year + 1}-01-15")
