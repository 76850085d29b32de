"""The link-text vocabulary of 政府信息公开 portals: what a column, a pager and a report title look like.

One vocabulary: the 信息公开 entry names and slugs are `crawler.discovery`'s (the walking
functions every platform spider uses); this module adds which link is a column, a
sub-column, a pager, and which document title is an annual report (and which is a 指南,
通知, 工作要点 …). Every spider judges report titles here: `is_report_title` and
`may_be_report` (the platform spiders, whose templates vouch for a page), and the stricter
`is_annual_report_title` / `may_be_annual_report` (detection and the generic spider).

Field guide: `../shared/portals/other-platforms.md` §3 (standard 公开目录 vocabulary) and the
family files. A portal is walked by the *words* of its links first; slugs are only a fallback
(`ENTRY_SLUGS`, `ANNUAL_SLUGS`), because real portals rename paths far more often than menus.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler import discovery
from crawler.pages.common import ANNUAL_TITLE_RE, COLUMN_NAME_RE, squash

# -- the 信息公开 entry (discovery.ENTRY_TEXT_RE, plus a few names seen on 公开目录 hubs) -------------
MORE_ENTRY_TEXT_RE = re.compile(r"主动公开(?:目录|内容)?|信息公开(?:网|栏目)|政务公开(?:专栏|专题|平台)")
ENTRY_SLUGS = tuple(dict.fromkeys(s.strip("/").split("/")[-1] for s in discovery.ENTRY_SLUGS))
# links that never lead to reports (forms, services, accounts)
NOT_NAV_RE = re.compile(r"指南|制度|依申请|申请表|意见箱|留言|登录|注册|English|无障碍|长者|邮箱|投诉|咨询|"
                        r"网上办事|办事服务|办事大厅|搜索|网站地图|关于我们|联系我们|版权|隐私|RSS|微博|微信|APP|适老")

# -- annual-report columns -------------------------------------------------------------------
ANNUAL_SLUGS = ("ndbg", "zfxxgknb", "xxgknb", "gknb", "xxgkndbg", "gkndbg", "zfxxgkgzndbg", "zfxxgkndbg",
                "zwgknb")
ANNUAL_SLUG_RE = re.compile(r"/(?:%s|\d{4}n(?:d)?(?:bg|zfxxgkndbg)?)(?:_\d+)?/" % "|".join(ANNUAL_SLUGS))
# sub-columns of an annual-report column: years, unit types (trs-fujian.md §3, other-platforms.md §1)
YEAR_SUBCOLUMN_RE = re.compile(r"^(?:19|20)\d{2}年?度?(?:政府信息公开|信息公开|政务公开)?(?:工作)?(?:年度报告|年报)?$")
UNIT_TYPE_RE = re.compile(r"^(?:区|市|县|旗)?(?:直|政府各|属)?(?:部门|单位)$|^(?:乡镇|镇|街道|乡)(?:[（(]?街道[)）]?)?$|"
                          r"^镇街$|^镇（街道）$|^乡镇（街道）$|^乡镇街道$|^(?:市|区|县)政府各部门$|^部门$")

# -- list pagers -----------------------------------------------------------------------------
NEXT_TEXT_RE = re.compile(r"^(?:下一页|下页|后一页|尾页|末页|最后一页|>|>>|»|›|下一页>|下一页»)$")
PAGE_NUMBER_RE = re.compile(r"^\[?\d{1,4}\]?$")

# -- which documents are annual reports ------------------------------------------------------
YEAR_RE = re.compile(r"(?:19|20)\d{2}")
ANNUAL_WORDS_RE = re.compile(r"年度报告|年报|年度工作报告")
# the genres columns list beside the reports (指南, 通知, 工作要点, 目录, 解读 …): pages, never reports
NOT_REPORT_RE = re.compile(r"通知|指南|工作要点|要点|目录|解读|公告|通报|意见|方案|办法|规定|征集|的函$|关于")
# what may follow the annual-report words in a report title: an infographic note, a bracket, a file ext
REPORT_TAIL_RE = re.compile(r"^(?:[（(\[【][^）)\]】]{0,20}[）)\]】])*(?:\.(?:pdf|docx?|wps|xlsx?|ofd))?$", re.I)
# NOT_REPORT_RE, and more genres met in 公开 columns (the generic spider's stricter reading)
NON_REPORT_RE = re.compile(NOT_REPORT_RE.pattern + r"|计划|制度|问答|说明|评议|考核|培训|会议|统计表$|"
                           r"总结(?!.*年度报告)")
# a list title cut short by the template (`福州市应急管理局2022年政府…`)
TRUNCATED_RE = re.compile(r"(?:…|\.\.\.|。。。)$")


def text_of(text: str | None) -> str:
    return squash(text)


def is_entry_text(text: str | None) -> bool:
    t = squash(text)
    return bool(t) and bool(discovery.ENTRY_TEXT_RE.fullmatch(t) or MORE_ENTRY_TEXT_RE.fullmatch(t))


def is_entry_url(url: str) -> bool:
    """A 信息公开 hub by its path (the slug fallback), e.g. `/zfxxgk/`, `/xxgk/index.html`."""
    parts = [p for p in urlsplit(url).path.lower().split("/") if p]
    if parts and re.match(r"index\.s?html?$", parts[-1]):
        parts = parts[:-1]
    return bool(parts) and len(parts) <= 2 and parts[-1].split("_")[0] in ENTRY_SLUGS


def is_column_text(text: str | None) -> bool:
    """年度报告 / 政府信息公开年报 / 2023年政府信息公开年报: a column name, not a report title."""
    return bool(COLUMN_NAME_RE.fullmatch(squash(text)))


def is_column_url(url: str) -> bool:
    return bool(ANNUAL_SLUG_RE.search(urlsplit(url).path.lower() + "/"))


def is_subcolumn_text(text: str | None) -> bool:
    """Below an annual-report column: one per year (2023年, 2023年度) or per unit type (区直部门…)."""
    t = squash(text)
    return bool(t) and bool(YEAR_SUBCOLUMN_RE.match(t) or UNIT_TYPE_RE.match(t) or is_column_text(t))


def is_next_page_text(text: str | None) -> bool:
    t = squash(text)
    return bool(NEXT_TEXT_RE.match(t) or PAGE_NUMBER_RE.match(t))


def is_report_title(title: str | None) -> bool:
    """A report page's full title: annual-report vocabulary and none of the other genres
    (`（含图解）` after a report title is still the report). No title: kept (the page is a
    report of the column its template lists)."""
    t = squash(title)
    if not t:
        return True
    core = re.sub(r"[（(]含?图解[)）]$", "", t)
    return bool(ANNUAL_WORDS_RE.search(core)) and not NOT_REPORT_RE.search(core)


def may_be_report(listed_title: str | None) -> bool:
    """A list item worth fetching: its title is truncated, absent or a report title."""
    t = squash(listed_title)
    if not t or TRUNCATED_RE.search(t):
        return True
    return is_report_title(t)


def is_annual_report_title(title: str | None) -> bool:
    """`XX局2023年政府信息公开工作年度报告(含图解)`: yes; `…年度报告的通知`, `公开指南`, `工作要点`: no.

    Stricter than `is_report_title` (which it includes): the generic spider has no
    platform template to vouch for a page, so a title must name 信息公开/政务公开 or a year, and
    nothing but a bracket or a file extension may follow the annual-report words."""
    t = squash(title)
    if is_column_text(t) and not YEAR_RE.search(t):
        return False  # 政府信息公开年报: the column's own name
    if not t or not ANNUAL_TITLE_RE.search(t) and not re.search(r"(?:19|20)\d{2}年度?.{0,30}(?:年度报告|年报)", t):
        return False
    last = None
    for last in ANNUAL_WORDS_RE.finditer(t):
        pass
    assert last is not None
    if not is_report_title(t) or not REPORT_TAIL_RE.match(t[last.end():]):
        return False
    head = t[:last.start()]
    return not NON_REPORT_RE.search(head) and not head.startswith("关于")


def may_be_annual_report(title: str | None) -> bool:
    """A list title that is a report title, or one cut short that does not already say it is something else."""
    t = squash(title)
    if is_annual_report_title(t):
        return True
    if TRUNCATED_RE.search(t):
        head = TRUNCATED_RE.sub("", t)
        return bool(re.search(r"(?:19|20)\d{2}|信息公开|政务公开|年度", head)) and not NON_REPORT_RE.search(head)
    return False


def is_navigation_text(text: str | None) -> bool:
    """Worth walking towards the reports: portal sections or a unit's name."""
    t = squash(text)
    if not t or len(t) > 24 or ANNUAL_TITLE_RE.search(t) or NOT_NAV_RE.search(t):
        return False
    return bool(re.search(r"信息公开|政务公开|公开目录|主动公开|其他信息|部门|镇街|单位|机构|乡镇|街道|"
                          r"(?:局|委|办|厅|政府|办事处|街道|乡|镇|中心|管委会|室|院|署|所|站|会)$", t))
