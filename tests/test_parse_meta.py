"""Headings and their decoys (§2.1), report-year traps (§2.2), agency clean-up (§2.3)."""
from __future__ import annotations

from archive.parse import parse_text
from archive.parse.meta import clean_agency, find_agency, find_title, find_year, valid_agency
from archive.parse.sections import find_headings


def test_section3_row_labels_are_not_headings() -> None:
    text = "\n".join([
        "一、总体情况", "2020年，我局……",
        "二、主动公开政府信息情况", "第二十条第（一）项",
        "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量",
        "三、本年度办理结果", "（一）予以公开",
        "四、结转下年度继续办理",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况", "六、其他需要报告的事项", "无"])
    heads = find_headings(text)
    assert [heads[n].text for n in range(1, 7)] == [
        "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


def test_subheadings_and_intro_are_not_headings() -> None:
    text = "\n".join([
        "报告全文由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等六个部分组成。",
        "一、总体情况", "（二）主动公开政府信息的情况", "2020年我局累计主动公开文件12件。",
        "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"])
    heads = find_headings(text)
    assert heads[2].text == "二、主动公开政府信息情况" and heads[2].line_no == 4
    assert heads[1].line_no == 1


def test_markdown_unnumbered_and_typo_headings() -> None:
    text = "\n".join(["# 某局文件", "### 一、 总体情况", "总体情况", "主动公开情况。",
                      "## 二、主动公开政府信息的情况", "三是收到和处理政府信息公开申请情况",
                      "#### 四、政府信息公开行政复议和提起行政诉讼情况", "五、存在问题及改进情况",
                      "六、需要说明的其他事项与附表"])
    heads = find_headings(text)
    assert sorted(heads) == [1, 2, 3, 4, 5, 6]
    assert heads[2].line_no == 4 and heads[3].line_no == 5 and heads[1].line_no == 1


def test_unnumbered_headings_when_numbering_was_lost() -> None:
    heads = find_headings("总体情况\n2020年，我局……\n主动公开情况。\n……\n二、主动公开政府信息情况\n")
    assert heads[1].text == "总体情况" and heads[2].text == "二、主动公开政府信息情况"


def test_year_from_spaced_title_not_doc_number() -> None:
    text = "长应急〔2021〕2号\n\n福州市长乐区应急管理局 2020 年度 政府信息公开工作年度报告\n\n一、总体情况\n"
    title = find_title(text)
    assert title.text == "福州市长乐区应急管理局2020年度政府信息公开工作年度报告"
    assert find_year(title.text, text, None) == (2020, "title")


def test_year_traps_index_no_dates_signature() -> None:
    """No year in the title: the statistics period wins over 索引号/成文日期/发文字号/signature."""
    text = ("索 引 号: FZ00503-3000-2019-00004\n发文字号: 榕应急函〔2019〕4号\n成文日期:2019-01-10\n"
            "乌海市工业和信息化局\n政府信息公开工作年度报告\n\n一、总体情况\n\n"
            "本报告统计期限自2020年1月1日至2020年12月31日。\n\n乌海市工业和信息化局\n2021年1月11日\n")
    res = parse_text(text, hints={"published_date": "2021-01-15", "index_no": "FZ00503-3000-2021-00004"})
    assert (res.report_year, res.year_source) == (2020, "statistics_period")


def test_year_from_section1_then_date_fallback() -> None:
    body = "一、总体情况\n2019年，我乡认真贯彻落实条例。\n"
    assert find_year(None, body, "2019年，我乡认真贯彻落实条例。") == (2019, "section1")
    assert find_year(None, "一、总体情况\n无。\n", "无。", {"published_date": "2022-01-28"}) == (2021, "date_minus_one")
    assert find_year(None, "无", None, {"published_date": "2022-07-28"}) == (None, None)


def test_title_starting_with_year_and_agency_on_the_line_above() -> None:
    text = "五常市民意乡\n2021年政府信息公开工作年度报告\n一、总体情况\n"
    title = find_title(text)
    assert title.text == "五常市民意乡2021年政府信息公开工作年度报告"
    assert find_agency(title, text, 2021)[0] == "五常市民意乡"
    t2 = find_title("2019年川主乡政府信息公开工作年度报告\n")
    assert find_agency(t2, "", 2019)[0] == "川主乡"


def test_agency_fallbacks_and_cleanup() -> None:
    assert clean_agency("某某县应急管理局（盖章）") == "某某县应急管理局"
    assert clean_agency("晋江市应急管理局 文件") == "晋江市应急管理局"
    assert not valid_agency("UedBet体育城市管理综合执法局")
    text = "# 晋江市应急管理局文件\n\n政府信息公开工作年度报告\n"
    assert find_agency(find_title(text), text, None) == ("晋江市应急管理局", "letterhead")
    meta = "• 发文机关: 福州市应急管理局\n年度报告\n"
    assert find_agency(find_title(meta), meta, None) == ("福州市应急管理局", "metadata")
    spam = "UedBet体育城市管理综合执法局2021年政府信息公开工作年度报告\n"
    assert find_agency(find_title(spam), spam, 2021, {"agency": "某市城市管理综合执法局"}) == (
        "某市城市管理综合执法局", "hint")


def test_page_title_hint_beats_sidebar_links() -> None:
    """A portal sidebar listing older reports must not become the title (or the year)."""
    text = ("相关文章\n某县示范局2019年政府信息公开工作年度报告\n"
            "某县示范局2020年政府信息公开工作年度报告（全文）\n一、总体情况\n2020年，……\n")
    assert parse_text(text).report_year == 2019  # without the page metadata the sidebar wins…
    res = parse_text(text, hints={"title": "某县示范局2020年政府信息公开工作年度报告（全文）"})
    assert (res.title, res.report_year) == ("某县示范局2020年政府信息公开工作年度报告", 2020)
