"""When a report was due, by the rule that applied to its year and its kind of agency.

- 《政府信息公开条例》(2019 revision, 国务院令第711号, in force 2019-05-15), 第四十九条, for
  reports on 2019 onward: departments of people's governments at county level and above
  publish by **31 January**; the government's own report (published by its disclosure office)
  is due by **31 March**.
- 《政府信息公开条例》(2008, 国务院令第492号), 第三十一条, for reports on 2008–2018: every
  administrative agency publishes by **31 March**.

Whether a report is a government's own or a department's is decided from the agency name
(`agency_kind`). 第四十九条 names only governments at county level and above and their
departments; townships, sub-districts and development-zone committees are not departments,
so they get the government's date. A report whose agency is unknown gets 31 March too: a report
published after it is late whichever kind it is, so no report is called late by a guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

GOVERNMENT = "government"
TOWNSHIP = "township"
DEPARTMENT = "department"
UNKNOWN = "unknown"

ART_2019_DEPT = "《政府信息公开条例》(2019) 第四十九条第一款: 县级以上人民政府部门 1月31日前"
ART_2019_GOV = "《政府信息公开条例》(2019) 第四十九条第二款: 本级政府年度报告 3月31日前"
ART_2008 = "《政府信息公开条例》(2008) 第三十一条: 各级行政机关 3月31日前"

_GOV_RE = re.compile(r"(省|自治区|市|州|盟|县|区|旗)(人民)?政府$")
_TOWNSHIP_RE = re.compile(r"((乡|镇|苏木)(人民)?政府|街道办事处|街道|乡|镇|苏木"
                          r"|(开发区|园区|新区|度假区|试验区|示范区|合作区)(管理委员会|管委会))$")
# a government's office or a bureau under it is a department, even when "人民政府" is in the name
_DEPT_SUFFIX = re.compile(r"(办公室|办公厅|局|委员会|委|厅|办|中心|院|署|所|站|队|会|室|处|部|司)$")


def agency_kind(agency: str | None) -> str:
    """government / township / department / unknown, from the published agency name."""
    name = re.sub(r"\s+", "", agency or "")
    if not name:
        return UNKNOWN
    if _GOV_RE.search(name) and not name.endswith(("办公室", "办公厅")):
        return GOVERNMENT
    if _TOWNSHIP_RE.search(name):
        return TOWNSHIP
    if _DEPT_SUFFIX.search(name):
        return DEPARTMENT
    return UNKNOWN


@dataclass(frozen=True)
class Deadline:
    due_date: str  # ISO date
    rule: str


def deadline(report_year: int | None, kind: str) -> Deadline | None:
    """The publication deadline of a report on `report_year` by an agency of `kind`."""
    if not report_year:
        return None
    following = report_year + 1
    if report_year <= 2018:
        return Deadline(f"{following}-03-31", ART_2008)
    if kind == DEPARTMENT:
        return Deadline(f"{following}-01-31", ART_2019_DEPT)
    return Deadline(f"{following}-03-31", ART_2019_GOV)
