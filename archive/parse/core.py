"""`parse_text` / `parse_file`: one report's text (and table grids) → `ReportResult`."""
from __future__ import annotations

import re
from pathlib import Path

from . import checks
from .keys import APPLICANTS, G0_SIGNS, S2_COLUMNS, S2_ROWS, S3_LABEL, S3_ROWS, S4_GROUPS, S4_RESULTS
from .labels import canonical_grid
from .lineage import canonical_agency
from .layout import Row, rows_from_grid, rows_from_text
from .legacy import parse_g0
from .meta import find_agency, find_title, find_year, hints_from_meta, squeeze
from .normalize import nfkc, norm_label, strip_field_codes
from .proactive import parse_s2
from .prose import prose_indicators
from .applications import derived, parse_s3
from .result import (ApplicationCount, DisclosureItem, ReportResult, ReviewLitigationCount)
from .review import parse_s4
from .sections import SECTION_KEYS, anchor_regions, regions
from .keys import S2_ARTICLE, S2_ROW_LABEL


class ParseError(Exception):
    """A file that cannot be parsed at all (unreadable, unsupported, extractor missing)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


# ---------------------------------------------------------------- table grids
_GRID_MARKERS = [
    ("s2", re.compile(r"第二十条|信息内容")),
    ("s3", re.compile(r"勾稽|申请人情况|本年新收")),
    ("s4", re.compile(r"行政复议.*行政诉讼|行政诉讼.*行政复议|结果维持.*结果纠正")),
    ("g0", re.compile(r"指标名称|统计指标|主动公开文件数|受理政府信息公开申请总数")),  # header may be misread
]


def split_grids(tables: list[list[list[str]]] | None) -> dict[str, list[list[str]]]:
    """Grid rows per section; a grid may hold one sub-table or several sections."""
    out: dict[str, list[list[str]]] = {}
    current = None  # a grid without markers continues the previous one (page break)
    for grid in tables or []:
        for row in grid:
            flat = norm_label("|".join(str(c or "") for c in row))
            for sec, pat in _GRID_MARKERS:
                if pat.search(flat) and not (sec == "s4" and current == "s3" and "勾稽" in flat):
                    current = sec
                    break
            if current:
                out.setdefault(current, []).append([str(c or "") for c in row])
    return out


# ---------------------------------------------------------------- helpers
def _s2_rows(region: str | None, grid: list[list[str]] | None) -> tuple[list[Row], str]:
    if grid:
        return rows_from_grid(grid), "grid"
    return (rows_from_text(region), "text") if region else ([], "none")


def _guess_template(year: int | None, *found: str | None) -> str | None:
    for t in found:
        if t in ("G1", "G2"):
            return t
    if year and year >= 2021:
        return "G2"
    if year and year >= 2019:
        return "G1"
    return None


_NO_REQUESTS = re.compile(r"(?:未|没有)(?:收到|受理|发生)[^。]{0,12}(?:政府信息公开)?申请|申请[^。]{0,6}为0件|申请数为零")


def _missing_s2(tpl: str) -> list[DisclosureItem]:
    return [DisclosureItem(S2_ARTICLE[r], r, S2_ROW_LABEL[r], ck, cl, None, None, None,
                           ["table_missing"], {}, tpl)
            for r in S2_ROWS[tpl] for ck, cl in S2_COLUMNS[tpl][r]]


def _missing_s3(tpl: str, inferred: bool) -> list[ApplicationCount]:
    flags = ["inferred_from_text"] if inferred else ["table_missing"]
    cells = [ApplicationCount(k, S3_LABEL[k], a, None, 0 if inferred else None, list(flags), tpl)
             for k in S3_ROWS[tpl] for a in APPLICANTS]
    if inferred:
        by_key: dict[str, list] = {}
        for c in cells:
            by_key.setdefault(c.row_key, []).append(c)
        extra = derived(by_key, tpl)
        for c in extra:
            c.flags.append("inferred_from_text")
        cells += extra
    return cells


def _missing_s4() -> list[ReviewLitigationCount]:
    return [ReviewLitigationCount(g, r, None, None, ["table_missing"]) for g in S4_GROUPS for r in S4_RESULTS]


def _info_fee(s6: str | None) -> int | float | None:
    if not s6:
        return None
    flat = squeeze(s6)
    m = re.search(r"信息处理费[^。]{0,10}?(\d+(?:\.\d+)?)元", flat)
    if m:
        v = float(m.group(1))
        return int(v) if v.is_integer() else v
    if re.search(r"(?:未|没有|无)收取[^。]{0,6}信息处理费|信息处理费[^。]{0,4}(?:为)?(?:0|零|无)", flat):
        return 0
    return None


_MODERN_HEADINGS = ("收到和处理", "其他需要报告")
_LEGACY_HEADINGS = ("概述", "依申请公开", "因政府信息公开申请", "需要说明的其他事项", "收费及减免")


def legacy_headings(heads: dict) -> bool:
    """Section headings in the pre-2019 wording (一、概述 / 三、依申请公开… ) and none of G1/G2's."""
    texts = [squeeze(h.text) for h in heads.values()]
    return any(w in t for t in texts for w in _LEGACY_HEADINGS) and \
        not any(w in t for t in texts for w in _MODERN_HEADINGS)


