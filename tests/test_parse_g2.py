"""G2 (国办公开办函〔2021〕30号) reports: 10 section-2 values, 25 section-3 rows, 15 section-4.

One synthetic 2021 report in the official layout (numbers chosen so that R1–R4 hold) is
rendered in every text layout of report-format.md §9.1 and parsed back.
"""
from __future__ import annotations

import pytest

from archive.parse import parse_text

APPLICANTS = ["natural_person", "commercial", "research", "public_interest", "legal_services",
              "other_org", "total"]

S2 = [  # (caption, header, [(label, values)])
    ("第二十条第（一）项", ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
     [("规章", ["0", "0", "0"]), ("行政规范性文件", ["3", "1", "12"])]),
    ("第二十条第（五）项", ["信息内容", "本年处理决定数量"], [("行政许可", ["156"])]),
    ("第二十条第（六）项", ["信息内容", "本年处理决定数量"],
     [("行政处罚", ["42"]), ("行政强制", ["3"])]),
    ("第二十条第（八）项", ["信息内容", "本年收费金额（单位：万元）"], [("行政事业性收费", ["0.35"])]),
]
S2_EXPECTED = {"regulations.issued": 0, "regulations.repealed": 0, "regulations.in_force": 0,
               "normative_docs.issued": 3, "normative_docs.repealed": 1, "normative_docs.in_force": 12,
               "licensing.decisions": 156, "penalty.decisions": 42, "coercion.decisions": 3,
               "fees.amount_wan": 0.35}

S3 = [  # (labels, key, values)
    (["一、本年新收政府信息公开申请数量"], "new", [20, 3, 0, 1, 0, 1, 25]),
    (["二、上年结转政府信息公开申请数量"], "carried_over", [2, 0, 0, 0, 0, 0, 2]),
    (["三、本年度办理结果", "（一）予以公开"], "granted", [10, 1, 0, 0, 0, 0, 11]),
    (["（二）部分公开（区分处理的，只计这一情形，不计其他情形）"], "partial", [2, 0, 0, 0, 0, 0, 2]),
    (["（三）不予公开", "1.属于国家秘密"], "denied.state_secret", [0] * 7),
    (["2.其他法律行政法规禁止公开"], "denied.law_prohibited", [1, 0, 0, 0, 0, 0, 1]),
    (["3.危及“三安全一稳定”"], "denied.safety_stability", [0] * 7),
    (["4.保护第三方合法权益"], "denied.third_party", [1, 1, 0, 0, 0, 0, 2]),
    (["5.属于三类内部事务信息"], "denied.internal_affairs", [0] * 7),
    (["6.属于四类过程性信息"], "denied.process_info", [1, 0, 0, 0, 0, 0, 1]),
    (["7.属于行政执法案卷"], "denied.enforcement_file", [0] * 7),
    (["8.属于行政查询事项"], "denied.admin_query", [0] * 7),
    (["（四）无法提供", "1.本机关不掌握相关政府信息"], "unable.not_held", [3, 0, 0, 1, 0, 0, 4]),
    (["2.没有现成信息需要另行制作"], "unable.needs_creation", [1, 0, 0, 0, 0, 0, 1]),
    (["3.补正后申请内容仍不明确"], "unable.unclear", [0] * 7),
    (["（五）不予处理", "1.信访举报投诉类申请"], "not_processed.complaint", [1, 0, 0, 0, 0, 0, 1]),
    (["2.重复申请"], "not_processed.duplicate", [0] * 7),
    (["3.要求提供公开出版物"], "not_processed.publication", [0] * 7),
    (["4.无正当理由大量反复申请"], "not_processed.excessive", [0] * 7),
    (["5.要求行政机关确认或重新出具已获取信息"], "not_processed.confirm_reissue", [0] * 7),
    (["（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"],
     "other.overdue_correction", [1, 0, 0, 0, 0, 0, 1]),
    (["2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"],
     "other.unpaid_fee", [0] * 7),
    (["3.其他"], "other.other", [0, 1, 0, 0, 0, 0, 1]),
    (["（七）总计"], "results_total", [21, 3, 0, 1, 0, 0, 25]),
    (["四、结转下年度继续办理"], "carried_forward", [1, 0, 0, 0, 0, 1, 2]),
]
S3_HEADER = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
             ["自然人", "法人或其他组织", "总计"],
             ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]]
S4_HEADER = [["行政复议", "行政诉讼"],
             ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
             ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2]
S4_VALUES = [2, 1, 0, 1, 4, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1]

INTRO = """宁国市示范局2021年政府信息公开工作年度报告

本报告由宁国市示范局编制完成。报告全文由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项等六个部分组成。

一、总体情况

2021年，我局认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政务公开工作。

二、主动公开政府信息情况
"""
OUTRO = """
五、存在的主要问题及改进情况

信息公开的及时性有待提高。

六、其他需要报告的事项

本年度依据《政府信息公开信息处理费管理办法》实际收取信息处理费共计400元。

宁国市示范局
2022年1月20日
"""


