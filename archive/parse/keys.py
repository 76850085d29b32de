"""Canonical keys and official labels (report-format.md §3–§5, §7)."""
from __future__ import annotations

# ---------------------------------------------------------------- section 二
S2_ARTICLE = {"regulations": "20.1", "normative_docs": "20.1", "other_proactive_docs": "20.1",
              "licensing": "20.5", "other_services": "20.5", "penalty": "20.6",
              "coercion": "20.6", "fees": "20.8", "procurement": "20.9"}
S2_ROW_LABEL = {"regulations": "规章", "normative_docs": "规范性文件",
                "other_proactive_docs": "其他主动公开文件",
                "licensing": "行政许可", "other_services": "其他对外管理服务事项",
                "penalty": "行政处罚", "coercion": "行政强制", "fees": "行政事业性收费",
                "procurement": "政府集中采购"}
_G1_DOCS = [("new_made", "本年新制作数量"), ("new_published", "本年新公开数量"),
            ("total_published", "对外公开总数量")]
_G1_ITEMS = [("prev_count", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量")]
S2_COLUMNS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "G1": {"regulations": _G1_DOCS, "normative_docs": _G1_DOCS, "other_proactive_docs": _G1_DOCS,
           "licensing": _G1_ITEMS, "other_services": _G1_ITEMS, "penalty": _G1_ITEMS,
           "coercion": _G1_ITEMS, "fees": _G1_ITEMS[:2],
           "procurement": [("project_count", "采购项目数量"), ("total_amount", "采购总金额")]},
    "G2": {"regulations": [("issued", "本年制发件数"), ("repealed", "本年废止件数"),
                           ("in_force", "现行有效件数")],
           "licensing": [("decisions", "本年处理决定数量")],
           "penalty": [("decisions", "本年处理决定数量")],
           "coercion": [("decisions", "本年处理决定数量")],
           "fees": [("amount_wan", "本年收费金额（单位：万元）")]},
}
S2_COLUMNS["G2"]["normative_docs"] = S2_COLUMNS["G2"]["regulations"]
S2_COLUMNS["G2"]["other_proactive_docs"] = S2_COLUMNS["G2"]["regulations"]
S2_ROWS = {"G1": ["regulations", "normative_docs", "licensing", "other_services", "penalty",
                  "coercion", "fees", "procurement"],
           "G2": ["regulations", "normative_docs", "licensing", "penalty", "coercion", "fees"]}

S2_G1_SIGNS = ("本年新制作数量", "对外公开总数", "上一年项目数量", "采购项目数量", "本年新制作")
S2_G2_SIGNS = ("本年制发件数", "现行有效件数", "本年废止件数", "本年收费金额", "本年新制发数量",
               "废止数量", "现行有效数量", "现行有效件")

# ---------------------------------------------------------------- section 三
APPLICANTS = ["natural_person", "commercial", "research", "public_interest", "legal_services",
              "other_org", "total"]
APPLICANT_LABEL = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
                   "public_interest": "社会公益组织", "legal_services": "法律服务机构",
                   "other_org": "其他", "total": "总计"}
S3_LABEL = {
    "new": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partial": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "denied.state_secret": "1.属于国家秘密",
    "denied.law_prohibited": "2.其他法律行政法规禁止公开",
    "denied.safety_stability": "3.危及“三安全一稳定”",
    "denied.third_party": "4.保护第三方合法权益",
    "denied.internal_affairs": "5.属于三类内部事务信息",
    "denied.process_info": "6.属于四类过程性信息",
    "denied.enforcement_file": "7.属于行政执法案卷",
    "denied.admin_query": "8.属于行政查询事项",
    "unable.not_held": "1.本机关不掌握相关政府信息",
    "unable.needs_creation": "2.没有现成信息需要另行制作",
    "unable.unclear": "3.补正后申请内容仍不明确",
    "not_processed.complaint": "1.信访举报投诉类申请",
    "not_processed.duplicate": "2.重复申请",
    "not_processed.publication": "3.要求提供公开出版物",
    "not_processed.excessive": "4.无正当理由大量反复申请",
    "not_processed.confirm_reissue": "5.要求行政机关确认或重新出具已获取信息",
    "other": "（六）其他处理",
    "other.overdue_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.unpaid_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "3.其他",
    "results_total": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
_HEAD = ["new", "carried_over", "granted", "partial",
         "denied.state_secret", "denied.law_prohibited", "denied.safety_stability",
         "denied.third_party", "denied.internal_affairs", "denied.process_info",
         "denied.enforcement_file", "denied.admin_query",
         "unable.not_held", "unable.needs_creation", "unable.unclear",
         "not_processed.complaint", "not_processed.duplicate", "not_processed.publication",
         "not_processed.excessive", "not_processed.confirm_reissue"]
S3_ROWS = {"G1": _HEAD + ["other", "results_total", "carried_forward"],
           "G2": _HEAD + ["other.overdue_correction", "other.unpaid_fee", "other.other",
                          "results_total", "carried_forward"]}
# keyword cores, most specific first; matched against whitespace-free, quote-free labels
S3_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("new", ("新收",)), ("carried_over", ("上年结转",)), ("carried_forward", ("结转下年",)),
    ("granted", ("予以公开",)), ("partial", ("部分公开",)),
    ("denied.state_secret", ("国家秘密",)), ("denied.law_prohibited", ("禁止公开",)),
    ("denied.safety_stability", ("三安全", "一稳定")), ("denied.third_party", ("第三方",)),
    ("denied.internal_affairs", ("内部事务", "内容事务", "三类内部")),
    ("denied.process_info", ("过程性",)), ("denied.enforcement_file", ("执法案卷",)),
    ("denied.admin_query", ("行政查询",)),
    ("unable.not_held", ("不掌握",)), ("unable.needs_creation", ("另行制作", "现成信息")),
    ("unable.unclear", ("仍不明确",)),
    ("not_processed.complaint", ("信访", "举报投诉")), ("not_processed.duplicate", ("重复申请",)),
    ("not_processed.publication", ("出版物",)), ("not_processed.excessive", ("大量反复",)),
    ("not_processed.confirm_reissue", ("重新出具", "确认或重新")),
    ("other.overdue_correction", ("逾期不补正",)), ("other.unpaid_fee", ("收费通知", "缴纳费用")),
    ("results_total", ("总计",)),
]
# group labels: (keyword, first row of the group)
S3_GROUPS = [("不予公开", "denied.state_secret"), ("无法提供", "unable.not_held"),
             ("不予处理", "not_processed.complaint"), ("其他处理", "other")]
