"""crawler.discovery and the report-title vocabulary (crawler.linktext) on small pages shaped like the field guide's."""
from __future__ import annotations

from crawler import discovery, linktext
from crawler.pages import common

HOME = """<html><body><div class="header"><ul class="nav"><li><a href="/">首页</a></li>
<li><a href="/xwzx/">新闻中心</a></li></ul></div>
<div class="main"><a href="/zwgk/">政务公开</a> <a href="/zfxxgk/">政府信息公开</a> <a href="/bsfw/">办事服务</a></div>
</body></html>"""

COLUMN = """<html><body><div class="position"><a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a>
&gt; <a href="/zfxxgk/ndbg/">年度报告</a></div>
<div class="main"><div class="sub-column"><ul><li><a href="./2023ndbg/">2023年</a></li>
<li><a href="/col/col1229000002/index.html">2022年度</a></li><li><a href="./qzbm/">区直部门</a></li>
<li><a href="../ndbg/xzjd/">乡镇（街道）</a></li></ul></div>
<div class="list"><ul><li><a href="./202401/t20240110_1.htm">某局2023年政府信息公开工作年度报告</a></li></ul></div>
<div class="page"><a href="index_1.htm">下一页</a></div></div></body></html>"""


def test_entry_links_by_text_best_first() -> None:
    root = common.parse_html(HOME)
    texts = [link.text for link in discovery.entry_links(root, "http://a.gov.cn/")]
    assert texts == ["政府信息公开", "政务公开"]


def test_sub_columns_by_name_or_path_never_chrome_or_pager() -> None:
    root = common.parse_html(COLUMN)
    url = "http://a.gov.cn/zfxxgk/ndbg/"
    got = {link.text for link in discovery.sub_column_links(root, url, url)}
    assert {"2023年", "2022年度", "区直部门", "乡镇（街道）"} <= got
    assert not got & {"首页", "政府信息公开", "年度报告", "下一页"}


def test_empty_columns() -> None:
    assert discovery.says_empty("本栏目暂无信息")
    assert discovery.has_empty_list(common.parse_html('<div class="list"><ul></ul></div>'))
    # a div a script fills is a JS list, not an empty one
    assert not discovery.has_empty_list(common.parse_html('<div class="list-content2" id="list"></div>'))


def test_column_of_a_known_report_and_its_doc_key() -> None:
    assert discovery.column_of_report("https://www.fuzhou.gov.cn/zgfzzt/sajj/zfxxgkzl/ndbg/202301/t20230114_4522367.htm") \
        == "https://www.fuzhou.gov.cn/zgfzzt/sajj/zfxxgkzl/ndbg/"
    assert discovery.column_of_report("http://www.haiyan.gov.cn/art/2025/1/20/art_1229449092_98337.html") \
        == "http://www.haiyan.gov.cn/col/col1229449092/index.html"
    assert discovery.column_of_report("http://www.haojiang.gov.cn/sthjyjglj/gkmlpt/content/2/2297/post_2297519.html") \
        == "http://www.haojiang.gov.cn/sthjyjglj/gkmlpt/index"
    assert discovery.column_of_report("https://www.shantou.gov.cn/stszwfwsjglj/zwgk/zfxxgkgzndbg/content/post_2406390.html") \
        == "https://www.shantou.gov.cn/stszwfwsjglj/zwgk/zfxxgkgzndbg/"
    a = discovery.doc_key("http://h/art/2024/1/29/art_1229449092_89438.html")
    assert a == discovery.doc_key("http://h/art/2024/1/29/art_1229000777_89438.html") == "art:89438"
    assert discovery.doc_key("http://h/x/gkmlpt/content/2/2412/post_2412345.html") == \
        discovery.doc_key("http://h/cy/zwgk/zfxxgknb/content/post_2412345.html")
    assert discovery.doc_key("http://h/zfxxgk/") is None


def test_reports_and_documents_that_are_not() -> None:
    for title in ("福州市应急管理局2022年政府信息公开工作年度报告", "海盐县教育局2023年度政府信息公开工作年度报告（含图解）",
                  "某区财政局2021年政府信息公开年度工作报告"):
        assert linktext.is_report_title(title), title
    for title in ("某区政府信息公开指南", "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
                  "某局2024年政务公开工作要点", "某局关于2023年政府信息公开工作年度报告的解读"):
        assert not linktext.is_report_title(title), title
    assert linktext.may_be_report("福州市应急管理局2022年政府…")  # truncated: read the page to know
