"""Raw cell text -> number, per report-format.md §8 (used to derive `ReportSpec.expected`).

This is the factory's own reference implementation of the normalisation table, so that the
expected values of seed specs are computed, not typed; synthetic specs cross-check it.
"""
from __future__ import annotations

import re
import unicodedata

Number = int | float

DASHES = {"—", "——", "-", "–", "−", "/", "\\", "无", "×", "空", "－", "／"}
_UNIT_SUFFIX = "件条项宗次个篇人"
_COUNT_RE = re.compile(rf"^(-?\d+(?:\.\d+)?)\s*[{_UNIT_SUFFIX}]?(?:共.*)?$")
_MONEY_RE = re.compile(r"^[¥￥]?\s*(\d+(?:\.\d+)?)\s*(元|万元|亿元)?$")
_UP = ("增加", "新增", "增", "+")
_DOWN = ("减少", "下降", "减", "-")
_SAME = {"0", "持平", "不变", "无变化"}


def clean(raw: str) -> str:
    """NFKC, trim, drop thousands separators and inner spaces between digits."""
    s = unicodedata.normalize("NFKC", raw or "").replace("\u00a0", " ").strip()
    s = s.replace("−", "-").replace("–", "-")
    s = re.sub(r"(?<=\d)[,，](?=\d{3})", "", s)
    return re.sub(r"(?<=\d) (?=\d{3}\b)", "", s)


def as_number(x: float) -> Number:
    x = round(float(x), 6)
    return int(x) if x.is_integer() else x


def is_blank_or_dash(s: str) -> bool:
    return s == "" or s in DASHES or s == "零"


def parse_count(raw: str) -> Number | None:
    """Counts: blank / dash / 零 -> 0; `12件` -> 12; `13宗共113200元` -> 13; prose -> None."""
    s = clean(raw)
    if is_blank_or_dash(s):
        return 0
    m = _COUNT_RE.match(s)
    return as_number(float(m.group(1))) if m else None


def parse_change(raw: str) -> Number | None:
    """G1 本年增/减: `-7`, `+3`, `减少166`, `增加3`, `持平`, dash/blank -> 0."""
    s = clean(raw)
    if s in _SAME or s == "" or s in DASHES:
        return 0
    for prefixes, sign in ((_DOWN, -1), (_UP, 1)):
        for p in prefixes:
            if s.startswith(p):
                v = parse_count(s[len(p):])
                return None if v is None else as_number(sign * v)
    return parse_count(s)


def parse_money_yuan(raw: str) -> Number | None:
    """G1 采购总金额 in 元 (`66859 元`, `102.85万元`); a bare number is kept as is (unit unspecified)."""
    s = clean(raw)
    if is_blank_or_dash(s):
        return 0
    m = _MONEY_RE.match(s)
    if not m:
        return None
    factor = {"万元": 10_000, "亿元": 100_000_000}.get(m.group(2) or "", 1)
    return as_number(float(m.group(1)) * factor)


def parse_wan(raw: str) -> Number | None:
    """G2 本年收费金额（万元）: bare number is 万元; `3500元` -> 0.35."""
    s = clean(raw)
    if is_blank_or_dash(s):
        return 0
    m = _MONEY_RE.match(s)
    if not m:
        return None
    value = float(m.group(1))
    return as_number(value / 10_000 if m.group(2) == "元" else value * (10_000 if m.group(2) == "亿元" else 1))


def parse_s2(col: str, raw: str) -> Number | None:
    """Pick the parser by section-2 column key."""
    return {"change": parse_change, "total_amount": parse_money_yuan, "amount_wan": parse_wan}.get(col, parse_count)(raw)