S3_DERIVED = {"denied": "denied.", "unable": "unable.", "not_processed": "not_processed."}
S3_GROUP_LABEL = {"denied": "（三）不予公开", "unable": "（四）无法提供", "not_processed": "（五）不予处理",
                  "other": "（六）其他处理"}
S3_G2_SIGNS = ("逾期不补正", "收费通知")

# ---------------------------------------------------------------- section 四
S4_GROUPS = ["review", "litigation_direct", "litigation_after_review"]
S4_RESULTS = ["upheld", "corrected", "other", "pending", "total"]
S4_GROUP_LABEL = {"review": "行政复议", "litigation_direct": "行政诉讼-未经复议直接起诉",
                  "litigation_after_review": "行政诉讼-复议后起诉"}
S4_RESULT_LABEL = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果",
                   "pending": "尚未审结", "total": "总计"}

# ---------------------------------------------------------------- G0 附表
G0_KEYWORDS: list[tuple[str, tuple[str, ...]]] = [
    ("g0.proactive_docs.website", ("政府网站",)),
    ("g0.proactive_docs.gazette", ("政府公报",)),
    ("g0.proactive_docs", ("主动公开",)),
    ("g0.applications.in_person", ("当面",)),
    ("g0.applications.letter_fax", ("信函、传真", "信函传真", "信函,传真")),
    ("g0.applications.fax", ("传真",)),
    ("g0.applications.email", ("电子邮件",)),
    ("g0.applications.online", ("网络申请", "网上申请", "网络", "网上")),
    ("g0.applications.letter", ("信函",)),
    ("g0.applications.other", ("其它形式", "其他形式")),
    ("g0.applications_total", ("申请总数", "申请公开信息总数", "受理")),
    ("g0.replies_total", ("答复总数",)),
    ("g0.replies.partial", ("同意部分公开",)),
    ("g0.replies.granted", ("同意公开",)),
    ("g0.replies.denied", ("不予公开", "否决")),
    ("g0.replies.other", ("其他类型", "其它类型")),
    ("g0.complaints", ("申诉",)),
    ("g0.admin_review", ("行政复议",)),
    ("g0.admin_litigation", ("行政诉讼",)),
]
G0_SIGNS = ("受理政府信息公开申请总数", "对申请的答复总数", "同意公开答复数", "当面申请数")

# ---------------------------------------------------------------- closed label set (labels.py)
G0_LABELS = (  # §7.1 Fujian 附表, then the older 2009 附表式 wording
    "主动公开文件数", "其中:1.政府网站公开数", "2.政府公报公开数", "受理政府信息公开申请总数",
    "其中:1.当面申请数", "2.网络申请数", "3.信函、传真申请数", "对申请的答复总数",
    "其中:1.同意公开答复数", "2.同意部分公开答复数", "3.不予公开答复数", "4.其他类型答复数",
    "接受行政申诉、举报数", "行政复议数", "行政诉讼数",
    "主动公开信息数", "受理依申请公开信息总数", "传真申请数", "电子邮件申请数", "网上申请数",
    "信函申请数", "其它形式申请数", "本年度对申请的答复总数", "否决公开答复总数", "行政申诉数",
)
#: accepted variants that must stay what they are (a G2 `本年新制发数量` is not G1's `本年新制作数量`)
LABEL_VARIANTS = (*S2_G1_SIGNS, *S2_G2_SIGNS, "规范性档案", "其它", "其他结果", "本年增/减")
