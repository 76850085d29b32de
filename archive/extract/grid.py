"""Expanding spanned table cells into a full grid (merged text in the top-left cell, "" elsewhere)."""
from __future__ import annotations

from typing import Iterable, NamedTuple

MAX_COLSPAN = 1000     # the HTML spec's own limits
MAX_ROWSPAN = 65534


class SpanCell(NamedTuple):
    text: str
    rowspan: int = 1
    colspan: int = 1


def _span(value, limit: int) -> int:
    try:
        n = int(str(value).strip() or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(n, 0), limit)


def spans(rowspan, colspan) -> tuple[int, int]:
    """Parse HTML-ish span attributes; rowspan 0 means 'to the end of the table'."""
    return _span(rowspan, MAX_ROWSPAN), max(_span(colspan, MAX_COLSPAN), 1)


def expand(rows: Iterable[list[SpanCell]]) -> list[list[str]]:
    """HTML table model: each row's cells fill the next free slots left by rowspans from above."""
    rows = list(rows)
    nrows = len(rows)
    grid: list[list[str | None]] = [[] for _ in range(nrows)]

    def put(r: int, c: int, value: str) -> None:
        row = grid[r]
        if len(row) <= c:
            row.extend([None] * (c + 1 - len(row)))
        row[c] = value

    for r, cells in enumerate(rows):
        c = 0
        for cell in cells:
            while c < len(grid[r]) and grid[r][c] is not None:
                c += 1
            rowspan = cell.rowspan if cell.rowspan > 0 else nrows - r
            last_row = min(r + max(rowspan, 1), nrows)
            for rr in range(r, last_row):
                for cc in range(c, c + cell.colspan):
                    put(rr, cc, cell.text if (rr, cc) == (r, c) else "")
            c += cell.colspan
    width = max((len(r) for r in grid), default=0)
    return [[v if v is not None else "" for v in row] + [""] * (width - len(row)) for row in grid]
