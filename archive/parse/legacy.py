"""G0 (≤2018) 附表 of indicators (report-format.md §7): label → (unit, year, cumulative)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .keys import G0_KEYWORDS
from .layout import LABEL, VALUE, Row, rows_from_grid, rows_from_text
from .normalize import is_unit_token, nfkc, norm_label, parse_count
from .result import LegacyIndicator

_START = re.compile(r"指标名称|统计指标")
_STOP = ("附件下载", "扫一扫", "文字解读", "图片解读", "打印", "关闭窗口")
_HEADER = ("指标名称", "统计指标", "单位", "计量单位", "历年累计", "统计数")


@dataclass
class G0Result:
    indicators: list[LegacyIndicator] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    year_label: str | None = None


def table_text(text: str) -> str | None:
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if _START.search(nfkc(ln))), None)
    if start is None:
        return None
    end = next((j for j in range(start + 1, len(lines)) if any(s in lines[j] for s in _STOP)),
               len(lines))
    return "\n".join(lines[start:end])


def key_for(label: str, parent: str | None) -> str:
    s = re.sub(r"^其中[:：]?", "", norm_label(label))
    s = re.sub(r"^\d+[.、]", "", s)
    for key, words in G0_KEYWORDS:
        if any(w in s for w in words):
            return key
    return "g0.extra." + s


def parse_g0(text: str, grid: list[list[str]] | None = None) -> G0Result:
    """From the 附表 grid rows when given, else from the text after `指标名称`."""
    res = G0Result()
    rows: list[Row] = []
    if grid:
        rows = rows_from_grid(grid)
    else:
        region = table_text(text)
        if region is None:
            return res
        rows = rows_from_text(region)
    parent = None
    seen: set[str] = set()
    for r in rows:
        labels = [c.raw.strip() for c in r.cells if c.kind == LABEL]
        for lab in labels:
            if re.fullmatch(r"\d{4}年度?", norm_label(lab)):
                res.year_label = norm_label(lab)
        names = [x for x in labels if norm_label(x) not in _HEADER and not is_unit_token(x)
                 and not re.fullmatch(r"\d{4}年度?", norm_label(x))]
        units = [nfkc(x).strip() for x in labels if is_unit_token(x)]
        vals = [c for c in r.cells if c.kind == VALUE]
        if not names or not vals:
            continue
        label = names[-1]
        key = key_for(label, parent)
        if key in seen:
            res.notes.append(f"g0: repeated indicator {key} ignored")
            continue
        seen.add(key)
        parsed = [parse_count(c.raw) for c in vals[:2]]
        ind = LegacyIndicator(key, label, units[0] if units else (parsed[0].unit if parsed else None),
                              parsed[0].value if parsed else None,
                              parsed[1].value if len(parsed) > 1 else None,
                              " | ".join(c.raw.strip() for c in vals[:2]))
        for p in parsed:
            ind.flags += [f for f in p.flags if f == "ocr_doubt" and f not in ind.flags]
        if len(vals) > 2:
            ind.flags.append("surplus_values")
        res.indicators.append(ind)
    return res
