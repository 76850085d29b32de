"""`ReportSpec`: the structured truth of one report, plus the official table layouts.

The layout constants (section-2 blocks, section-3 rows, section-4 columns, G0 附表 rows) follow
`/work/shared/spec/report-format.md` §3–§7 and are shared by every renderer and generator.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

TEMPLATES = ("G0", "G1", "G2")
SECTIONS = ("s1_overview", "s2_proactive", "s3_requests", "s4_review_litigation", "s5_problems", "s6_other")

#: Official headings (G1/G2); G0 reports override them per spec (`ReportSpec.headings`).
HEADINGS = {
    "s1_overview": "一、总体情况",
    "s2_proactive": "二、主动公开政府信息情况",
    "s3_requests": "三、收到和处理政府信息公开申请情况",
    "s4_review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "s5_problems": "五、存在的主要问题及改进情况",
    "s6_other": "六、其他需要报告的事项",
}
G0_HEADINGS = {
    "s1_overview": "一、概述",
    "s2_proactive": "二、主动公开政府信息情况",
    "s3_requests": "三、依申请公开政府信息办理情况",
    "s4_review_litigation": "四、因政府信息公开申请行政复议、提起行政诉讼的情况",
    "s5_problems": "五、政府信息公开工作存在的主要问题及改进情况",
    "s6_other": "六、需要说明的其他事项与附表",
}


@dataclass(frozen=True)
class S2Block:
    """One `第二十条第（X）项` sub-table: caption, rows (key, label), columns (key, header)."""

    item: str
    rows: tuple[tuple[str, str], ...]
    cols: tuple[tuple[str, str], ...]


_G1_COUNTS = (("prev_count", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量"))
S2_LAYOUT: dict[str, tuple[S2Block, ...]] = {
    "G1": (
        S2Block("（一）", (("regulations", "规章"), ("normative_docs", "规范性文件")),
                (("new_made", "本年新制作数量"), ("new_published", "本年新公开数量"), ("total_published", "对外公开总数量"))),
        S2Block("（五）", (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")), _G1_COUNTS),
        S2Block("（六）", (("penalty", "行政处罚"), ("coercion", "行政强制")), _G1_COUNTS),
        S2Block("（八）", (("fees", "行政事业性收费"),), _G1_COUNTS[:2]),
        S2Block("（九）", (("procurement", "政府集中采购"),), (("project_count", "采购项目数量"), ("total_amount", "采购总金额"))),
    ),
    "G2": (
        S2Block("（一）", (("regulations", "规章"), ("normative_docs", "行政规范性文件")),
                (("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数"))),
        S2Block("（五）", (("licensing", "行政许可"),), (("decisions", "本年处理决定数量"),)),
        S2Block("（六）", (("penalty", "行政处罚"), ("coercion", "行政强制")), (("decisions", "本年处理决定数量"),)),
        S2Block("（八）", (("fees", "行政事业性收费"),), (("amount_wan", "本年收费金额（单位：万元）"),)),
    ),
}

S3_COLUMNS = ("natural_person", "commercial", "research", "public_interest", "legal_services", "other_org", "total")
S3_ORG_HEADERS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
S3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

_DENIED = (("state_secret", "1.属于国家秘密"), ("law_prohibited", "2.其他法律行政法规禁止公开"),
           ("safety_stability", "3.危及“三安全一稳定”"), ("third_party", "4.保护第三方合法权益"),
           ("internal_affairs", "5.属于三类内部事务信息"), ("process_info", "6.属于四类过程性信息"),
           ("enforcement_file", "7.属于行政执法案卷"), ("admin_query", "8.属于行政查询事项"))
_UNABLE = (("not_held", "1.本机关不掌握相关政府信息"), ("needs_creation", "2.没有现成信息需要另行制作"),
           ("unclear", "3.补正后申请内容仍不明确"))
_NOT_PROCESSED = (("complaint", "1.信访举报投诉类申请"), ("duplicate", "2.重复申请"),
                  ("publication", "3.要求提供公开出版物"), ("excessive", "4.无正当理由大量反复申请"),
                  ("confirm_reissue", "5.要求行政机关确认或重新出具已获取信息"))
_OTHER_G2 = (("overdue_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
             ("unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
             ("other", "3.其他"))

S3_RESULTS_LABEL = "三、本年度办理结果"


@dataclass(frozen=True)
class S3Group:
    """A block of section-3 rows sharing a level-1/level-2 label (subrows empty = single row)."""

    key: str
    label: str
    subrows: tuple[tuple[str, str], ...] = ()


def s3_groups(template: str) -> tuple[S3Group, ...]:
    """Row groups of the section-3 table body in order (the `三、本年度办理结果` block is
    everything between `carried_over` and `carried_forward`)."""
    other = S3Group("other", "（六）其他处理", _OTHER_G2 if template == "G2" else ())
    return (
        S3Group("new", "一、本年新收政府信息公开申请数量"),
        S3Group("carried_over", "二、上年结转政府信息公开申请数量"),
        S3Group("granted", "（一）予以公开"),
        S3Group("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
        S3Group("denied", "（三）不予公开", _DENIED),
        S3Group("unable", "（四）无法提供", _UNABLE),
        S3Group("not_processed", "（五）不予处理", _NOT_PROCESSED),
        other,
        S3Group("results_total", "（七）总计"),
        S3Group("carried_forward", "四、结转下年度继续办理"),
    )


def s3_row_keys(template: str) -> list[str]:
    """Numeric data-row keys in order: 23 for G1, 25 for G2."""
    keys: list[str] = []
    for g in s3_groups(template):
        keys.extend([f"{g.key}.{k}" for k, _ in g.subrows] or [g.key])
    return keys


S4_GROUPS = (("review", "行政复议"), ("litigation_direct", "未经复议直接起诉"), ("litigation_after_review", "复议后起诉"))
S4_RESULTS = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"), ("pending", "尚未审结"), ("total", "总计"))
S4_KEYS = tuple(f"{g}.{r}" for g, _ in S4_GROUPS for r, _ in S4_RESULTS)

#: Fujian-style G0 附表 rows (key, label), report-format.md §7.1.
G0_ROWS = (
    ("proactive_docs", "主动公开文件数"), ("proactive_docs.website", "其中:1.政府网站公开数"),
    ("proactive_docs.gazette", "2.政府公报公开数"), ("applications_total", "受理政府信息公开申请总数"),
    ("applications.in_person", "其中:1.当面申请数"), ("applications.online", "2.网络申请数"),
    ("applications.letter_fax", "3.信函、传真申请数"), ("replies_total", "对申请的答复总数"),
    ("replies.granted", "其中:1.同意公开答复数"), ("replies.partial", "2.同意部分公开答复数"),
    ("replies.denied", "3.不予公开答复数"), ("replies.other", "4.其他类型答复数"),
    ("complaints", "接受行政申诉、举报数"), ("admin_review", "行政复议数"), ("admin_litigation", "行政诉讼数"),
)


def template_for_year(year: int) -> str:
    """The usual generation for a report year (a prior only; content decides, §1.2)."""
    return "G0" if year <= 2018 else ("G1" if year <= 2020 else "G2")


@dataclass
class ReportSpec:
    """Everything needed to render one report and to check a parser against it.

    Table cells are raw text exactly as printed; `expected` holds the normalised numbers a
    correct parser must produce (report-format.md §8), keyed by canonical full key.
    """

    agency: str
    year: int
    template: str
    title: str
    doc_no: str = ""
    signature_date: str = ""
    s1_overview: list[str] = field(default_factory=list)
    s2_proactive: list[str] = field(default_factory=list)
    s3_requests: list[str] = field(default_factory=list)
    s4_review_litigation: list[str] = field(default_factory=list)
    s5_problems: list[str] = field(default_factory=list)
    s6_other: list[str] | None = field(default_factory=list)  # None: section absent (seed 003)
    s2: dict[str, str] = field(default_factory=dict)
    s3: dict[str, list[str]] = field(default_factory=dict)
    s4: dict[str, str] = field(default_factory=dict)
    g0: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    expected: dict[str, float | int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    seed: str | None = None
    # presentation details (all optional)
    site_id: str | None = None
    letterhead: str = ""  # red-header line, e.g. "晋江市应急管理局文件"
    intro: list[str] = field(default_factory=list)  # paragraphs between title and 一、
    headings: dict[str, str] = field(default_factory=dict)  # section key -> printed heading
    signature: str | None = ""  # signing agency line ("" = the agency, None = no signature block)
    trailer: list[str] = field(default_factory=list)  # 抄送 / 印发 lines after the signature
    label_overrides: dict[str, str] = field(default_factory=dict)  # official label -> printed ("\n" = line break)
    page_meta: dict[str, str] = field(default_factory=dict)  # portal metadata block (索引号 …)
    g0_table_after: str = "（二）附表"  # paragraph of s6 after which the G0 附表 is placed

    def heading(self, section: str) -> str:
        base = G0_HEADINGS if self.template == "G0" else HEADINGS
        return self.headings.get(section, base[section])

    def label(self, official: str, scope: str = "") -> str:
        """Printed form of an official label; overrides may be scoped: `"s4.litigation:总计"`."""
        scoped = self.label_overrides.get(f"{scope}:{official}") if scope else None
        return scoped if scoped is not None else self.label_overrides.get(official, official)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["g0"] = [list(r) for r in self.g0]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ReportSpec":
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["g0"] = [tuple(r) for r in kw.get("g0", [])]
        return cls(**kw)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=True)

    def digest(self) -> str:
        """Stable content hash (cache key, per-spec deterministic variation)."""
        blob = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def summary(self) -> dict[str, Any]:
        """What a parser golden test compares against (`<stem>.expected.json`)."""
        return {"title": self.title, "agency": self.agency, "year": self.year, "template": self.template,
                "doc_no": self.doc_no, "seed": self.seed, "site_id": self.site_id,
                "violations": list(self.violations), "expected": dict(sorted(self.expected.items()))}
