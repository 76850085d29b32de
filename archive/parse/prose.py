"""Legacy (G0) figures stated in sentences rather than a 附表 (report-format.md §7, §8.2).

`本年度共受理政府信息公开申请12件，其中当面申请3件、网上申请8件、信函申请1件。…同意公开9件…`:
each figure becomes a legacy indicator keyed like the 附表 (`g0.applications_total`, …), with the
sentence it came from as `raw` and the `from_prose` flag. Only the report year's value is read;
a figure is taken only from a sentence about that subject, never guessed from neighbours.
"""
from __future__ import annotations

import re

from .normalize import nfkc
from .result import LegacyIndicator

_SENTENCE = re.compile(r"[^。；;！!\n]+[。；;！!]?")
_WRAPPED = re.compile(r"(?<=[^。；;！!:\n])[ \t]*\n(?=[^\n])")
_N = r"(\d+(?:\.\d+)?|零)"
_NONE = re.compile(r"(?:未|没有|无)(?:收到|受理|发生|出现|产生)")

# (key, label, unit, subject words the sentence must hold, pattern of the figure)
_RULES: list[tuple[str, str, str, tuple[str, ...], re.Pattern]] = [
    ("g0.proactive_docs", "主动公开政府信息数", "条", ("主动公开",),
     re.compile(rf"主动公开(?:政府)?信息(?:共计|共|总数为|合计)?{_N}(?:条|件|项)")),
    ("g0.applications_total", "受理政府信息公开申请总数", "件", ("申请",),
     re.compile(rf"(?:受理|收到)(?:各类)?(?:政府)?信息公开申请(?:共计|共|总数为|合计)?{_N}件")),
    ("g0.applications.in_person", "当面申请数", "件", ("申请",), re.compile(rf"当面(?:申请|提出)?{_N}件")),
    ("g0.applications.online", "网络申请数", "件", ("申请",), re.compile(rf"(?:网上|网络|在线)(?:申请|提出)?{_N}件")),
    ("g0.applications.letter", "信函申请数", "件", ("申请",), re.compile(rf"信函(?:申请|提出)?{_N}件")),
    ("g0.applications.fax", "传真申请数", "件", ("申请",), re.compile(rf"传真(?:申请|提出)?{_N}件")),
    ("g0.applications.letter_fax", "信函、传真申请数", "件", ("申请",),
     re.compile(rf"信函[、和及]传真(?:申请|提出)?{_N}件")),
    ("g0.applications.email", "电子邮件申请数", "件", ("申请",), re.compile(rf"电子邮件(?:申请|提出)?{_N}件")),
    ("g0.replies_total", "对申请的答复总数", "件", ("答复", "办结"),
     re.compile(rf"(?:已)?(?:答复|办结)(?:申请)?(?:共计|共|总数为|合计)?{_N}件")),
    ("g0.replies.partial", "同意部分公开答复数", "件", ("部分公开",), re.compile(rf"部分公开(?:的)?(?:答复)?{_N}件")),
    ("g0.replies.granted", "同意公开答复数", "件", ("公开",),
     re.compile(rf"(?<!部分)(?:同意|予以)公开(?:的)?(?:答复)?{_N}件")),
    ("g0.replies.denied", "不予公开答复数", "件", ("不予公开",), re.compile(rf"不予公开(?:的)?(?:答复)?{_N}件")),
    ("g0.fees_yuan", "依申请公开收取的费用", "元", ("费",),
     re.compile(rf"收取(?:了)?(?:信息公开|检索、复制、邮寄(?:等)?)?(?:费用|成本费)(?:共计|共|合计)?{_N}元")),
    ("g0.admin_review", "行政复议数", "件", ("行政复议",), re.compile(rf"行政复议(?:申请|案件)?{_N}(?:件|起)")),
    ("g0.admin_litigation", "行政诉讼数", "件", ("行政诉讼",), re.compile(rf"行政诉讼(?:案件)?{_N}(?:件|起)")),
    ("g0.complaints", "接受行政申诉、举报数", "件", ("申诉",), re.compile(rf"(?:申诉|举报)(?:案件)?{_N}(?:件|起)")),
]
# sentences that state a zero without a figure: (key, label, unit, pattern)
_ZERO: list[tuple[str, str, str, re.Pattern]] = [
    ("g0.applications_total", "受理政府信息公开申请总数", "件",
     re.compile(r"(?:未|没有)(?:收到|受理)(?:任何)?(?:政府)?信息公开申请")),
    ("g0.fees_yuan", "依申请公开收取的费用", "元", re.compile(r"(?:未|没有|无)收取(?:任何)?(?:信息公开)?费用|免收(?:任何)?费用")),
    ("g0.admin_review", "行政复议数", "件", re.compile(r"(?:未|没有|无)(?:发生|出现|收到)?[^。；]{0,20}?行政复议")),
    ("g0.admin_litigation", "行政诉讼数", "件", re.compile(r"(?:未|没有|无)(?:发生|出现|收到)?[^。；]{0,20}?行政诉讼")),
]


def _value(s: str) -> int | float:
    if s == "零":
        return 0
    v = float(s)
    return int(v) if v.is_integer() else v


def prose_indicators(text: str) -> list[LegacyIndicator]:
    """Legacy indicators stated in sentences of `text` (first statement of each key wins)."""
    found: dict[str, LegacyIndicator] = {}
    joined = _WRAPPED.sub("", nfkc(text))  # PDF lines break inside sentences
    for m in _SENTENCE.finditer(joined):
        sentence = m.group(0).strip()
        flat = re.sub(r"\s+", "", sentence)
        if not re.search(r"\d|零|未|没有|无", flat):
            continue
        for key, label, unit, words, pat in _RULES:
            if key in found or not any(w in flat for w in words):
                continue
            hit = pat.search(flat)
            if hit:
                found[key] = LegacyIndicator(key, label, unit, _value(hit.group(1)), None, sentence, ["from_prose"])
        for key, label, unit, pat in _ZERO:
            if key not in found and pat.search(flat) and not re.search(r"\d+(?:件|起|元)", flat[pat.search(flat).start():]):
                found[key] = LegacyIndicator(key, label, unit, 0, None, sentence, ["from_prose", "stated_none"])
    return list(found.values())