# ---------------------------------------------------------------- main entry
def parse_text(text: str, tables: list[list[list[str]]] | None = None,
               hints: dict | None = None) -> ReportResult:
    res = ReportResult()
    hints = hints or {}
    text = strip_field_codes((text or "").replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip() and not tables:
        res.note("empty text")
        return res
    regs, heads = regions(text)
    anchors = anchor_regions(text)
    if tables and hints.get("text_method") == "ocr":  # misread labels back to the official ones
        tables = [canonical_grid(g) for g in tables]
    grids = split_grids(tables)

    title = find_title(text)
    hint_title = squeeze(hints.get("title") or "")
    if hint_title and title.text != hint_title and hint_title in {squeeze(ln) for ln in text.split("\n")}:
        title = find_title(hint_title)  # the page's own title appears in the body: trust it over chrome
    if title.text is None and hint_title:
        title = find_title(hint_title)
    res.title = title.text or hint_title or None
    res.report_year, res.year_source = find_year(title.text, text, regs.get("s1_overview"), hints)
    res.agency, res.agency_source = find_agency(title, text, res.report_year, hints)
    canon = canonical_agency(res.agency)
    if canon and canon.rules:  # renamed since: the lineage's current name, the printed one stays in `agency`
        res.extra["agency_canonical"] = canon.name

    def region(key: str) -> str | None:
        r = regs.get(key)
        a = anchors.get(key)
        if r is not None and (a is None or a.strip() in r or re.search(r"\d", r)):
            return r
        return a

    # section 二
    s2_rows, s2_src = _s2_rows(region("s2_proactive"), grids.get("s2"))
    s2 = parse_s2(s2_rows)
    if not s2.items and s2_src == "grid":  # grid unusable: fall back to the text
        s2 = parse_s2(rows_from_text(region("s2_proactive") or ""))
    # section 三
    s3_text = region("s3_requests") or ""
    s3_rows = rows_from_grid(grids["s3"]) if grids.get("s3") else rows_from_text(s3_text)
    s3 = parse_s3(s3_rows, s3_text if not grids.get("s3") else "\n".join("\t".join(r) for r in grids["s3"]),
                  s2.template)
    if not s3.found and grids.get("s3") and s3_text:
        s3 = parse_s3(rows_from_text(s3_text), s3_text, s2.template)
    # section 四
    s4_text = region("s4_review_litigation") or ""
    s4 = parse_s4(rows_from_grid(grids["s4"]) if grids.get("s4") else rows_from_text(s4_text))
    if not s4.found and grids.get("s4") and s4_text:
        s4 = parse_s4(rows_from_text(s4_text))
    if s2.template is None and s3.found:
        s2 = parse_s2(s2_rows, s3.template)
    # G0 附表
    flat = norm_label(text)
    g0 = parse_g0(text, grids.get("g0"))
    is_g0 = bool(g0.indicators) or any(s in flat for s in G0_SIGNS)
    if not g0.indicators and not (s2.items or s3.found or s4.found):
        prose = prose_indicators(text)
        # content, not the year: figures in sentences under legacy headings (a 2019 report in the
        # old style is G0); a G1/G2 report whose tables are images keeps its missing tables
        if prose and (legacy_headings(heads) or (res.report_year or 0) <= 2018):
            g0.indicators = prose
            is_g0 = True
            g0.notes.append("legacy figures read from sentences (from_prose)")

    for n in (s2.notes, s3.notes, s4.notes, g0.notes):
        for msg in n:
            res.note(msg)
    res.disclosure_items = s2.items
    res.application_counts = s3.counts
    res.review_litigation_counts = s4.counts
    res.legacy_indicators = g0.indicators
    res.extra.update(s2.extra_lines)

    tpl_s2 = s2.template if s2.items else None
    tpl_s3 = s3.template if s3.found else None
    structured = bool(tpl_s2 or tpl_s3 or s4.found)
    if not structured and (is_g0 or (res.report_year and res.report_year <= 2018)):
        res.template = "G0"
        res.templates = {"g0": "G0"} if g0.indicators else {}
    else:
        guess = _guess_template(res.report_year, tpl_s2, tpl_s3)
        res.template = tpl_s2 or tpl_s3 or guess or "unknown"
        if tpl_s2:
            res.templates["s2"] = tpl_s2
        if tpl_s3:
            res.templates["s3"] = tpl_s3
        if s4.found:
            res.templates["s4"] = tpl_s3 or tpl_s2 or guess or "unknown"
        if g0.indicators:
            res.templates["g0"] = "G0"
        if tpl_s2 and tpl_s3 and tpl_s2 != tpl_s3:
            res.note(f"mixed generations: section 二 {tpl_s2}, section 三 {tpl_s3}")

    _sections(res, heads, regs, s2, s3, s4, g0)
    fee = _info_fee(regs.get("s6_other"))
    if fee is not None and res.template == "G2":
        res.extra["s6.info_processing_fee_yuan"] = fee
    res.consistency_checks = checks.evaluate(res)
    for c in res.consistency_checks:
        if not c.ok and c.severity == "E":
            res.note(f"{c.rule} failed: {c.detail}")
    return res


def _sections(res: ReportResult, heads, regs, s2, s3, s4, g0) -> None:
    """Per-section status; missing tables give null cells (never zeros) and the overall status."""
    found = {SECTION_KEYS[n - 1]: h for n, h in heads.items()}
    for key in SECTION_KEYS:
        h = found.get(key)
        res.sections[key] = {"found": h is not None, "heading": h.text if h else None, "table": None}
    if res.template == "G0":
        if g0.indicators:
            res.sections["s6_other"]["table"] = "ok"
            res.parse_status = "ok"
        else:
            res.parse_status = "no_tables" if (heads or res.title) else "failed"
            res.note("legacy report without a 附表: no structured data")
        return
    tpl = res.template if res.template in ("G1", "G2") else None
    statuses = {}
    for key, part, complete in (("s2_proactive", s2.items, s2.complete),
                                ("s3_requests", s3.counts if s3.found else [], s3.complete),
                                ("s4_review_litigation", s4.counts if s4.found else [], s4.complete)):
        if part:
            statuses[key] = "ok" if complete else "partial"
        else:
            statuses[key] = "missing"
    if statuses["s2_proactive"] == "missing" and tpl:
        res.disclosure_items = _missing_s2(res.templates.get("s2", tpl))
    if statuses["s3_requests"] == "missing" and tpl:
        body = regs.get("s3_requests") or ""
        inferred = bool(_NO_REQUESTS.search(squeeze(nfkc(body))))
        res.application_counts = _missing_s3(tpl, inferred)
        if inferred:
            statuses["s3_requests"] = "inferred"
            res.note("s3: table missing; zeros inferred from the narrative (inferred_from_text)")
    if statuses["s4_review_litigation"] == "missing" and tpl:
        res.review_litigation_counts = _missing_s4()
    for key, st in statuses.items():
        res.sections[key]["table"] = st
        if st == "missing":
            res.note(f"{key}: table missing (image, attachment or not extracted)")
    vals = set(statuses.values())
    if not heads and not res.title and vals == {"missing"}:
        res.parse_status = "failed"
        res.note("no report structure recognised")
    elif vals == {"ok"}:
        res.parse_status = "ok"
    elif vals <= {"missing", "inferred"}:
        res.parse_status = "no_tables"
    else:
        res.parse_status = "partial"


# ---------------------------------------------------------------- files
def read_text_file(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ParseError("bad_charset", "text file is neither UTF-8 nor GB18030")


def parse_file(path: str | Path, hints: dict | None = None) -> ReportResult:
    """Parse a report file: `.txt` directly, anything else through `archive.extract`."""
    p = Path(path)
    if not p.is_file():
        raise ParseError("not_found", f"no such file: {p}")
    data = p.read_bytes()
    if not data:
        raise ParseError("empty", f"empty file: {p}")
    if p.suffix.lower() == ".txt":
        return parse_text(read_text_file(data), None, hints)
    try:
        from archive.extract import ExtractError, extract
    except ImportError as exc:
        raise ParseError("extractor_missing",
                         f"archive.extract is not available yet ({exc}); only .txt files can be parsed") from exc
    try:
        ex = extract(data, ext=p.suffix.lstrip(".").lower() or None, filename=p.name)
    except ExtractError as exc:
        kind = getattr(exc, "kind", "extract")
        raise ParseError(kind, f"{kind}: {exc}") from exc
    res = parse_text(ex.text or "", getattr(ex, "tables", None) or None,
                     {**hints_from_meta(getattr(ex, "meta", None)), "text_method": getattr(ex, "method", None),
                      **(hints or {})})
    res.extra["text_method"] = getattr(ex, "method", None)
    for w in getattr(ex, "warnings", None) or []:
        res.note(f"extract: {w}")
    if getattr(ex, "method", None) == "ocr" and res.parse_status == "ok":
        res.note("text from OCR: figures may carry recognition errors")
    return res
