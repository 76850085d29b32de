"""Value normalisation, report-format.md §8: counts, signed changes, money, labels."""
from __future__ import annotations

import pytest

from archive.parse.normalize import (is_value_token, norm_label, parse_change, parse_count,
                                     parse_money, strip_field_codes)


@pytest.mark.parametrize("raw,value,flags", [
    ("0", 0, []), (" 0", 0, []), ("       6", 6, []),
    ("1,234", 1234, []), ("1，234", 1234, []), ("1 234", 1234, []),
    ("１２", 12, []),
    ("12件", 12, ["unit_stripped"]), ("3条", 3, ["unit_stripped"]), ("5项", 5, ["unit_stripped"]),
    ("7宗", 7, ["unit_stripped"]), ("2次", 2, ["unit_stripped"]), ("4个", 4, ["unit_stripped"]),
    ("—", 0, ["dash"]), ("——", 0, ["dash"]), ("-", 0, ["dash"]), ("–", 0, ["dash"]),
    ("/", 0, ["dash"]), ("／", 0, ["dash"]), ("\\", 0, ["dash"]), ("无", 0, ["dash"]),
    ("×", 0, ["dash"]), ("空", 0, ["dash"]),
    ("零", 0, []), ("2.0", 2, []), ("2.5", 2.5, ["non_integer"]),
    ("见附件", None, ["unparsed"]), ("详见附表", None, ["unparsed"]),
])
def test_count_cells(raw: str, value, flags: list[str]) -> None:
    p = parse_count(raw)
    assert p.value == value and p.flags == flags


def test_blank_cell_is_not_a_value() -> None:
    p = parse_count("   ")
    assert p.value is None and p.blank and p.flags == ["blank"]


def test_count_with_amount() -> None:
    p = parse_count("13宗共113200元")
    assert (p.value, p.flags, p.extra) == (13, ["has_amount"], {"amount_yuan": 113200})
    p = parse_count("7宗，共计1.2万元")
    assert (p.value, p.extra) == (7, {"amount_yuan": 12000})


@pytest.mark.parametrize("raw,value", [
    ("-7", -7), ("－7", -7), ("−7", -7), ("+3", 3), ("＋3", 3),
    ("减少166", -166), ("减166", -166), ("下降166", -166),
    ("增加3", 3), ("新增3", 3), ("增3", 3),
    ("0", 0), ("持平", 0), ("不变", 0), ("无变化", 0), ("—", 0), ("/", 0),
])
def test_signed_change(raw: str, value: int) -> None:
    assert parse_change(raw).value == value


def test_change_dash_and_blank_flags() -> None:
    assert parse_change("—").flags == ["dash"]
    assert parse_change("").blank


@pytest.mark.parametrize("raw,yuan,source,flags", [
    ("66859 元", 66859, "元", []),
    ("102.85万元", 1028500, "万元", ["unit_converted"]),
    ("152790元", 152790, "元", []),
    ("8040", 8040, "unspecified", []),
    ("0", 0, "unspecified", []),
    ("¥1,200元", 1200, "元", []),
    ("1.5亿元", 150000000, "亿元", ["unit_converted"]),
])
def test_procurement_money_in_yuan(raw: str, yuan, source: str, flags: list[str]) -> None:
    p = parse_money(raw, "元", None)
    assert p.value == yuan and p.extra["unit_source"] == source and p.flags == flags
    assert isinstance(p.value, int)  # 102.85 × 10000 stays exact


@pytest.mark.parametrize("raw,wan,flags", [
    ("0.35", 0.35, []), ("12", 12, []), ("3500元", 0.35, ["unit_converted"]), ("1.2万元", 1.2, []),
])
def test_g2_fee_in_wan(raw: str, wan, flags: list[str]) -> None:
    p = parse_money(raw, "万元", "万元")
    assert p.value == wan and p.flags == flags and p.unit == "万元"


def test_labels() -> None:
    assert norm_label("结 果 维 持") == "结果维持"
    assert norm_label("本年新\n制作数量") == "本年新制作数量"
    assert norm_label("3.危及“三安全一稳定”") == "3.危及三安全一稳定"
    assert norm_label("（一）予以公开：") == "(一)予以公开"
    assert norm_label("規範性檔案") == "规范性档案"


def test_value_tokens() -> None:
    assert all(is_value_token(t) for t in ["0", "减少166", "+3", "66859 元", "—", "/", "13宗共113200元"])
    assert not any(is_value_token(t) for t in ["规章", "1.属于国家秘密", "2018年", "本年增/减", "总计", ""])


def test_field_codes_stripped() -> None:
    text = ' HYPERLINK "http://www.haiyan.gov.cn/module/xxgk/javascript: d.o(7);" 重点公开事项'
    assert strip_field_codes(text).strip() == "重点公开事项"
