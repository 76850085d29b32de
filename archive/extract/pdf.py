"""PDF with a text layer: page text with tables in reading order; pages without usable text go to OCR.

Pages are read with PDFium (pdfium.py) and pdfplumber's table algorithm; pdfplumber/pdfminer
(page_blocks here) is the fallback for files PDFium will not open."""
from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Callable

from .model import Extracted, ExtractError, Grid, clean_cell, rectangular, render_grid, tidy_text
from .safety import Deadline

MIN_PAGE_CHARS = 10          # fewer visible characters than this: treat the page as scanned
MAX_GARBAGE_SHARE = 0.3      # (cid:N), private-use and replacement characters
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")   # pdfminer's spacing of narrow cells
_CID = re.compile(r"\(cid:\d+\)")
_GARBAGE = re.compile(r"[\ue000-\uf8ff\ufffd]")

for _name in ("pdfminer", "pdfplumber"):
    logging.getLogger(_name).setLevel(logging.ERROR)



def page_is_garbage(text: str) -> bool:
    visible = re.sub(r"\s", "", text)
    if len(visible) < MIN_PAGE_CHARS:
        return True
    bad = sum(len(m) for m in _CID.findall(visible)) + len(_GARBAGE.findall(visible))
    return bad > MAX_GARBAGE_SHARE * len(visible)


def _inside(obj: dict, boxes: list[tuple]) -> bool:
    cx = (obj["x0"] + obj["x1"]) / 2
    cy = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)


Block = tuple               # ("text", str) or ("table", Grid, TableMeta | None)
OcrPages = Callable[[bytes, list[int], Deadline], dict[int, list[Block]]]
_PAGE_NUMBER = re.compile(r"^[\s\-—－]*(第\s*)?\d{1,4}(\s*页)?([\s/共]*\d*\s*页?)?[\s\-—－]*$")


def page_blocks(page) -> list[Block]:
    """Text lines outside tables and the tables themselves, ordered top to bottom."""
    found = page.find_tables()
    boxes = [t.bbox for t in found]
    items: list[tuple[float, int, Block]] = []
    for t in found:
        grid = rectangular([[_CJK_GAP.sub("", clean_cell(c)) for c in row] for row in t.extract()])
        if grid and len(grid) * len(grid[0]) > 1:
            items.append((t.bbox[1], 1, ("table", grid, _meta(t))))
        else:
            boxes.remove(t.bbox)
    rest = page.filter(lambda o: not _inside(o, boxes)) if boxes else page
    for line in rest.extract_text_lines(return_chars=False):
        items.append((line["top"], 0, ("text", line["text"])))
    items.sort(key=lambda it: (it[0], it[1]))
    blocks = [it[2] for it in items]
    # page numbers at the top/bottom of a page would split tables that run across pages
    while blocks and blocks[-1][0] == "text" and _PAGE_NUMBER.match(blocks[-1][1]):
        blocks.pop()
    while blocks and blocks[0][0] == "text" and _PAGE_NUMBER.match(blocks[0][1]):
        blocks.pop(0)
    return blocks


@dataclass
class TableMeta:
    xs: list[float]                      # column boundaries
    first: tuple[float, ...]             # left edges of the first row's real (non-merged) cells
    last: tuple[float, ...]              # same for the last row


def _meta(table) -> TableMeta:
    def lefts(row) -> tuple[float, ...]:
        return tuple(round(c[0]) for c in row.cells if c is not None)
    return TableMeta(_column_bounds(table), lefts(table.rows[0]), lefts(table.rows[-1]))


def _column_bounds(table) -> list[float]:
    """x of every column boundary of a pdfplumber table (cells' left edges plus the right edge)."""
    xs = sorted({round(c[0], 1) for c in table.cells} | {round(table.bbox[2], 1)})
    merged: list[float] = []
    for x in xs:
        if not merged or x - merged[-1] > 1.5:
            merged.append(x)
    return merged


def _remap(grid: Grid, xs: list[float] | None, target: list[float] | None, width: int) -> Grid | None:
    """Place a continuation's columns under the previous part's columns (same ruling, fewer
    boundaries because of merged cells); None when the rulings do not line up."""
    if len(grid[0]) == width:
        return grid
    if not xs or not target or len(xs) != len(grid[0]) + 1:
        return None
    index = []
    for x in xs[:-1]:
        near = [i for i, tx in enumerate(target[:-1]) if abs(tx - x) <= 2]
        if not near:
            return None
        index.append(near[0])
    if abs(xs[-1] - target[-1]) > 2:
        return None
    out = []
    for row in grid:
        new = [""] * width
        for j, value in zip(index, row):
            new[j] = value
        out.append(new)
    return out


def _is_fragment(row: list[str], prev: list[str], same_cells: bool) -> bool:
    """A row cut by a page break: same cell layout as the previous row, and its few filled cells
    are cells the previous row fills too."""
    filled = {i for i, c in enumerate(row) if c}
    before = {i for i, c in enumerate(prev) if c}
    return same_cells and bool(filled) and filled <= before and len(filled) * 2 <= len(row)


