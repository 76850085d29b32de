"""Section 四 行政复议、行政诉讼 (report-format.md §5): 15 values taken by position."""
from __future__ import annotations

from dataclasses import dataclass, field

from .keys import S4_GROUPS, S4_RESULTS
from .layout import BLANK, LABEL, VALUE, Cell, Row
from .normalize import norm_label, parse_count
from .result import ReviewLitigationCount

N = len(S4_GROUPS) * len(S4_RESULTS)
_HEADER_WORDS = ("行政复议", "行政诉讼", "结果", "维持", "纠正", "审结", "总计", "起诉", "其他",
                 "结", "果", "维", "持")


@dataclass
class S4Result:
    counts: list[ReviewLitigationCount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    found: bool = False

    @property
    def complete(self) -> bool:
        return len(self.counts) == N and all(c.value is not None for c in self.counts)


def _is_header(c: Cell) -> bool:
    s = norm_label(c.raw)
    return c.kind == LABEL and any(w in s for w in _HEADER_WORDS)


def _values(rows: list[Row]) -> tuple[list[Cell], str] | None:
    last = max((i for i, r in enumerate(rows) if any(_is_header(c) for c in r.cells)), default=None)
    if last is None:
        return None
    cells: list[Cell] = []
    blanks = rows[last].blanks
    trailing = [c for c in rows[last].region() if c.kind != LABEL]
    if any(c.kind == VALUE for c in trailing):
        cells.extend(trailing)
    for r in rows[last + 1:]:
        if r.labels:
            break  # narrative or the next table
        part = [c for c in r.cells if c.kind != LABEL]
        if r.blanks == "interior":
            while part and part[-1].kind == BLANK and len(part) > N:
                part = part[:-1]
            if any(c.kind == VALUE for c in part):
                while part and part[0].kind == BLANK:
                    part = part[1:]
                while part and part[-1].kind == BLANK:
                    part = part[:-1]
        if r.blanks == "none":
            part = [c for c in part if c.kind == VALUE]
        cells.extend(part)
        blanks = r.blanks
        if len(cells) >= N:
            break
    return cells, blanks


def parse_s4(rows: list[Row]) -> S4Result:
    res = S4Result()
    got = _values(rows)
    if got is None:
        return res
    cells, blanks = got
    if not cells:
        return res
    res.found = True
    if len(cells) > N:
        surplus = [c.raw.strip() for c in cells[N:] if c.kind != BLANK]
        if surplus:
            res.notes.append(f"s4: {len(surplus)} surplus values ignored")
        cells = cells[:N]
    short_zero = len(cells) < N and all(parse_count(c.raw).value == 0 for c in cells if c.kind != BLANK)
    if len(cells) < N and not short_zero:
        res.notes.append(f"s4: {len(cells)} values instead of {N}; cells left unparsed")
    i = 0
    for g in S4_GROUPS:
        for r in S4_RESULTS:
            c = ReviewLitigationCount(g, r, None, None, [])
            if i < len(cells):
                p = parse_count(cells[i].raw)
                c.raw = cells[i].raw.strip()
                c.flags.extend(p.flags)
                c.value = 0 if p.blank else p.value
                if short_zero:
                    c.flags.append("short_row_zero_filled")
            elif short_zero:
                c.value, c.flags = 0, ["short_row_zero_filled"]
            else:
                c.flags.append("misaligned_row")
            res.counts.append(c)
            i += 1
    return res
