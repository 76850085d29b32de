"""Section headings (report-format.md §2.1) and the text regions they delimit."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import nfkc

SECTION_KEYS = ["s1_overview", "s2_proactive", "s3_requests", "s4_review_litigation",
                "s5_problems", "s6_other"]
_NUMERALS = "一二三四五六"
_KEYWORDS = {
    1: ("总体情况", "概述"),
    2: ("主动公开",),
    3: ("收到和处理", "依申请公开"),
    4: ("行政复议", "行政诉讼"),
    5: ("问题",),
    6: ("其他", "需要说明"),
}
# Headings whose Word auto-numbering was lost (`总体情况` in 004): exact phrases only.
_UNNUMBERED = {
    1: ("总体情况", "概述"),
    2: ("主动公开政府信息情况", "主动公开政府信息的情况"),
    3: ("收到和处理政府信息公开申请情况",),
    4: ("政府信息公开行政复议、行政诉讼情况",),
    5: ("存在的主要问题及改进情况", "存在问题及改进情况"),
    6: ("其他需要报告的事项",),
}
_NUMBERED = re.compile(r"^([一二三四五六])\s*(?:[、.．]|是(?=收到和处理|主动公开|总体情况))\s*(.*)$")


@dataclass
class Heading:
    number: int
    line_no: int
    text: str
    numbered: bool


def _clean_line(line: str) -> str:
    return nfkc(line).lstrip("#•*>- \t\u3000").strip()


def _candidates(lines: list[str]) -> dict[int, list[Heading]]:
    found: dict[int, list[Heading]] = {n: [] for n in range(1, 7)}
    for i, raw in enumerate(lines):
        if "\t" in raw.strip("\t") or "|" in raw:
            continue  # a table row, not a heading (`四、结转下年度继续办理\t0…`)
        s = _clean_line(raw)
        if not s or len(s) > 40:
            continue
        m = _NUMBERED.match(s)
        if m:
            n = _NUMERALS.index(m.group(1)) + 1
            if any(k in m.group(2) for k in _KEYWORDS[n]):
                found[n].append(Heading(n, i, s, True))
            continue
        bare = s.rstrip("。.:：")
        for n, phrases in _UNNUMBERED.items():
            if bare in phrases:
                found[n].append(Heading(n, i, s, False))
    return found


def find_headings(text: str) -> dict[int, Heading]:
    """Chosen heading per section number, in increasing order.

    Numbered candidates beat unnumbered ones; of several, the last one before the next
    section's heading wins (so a `（二）…` sub-heading or a row label never does).
    """
    lines = text.split("\n")
    cands = _candidates(lines)
    chosen: dict[int, Heading] = {}
    limit = len(lines) + 1
    for n in range(6, 0, -1):
        pool = [h for h in cands[n] if h.numbered] or cands[n]
        before = [h for h in pool if h.line_no < limit]
        if before:
            chosen[n] = before[-1]
            limit = chosen[n].line_no
    return dict(sorted(chosen.items()))


def regions(text: str) -> tuple[dict[str, str], dict[int, Heading]]:
    """Section key → its text (heading line excluded), from heading to the next heading."""
    lines = text.split("\n")
    heads = find_headings(text)
    out: dict[str, str] = {}
    ordered = sorted(heads.values(), key=lambda h: h.line_no)
    for idx, h in enumerate(ordered):
        end = ordered[idx + 1].line_no if idx + 1 < len(ordered) else len(lines)
        out[SECTION_KEYS[h.number - 1]] = "\n".join(lines[h.line_no + 1:end])
    return out, heads


_ANCHORS = {
    "s2_proactive": re.compile(r"第二十条\s*第?\s*[(（]"),
    "s3_requests": re.compile(r"勾稽|本年新收政府信息公开申请"),
    "s4_review_litigation": re.compile(r"结\s*果\s*维\s*持|未经复议直接起诉"),
}


def anchor_regions(text: str) -> dict[str, str]:
    """Fallback when headings are missing: cut the table text at its first markers."""
    lines = text.split("\n")
    starts: dict[str, int] = {}
    for key, pat in _ANCHORS.items():
        for i, ln in enumerate(lines):
            if pat.search(nfkc(ln)):
                starts[key] = i
                break
    if "s4_review_litigation" in starts:
        # the s4 header starts a couple of lines above its first result label (行政复议 / 行政诉讼)
        i = starts["s4_review_litigation"]
        for j in range(i, max(i - 4, -1), -1):
            if "行政复议" in lines[j] and "结果" not in lines[j]:
                starts["s4_review_litigation"] = j
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    out = {}
    for idx, (key, start) in enumerate(ordered):
        end = ordered[idx + 1][1] if idx + 1 < len(ordered) else len(lines)
        out[key] = "\n".join(lines[start:end])
    return out
