"""Text layouts of report-format.md §9.1 and short-row repair §9.3, on small realistic snippets."""
from __future__ import annotations

from archive.parse import parse_text
from archive.parse.layout import detect_layout, rows_from_text

APPLICANTS = ["natural_person", "commercial", "research", "public_interest", "legal_services",
              "other_org", "total"]
G1_S3_LABELS = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "1.属于国家秘密",
    "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
    "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项",
    "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确",
    "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息", "（六）其他处理", "（七）总计", "四、结转下年度继续办理"]


def report(s2: str = "", s3: str = "", s4: str = "", year: int = 2020) -> str:
    return (f"某县示范局{year}年政府信息公开工作年度报告\n\n一、总体情况\n\n{year}年，我局扎实推进政务公开。\n\n"
            f"二、主动公开政府信息情况\n\n{s2}\n\n三、收到和处理政府信息公开申请情况\n\n{s3}\n\n"
            f"四、政府信息公开行政复议、行政诉讼情况\n\n{s4}\n\n五、存在的主要问题及改进情况\n\n无。\n")


def pipe_s3(rows: dict[int, str], default: str = "| 0 | 0 | 0 | 0 | 0 | 0 | 0 |") -> str:
    """A G1 section-3 table in pipe layout; `rows` overrides the value part of row i."""
    head = "| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况 ||||||\n" \
           "| 自然人 | 法人或其他组织 ||||| 总计 |\n| 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 |\n"
    body = "\n".join(f"| {label} {rows.get(i, default)}" for i, label in enumerate(G1_S3_LABELS))
    return head + body


def s3_row(res, key: str) -> list:
    cells = {c.applicant: c for c in res.application_counts if c.row_key == key}
    return [cells[a].value for a in APPLICANTS]


def s3_flags(res, key: str, applicant: str) -> list[str]:
    return next(c.flags for c in res.application_counts if c.row_key == key and c.applicant == applicant)


def test_layout_detection() -> None:
    assert detect_layout(["规章\t0\t0\t0", "规范性文件\t0\t0\t0"]) == "tabrow"
    assert detect_layout(["\t规章", "\t0", "\t", "\t0", ""]) == "tabcell"
    assert detect_layout(["| 规章 | 0 | 0 | 0 |", "| 规范性文件 | 0 | 0 | 0 |"]) == "pipe"
    assert detect_layout(["规章 |", "0 |", "|", "0 |"]) == "trailpipe"
    assert detect_layout(["规章", "", "0", "", "0"]) == "plain"


def test_tabcell_cells_with_line_breaks() -> None:
    rows = rows_from_text("\t信息内容\n\t本年新\n制作数量\n\t本年新\n公开数量\n\n\t规章\n\t\n\t 0\n\t")
    assert [c.raw for c in rows[0].cells] == ["信息内容", "本年新制作数量", "本年新公开数量"]
    assert [c.kind for c in rows[1].cells] == ["label", "blank", "value", "blank"]


def test_pipe_blank_cells_and_derived_total() -> None:
    """长春二道区 2022: `56 | | | | | | 56` and 予以公开 `18 | | | | | | |` (total blank)."""
    s3 = pipe_s3({0: "| 56 | | | | | | 56 |", 2: "| 18 | | | | | | |",
                  21: "| 56 | | | | | | 56 |", 3: "| 38 | | | | | | 38 |"})
    res = parse_text(report(s3=s3))
    assert s3_row(res, "new") == [56, 0, 0, 0, 0, 0, 56]
    assert s3_row(res, "granted") == [18, 0, 0, 0, 0, 0, 18]
    assert {"blank", "derived"} <= set(s3_flags(res, "granted", "total"))
    assert "blank" in s3_flags(res, "new", "commercial")


def test_pipe_single_value_rows_with_fillers() -> None:
    """凤凰镇 2021: `| 0 | ||||||||` rows: zeros fill the row, flagged."""
    res = parse_text(report(s3=pipe_s3({}, default="| 0 | ||||||||")))
    assert all(s3_row(res, k) == [0] * 7 for k in ("new", "granted", "carried_forward"))
    assert "short_row_zero_filled" in s3_flags(res, "new", "total")


def test_two_equal_values_are_natural_person_and_total() -> None:
    """§9.3: `| 25 | 25 |` without blank markers → natural_person 25, total 25."""
    lines = {0: "| 25 | 25 |", 2: "| 25 | 25 |", 21: "| 25 | 25 |"}
    res = parse_text(report(s3=pipe_s3(lines)))
    assert s3_row(res, "new") == [25, 0, 0, 0, 0, 0, 25]
    assert not [c for c in res.consistency_checks if not c.ok and c.severity == "E"]


def test_single_nonzero_value_is_flagged() -> None:
    res = parse_text(report(s3=pipe_s3({1: "| 3 |", 22: "| 3 |", 21: "| 0 |"})))
    assert s3_row(res, "carried_over")[-1] == 3
    assert "ambiguous_single_value" in s3_flags(res, "carried_over", "total")


