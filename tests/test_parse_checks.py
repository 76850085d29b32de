"""Consistency rules (§6) on parsed cells, missing tables (§8.2) and parse status."""
from __future__ import annotations

try:
    from test_parse_layouts import pipe_s3, report
except ImportError:  # tests/ imported as a package
    from tests.test_parse_layouts import pipe_s3, report

from archive.parse import parse_text

S4_OK = "行政复议\t\t\t\t\t行政诉讼\n结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n" \
        "1\t0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0"


def check(res, rule: str):
    return next(c for c in res.consistency_checks if c.rule == rule)


def test_r1_breach_is_flagged_with_detail_and_data_kept() -> None:
    # 本年新收 5 for natural persons, but results + carried forward only 4
    s3 = pipe_s3({0: "| 5 | 0 | 0 | 0 | 0 | 0 | 5 |", 2: "| 4 | 0 | 0 | 0 | 0 | 0 | 4 |",
                  21: "| 4 | 0 | 0 | 0 | 0 | 0 | 4 |"})
    res = parse_text(report(s3=s3, s4=S4_OK))
    r1 = check(res, "R1")
    assert not r1.ok and r1.severity == "E"
    assert "natural_person: new 5 + carried_over 0 = 5 != results_total 4 + carried_forward 0 = 4" in r1.detail
    assert "total:" in r1.detail and "commercial" not in r1.detail
    assert check(res, "R2").ok and check(res, "R3").ok
    assert next(c for c in res.application_counts if c.row_key == "new" and c.applicant == "total").value == 5
    assert any(n.startswith("R1 failed") for n in res.parse_notes)


def test_r2_and_r3_breaches() -> None:
    s3 = pipe_s3({0: "| 3 | 0 | 0 | 0 | 0 | 0 | 3 |", 2: "| 2 | 0 | 0 | 0 | 0 | 0 | 2 |",
                  21: "| 3 | 0 | 0 | 0 | 0 | 0 | 3 |", 3: "| 1 | 1 | 0 | 0 | 0 | 0 | 1 |"})
    res = parse_text(report(s3=s3))
    assert "commercial: results_total 0 != sum of results 1" in check(res, "R2").detail
    assert check(res, "R3").detail == "partial: total 1 != sum of applicants 2"


def test_r4_and_r5() -> None:
    s4 = "行政复议\t\t\t\t\t行政诉讼\n结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n" \
         "376\t97\t196\t121\t790\t16\t1\t12\t27\t56\t74\t1\t30\t51\t155"
    res = parse_text(report(s3=pipe_s3({1: "| -1 | 0 | 0 | 0 | 0 | 0 | -1 |"}), s4=s4))
    r4 = check(res, "R4")
    assert not r4.ok and r4.detail == "litigation_after_review: total 155 != 74 + 1 + 30 + 51 = 156"
    r5 = check(res, "R5")
    assert not r5.ok and "s3.carried_over.natural_person = -1" in r5.detail


def test_negative_change_is_not_an_r5_breach() -> None:
    s2 = "第二十条第（五）项\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政许可\t30\t-7\t23\n"
    res = parse_text(report(s2=s2))
    assert check(res, "R5").ok


def test_missing_tables_are_never_zeros() -> None:
    """开平 2020-style: headings 二–五 present, tables were images."""
    res = parse_text(report(s2="（图片）", s3="详见下图。", s4=""))
    assert res.parse_status == "no_tables"
    assert res.sections["s3_requests"]["table"] == "missing"
    assert res.application_counts and all(c.value is None and "table_missing" in c.flags
                                          for c in res.application_counts)
    assert all(c.value is None for c in res.disclosure_items + res.review_litigation_counts)
    assert not res.consistency_checks


def test_narrative_zero_requests_are_inferred_and_flagged() -> None:
    res = parse_text(report(s3="本年度，我局未收到政府信息公开申请。", s4=S4_OK))
    assert res.sections["s3_requests"]["table"] == "inferred"
    s3 = res.application_counts
    assert s3 and all(c.value == 0 and "inferred_from_text" in c.flags for c in s3)
    assert not any(c.rule in ("R1", "R2", "R3") for c in res.consistency_checks)
    assert res.parse_status == "partial"


def test_g0_rules_r9() -> None:
    table = "指标名称\t单位\t2017年\t历年累计\n受理政府信息公开申请总数\t件\t5\t40\n其中:1.当面申请数\t件\t1\t1\n" \
            "2.网络申请数\t件\t3\t38\n3.信函、传真申请数\t件\t0\t1\n对申请的答复总数\t件\t5\t40\n"
    res = parse_text("某局2017年政府信息公开工作年度报告\n一、概述\n2017年，……\n六、需要说明的其他事项与附表\n" + table)
    assert res.template == "G0" and res.parse_status == "ok"
    assert next(i for i in res.legacy_indicators if i.key == "g0.applications_total").unit == "件"
    r9 = check(res, "R9")
    assert not r9.ok and r9.severity == "W" and "g0.applications_total.year: 5 != sum of parts 4" in r9.detail


def test_legacy_report_without_table_and_junk() -> None:
    res = parse_text("某局2016年政府信息公开工作年度报告\n一、概述\n2016年，我局……\n二、主动公开政府信息情况\n……")
    assert (res.template, res.parse_status) == ("G0", "no_tables")
    assert not res.application_counts
    junk = parse_text("Lorem ipsum dolor sit amet")
    assert junk.parse_status == "failed"
    assert parse_text("").parse_status == "failed"
