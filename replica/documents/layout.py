"""The document model shared by all renderers: a flat list of blocks, tables as merged-cell grids.

Tables follow the official layouts (report-format.md §3–§5, §7.1): every renderer (HTML rowspan /
colspan, DOCX gridSpan / vMerge, XLSX merged ranges) emits the same `Table`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .spec import (
    S2_LAYOUT, S3_COLUMNS, S3_NOTE, S3_ORG_HEADERS, S3_RESULTS_LABEL, S4_GROUPS, S4_KEYS, S4_RESULTS,
    SECTIONS, ReportSpec, s3_groups,
)

_LINK_RE = re.compile(r"\[([^\]]+)\]\(<([^>]+)>\)")


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


@dataclass
class Table:
    key: str  # s2 | s3 | s4 | g0
    name: str  # sheet name for spreadsheets
    ncols: int
    rows: list[list[Cell]]
    small: bool = False  # wide table: renderers use a smaller font

    def placed(self) -> list[tuple[int, int, Cell]]:
        """(row, col, cell) for every cell, honouring spans of cells above (HTML table model)."""
        taken: set[tuple[int, int]] = set()
        out = []
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while (r, c) in taken:
                    c += 1
                out.append((r, c, cell))
                taken.update((r + i, c + j) for i in range(cell.rowspan) for j in range(cell.colspan))
                c += cell.colspan
            if c > self.ncols:
                raise ValueError(f"{self.key}: row {r} is {c} columns wide, table has {self.ncols}")
        return out

    def grid(self) -> list[list[str]]:
        """Text grid with each cell's text at its top-left position ("" under spans)."""
        g = [["" for _ in range(self.ncols)] for _ in self.rows]
        for r, c, cell in self.placed():
            g[r][c] = cell.text
        return g


@dataclass
class Block:
    kind: str  # letterhead | doc_no | title | para | heading | table | signature | date | trailer
    text: str = ""
    table: Table | None = None
    section: str = ""


@dataclass
class Document:
    spec: ReportSpec
    blocks: list[Block] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [b.table for b in self.blocks if b.table is not None]


def split_links(text: str) -> list[tuple[str, str | None]]:
    """`a[text](<url>)b` -> [("a", None), ("text", url), ("b", None)]."""
    parts: list[tuple[str, str | None]] = []
    pos = 0
    for m in _LINK_RE.finditer(text):
        if m.start() > pos:
            parts.append((text[pos:m.start()], None))
        parts.append((m.group(1), m.group(2)))
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], None))
    return parts


def plain(text: str) -> str:
    """Paragraph text without link markup."""
    return _LINK_RE.sub(lambda m: m.group(1), text)


def _row(label: str, values: list[str], ncols: int, stretch: bool) -> list[Cell]:
    """Label cell + value cells filling the table width: the last cell stretched (G2 single-value
    rows, `colspan=3`) or padded with empty cells (G1 （八）/（九）, as in seeds 000/001)."""
    cells = [Cell(label)] + [Cell(v) for v in values]
    missing = ncols - len(cells)
    if stretch:
        cells[-1].colspan += missing
    else:
        cells += [Cell("") for _ in range(missing)]
    return cells


def s2_table(spec: ReportSpec) -> Table:
    ncols = 4
    rows: list[list[Cell]] = []
    for block in S2_LAYOUT[spec.template]:
        rows.append([Cell(f"第二十条第{block.item}项", colspan=ncols, header=True)])
        stretch = spec.template == "G2"
        head = _row(spec.label("信息内容"), [spec.label(h) for _, h in block.cols], ncols, stretch)
        for c in head:
            c.header = True
        rows.append(head)
        for rkey, rlabel in block.rows:
            values = [spec.s2.get(f"{rkey}.{ck}", "") for ck, _ in block.cols]
            rows.append(_row(spec.label(rlabel), values, ncols, stretch))
    return Table("s2", "二、主动公开", ncols, rows)