def join_page_tables(pages: list[list[Block]]) -> list[Grid]:
    """Glue a table continued at the top of the next page onto the one ending the previous page
    (same column ruling); a row split by the page break is re-joined. Returns all grids kept."""
    for i in range(1, len(pages)):
        prev, cur = pages[i - 1], pages[i]
        if not (prev and cur and prev[-1][0] == "table" and cur[0][0] == "table"):
            continue
        top, cont = prev[-1][1], cur[0][1]
        top_meta = prev[-1][2] if len(prev[-1]) > 2 else None
        cont_meta = cur[0][2] if len(cur[0]) > 2 else None
        cont = _remap(cont, cont_meta and cont_meta.xs, top_meta and top_meta.xs, len(top[0]))
        if cont is None:
            continue
        # a row cut in two keeps its cells; cells merged from rows above reappear as boxes
        same_cells = bool(top_meta and cont_meta) and all(
            any(abs(x - y) <= 2 for y in cont_meta.first) for x in top_meta.last)
        if _is_fragment(cont[0], top[-1], same_cells):
            top[-1] = [a + b if b else a for a, b in zip(top[-1], cont[0])]
            cont = cont[1:]
        top.extend(cont)
        cur.pop(0)
    return [b[1] for blocks in pages for b in blocks if b[0] == "table"]


def render_blocks(blocks: list[Block]) -> str:
    return "\n".join(b[1] if b[0] == "text" else "\n" + render_grid(b[1]) + "\n" for b in blocks)


def _open(data: bytes):
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pdf.pages  # forces the page tree
        return pdf
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise ExtractError("encrypted", f"pdf: {type(exc).__name__}") from exc
    except (PDFSyntaxError, Exception) as exc:
        if isinstance(exc, ExtractError):
            raise
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
        if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)) or "password" in str(inner).lower():
            raise ExtractError("encrypted", f"pdf: {exc}") from exc
        kind = "truncated" if not has_eof(data) else "corrupt"
        raise ExtractError(kind, f"pdf: {type(exc).__name__}: {exc}") from exc


def has_eof(data: bytes) -> bool:
    return b"%%EOF" in data[-2048:]


_OBJECT_DATA = re.compile(rb"\d+\s+\d+\s+obj\b|\bendobj\b|\bstream\b")


def looks_truncated(data: bytes) -> bool:
    """No %%EOF, or object data after the last one (a download cut short mid-update)."""
    end = data.rfind(b"%%EOF")
    return end < 0 or bool(_OBJECT_DATA.search(data[end + 5:]))


def extract_pdf(data: bytes, deadline: Deadline, ocr_pages: OcrPages | None = None) -> Extracted:
    if looks_truncated(data):
        raise ExtractError("truncated", "pdf ends before its %%EOF")
    warnings: list[str] = []
    meta: dict[str, str] = {}
    try:
        pages = _read_pdfium(data, deadline, warnings, meta)
    except ExtractError as exc:
        if exc.kind in ("encrypted", "timeout"):
            raise
        warnings.append(f"pdfium: {exc.message}; pdfminer used")
        pages = _read_pdfminer(data, deadline, warnings)
    npages = len(pages)
    scanned = [i for i, blocks in enumerate(pages) if page_is_garbage(" ".join(_block_text(b) for b in blocks))]
    method = "pdf_text"
    if scanned and ocr_pages is not None:
        for i, blocks in ocr_pages(data, scanned, deadline).items():
            pages[i] = blocks
        if len(scanned) == npages:
            method = "ocr"
        else:
            warnings.append("ocr_pages:" + ",".join(str(i + 1) for i in scanned))
    elif scanned:
        warnings.append("no_text_layer_pages:" + ",".join(str(i + 1) for i in scanned))
    tables = join_page_tables(pages)
    text = tidy_text("\n\n".join(render_blocks(b) for b in pages))
    if not text.strip():
        raise ExtractError("empty", "pdf has no text")
    return Extracted(text=text, tables=tables, method=method, pages=npages, warnings=warnings, format="pdf",
                     meta=meta)


def _read_pdfium(data: bytes, deadline: Deadline, warnings: list[str],
                 meta: dict[str, str] | None = None) -> list[list[Block]]:
    from . import pdfium
    doc = pdfium.open_document(data)
    try:
        if meta is not None:
            meta.update(pdfium.document_meta(doc))
        if len(doc) == 0:
            raise ExtractError("corrupt", "pdf has no pages")
        pages = []
        for i in range(len(doc)):
            deadline.check("pdf")
            page = doc[i]
            try:
                pages.append(pdfium.page_blocks(page, _meta))
            finally:
                page.close()
        return pages
    finally:
        doc.close()


def _read_pdfminer(data: bytes, deadline: Deadline, warnings: list[str]) -> list[list[Block]]:
    pdf = _open(data)
    pages = []
    try:
        if len(pdf.pages) == 0:
            raise ExtractError("corrupt", "pdf has no pages")
        for i, page in enumerate(pdf.pages):
            deadline.check("pdf")
            try:
                pages.append(page_blocks(page))
            except ExtractError:
                raise
            except Exception as exc:  # a broken page must not lose the others
                warnings.append(f"page {i + 1}: {type(exc).__name__}")
                pages.append([])
            page.close()
    finally:
        pdf.close()
    return pages


def _block_text(block: Block) -> str:
    if block[0] == "text":
        return block[1]
    return " ".join(c for row in block[1] for c in row)
