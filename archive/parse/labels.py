"""Row and column labels matched tolerantly against the closed set of official labels.

OCR misreads a character or two of a label (予以公开 → 子以公开, 信函 → 信涵, 不予 → 不子); keyword
matching then keys the row to the wrong indicator or to `extra`. Every label cell of a table grid
is therefore compared with the official labels (report-format.md §3–§7): a label within a small
weighted edit distance of exactly one official label is replaced by it; known OCR confusions cost
less than other substitutions. Numbers are never touched here (see normalize.OCR_DOUBT).
"""
from __future__ import annotations

import re
from functools import lru_cache

from .keys import (APPLICANT_LABEL, G0_LABELS, LABEL_VARIANTS, S2_COLUMNS, S2_ROW_LABEL, S3_GROUP_LABEL,
                   S3_LABEL, S4_RESULT_LABEL)
from .normalize import nfkc

#: pairs OCR confuses in these reports (either way round); a substitution between them costs 0.3
CONFUSIONS = [("予", "子"), ("函", "涵"), ("〇", "0"), ("O", "0"), ("o", "0"), ("l", "1"), ("I", "1"),
              ("|", "1"), ("开", "二"), ("己", "已"), ("未", "末"), ("处", "外"), ("复", "夏"),
              ("议", "仪"), ("诉", "拆"), ("讼", "松"), ("许", "讦"), ("费", "贵"), ("制", "刺"),
              ("结", "给"), ("转", "砖"), ("申", "甲"), ("请", "清"), ("类", "美"), ("数", "效"),
              ("人", "入"), ("总", "忠"), ("计", "汁"), ("问", "间"), ("维", "推"), ("纠", "纟"),
              ("项", "顶"), ("政", "致"), ("真", "直"), ("传", "转")]
CHEAP = 0.3
_PAIRS = {frozenset(p) for p in CONFUSIONS}
_PREFIX = re.compile(r"^(?:其中[:：]?)?(?:[(（]?[一二三四五六七八九十\d]{1,2}[)）]|[一二三四五六七八九十\d]{1,2}[.、．])?")
_STRIP = re.compile(r"[\s\"'“”‘’「」『』]")


def _core(label: str) -> tuple[str, str]:
    """(numbering prefix, label core) of a normalised, whitespace-free label."""
    s = _STRIP.sub("", nfkc(label))
    m = _PREFIX.match(s)
    return s[:m.end()], s[m.end():]


def _official() -> frozenset[str]:
    labels: set[str] = set()
    for group in (S3_LABEL.values(), S3_GROUP_LABEL.values(), APPLICANT_LABEL.values(),
                  S4_RESULT_LABEL.values(), S2_ROW_LABEL.values(), G0_LABELS, LABEL_VARIANTS):
        labels.update(_core(x)[1] for x in group)
    for cols in S2_COLUMNS.values():
        for pairs in cols.values():
            labels.update(_core(label)[1] for _, label in pairs)
    labels.update(["申请人情况", "法人或其他组织", "行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉",
                   "信息内容", "指标名称", "统计指标", "单位", "计量单位", "历年累计", "本年度办理结果",
                   "第二十条第(一)项", "第二十条第(五)项", "第二十条第(六)项", "第二十条第(八)项",
                   "第二十条第(九)项", "行政规范性文件"])
    labels.update(_core(S3_LABEL["partial"])[1].split("(")[:1])
    return frozenset(x for x in labels if len(x) >= 2)


OFFICIAL = _official()


def distance(a: str, b: str, limit: float) -> float:
    """Edit distance with cheap substitutions between confusable characters; stops past `limit`."""
    prev = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        cur = [float(i)] + [0.0] * len(b)
        for j, cb in enumerate(b, 1):
            sub = 0.0 if ca == cb else (CHEAP if frozenset((ca, cb)) in _PAIRS else 1.0)
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + sub)
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def allowance(n: int) -> float:
    """Edits tolerated in a label of n characters: confusions only up to 3, then 1, 2 from 8 on."""
    return CHEAP if n <= 3 else (1.0 if n < 8 else 2.0)


@lru_cache(maxsize=4096)
def official_label(label: str) -> str | None:
    """The official label a (possibly misread) label stands for, with its numbering prefix kept;
    None when it is official already, is no label, or is as close to two official labels."""
    prefix, core = _core(label)
    if len(core) < 2 or core in OFFICIAL or len(core) > 45 or re.fullmatch(r"[\d.,\-]+", core):
        return None
    limit = allowance(len(core))
    best: list[tuple[float, str]] = []
    for cand in OFFICIAL:
        if abs(len(cand) - len(core)) > limit:
            continue
        d = distance(core, cand, limit)
        if d <= limit:
            best.append((d, cand))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[1][0] - best[0][0] < 0.5:
        return None  # ambiguous: leave it to the keyword rules
    return prefix + best[0][1]


def canonical_grid(grid: list[list[str]]) -> list[list[str]]:
    """A table grid with misread label cells replaced by the official label."""
    out = []
    for row in grid:
        new = []
        for cell in row:
            fixed = official_label(cell) if cell and not cell.strip().isdigit() else None
            new.append(fixed if fixed else cell)
        out.append(new)
    return out
