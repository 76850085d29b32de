"""Section 三 收到和处理政府信息公开申请情况 (report-format.md §4, §9.2–9.3).

Rows are anchored by label keywords where labels survive and by position within the
template's row order where they were lost; each row's 7 values are taken by position.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .keys import (APPLICANTS, S3_DERIVED, S3_G2_SIGNS, S3_GROUP_LABEL, S3_GROUPS, S3_KEYWORDS,
                   S3_LABEL, S3_ROWS)
from .layout import BLANK, LABEL, VALUE, Cell, Row, fit
from .normalize import norm_label, parse_count
from .result import ApplicationCount

K = len(APPLICANTS)


@dataclass
class RawRow:
    key: str
    label: str
    cells: list[Cell]
    blanks: str
    positional: bool = False
    concat: bool = False


@dataclass
class S3Result:
    template: str | None = None
    counts: list[ApplicationCount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    found: bool = False

    @property
    def complete(self) -> bool:
        read = [c for c in self.counts if c.row_key in S3_ROWS.get(self.template or "", [])]
        expected = set(S3_ROWS.get(self.template or "", []))
        return bool(read) and expected <= {c.row_key for c in read} and all(
            c.value is not None and "row_missing" not in c.flags for c in read)


def match_label(labels: list[str], template: str) -> tuple[str | None, bool]:
    """(row key, matched only through a group label) for a row's labels."""
    group_hit = None
    for raw in reversed(labels):
        s = norm_label(raw)
        for key, words in S3_KEYWORDS:
            if any(w in s for w in words):
                if key == "results_total" and len(s) > 8:
                    continue
                return key, False
        if template == "G2" and re.fullmatch(r"(?:\(?[3三]\)?[.、]?)?其他", s):
            return "other.other", False
        for word, first in S3_GROUPS:
            if word in s and group_hit is None:
                group_hit = first
    if group_hit == "other":
        return ("other" if template == "G1" else "other.overdue_correction"), template != "G1"
    return group_hit, group_hit is not None


def _detect_template(rows: list[Row], text: str, hint: str | None) -> str:
    flat = norm_label(text)
    if any(s in flat for s in S3_G2_SIGNS):
        return "G2"
    if hint in ("G1", "G2"):
        return hint  # section 二's generation; only explicit G2 labels override it
    n = sum(1 for r in rows if any(c.kind == VALUE for c in r.cells) or
            (r.blanks == "full" and sum(1 for c in r.region() if c.kind == BLANK) >= K))
    return "G2" if n == 25 and "其他处理" in flat else "G1"


def _start(rows: list[Row]) -> int | None:
    for i, r in enumerate(rows):
        if any("新收" in norm_label(c.raw) for c in r.labels):
            return i
    return None


def collect_rows(rows: list[Row], template: str, notes: list[str]) -> list[RawRow]:
    order = S3_ROWS[template]
    start = _start(rows)
    positional_only = start is None
    if positional_only:
        start = next((i for i, r in enumerate(rows)
                      if sum(1 for c in r.cells if c.kind == VALUE) >= 3), None)
        if start is None:
            return []
        notes.append("s3: no row labels found; rows assigned by position")
    out: list[RawRow] = []
    prev = -1
    pending: list[str] = []
    for r in rows[start:]:
        labels = [c.raw for c in r.labels]
        if labels and any("行政复议" in norm_label(x) or "结果维持" in norm_label(x) for x in labels):
            break
        region = [c for c in r.region() if c.kind != LABEL]
        if not region or (r.blanks != "full" and not any(c.kind == VALUE for c in region)
                          and len(region) < K):
            glued = _glued(labels, template)
            if glued is None:
                pending += labels
                continue
            region = glued
        key, _ = match_label(pending + labels, template) if not positional_only else (None, False)
        positional = key is None
        if key is None:
            idx = prev + 1
        else:
            key = key if key in order else ("other" if key.startswith("other") else key)
            idx = order.index(key) if key in order else prev + 1
        if idx >= len(order):
            notes.append(f"s3: surplus row after {order[-1]} ignored")
            break
        if idx <= prev:
            notes.append(f"s3: row {order[idx]} out of order or repeated")
        label = " ".join(x.strip() for x in pending + labels) or S3_LABEL[order[idx]]
        out.append(RawRow(order[idx], label, region, r.blanks, positional,
                          concat=any(c.kind == "concat" for c in region)))
        prev, pending = idx, []
        if order[idx] == "carried_forward":
            break
    return out


