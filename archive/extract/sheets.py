"""Spreadsheets: every sheet as one table, merged ranges expanded (text in the top-left cell)."""
from __future__ import annotations

import io

from .model import Extracted, ExtractError, Grid, clean_cell, rectangular, render_grid, tidy_text
from .safety import Deadline, check_zip

MAX_CELLS = 2_000_000


def _value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return clean_cell(str(v))


def _finish(sheets: list[tuple[str, Grid]], method: str, fmt: str) -> Extracted:
    tables = [g for _, g in sheets if g]
    parts = []
    for name, grid in sheets:
        if grid:
            parts += [name, render_grid(grid), ""]
    if not tables:
        raise ExtractError("empty", "spreadsheet has no cells")
    return Extracted(text=tidy_text("\n".join(parts)), tables=tables, method=method,
                     pages=len(sheets), warnings=[], format=fmt)


def extract_xlsx(data: bytes, deadline: Deadline) -> Extracted:
    check_zip(data)
    import openpyxl
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:
        raise ExtractError("corrupt", f"xlsx: {type(exc).__name__}: {exc}") from exc
    sheets = []
    for ws in wb.worksheets:
        deadline.check("xlsx")
        if (ws.max_row or 0) * (ws.max_column or 0) > MAX_CELLS:
            raise ExtractError("too_large", f"sheet {ws.title} has too many cells")
        grid = [[_value(v) for v in row] for row in ws.iter_rows(values_only=True)]
        for rng in ws.merged_cells.ranges:   # openpyxl already blanks the covered cells
            for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
                for c in range(rng.min_col - 1, min(rng.max_col, len(grid[r]))):
                    if (r, c) != (rng.min_row - 1, rng.min_col - 1):
                        grid[r][c] = ""
        sheets.append((ws.title, rectangular(grid)))
    return _finish(sheets, "xlsx", "xlsx")


def extract_xls(data: bytes, deadline: Deadline) -> Extracted:
    import xlrd
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as exc:
        msg = str(exc).lower()
        kind = "encrypted" if "encrypt" in msg or "password" in msg else "corrupt"
        raise ExtractError(kind, f"xls: {type(exc).__name__}: {exc}") from exc
    sheets = []
    for idx in range(book.nsheets):
        deadline.check("xls")
        sh = book.sheet_by_index(idx)
        if sh.nrows * sh.ncols > MAX_CELLS:
            raise ExtractError("too_large", f"sheet {sh.name} has too many cells")
        grid = [[_value(sh.cell_value(r, c)) for c in range(sh.ncols)] for r in range(sh.nrows)]
        for r0, r1, c0, c1 in sh.merged_cells:
            for r in range(r0, min(r1, sh.nrows)):
                for c in range(c0, min(c1, sh.ncols)):
                    if (r, c) != (r0, c0):
                        grid[r][c] = ""
        sheets.append((sh.name, rectangular(grid)))
        book.unload_sheet(idx)
    return _finish(sheets, "xls", "xls")
