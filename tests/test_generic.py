"""The generic spider and `xxgk detect` on portals nobody tuned them to (generated variants)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import linktext
from crawler.detect import detect
from crawler.pages import generic
from replica.variants import generate
from replica.variants.server import VariantServer
from tests.generic_helpers import crawl_urls, records, score

# no-family portals covering every value of the `none` features (entry moved four ways, flat/years/
# years+units/per-unit/deep trees, five list markups, five pagers, five metadata layouts, four
# attachment styles, GBK, decoys, dual listings); checked against the manifest
NONE_SEEDS = (0, 2, 3, 4, 5, 6, 7, 8, 14, 24, 38, 40, 85, 98, 172, 191)
FAMILY_FOR_GENERIC = (("trs", 1), ("trs", 2), ("trs", 3), ("jcms", 1), ("gkmlpt", 2), ("jpaas", 2))


@pytest.mark.parametrize("title,is_report", [
    ("青溪县财政局2023年政府信息公开工作年度报告", True),
    ("青溪县财政局2023年度政府信息公开工作年度报告（含图解）", True),
    ("青溪县财政局2023年政府信息公开年度工作报告.pdf", True),
    ("政府信息公开年报", False),
    ("青溪县财政局政府信息公开指南", False),
    ("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", False),
    ("青溪县2024年政务公开工作要点", False),
    ("青溪县财政局关于2023年政府信息公开工作年度报告的解读", False),
])
def test_only_annual_reports_are_reports(title: str, is_report: bool) -> None:
    assert linktext.is_annual_report_title(title) is is_report


def test_labels_in_brackets_and_several_on_one_line() -> None:
    text = "[ 索引号 ] 11330/2024-00012\n[ 发文字号 ] 青财〔2024〕3号\n发布机构：青溪县财政局　发布日期：2024-01-15\n"
    meta = generic.label_metadata(text)
    assert meta["index_no"] == "11330/2024-00012"
    assert meta["doc_no"] == "青财〔2024〕3号"
    assert meta["agency"] == "青溪县财政局"
    assert meta["published_date"] == "2024-01-15"


def test_pagers_are_read() -> None:
    url = "http://h/zwgk/ndbg/"
    # 0-based pagers name page 2 index_1, 1-based ones index_2: both ranges are announced
    assert generic.page_urls('<script>createPageHTML(3, 0, "index", "shtml");</script>', url) == [
        "http://h/zwgk/ndbg/index_1.shtml", "http://h/zwgk/ndbg/index_2.shtml", "http://h/zwgk/ndbg/index_3.shtml"]
    assert generic.page_urls('<a href="index.html">1</a><script>var countPage = 2;</script>', url) == [
        "http://h/zwgk/ndbg/index_1.html", "http://h/zwgk/ndbg/index_2.html"]
    assert not generic.ext_is_guessed('<a href="index.html">1</a>', url)
    assert generic.ext_is_guessed('<a href="/doc/1.shtml">x</a>', url)
    js = "<script>var totalPage = 3; document.write('<a href=\"?pageNum=' + i + '\">')</script>"
    assert generic.page_urls(js, url) == ["http://h/zwgk/ndbg/?pageNum=2", "http://h/zwgk/ndbg/?pageNum=3"]
    assert generic.page_urls('<div><a href="list_2.html">下一页</a><a href="/other/x.html">下一页</a></div>',
                             "http://h/zwgk/ndbg/list.html") == ["http://h/zwgk/ndbg/list_2.html"]


def test_urls_are_spelled_one_way() -> None:
    n = generic.normalise_url
    assert n("HTTP://H.gov.cn:80//a/./b/../c/x.html#top") == "http://h.gov.cn/a/c/x.html"
    assert n("\u3000http://h/a/\n\tb.html ") == "http://h/a/b.html"


def test_detect_tells_every_family() -> None:
    portals = [generate(seed, fam) for fam in ("trs", "gkmlpt", "jcms", "jpaas", "none") for seed in range(1, 9)]
    with VariantServer(portals) as srv:
        man = srv.manifest
        for p in portals:
            det = detect(man[p.site_id]["home_url"])
            want = {"trs": "trs", "gkmlpt": "gkmlpt", "jcms": "jcms", "jpaas": "jcms", "none": "generic"}[p.family]
            assert det.spider == want, (p.site_id, det.to_dict())
            if p.family == "jpaas":
                assert det.variant == "jpaas"
            assert det.columns and det.evidence, det.to_dict()
            assert det.to_json()  # JSON-serialisable for `xxgk sites add`


def test_generic_spider_finds_every_report_once(tmp_path: Path) -> None:
    portals = [generate(s, "none") for s in NONE_SEEDS] + [generate(s, f) for f, s in FAMILY_FOR_GENERIC]
    with VariantServer(portals) as srv:
        man = srv.manifest
        result = crawl_urls(tmp_path, {p.site_id: man[p.site_id]["entry_url"] for p in portals})
        assert result.returncode in (0, 1), result.stderr[-2000:]
        for p in portals:
            sc = score(man[p.site_id], records(tmp_path, p.site_id))
            assert not sc["missed"], (p.site_id, p.features, sc["missed"])
            assert not sc["false"], (p.site_id, sc["false"])
            assert not sc["twice"], (p.site_id, sc["twice"])
            assert not sc["wrong"], (p.site_id, sc["wrong"])
            assert sc["attachments_found"] == sc["attachments"], (p.site_id, p.features)
            assert not sc["structure_errors"], (p.site_id, sc["structure_errors"])


def test_scrapy_crawl_generic_with_start_url_and_site_id(tmp_path: Path) -> None:
    portal = generate(4, "none")
    with VariantServer([portal]) as srv:
        man = srv.manifest[portal.site_id]
        proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"start_url={man['home_url']}",
                               "-a", "site_id=unknown-portal", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"],
                              cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=600,
                              env={**os.environ, "XXGK_HOME": str(tmp_path)})
        assert proc.returncode == 0, proc.stderr[-3000:]
        recs = records(tmp_path, "unknown-portal")
        sc = score(man, recs)
        assert sc["found"] == sc["reports"] > 0 and not sc["false"] and not sc["twice"], sc
        run_end = recs["run_end"][-1]
        assert run_end["status"] == "ok" and run_end["stats"]["reports"] == sc["reports"], run_end
