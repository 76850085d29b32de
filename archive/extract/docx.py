"""DOCX: paragraphs and tables in document order, merged cells resolved, text boxes ignored.

WordprocessingML read with lxml directly (the same element model python-docx wraps)."""
from __future__ import annotations

import zipfile
import zlib

from lxml import etree

from .model import Extracted, ExtractError, Grid, clean_cell, rectangular, render_grid, tidy_text
from .safety import Deadline, check_zip

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}


def _q(name: str) -> str:
    return f"{{{W}}}{name}"


P, TBL, TR, TC, SDT, SDT_CONTENT, CUSTOM_XML = (_q(n) for n in ("p", "tbl", "tr", "tc", "sdt", "sdtContent", "customXml"))
T, TAB, NB_HYPHEN, TC_PR, TR_PR, GRID_SPAN, V_MERGE, VAL = (
    _q(n) for n in ("t", "tab", "noBreakHyphen", "tcPr", "trPr", "gridSpan", "vMerge", "val"))


# Runs' text, tabs and breaks, except inside text boxes and compatibility fallbacks (duplicates).
_RUN_BITS = ("(.//w:r/w:t|.//w:r/w:tab|.//w:r/w:br|.//w:r/w:cr|.//w:r/w:noBreakHyphen)"
             "[not(ancestor::w:txbxContent)][not(ancestor::mc:Fallback)]")
_RUN_XPATH = etree.XPath(_RUN_BITS, namespaces=NS)


def paragraph_text(p) -> str:
    out = []
    for node in _RUN_XPATH(p):
        tag = node.tag
        if tag == T:
            out.append(node.text or "")
        elif tag == TAB:
            out.append("\t")
        elif tag == NB_HYPHEN:
            out.append("-")
        else:
            out.append("\n")
    return "".join(out)


def _int_attr(el, default: int = 1) -> int:
    if el is None:
        return default
    try:
        return max(int(el.get(VAL, default)), 1)
    except ValueError:
        return default


def _block_children(container):
    """w:p and w:tbl children, looking through content controls (w:sdt) and customXml wrappers."""
    for child in container:
        tag = child.tag
        if tag in (P, TBL):
            yield child
        elif tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                yield from _block_children(content)
        elif tag == CUSTOM_XML:
            yield from _block_children(child)


def _cell_plain(tc) -> str:
    """A cell's text, nested tables flattened row by row."""
    parts = []
    for block in _block_children(tc):
        if block.tag == P:
            parts.append(paragraph_text(block).replace("\t", " "))
        else:
            parts.extend(" ".join(r) for r in table_grid(block))
    return clean_cell("\n".join(parts))


def _cells(tr):
    for child in tr:
        if child.tag == TC:
            yield child
        elif child.tag in (SDT, CUSTOM_XML):
            content = child.find(SDT_CONTENT) if child.tag == SDT else child
            if content is not None:
                yield from (c for c in content if c.tag == TC)


SLIVER_TWIPS = 60      # narrower grid columns (~1 mm) are conversion artifacts, not columns


def table_grid(tbl) -> Grid:
    """gridBefore pads, gridSpan repeats "" to the right, vMerge continue -> "".

    Sliver grid columns (LibreOffice's DOC import adds 1-twip columns where borders do not line
    up) are dropped; text of a cell starting in one moves to the cell's next grid column."""
    grid: Grid = []
    owner: list[list[int]] = []          # grid column where the covering cell starts
    for tr in tbl.iterfind(TR):
        row: list[str] = []
        own: list[int] = []
        trpr = tr.find(TR_PR)
        if trpr is not None:
            before = _int_attr(trpr.find(_q("gridBefore")), 0)
            row.extend([""] * before)
            own.extend(range(before))
        for tc in _cells(tr):
            tcpr = tc.find(TC_PR)
            span = min(_int_attr(tcpr.find(GRID_SPAN) if tcpr is not None else None), 1000)
            vmerge = tcpr.find(V_MERGE) if tcpr is not None else None
            continued = vmerge is not None and vmerge.get(VAL, "continue") == "continue"
            own.extend([len(row)] * span)
            row.append("" if continued else _cell_plain(tc))
            row.extend([""] * (span - 1))
        grid.append(row)
        owner.append(own)
    grid = rectangular(grid)
    for c in reversed(_slivers(tbl)):
        grid = _drop_column(grid, owner, c)
    return grid