def test_short_row_repaired_when_total_adds_up() -> None:
    res = parse_text(report(s3=pipe_s3({0: "| 5 | 3 | 8 |", 2: "| 5 | 3 | 8 |", 21: "| 5 | 3 | 8 |"})))
    assert s3_row(res, "new") == [5, 3, 0, 0, 0, 0, 8]
    assert "alignment_repaired" in s3_flags(res, "new", "commercial")


def test_short_row_that_cannot_be_aligned_is_left_null() -> None:
    res = parse_text(report(s3=pipe_s3({0: "| 5 | 3 | 1 |"})))
    assert s3_row(res, "new") == [None] * 7
    assert "misaligned_row" in s3_flags(res, "new", "natural_person")
    assert res.parse_status == "partial" and res.sections["s3_requests"]["table"] == "partial"


def test_concatenated_cells() -> None:
    """川主乡 2019: `规章000`, `行政许可000` — split only when every value is one digit."""
    s2 = ("第二十条(一)项\n信息内容本年新制作数量本年新公开数量对外公开总数量\n规章000\n规范性文件000\n"
          "第二十条(五)项\n信息内容上一年项目数量本年增/减处理决定数量\n行政许可1203\n其他对外管理服务事项000")
    res = parse_text(report(s2=s2))
    reg = [c for c in res.disclosure_items if c.row_key == "regulations"]
    assert [c.value for c in reg] == [0, 0, 0] and all("ambiguous_concat" in c.flags for c in reg)
    lic = [c for c in res.disclosure_items if c.row_key == "licensing"]
    assert [c.value for c in lic] == [None, None, None]
    assert any("licensing" in n and "cannot be split" in n for n in res.parse_notes)


def test_plain_one_cell_per_line_and_unspecified_money() -> None:
    """中村乡 2020: one cell per line, header labels split, procurement `1 / 8040`."""
    cells = ["第二十条第（一）项", "信息内容", "本年新", "制作数量", "本年新", "公开数量", "对外公开总数量",
             "规章", "0", "0", "0", "规范性文件", "2", "2", "15",
             "第二十条第（五）项", "信息内容", "上一年项目数量", "本年增/减", "处理决定数量",
             "行政许可", "12", "+1", "13", "其他对外管理服务事项", "0", "0", "0",
             "第二十条第（六）项", "信息内容", "上一年项目数量", "本年增/减", "处理决定数量",
             "行政处罚", "5", "—", "3", "行政强制", "0", "0", "0",
             "第二十条第（八）项", "信息内容", "上一年项目数量", "本年增/减", "行政事业性收费", "0", "0",
             "第二十条第（九）项", "信息内容", "采购项目数量", "采购总金额", "政府集中采购", "1", "8040"]
    res = parse_text(report(s2="\n\n".join(cells)))
    got = res.cells()
    assert (got["s2.normative_docs.total_published"], got["s2.licensing.change"], got["s2.penalty.change"]) == (15, 1, 0)
    proc = next(c for c in res.disclosure_items if c.col_key == "total_amount")
    assert proc.value == 8040 and proc.extra["unit_source"] == "unspecified"
    dash = next(c for c in res.disclosure_items if c.key == "s2.penalty.change")
    assert "dash" in dash.flags


def test_trailing_pipe_cells() -> None:
    """昌图 2021: one cell per line with a trailing ` |`; a bare `|` is a blank cell."""
    s2 = "\n".join(["第二十条第（五）项 |", "信息内容 |", "上一年项目数量 |", "本年增/减 |", "处理决定数量 |", "",
                    "行政许可 |", "5 |", "|", "5 |", "", "其他对外管理服务事项 |", "|", "|", "|"])
    res = parse_text(report(s2=s2))
    lic = [c for c in res.disclosure_items if c.row_key == "licensing"]
    assert [c.value for c in lic] == [5, 0, 5] and "blank" in lic[1].flags


def test_spaced_pdf_rows_and_vertical_headers() -> None:
    """审计局 flipbook: values space-separated, section-4 header characters interleaved."""
    s3 = "\n".join(f"{label} 0 0 0 0 0 0 0" for label in G1_S3_LABELS)
    s4 = "行政复议 行政诉讼\n结 结 其 尚 总 未经复议直接起诉 复议后起诉\n果 果 他 未 计\n维 纠 结 审\n持 正 果 结\n" \
         "1 0 0 0 1 0 0 0 0 0 0 0 0 2 2"
    res = parse_text(report(s3=s3, s4=s4))
    assert s3_row(res, "carried_forward") == [0] * 7
    assert [c.value for c in res.review_litigation_counts] == [1, 0, 0, 0, 1] + [0] * 8 + [2, 2]


