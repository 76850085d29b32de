"""Text layouts of extracted tables (report-format.md §9.1) → rows of classified cells.

Every layout is turned into the same shape: a list of `Row`s, each a list of `Cell`s of
kind `label`, `value` or `blank`. `Row.blanks` says how far blank cells can be trusted:

- `full`: every blank cell is visible (one cell per `\\t` line, pipes, grids);
- `interior`: tab rows, where leading/trailing tabs are merged-cell or line-end artefacts;
- `none`: one cell per line without markers, PDF text: blank cells are invisible.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import OCR_DOUBT, is_unit_token, is_value_token, nfkc

LABEL, VALUE, BLANK = "label", "value", "blank"


@dataclass
class Cell:
    raw: str
    kind: str

    @property
    def text(self) -> str:
        return self.raw.strip()


@dataclass
class Row:
    cells: list[Cell] = field(default_factory=list)
    blanks: str = "full"
    layout: str = ""

    @property
    def labels(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == LABEL]

    def region(self) -> list[Cell]:
        """The cells after the last label (the value part of the row)."""
        idx = max((i for i, c in enumerate(self.cells) if c.kind == LABEL), default=-1)
        return self.cells[idx + 1:]


def is_prose(text: str) -> bool:
    """Narrative sentences are never table cells."""
    t = re.sub(r"\s+", "", nfkc(text))
    return "。" in t or len(t) > 70


def classify(text: str) -> Cell:
    t = text.strip()
    if not t:
        return Cell(text, BLANK)
    if t == OCR_DOUBT:  # a figure OCR could not read: a value (null, flagged), not a label
        return Cell(text, VALUE)
    return Cell(text, VALUE if is_value_token(t) else LABEL)


# ---------------------------------------------------------------- layout detection
_TABCELL = re.compile(r"^\t[^\t]*$")


def detect_layout(lines: list[str]) -> str:
    tabcell = sum(1 for ln in lines if _TABCELL.match(ln))
    tabrow = sum(1 for ln in lines if "\t" in ln and not _TABCELL.match(ln))
    pipe = sum(1 for ln in lines if ln.count("|") >= 2)
    trail = sum(1 for ln in lines if ln.strip() == "|" or (ln.rstrip().endswith("|") and ln.count("|") == 1))
    if tabcell >= 3 and tabcell > tabrow:
        return "tabcell"
    if tabrow >= 2:
        return "tabrow"
    if pipe >= 2 and pipe >= trail:
        return "pipe"
    if trail >= 3:
        return "trailpipe"
    return "plain"


def rows_from_text(text: str, layout: str | None = None) -> list[Row]:
    lines = text.split("\n")
    layout = layout or detect_layout(lines)
    builder = {"tabcell": _tabcell, "tabrow": _tabrow, "pipe": _pipe,
               "trailpipe": _trailpipe, "plain": _plain}[layout]
    rows = [r for r in builder(lines) if r.cells]
    for r in rows:
        r.layout = layout
    return rows


def rows_from_grid(grid: list[list[str]]) -> list[Row]:
    """An expanded table grid (HTML/DOCX/PDF/XLS): cells are reliable."""
    rows = []
    for grid_row in grid:
        cells = [classify(str(c or "")) for c in grid_row]
        cells = [c for c in cells if not (c.kind == LABEL and is_prose(c.raw) and "勾稽" not in c.raw)]
        if len(cells) >= 2 or any(c.kind != BLANK for c in cells):  # blank rows are real rows
            rows.append(Row(cells, "full", "grid"))
    return rows


def _text_cells(parts: list[str]) -> list[Cell]:
    return [Cell(p, LABEL) if is_prose(p) and "勾稽" not in p else classify(p) for p in parts]


def _drop_prose(row: Row) -> Row:
    row.cells = [c for c in row.cells if not (c.kind == LABEL and is_prose(c.raw) and "勾稽" not in c.raw)]
    return row


def _tabrow(lines: list[str]) -> list[Row]:
    rows = []
    for ln in lines:
        if not ln.strip():
            continue
        if "\t" not in ln:
            rows.extend(_plain([ln]))
            continue
        rows.append(_drop_prose(Row(_text_cells(ln.split("\t")), "interior")))
    return rows


def _tabcell(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    cur: list[str] = []

    def close() -> None:
        if cur:
            rows.append(_drop_prose(Row(_text_cells(cur), "full")))
        cur.clear()

    for ln in lines:
        if ln.startswith("\t"):
            cur.extend(ln[1:].split("\t"))
        elif not ln.strip():
            close()
        elif cur and cur[-1].strip():
            cur[-1] = cur[-1].rstrip() + ln.strip()  # a cell's own line break
        else:
            close()
            rows.extend(_plain([ln]))
    close()
    return rows


def _pipe(lines: list[str]) -> list[Row]:
    rows = []
    for ln in lines:
        if "|" not in ln:
            if ln.strip():
                rows.extend(_plain([ln]))
            continue
        parts = ln.strip().split("|")
        if parts and parts[0] == "":
            parts = parts[1:]
        if parts and parts[-1].strip() == "":
            parts = parts[:-1]
        parts = [p for p in parts if p != ""]  # `||` runs are colspan fillers
        if len(parts) >= 2 and all(re.fullmatch(r"\s*:?-{3,}:?\s*", p) for p in parts):
            continue  # markdown separator row
        rows.append(_drop_prose(Row(_text_cells(parts), "full")))
    return rows


def _trailpipe(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    cur: list[Cell] = []
    for ln in lines:
        s = ln.strip()
        if not s:
            if cur:
                rows.append(Row(cur, "full"))
            cur = []
            continue
        text = s[:-1] if s.endswith("|") else s
        cell = classify(text)
        if cell.kind == LABEL and is_prose(text):
            continue
        if cell.kind == LABEL and cur and any(c.kind != LABEL for c in cur):
            rows.append(Row(cur, "full"))
            cur = []
        cur.append(cell)
    if cur:
        rows.append(Row(cur, "full"))
    return rows


def _split_spaced(line: str) -> list[Cell] | None:
    """`四、结转下年度继续办理 0 0 0 0 0 0 0` → label + 7 values (PDF text)."""
    toks = line.split()
    if len(toks) < 2 or not any(is_value_token(t) for t in toks):
        return None
    cells: list[Cell] = []
    for t in toks:
        if cells and cells[-1].kind == VALUE and is_unit_token(t):
            cells[-1] = Cell(cells[-1].raw + t, VALUE)  # `66859 元`
            continue
        if cells and cells[-1].kind == LABEL and re.fullmatch(r"(减少|减|增加|增|新增|下降)", cells[-1].raw) \
                and re.fullmatch(r"\d+", t):
            cells[-1] = Cell(cells[-1].raw + t, VALUE)  # `减少 166`
            continue
        c = classify(t)
        if c.kind == LABEL and cells and cells[-1].kind == LABEL:
            cells[-1] = Cell(cells[-1].raw + t, LABEL)  # `(一) 予以公开`
        else:
            cells.append(c)
    return cells


def _plain(lines: list[str]) -> list[Row]:
    """One cell per line (blank cells invisible) or space-separated PDF lines."""
    rows: list[Row] = []
    cur: list[Cell] = []

    def close() -> None:
        nonlocal cur
        if cur:
            rows.append(Row(cur, "none"))
        cur = []

    for ln in lines:
        s = ln.strip()
        if not s or is_prose(s):
            continue
        cell = classify(s)
        spaced = _split_spaced(s) if cell.kind == LABEL or " " in s else None
        if spaced and (sum(1 for c in spaced if c.kind == VALUE) >= 2 or spaced[-1].kind == VALUE):
            if any(c.kind == LABEL for c in spaced) or not (cur and all(c.kind == LABEL for c in cur)):
                close()
            cur.extend(spaced)
            close()
            continue
        if cell.kind == LABEL and cur and any(c.kind != LABEL for c in cur):
            close()
        if cell.kind == LABEL and re.search(r"[\u4e00-\u9fff]\d+$", s):
            close()  # `规章000`: values glued to the label make a row of their own
            cur.append(cell)
            close()
            continue
        cur.append(cell)
    close()
    return rows


def fit(cells: list[Cell], k: int, blanks: str, pad: bool = False) -> list[Cell]:
    """The k cells of a row's value part, as far as they can be told apart.

    `full`: surplus blank cells at either end are merged-cell artefacts and are trimmed.
    `interior`: leading/trailing empties of a tab row are artefacts; with `pad` (section 二,
    where a row's trailing cells are blank cells) they are kept up to k.
    `none`: blank cells were never visible; only values are returned.
    A result shorter than k is a short row (§9.3) for the caller to resolve.
    """
    cells = [c for c in cells if c.kind != LABEL]
    if blanks == "none":
        return [c for c in cells if c.kind == VALUE]
    if blanks == "interior":
        raw_len = len(cells)
        while cells and cells[0].kind == BLANK:
            cells = cells[1:]
        while cells and cells[-1].kind == BLANK:
            cells = cells[:-1]
        if not cells and raw_len >= k:
            return [Cell("", BLANK)] * k
        if pad and len(cells) < k and raw_len >= k:
            cells = cells + [Cell("", BLANK)] * (k - len(cells))
        return cells
    while len(cells) > k and cells[0].kind == BLANK:
        cells = cells[1:]
    while len(cells) > k and cells[-1].kind == BLANK:
        cells = cells[:-1]
    return cells
