"""Title and agency rules (report-format.md §2.3) on generated text: a title broken over lines is
rebuilt, page/document metadata name a report whose body has no title, and the office that
compiled a report (`由…办公室编制完成`) is never its agency."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.parse import parse_text
from archive.parse.meta import find_agency, find_title, hints_from_meta, title_from_meta

REGIONS = ["福州市长乐区", "晋江市", "汕头市潮阳区", "海盐县", "示例市示例区", "呼和浩特市新城区"]
BODIES = ["应急管理局", "人力资源和社会保障局", "市场监督管理局", "财政局", "人民政府", "生态环境局"]

agency = st.builds(lambda r, b: r + b, st.sampled_from(REGIONS), st.sampled_from(BODIES))
year = st.integers(2008, 2024)
rest = st.sampled_from(["政府信息公开工作年度报告", "政府信息公开年度报告", "政府信息公开工作报告"])


@settings(max_examples=150, deadline=None)
@given(agency, year, st.sampled_from(["年", "年度"]), rest, st.integers(1, 3))
def test_title_broken_over_lines_is_rebuilt(agency_name, y, nian, tail, pieces):
    title = f"{agency_name}{y}{nian}{tail}"
    lines = {1: [title], 2: [agency_name, f"{y}{nian}{tail}"], 3: [agency_name, f"{y}{nian}", tail]}[pieces]
    text = "\n".join(["长应急〔2021〕2号", *lines, "根据《中华人民共和国政府信息公开条例》要求，编制本报告。",
                      "一、总体情况", "2020年，我局认真贯彻。"])
    found = find_title(text)
    assert found.text == title
    name, source = find_agency(found, text, y)
    assert (name, source) == (agency_name, "title")


@settings(max_examples=100, deadline=None)
@given(agency, year)
def test_compiling_office_is_never_the_agency(agency_name, y):
    office = agency_name.replace(next(b for b in BODIES if agency_name.endswith(b)), "") + "人民政府办公室"
    text = "\n".join([f"本报告由{office}编制完成。", "一、总体情况", f"{y}年，认真贯彻落实。",
                      "六、其他需要报告的事项", "无。"])
    res = parse_text(text)
    assert res.agency != office
    res = parse_text(text, hints={"title": f"{agency_name}{y}年政府信息公开工作年度报告"})
    assert res.agency == agency_name and res.report_year == y


def test_signature_is_the_last_resort_before_nothing():
    text = "\n".join(["一、总体情况", "2019年，认真贯彻。", "六、其他需要报告的事项", "无。",
                      "海盐县应急管理局", "2020年1月15日"])
    res = parse_text(text)
    assert (res.agency, res.agency_source) == ("海盐县应急管理局", "signature")
    assert res.report_year == 2019


def test_page_title_sources_in_priority_order():
    meta = {"title": "海盐县应急管理局2020年度政府信息公开工作年度报告_海盐县人民政府",
            "h1": "政府信息公开年报", "block_agency": "海盐县应急管理局"}
    assert title_from_meta(meta) == "海盐县应急管理局2020年度政府信息公开工作年度报告"
    assert hints_from_meta(meta) == {"title": "海盐县应急管理局2020年度政府信息公开工作年度报告",
                                     "agency": "海盐县应急管理局"}
    meta["pdf_title"] = "Microsoft Word - 文档1"
    assert title_from_meta(meta) == "海盐县应急管理局2020年度政府信息公开工作年度报告"
    assert hints_from_meta({"pdf_title": "Microsoft Word - 文档1"}) == {}