def _glued(labels: list[str], template: str) -> list[Cell] | None:
    """`一、本年新收…0000000`: digits glued to a label; split only when one digit per cell."""
    if not labels:
        return None
    m = re.search(r"(\d+)$", norm_label(labels[-1]))
    if not m or match_label(labels, template)[0] is None:
        return None
    d = m.group(1)
    if len(d) == K:
        return [Cell(x, "concat") for x in d]
    return [Cell(d, "concat_bad")]


def _cell(row: RawRow, applicant: str, cell: Cell | None, flags: list[str], template: str,
          blank_is_zero: bool) -> ApplicationCount:
    c = ApplicationCount(row.key, row.label, applicant, None, None, list(flags), template)
    if row.positional and "positional" not in c.flags:
        c.flags.append("positional")
    if cell is None:
        return c
    c.raw = cell.raw.strip()
    if cell.kind == "concat":
        c.flags.append("ambiguous_concat")
    p = parse_count(cell.raw)
    c.flags.extend(f for f in p.flags if f not in c.flags)
    c.value = 0 if p.blank and blank_is_zero else p.value
    return c


def resolve_row(row: RawRow, template: str) -> tuple[list[ApplicationCount], str | None]:
    """The 7 cells of a row; short rows per §9.3. Returns (cells, 'single' when undecided)."""
    if row.cells and row.cells[0].kind == "concat_bad":
        return [ApplicationCount(row.key, row.label, a, row.cells[0].raw, None,
                                 ["ambiguous_concat", "unparsed"], template) for a in APPLICANTS], None
    cells = row.cells if row.concat else fit(row.cells, K, row.blanks)
    if len(cells) == K:
        return [_cell(row, a, c, [], template, True) for a, c in zip(APPLICANTS, cells)], None
    vals = [c for c in cells if c.kind != BLANK]
    parsed = [parse_count(c.raw).value for c in vals]
    raw = " | ".join(c.raw.strip() for c in cells)
    if vals and all(v == 0 for v in parsed) and len(cells) < K:
        out = []
        for i, a in enumerate(APPLICANTS):
            c = _cell(row, a, vals[i] if i < len(vals) else Cell("0", VALUE),
                      ["short_row_zero_filled"], template, True)
            if i >= len(vals):
                c.raw = None
            out.append(c)
        return out, None
    if not cells:
        return [_cell(row, a, None, ["missing"], template, False) for a in APPLICANTS], None
    if len(vals) == 2 and parsed[0] == parsed[1] and parsed[0] is not None:
        out = [_cell(row, a, None, ["blank"], template, True) for a in APPLICANTS]
        for c in out:
            c.value = 0
        out[0] = _cell(row, "natural_person", vals[0], [], template, True)
        out[-1] = _cell(row, "total", vals[1], [], template, True)
        return out, None
    if len(vals) == 1 and parsed[0] is not None:
        out = [_cell(row, a, None, ["blank"], template, True) for a in APPLICANTS]
        for c in out:
            c.value = 0
        out[-1] = _cell(row, "total", vals[0], ["ambiguous_single_value"], template, True)
        return out, "single"
    if 3 <= len(vals) < K and None not in parsed and sum(parsed[:-1]) == parsed[-1]:
        out = [_cell(row, a, None, ["alignment_repaired"], template, True) for a in APPLICANTS]
        for c in out:
            c.value = 0
        for i, v in enumerate(vals[:-1]):
            out[i] = _cell(row, APPLICANTS[i], v, ["alignment_repaired"], template, True)
        out[-1] = _cell(row, "total", vals[-1], ["alignment_repaired"], template, True)
        return out, None
    out = []
    for a in APPLICANTS:
        c = ApplicationCount(row.key, row.label, a, raw, None, ["misaligned_row"], template)
        out.append(c)
    return out, None


