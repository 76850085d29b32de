"""Is a listed or read document an annual report? Columns also list 指南, 通知, 工作要点, 目录,
解读 … next to the reports; those are pages, never reports."""
from __future__ import annotations

import re

from crawler.pages import common

REPORT_RE = re.compile(r"年度报告|年报|年度工作报告")
NOT_REPORT_RE = re.compile(r"通知|指南|工作要点|要点|目录|解读|公告|通报|意见|方案|办法|规定|征集|的函$|关于")
TRUNCATED_RE = re.compile(r"(?:…|\.\.\.|。。。)$")


def is_report_title(title: str) -> bool:
    """A report page's full title: annual-report vocabulary and none of the other genres
    (`（含图解）` after a report title is still the report)."""
    t = common.squash(title)
    if not t:
        return True  # no title to judge by: keep it (the page is a report of the column)
    core = re.sub(r"[（(]含?图解[)）]$", "", t)
    return bool(REPORT_RE.search(core)) and not NOT_REPORT_RE.search(core)


def may_be_report(listed_title: str | None) -> bool:
    """A list item worth fetching: its title is truncated, absent or a report title."""
    t = common.squash(listed_title)
    if not t or TRUNCATED_RE.search(t):
        return True
    return is_report_title(t)