def test_tab_rows_with_lost_labels_are_positional() -> None:
    """000-style: under （三） only the group label, then unlabeled rows."""
    rows = ["一、本年新收政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1\t",
            "二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0\t",
            "三、本年度办理结果\t(一) 予以公开\t0\t0\t0\t0\t0\t0\t0\t",
            "\t(二) 部分公开\t0\t0\t0\t0\t0\t0\t0\t", "\t(三) 不予公开\t0\t0\t0\t0\t0\t0\t0\t"]
    rows += ["\t\t0\t0\t0\t0\t0\t0\t0\t"] * 6 + ["\t\t1\t0\t0\t0\t0\t0\t1\t"]  # 8.属于行政查询事项 = 1
    rows += ["\t(四) 无法提供\t0\t0\t0\t0\t0\t0\t0"] + ["\t\t0\t0\t0\t0\t0\t0\t0"] * 2
    rows += ["\t(五) 不予处理\t0\t0\t0\t0\t0\t0\t0"] + ["\t\t0\t0\t0\t0\t0\t0\t0"] * 4
    rows += ["\t(六) 其他处理\t0\t0\t0\t0\t0\t0\t0", "\t(七) 总计\t1\t0\t0\t0\t0\t0\t1",
             "四、结转下年度继续办理\t\t0\t0\t0\t0\t0\t0\t0"]
    res = parse_text(report(s3="\n".join(rows)))
    assert s3_row(res, "denied.admin_query") == [1, 0, 0, 0, 0, 0, 1]
    assert "positional" in s3_flags(res, "denied.admin_query", "total")
    assert s3_row(res, "denied")[0] == 1 and "derived" in s3_flags(res, "denied", "total")
    assert all(c.ok for c in res.consistency_checks if c.rule in ("R1", "R2", "R3"))


def test_grids_are_used_before_text() -> None:
    """Expanded grids (spans repeated) from HTML/DOCX win over a garbled text rendering."""
    grid_s2 = [["第二十条第（五）项", "第二十条第（五）项", "第二十条第（五）项", "第二十条第（五）项"],
               ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
               ["行政许可", "30", "-7", "23"], ["其他对外管理服务事项", "0", "0", "0"]]
    grid_s4 = [["行政复议"] * 5 + ["行政诉讼"] * 10,
               ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5,
               ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3,
               ["0"] * 4 + ["0"] + ["1", "0", "0", "0", "1"] + ["0"] * 5]
    text = report(s2="行政许可 3O -7 23", s4="(表格)")
    res = parse_text(text, tables=[grid_s2, grid_s4])
    assert res.cells()["s2.licensing.change"] == -7 and res.cells()["s2.licensing.prev_count"] == 30
    assert [c.value for c in res.review_litigation_counts][5:10] == [1, 0, 0, 0, 1]


def test_section2_rows_without_labels_are_positional() -> None:
    """Merged-cell loss: truncated header (`本年新 | 本年新 |`, 乌海 2020) and a lost row label."""
    s2 = ("| 第二十条第（一）项 ||||\n| 信息内容 | 本年新 | 本年新 | 对外公开总数量 |\n| 规章 | 0 | 0 | 0 |\n"
          "| | 2 | 2 | 9 |\n| 第二十条第（五）项 ||||\n| 信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量 |\n"
          "| 行政许可 | 8 | +2 | 10 |\n| 其他对外管理服务事项 | 0 | -1 | 0 |\n")
    res = parse_text(report(s2=s2))
    got = res.cells()
    assert [got[f"s2.normative_docs.{c}"] for c in ("new_made", "new_published", "total_published")] == [2, 2, 9]
    assert "positional" in next(c for c in res.disclosure_items if c.row_key == "normative_docs").flags
    assert (got["s2.licensing.change"], got["s2.other_services.change"]) == (2, -1)
    assert res.templates["s2"] == "G1"


def test_section3_digits_glued_to_labels() -> None:
    """川主乡-style concatenation in section 三: one digit per cell can be split, flagged."""
    lines = [f"{label}0000000" for label in G1_S3_LABELS]
    lines[0] = G1_S3_LABELS[0] + "1000001"
    lines[2] = G1_S3_LABELS[2] + "1000001"
    lines[21] = G1_S3_LABELS[21] + "1000001"
    res = parse_text(report(s3="\n".join(lines)))
    assert s3_row(res, "new") == [1, 0, 0, 0, 0, 0, 1]
    assert "ambiguous_concat" in s3_flags(res, "new", "total")
    assert all(c.ok for c in res.consistency_checks if c.rule in ("R1", "R2", "R3"))


def test_jilin_extra_line_after_section2() -> None:
    s2 = ("第二十条第（一）项\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n规章\t0\t0\t0\n规范性文件\t1\t1\t4\n"
          "2020年本行政区域(或本部门)政府信息公开发布总数量(非新闻类、消息类):35\n")
    res = parse_text(report(s2=s2))
    assert res.extra["s2.extra.published_total"] == 35
    assert res.cells()["s2.normative_docs.total_published"] == 4
