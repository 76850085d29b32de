"""PDF with a text layer (pdfplumber): page text with tables in reading order; bad pages go to OCR."""
from __future__ import annotations

import io
import logging
import re
from typing import Callable

from .model import Extracted, ExtractError, Grid, clean_cell, rectangular, render_grid, tidy_text
from .safety import Deadline

MIN_PAGE_CHARS = 10          # fewer visible characters than this: treat the page as scanned
MAX_GARBAGE_SHARE = 0.3      # (cid:N), private-use and replacement characters
_CID = re.compile(r"\(cid:\d+\)")
_GARBAGE = re.compile(r"[\ue000-\uf8ff\ufffd]")

for _name in ("pdfminer", "pdfplumber"):
    logging.getLogger(_name).setLevel(logging.ERROR)

OcrPages = Callable[[bytes, list[int], Deadline], dict[int, tuple[str, list[Grid]]]]


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


def page_content(page) -> tuple[str, list[Grid]]:
    """Text lines outside tables and the tables themselves, ordered top to bottom."""
    found = page.find_tables()
    boxes = [t.bbox for t in found]
    items: list[tuple[float, int, str]] = []
    grids: list[Grid] = []
    for t in found:
        grid = rectangular([[clean_cell(c) for c in row] for row in t.extract()])
        if grid and len(grid) * len(grid[0]) > 1:
            grids.append(grid)
            items.append((t.bbox[1], 1, "\n" + render_grid(grid) + "\n"))
        else:
            boxes.remove(t.bbox)
    rest = page.filter(lambda o: not _inside(o, boxes)) if boxes else page
    for line in rest.extract_text_lines(return_chars=False):
        items.append((line["top"], 0, line["text"]))
    items.sort(key=lambda it: (it[0], it[1]))
    return "\n".join(it[2] for it in items), grids


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
        if "password" in str(exc).lower() or "encrypt" in type(exc).__name__.lower():
            raise ExtractError("encrypted", f"pdf: {exc}") from exc
        kind = "truncated" if not has_eof(data) else "corrupt"
        raise ExtractError(kind, f"pdf: {type(exc).__name__}: {exc}") from exc


def has_eof(data: bytes) -> bool:
    return b"%%EOF" in data[-2048:]


def extract_pdf(data: bytes, deadline: Deadline, ocr_pages: OcrPages | None = None) -> Extracted:
    warnings: list[str] = []
    if not has_eof(data):
        warnings.append("truncated: no %%EOF")
    pdf = _open(data)
    texts: dict[int, str] = {}
    tables: dict[int, list[Grid]] = {}
    scanned: list[int] = []
    try:
        npages = len(pdf.pages)
        if npages == 0:
            raise ExtractError("truncated" if not has_eof(data) else "corrupt", "pdf has no pages")
        for i, page in enumerate(pdf.pages):
            deadline.check("pdf")
            try:
                text, grids = page_content(page)
            except ExtractError:
                raise
            except Exception as exc:  # a broken page must not lose the others
                warnings.append(f"page {i + 1}: {type(exc).__name__}")
                text, grids = "", []
            if page_is_garbage(text + "".join(c for g in grids for r in g for c in r)):
                scanned.append(i)
            texts[i], tables[i] = text, grids
            page.close()
    finally:
        pdf.close()
    method = "pdf_text"
    if scanned and ocr_pages is not None:
        for i, (text, grids) in ocr_pages(data, scanned, deadline).items():
            texts[i], tables[i] = text, grids
        if len(scanned) == npages:
            method = "ocr"
        else:
            warnings.append("ocr_pages:" + ",".join(str(i + 1) for i in scanned))
    elif scanned:
        warnings.append("no_text_layer_pages:" + ",".join(str(i + 1) for i in scanned))
    text = tidy_text("\n\n".join(texts[i] for i in range(npages)))
    if not text.strip():
        raise ExtractError("truncated" if not has_eof(data) else "empty", "pdf has no text")
    return Extracted(text=text, tables=[g for i in range(npages) for g in tables[i]], method=method,
                     pages=npages, warnings=warnings, format="pdf")