def table_rows() -> dict[str, list[list[str]]]:
    s2: list[list[str]] = []
    for caption, header, rows in S2:
        s2.append([caption])
        s2.append(header)
        s2.extend([[label, *vals] for label, vals in rows])
    s3 = [list(h) for h in S3_HEADER] + [[*labels, *map(str, vals)] for labels, _, vals in S3]
    s4 = [list(h) for h in S4_HEADER] + [list(map(str, S4_VALUES))]
    return {"s2": s2, "s3": s3, "s4": s4}


def render(layout: str) -> str:
    """The report text with its tables written in one of the §9.1 layouts."""
    t = table_rows()

    def block(rows: list[list[str]]) -> str:
        if layout == "tabrow":
            return "\n".join("\t".join(r) + "\t" for r in rows)
        if layout == "tabcell":
            return "\n\n".join("\n".join("\t" + c for c in r) for r in rows)
        if layout == "pipe":
            return "\n".join("| " + " | ".join(r) + " |" + ("|" * 3 if len(r) == 2 else "") for r in rows)
        if layout == "trailpipe":
            return "\n\n".join("\n".join(c + " |" for c in r) for r in rows)
        if layout == "plain":
            return "\n\n".join("\n\n".join(r) for r in rows)
        if layout == "spaced":
            return "\n".join(" ".join(r) for r in rows)
        raise ValueError(layout)

    return (INTRO + block(t["s2"]) + "\n\n三、收到和处理政府信息公开申请情况\n\n" + block(t["s3"])
            + "\n\n四、政府信息公开行政复议、行政诉讼情况\n\n" + block(t["s4"]) + "\n" + OUTRO)


LAYOUTS = ["tabrow", "tabcell", "pipe", "trailpipe", "plain", "spaced"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_g2_report_every_layout(layout: str) -> None:
    res = parse_text(render(layout))
    assert (res.title, res.agency, res.report_year) == ("宁国市示范局2021年政府信息公开工作年度报告", "宁国市示范局", 2021)
    assert res.template == "G2" and res.templates == {"s2": "G2", "s3": "G2", "s4": "G2"}
    cells = res.cells()
    assert {k[3:]: v for k, v in cells.items() if k.startswith("s2.")} == S2_EXPECTED
    s3 = {k: v for k, v in cells.items() if k.startswith("s3.")}
    for _, key, vals in S3:
        assert [s3[f"s3.{key}.{a}"] for a in APPLICANTS] == vals, key
    assert [s3[f"s3.other.{a}"] for a in APPLICANTS] == [1, 1, 0, 0, 0, 0, 2]  # derived Σ other.*
    assert [s3[f"s3.denied.{a}"] for a in APPLICANTS] == [3, 1, 0, 0, 0, 0, 4]
    assert len([c for c in res.application_counts if "derived" not in c.flags]) == 25 * 7
    assert [c.value for c in res.review_litigation_counts] == S4_VALUES
    assert res.parse_status == "ok", res.parse_notes
    assert {c.rule for c in res.consistency_checks if c.ok} >= {"R1", "R2", "R3", "R4", "R5"}
    assert all(c.ok for c in res.consistency_checks), res.consistency_checks


def test_g2_fee_unit_and_info_processing_fee() -> None:
    res = parse_text(render("tabrow"))
    fee = next(c for c in res.disclosure_items if c.row_key == "fees")
    assert (fee.col_key, fee.value, fee.unit, fee.article) == ("amount_wan", 0.35, "万元", "20.8")
    assert res.extra["s6.info_processing_fee_yuan"] == 400
    converted = parse_text(render("tabrow").replace("行政事业性收费\t0.35", "行政事业性收费\t3500元"))
    fee = next(c for c in converted.disclosure_items if c.row_key == "fees")
    assert fee.value == 0.35 and "unit_converted" in fee.flags


def test_g2_no_procurement_and_derived_never_read() -> None:
    res = parse_text(render("tabcell"))
    assert not any(c.row_key in ("procurement", "other_services") for c in res.disclosure_items)
    derived = {c.row_key for c in res.application_counts if "derived" in c.flags}
    assert derived == {"denied", "unable", "not_processed", "other"}
    assert all(c.raw is None for c in res.application_counts if "derived" in c.flags)


def test_g2_variant_labels() -> None:
    """定兴/肖村乡-style relabelled columns (本年新制发数量/废止数量/现行有效数量), row 规范性文件."""
    text = render("tabrow").replace("本年制发件数\t本年废止件数\t现行有效件数", "本年新\n制发数量\t废止数量\t现行有效件") \
        .replace("行政规范性文件", "规范性文件")
    res = parse_text(text)
    assert res.templates["s2"] == "G2"
    assert res.cells()["s2.normative_docs.in_force"] == 12


def test_g2_single_value_rows_with_colspan_fillers() -> None:
    """In pipe extractions the colspan=3 value cell leaves `| ||` runs (二郎街道 2022)."""
    text = render("pipe").replace("| 行政许可 | 156 |", "| 行政许可 | 156 | ||")
    res = parse_text(text)
    assert res.cells()["s2.licensing.decisions"] == 156
    assert not [n for n in res.parse_notes if "extra cells" in n]