def _slivers(tbl) -> list[int]:
    widths = []
    tblgrid = tbl.find(_q("tblGrid"))
    if tblgrid is not None:
        for col in tblgrid.iterfind(_q("gridCol")):
            try:
                widths.append(int(float(col.get(_q("w"), "1000"))))
            except ValueError:
                widths.append(1000)
    return [i for i, w in enumerate(widths) if w < SLIVER_TWIPS]


def _drop_column(grid: Grid, owner: list[list[int]], c: int) -> Grid:
    if not grid or c >= len(grid[0]) or len(grid[0]) < 2:
        return grid
    moves = []
    for r, row in enumerate(grid):
        if not row[c]:
            continue
        spans_on = c + 1 < len(row) and c + 1 < len(owner[r]) and owner[r][c + 1] == c
        if not spans_on:
            return grid                  # a real cell lives here: keep the column
        moves.append(r)
    out = []
    for r, row in enumerate(grid):
        row = list(row)
        if r in moves:
            row[c + 1] = row[c]
        del row[c]
        out.append(row)
    return out


def body_blocks(body, deadline: Deadline | None = None) -> tuple[str, list[Grid]]:
    lines: list[str] = []
    tables: list[Grid] = []
    for block in _block_children(body):
        if block.tag == P:
            lines.append(paragraph_text(block))
        else:
            if deadline:
                deadline.check("docx")
            grid = table_grid(block)
            if grid:
                tables.append(grid)
                lines.extend(["", render_grid(grid), ""])
    return tidy_text("\n".join(lines)), tables


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOC = "/officeDocument"


def _main_part(zf) -> str:
    """The main document part named by the package relationships (usually word/document.xml)."""
    try:
        rels = etree.fromstring(zf.read("_rels/.rels"), _PARSER)
        for rel in rels.iter(f"{{{_REL_NS}}}Relationship"):
            if rel.get("Type", "").endswith(_OFFICE_DOC):
                return rel.get("Target", "").lstrip("/")
    except (KeyError, etree.XMLSyntaxError):
        pass
    return "word/document.xml"


def extract_docx(data: bytes, deadline: Deadline, fmt: str = "docx") -> Extracted:
    """Only the main part is parsed (python-docx's package loader parses every part, ~4x slower);
    entities are not resolved (no XXE)."""
    zf = check_zip(data)
    name = _main_part(zf)
    try:
        root = etree.fromstring(zf.read(name), _PARSER)
    except KeyError as exc:
        raise ExtractError("corrupt", f"docx without {name}") from exc
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise ExtractError("corrupt", f"docx: {type(exc).__name__}: {exc}") from exc
    body = root.find(_q("body"))
    if body is None:
        raise ExtractError("corrupt", "docx without a body")
    text, tables = body_blocks(body, deadline)
    if not text.strip():
        raise ExtractError("empty", "docx has no text")
    return Extracted(text=text, tables=tables, method="docx", pages=None, warnings=[], format=fmt,
                     meta=core_properties(zf))


_DC = "http://purl.org/dc/elements/1.1/"


def core_properties(zf) -> dict[str, str]:
    """dc:title / dc:creator / dc:subject of docProps/core.xml (`docx_title`, …), when present."""
    try:
        root = etree.fromstring(zf.read("docProps/core.xml"), _PARSER)
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, ValueError):
        return {}
    out = {}
    for tag, name in (("title", "docx_title"), ("creator", "docx_author"), ("subject", "docx_subject")):
        el = root.find(f"{{{_DC}}}{tag}")
        value = " ".join((el.text or "").split()) if el is not None else ""
        if value:
            out[name] = value
    return out