def parse_s3(rows: list[Row], text: str, template_hint: str | None = None) -> S3Result:
    res = S3Result()
    if not rows:
        return res
    tpl = _detect_template(rows, text, template_hint)
    res.template = tpl
    raw_rows = collect_rows(rows, tpl, res.notes)
    if not raw_rows:
        return res
    res.found = True
    singles: list[list[ApplicationCount]] = []
    by_key: dict[str, list[ApplicationCount]] = {}
    for rr in raw_rows:
        if rr.key in by_key:
            continue
        cells, single = resolve_row(rr, tpl)
        if single:
            singles.append(cells)
        by_key[rr.key] = cells
    _impute_totals(by_key)
    for cells in singles:
        _place_single(cells, by_key, tpl)
    missing = [k for k in S3_ROWS[tpl] if k not in by_key]
    if missing:
        res.notes.append(f"s3: rows not found: {', '.join(missing)}")
        for key in missing:
            by_key[key] = [ApplicationCount(key, S3_LABEL[key], a, None, None, ["row_missing"], tpl)
                           for a in APPLICANTS]
        _derive_missing(by_key, tpl, missing, res.notes)
    for key in S3_ROWS[tpl]:
        res.counts.extend(by_key.get(key, []))
    res.counts.extend(derived(by_key, tpl))
    return res


def _derive_missing(by_key: dict, tpl: str, missing: list[str], notes: list[str]) -> None:
    """One lost result row: its cells follow from R2 (total minus the other results)."""
    results = [k for k in S3_ROWS[tpl] if k not in ("new", "carried_over", "results_total",
                                                       "carried_forward")]
    lost = [k for k in missing if k in results]
    if len(lost) != 1 or "results_total" in missing:
        return
    for i in range(len(APPLICANTS)):
        others = [by_key[k][i].value for k in results if k != lost[0]]
        total = by_key["results_total"][i].value
        if total is None or None in others or total - sum(others) < 0:
            continue
        cell = by_key[lost[0]][i]
        cell.value = total - sum(others)
        cell.flags.append("derived")
    notes.append(f"s3: {lost[0]} derived from R2 (results_total minus the other results)")


def _impute_totals(by_key: dict[str, list[ApplicationCount]]) -> None:
    """A blank 总计 with non-zero components becomes their sum, flagged `derived`."""
    for cells in by_key.values():
        total = cells[-1]
        parts = [c.value for c in cells[:-1]]
        if "blank" in total.flags and None not in parts and sum(parts) > 0:
            total.value = sum(parts)
            total.flags.append("derived")


def _place_single(cells: list[ApplicationCount], by_key: dict, tpl: str) -> None:
    """1 value: natural_person or total, whichever R1/R2 like better; else total (flagged)."""
    from .checks import s3_column_checks
    v = cells[-1].value
    scores = {}
    for col in ("natural_person", "total"):
        trial = {k: [dict(applicant=c.applicant, value=c.value) for c in cs] for k, cs in by_key.items()}
        row = trial[cells[0].row_key]
        for d in row:
            d["value"] = v if d["applicant"] == col else 0
        scores[col] = s3_column_checks(trial, tpl, only=("natural_person", "total"))
    if scores["natural_person"] > scores["total"]:
        cells[0].value, cells[0].raw = v, cells[-1].raw
        cells[0].flags = [f for f in cells[0].flags if f != "blank"] + ["alignment_repaired"]
        cells[-1].value, cells[-1].raw = 0, None
        cells[-1].flags = ["blank"]


def derived(by_key: dict[str, list[ApplicationCount]], tpl: str) -> list[ApplicationCount]:
    """denied / unable / not_processed (and other in G2): sums, never read from the table."""
    groups = dict(S3_DERIVED)
    if tpl == "G2":
        groups["other"] = "other."
    out = []
    for name, prefix in groups.items():
        members = [k for k in S3_ROWS[tpl] if k.startswith(prefix)]
        for i, a in enumerate(APPLICANTS):
            vals = [by_key[k][i].value if k in by_key else None for k in members]
            total = None if None in vals else sum(vals)
            out.append(ApplicationCount(name, S3_GROUP_LABEL[name], a, None, total,
                                        ["derived"], tpl))
    return out

