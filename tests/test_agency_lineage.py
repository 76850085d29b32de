"""Agency names across reforms (archive/parse/agency_lineage.csv, archive/parse/lineage.py,
archive/build/agencies.py): one canonical name per region and lineage, the printed name beside it,
so that an agency's series runs across a rename — in the mapping and in a real build."""
from __future__ import annotations

import csv
import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from archive.build.builder import build
from archive.store.home import Home
from archive.parse.lineage import LINEAGE_CSV, canonical_agency, rules, split_agency
from fixtures.archive.factory import _run, report_page, text_to_html

REGIONS = ["福州市", "福州市长乐区", "晋江市", "海盐县", "内蒙古自治区乌海市", "五常市民意乡", "示例县"]
OLD = {r.old_body for r in rules()}


def test_mapping_file_is_well_formed():
    with LINEAGE_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len({r["rule_id"] for r in rows}) == len(rows)
    assert len({r["old_body"] for r in rows}) == len(rows)        # one successor per body
    assert all(r["source"] and r["reform"] and r["kind"] in ("rename", "merge") for r in rows)
    assert all(r["new_body"].endswith(("局", "委员会", "办公室")) for r in rows)


@given(st.sampled_from(REGIONS), st.sampled_from(sorted(OLD)))
def test_every_old_name_reaches_a_current_one_in_its_region(region, body):
    c = canonical_agency(region + body)
    assert c.region == region and c.name == region + c.body
    assert c.body not in OLD and c.rules                      # followed to the end of the lineage
    assert canonical_agency(c.name).name == c.name            # idempotent
    assert canonical_agency(c.name).rules == ()


def test_known_reforms():
    assert canonical_agency("晋江市安全生产监督管理局").name == "晋江市应急管理局"
    assert canonical_agency("福州市长乐区人事局").name == "福州市长乐区人力资源和社会保障局"
    assert canonical_agency("福州市长乐区劳动和社会保障局").name == "福州市长乐区人力资源和社会保障局"
    assert canonical_agency("海盐县工商行政管理局").name == "海盐县市场监督管理局"
    assert canonical_agency("汕头市潮阳区环境保护局").name == "汕头市潮阳区生态环境局"
    assert split_agency("海盐县市场监督管理局") == ("海盐县", "市场监督管理局")   # not split at 市场's 市
    unchanged = canonical_agency("海盐县应急管理局")
    assert (unchanged.name, unchanged.rules) == ("海盐县应急管理局", ())


def _report_text(agency: str, year: int) -> str:
    return "\n".join([f"{agency}{year}年政府信息公开工作年度报告", "一、概述", f"{year}年，本局认真贯彻落实《条例》。",
                      "二、主动公开政府信息情况", "全年主动公开政府信息120条。",
                      "三、依申请公开政府信息办理情况", "本年度未收到政府信息公开申请。",
                      "四、因政府信息公开申请行政复议、提起行政诉讼的情况", "无。",
                      "五、政府信息公开工作存在的主要问题及改进情况", "公开形式有待丰富。",
                      "六、需要说明的其他事项与附表", "无。", agency, f"{year + 1}年3月20日"])


def test_build_keeps_printed_name_and_canonical_series(tmp_path):
    home = Home.from_env(tmp_path / "home")
    home.ensure()
    col = "http://www.example.gov.cn/zfxxgk/ndbg/"
    r = _run(home, "example", 1, 1)
    r.start("http://www.example.gov.cn")
    r.w("listing", column_url=col, page_url=col, report_urls=[])
    printed = {2017: "示例县安全生产监督管理局", 2018: "示例县安全生产监督管理局", 2019: "示例县应急管理局"}
    for year, agency in printed.items():
        title = f"{agency}{year}年政府信息公开工作年度报告"
        page = report_page(title, text_to_html(_report_text(agency, year)), {"发文机关": agency})
        r.report(f"{col}{year + 1}01/t{year + 1}0320_{year}.htm", page, col, title, agency,
                 f"EX-{year + 1}-0001", f"{year + 1}-03-20")
    r.end()
    build(home, progress=False)
    con = sqlite3.connect(home.db)
    try:
        rows = con.execute("select a.agency_printed, a.agency_canonical, a.report_year, a.lineage_rules, r.agency "
                           "from report_agencies a join reports r using (report_id) order by a.report_year").fetchall()
        series = con.execute("select report_year, reports, printed_names from agency_series "
                             "where agency_canonical = '示例县应急管理局' order by report_year").fetchall()
        lineage = con.execute("select old_body, new_body from agency_lineage where rule_id = 'aq-yj'").fetchone()
    finally:
        con.close()
    assert [(p, c, y) for p, c, y, _, _ in rows] == [
        ("示例县安全生产监督管理局", "示例县应急管理局", 2017), ("示例县安全生产监督管理局", "示例县应急管理局", 2018),
        ("示例县应急管理局", "示例县应急管理局", 2019)]
    assert [r[4] for r in rows] == [printed[2017], printed[2018], printed[2019]]   # reports.agency as printed
    assert rows[0][3] == '["aq-yj"]' and rows[2][3] == "[]"
    assert [(y, n) for y, n, _ in series] == [(2017, 1), (2018, 1), (2019, 1)]
    assert lineage == ("安全生产监督管理局", "应急管理局")
