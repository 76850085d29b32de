"""The pieces behind the reader pages, without a browser: deadlines, the 附表 mapping,
link rewriting in archived pages, snippets and word splitting."""
from __future__ import annotations

import pytest

from archive.serve.archived_view import rewrite_links
from archive.build.deadlines import (ART_2008, ART_2019_DEPT, ART_2019_GOV, DEPARTMENT, GOVERNMENT, TOWNSHIP,
                               UNKNOWN, agency_kind, deadline)
from archive.parse.legacy_figures import legacy_headline
from archive.serve.report_html import number
from archive.serve.search_page import snippet, split_words


@pytest.mark.parametrize("agency, kind", [
    ("福州市长乐区人民政府", GOVERNMENT), ("福州市人民政府", GOVERNMENT), ("福建省人民政府", GOVERNMENT),
    ("海盐县政府", GOVERNMENT), ("福州市长乐区应急管理局", DEPARTMENT),
    ("福州市人民政府办公厅", DEPARTMENT), ("示例市示例区人民政府办公室", DEPARTMENT),
    ("福州市发展和改革委员会", DEPARTMENT), ("福州市城市管理委员会", DEPARTMENT),
    ("五常市民意乡", TOWNSHIP), ("晋江市安海镇人民政府", TOWNSHIP), ("鼓楼区五凤街道办事处", TOWNSHIP),
    ("福州经济技术开发区管理委员会", TOWNSHIP), ("", UNKNOWN), (None, UNKNOWN), ("UedBet体育", UNKNOWN)])
def test_agency_kind(agency, kind):
    assert agency_kind(agency) == kind


def test_deadlines_follow_the_articles():
    assert deadline(2020, DEPARTMENT).due_date == "2021-01-31" and deadline(2020, DEPARTMENT).rule == ART_2019_DEPT
    assert deadline(2019, GOVERNMENT).due_date == "2020-03-31" and deadline(2019, GOVERNMENT).rule == ART_2019_GOV
    assert deadline(2022, TOWNSHIP).due_date == "2023-03-31"
    assert deadline(2022, UNKNOWN).due_date == "2023-03-31"  # late whichever kind it is
    for kind in (DEPARTMENT, GOVERNMENT):  # 2008 条例: 31 March for every agency
        assert deadline(2018, kind).due_date == "2019-03-31" and deadline(2018, kind).rule == ART_2008
        assert deadline(2008, kind).due_date == "2009-03-31"
    assert "第四十九条" in ART_2019_DEPT and "第三十一条" in ART_2008
    assert deadline(None, DEPARTMENT) is None


def test_legacy_mapping_reads_the_report_year_column():
    rows = [{"key": "g0.applications_total", "year_value": 12.0, "cumulative_value": 40.0},
            {"key": "g0.replies.granted", "year_value": 8.0}, {"key": "g0.admin_review", "year_value": 1.0},
            {"key": "g0.proactive_docs", "year_value": 128.0}]
    assert legacy_headline(rows) == {"applications_received": 12, "granted": 8, "reviews_total": 1}
    assert legacy_headline([]) == {}


def test_numbers_read_as_integers():
    assert number(30.0) == "30" and number(-7.0) == "-7" and number(1.2) == "1.2" and number(None) == ""
    assert number(102.85) == "102.85"


def test_rewrite_links():
    archived = {"http://www.a.gov.cn/nb/2020.htm": "a" * 64, "http://www.a.gov.cn/att/x.pdf": "b" * 64}
    html = ("<html><head><title>t</title></head><body>"
            "<a href='/nb/2020.htm'>rel</a> <a class=\"nav\" target=\"_self\" href=\"../att/x.pdf\">pdf</a> "
            "<a target=_top href=https://www.gov.cn/>out</a> <a href='#top'>anchor</a> <a href='javascript:x()'>js</a>"
            "<a name='n'>no href</a></body></html>")
    out = rewrite_links(html, "http://www.a.gov.cn/nb/list.htm", lambda urls: {u: archived[u] for u in urls if u in archived})
    assert f'<a href="/-/archived/{"a" * 64}" target="_top" class="xxgk-archived"' in out
    assert f'<a href="/-/archived/{"b" * 64}" target="_top" class="xxgk-archived"' in out
    assert 'href="https://www.gov.cn/" target="_blank" rel="noreferrer noopener" class="xxgk-leaves"' in out
    assert "_self" not in out and "target=_top" not in out and 'class="nav"' not in out  # theirs replaced
    assert "<a name='n'>no href</a>" in out
    assert "href='#top'" in out and "href='javascript:x()'" in out  # left alone (scripts never run)
    assert out.index("<style>") > out.index("<head>")


def test_split_words_and_snippets():
    assert split_words(" 应急 管理，应急 ") == ["应急", "管理"]
    text = "甲" * 300 + "应急管理局" + "乙" * 300 + "行政复议<script>" + "丙" * 300
    s = str(snippet(text, ["应急管理", "行政复议"]))
    assert "<mark>应急管理</mark>" in s and "<mark>行政复议</mark>" in s
    assert "&lt;script&gt;" in s and "<script>" not in s  # escaped
    assert len(s) < 600
