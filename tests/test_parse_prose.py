"""Prose-only legacy reports (replica/documents/prose.py): figures stated in sentences become G0
indicators with their sentence and the `from_prose` flag, in every rendition; a 2019 report in the
old style is classified G0 by its content; a G1 report whose tables are images does not pick up
figures from its prose."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.extract import extract
from archive.parse import parse_text
from replica.documents import render_docx, render_page_gbk, render_page_html
from replica.documents.prose import prose_legacy_spec


def _check(res, spec) -> None:
    assert res.template == "G0" and res.parse_status == "ok"
    assert (res.report_year, res.agency) == (spec.year, spec.agency)
    by_key = {f"{i.key}.year": i for i in res.legacy_indicators}
    wrong = {k: (by_key[k].year_value if k in by_key else None, v) for k, v in spec.expected.items()
             if k not in by_key or by_key[k].year_value != v}
    assert not wrong, wrong
    for k in spec.expected:
        assert "from_prose" in by_key[k].flags and by_key[k].raw   # the source sentence is kept


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2008, 2019))
def test_prose_figures_from_html(seed, year):
    spec = prose_legacy_spec("示例县人力资源和社会保障局", year, random.Random(seed))
    ex = extract(render_page_html(spec).encode("utf-8"), filename="r.html")
    res = parse_text(ex.text, ex.tables)
    _check(res, spec)
    flat = ex.text.replace("，", ",").replace("：", ":")
    for ind in res.legacy_indicators:
        assert ind.raw in flat     # the sentence as printed (NFKC punctuation)


@pytest.mark.parametrize("fmt", ["gbk.html", "docx", "pdf"])
def test_prose_figures_in_other_formats(fmt):
    from replica.documents import prepare_attachments
    from replica.documents.attachments import cache_key
    spec = prose_legacy_spec("示例市示例区安全生产监督管理局", 2019, random.Random(3))
    if fmt == "gbk.html":
        data = render_page_gbk(spec)
    elif fmt == "docx":
        data = render_docx(spec)
    else:
        data = prepare_attachments([(spec, "pdf")])[(cache_key(spec), "pdf")].read_bytes()
    ex = extract(data, filename=f"r.{fmt}")
    res = parse_text(ex.text, ex.tables)
    _check(res, spec)
    assert res.extra.get("agency_canonical") == "示例市示例区应急管理局"


def test_old_style_2019_is_legacy_but_g1_with_image_tables_is_not():
    spec = prose_legacy_spec("示例县财政局", 2019, random.Random(11))
    ex = extract(render_page_html(spec).encode("utf-8"), filename="r.html")
    assert parse_text(ex.text).template == "G0"
    modern = ex.text.replace("一、概述", "一、总体情况").replace("三、依申请公开政府信息办理情况", "三、收到和处理政府信息公开申请情况") \
        .replace("四、因政府信息公开申请行政复议、提起行政诉讼的情况", "四、政府信息公开行政复议、行政诉讼情况") \
        .replace("六、需要说明的其他事项与附表", "六、其他需要报告的事项")
    res = parse_text(modern)
    assert res.template == "G1" and not res.legacy_indicators
    assert all(c.value is None for c in res.application_counts if "table_missing" in c.flags)