def s3_table(spec: ReportSpec) -> Table:
    ncols = 3 + len(S3_COLUMNS)
    lab = spec.label
    rows: list[list[Cell]] = [
        [Cell(lab(S3_NOTE), rowspan=3, colspan=3, header=True), Cell(lab("申请人情况"), colspan=7, header=True)],
        [Cell(lab("自然人"), rowspan=2, header=True), Cell(lab("法人或其他组织"), colspan=5, header=True),
         Cell(lab("总计"), rowspan=2, header=True)],
        [Cell(lab(h), header=True) for h in S3_ORG_HEADERS],
    ]
    groups = s3_groups(spec.template)
    results = groups[2:-1]
    n_results = sum(max(1, len(g.subrows)) for g in results)

    def values(key: str) -> list[Cell]:
        return [Cell(v) for v in spec.s3.get(key, [""] * len(S3_COLUMNS))]

    for g in groups:
        first: list[Cell] = []
        if g in (groups[0], groups[1], groups[-1]):
            rows.append([Cell(lab(g.label), colspan=3)] + values(g.key))
            continue
        if g is results[0]:
            first.append(Cell(lab(S3_RESULTS_LABEL), rowspan=n_results))
        if not g.subrows:
            rows.append(first + [Cell(lab(g.label), colspan=2)] + values(g.key))
            continue
        for i, (sub, sublabel) in enumerate(g.subrows):
            lead = first + [Cell(lab(g.label), rowspan=len(g.subrows))] if i == 0 else []
            rows.append(lead + [Cell(lab(sublabel))] + values(f"{g.key}.{sub}"))
    return Table("s3", "三、依申请公开", ncols, rows, small=True)


def s4_table(spec: ReportSpec) -> Table:
    lab = spec.label
    review = [lab(label, "s4.review") for _, label in S4_RESULTS]
    litigation = [lab(label, "s4.litigation") for _, label in S4_RESULTS]
    rows = [
        [Cell(lab("行政复议"), colspan=5, header=True), Cell(lab("行政诉讼"), colspan=10, header=True)],
        [Cell(t, rowspan=2, header=True) for t in review]
        + [Cell(lab(label), colspan=5, header=True) for _, label in S4_GROUPS[1:]],
        [Cell(t, header=True) for t in litigation * 2],
        [Cell(spec.s4.get(k, "")) for k in S4_KEYS],
    ]
    return Table("s4", "四、复议诉讼", 15, rows, small=True)


def g0_table(spec: ReportSpec) -> Table:
    rows = [[Cell(h, header=True) for h in ("指标名称", "单位", f"{spec.year}年", "历年累计")]]
    rows += [[Cell(label), Cell(unit), Cell(y), Cell(c)] for _key, label, unit, y, c in spec.g0]
    return Table("g0", "附表", 4, rows)


def cn_date(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True)
class Variant:
    """How one rendition departs from the plain layout (independent renditions of a report)."""

    title_in_body: bool = True        # False: the title is only in page chrome / file metadata
    split_title: bool = False         # the title over three lines: agency / year / the rest
    compiled_by: str | None = None    # an intro sentence `本报告由{compiled_by}编制完成。`
    font: str | None = None           # one font family for every run (pinned scans)
    tables_only: bool = False         # headings and tables, no prose (short scanned renditions)


PLAIN = Variant()
_TITLE_YEAR = re.compile(r"\s*\d{4}\s*年度?\s*")


def split_title(title: str) -> str:
    """`A2020年度B` -> `A\n2020年度\nB` (the year as its own line, as PDFs break titles)."""
    m = _TITLE_YEAR.search(title)
    if not m or m.start() == 0:
        return title
    return "\n".join(p for p in (title[:m.start()].strip(), m.group(0).strip(), title[m.end():].strip()) if p)


def build_document(spec: ReportSpec, variant: Variant = PLAIN) -> Document:
    """The report in reading order."""
    doc = Document(spec)
    add = doc.blocks.append
    if spec.letterhead:
        add(Block("letterhead", spec.letterhead))
    if spec.doc_no:
        add(Block("doc_no", spec.doc_no))
    if variant.title_in_body:
        add(Block("title", split_title(spec.title) if variant.split_title else spec.title))
    if variant.compiled_by:
        add(Block("para", f"本报告由{variant.compiled_by}编制完成。"))
    for p in spec.intro if not variant.tables_only else ():
        add(Block("para", p))
    tables = {"s2_proactive": s2_table, "s3_requests": s3_table, "s4_review_litigation": s4_table}
    for section in SECTIONS:
        paras = getattr(spec, section)
        if paras is None:
            continue
        add(Block("heading", spec.heading(section), section=section))
        g0_done = False
        for p in paras if not variant.tables_only else ():
            add(Block("para", p, section=section))
            if spec.template == "G0" and spec.g0 and section == "s6_other" and p == spec.g0_table_after:
                add(Block("table", table=g0_table(spec), section=section))
                g0_done = True
        if spec.template == "G0" and spec.g0 and section == "s6_other" and not g0_done:
            add(Block("table", table=g0_table(spec), section=section))
        if spec.template != "G0" and section in tables:
            add(Block("table", table=tables[section](spec), section=section))
    if spec.signature is not None:
        add(Block("signature", spec.signature or spec.agency))
        if spec.signature_date:
            add(Block("date", cn_date(spec.signature_date)))
    for line in spec.trailer:
        add(Block("trailer", line))
    return doc
