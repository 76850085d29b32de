"""Drawing a portal's variants and content from a seed: features, units, reports, other documents.

Every choice comes from `random.Random(seed-derived)`, so a seed replays the same portal.
`FEATURES` lists every variant a family can draw; `draw_features` picks one value each
(a caller may force some, as the fixed test set does to cover every value).
"""
from __future__ import annotations

import hashlib
import io
import random
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

from replica.variants.model import VDoc, VReport

#: feature -> possible values (the first is the plain case). Families ignore what they lack.
FEATURES: dict[str, list[Any]] = {
    # the configured entry URL: works, or moved (404/410/redirect to home/a page with no 公开 links)
    "entry": ["ok", "http_404", "http_410", "redirect_home", "no_links"],
    # the home page's link to the 信息公开 page
    "home_link": ["政府信息公开", "信息公开", "政务公开", "公开目录", "法定主动公开内容", "政府信息公开专栏"],
    # where reports sit: one flat column; year sub-columns; years then unit types; per-unit columns
    # below a 部门 tree (2 or 3-4 levels below the entry)
    "organisation": ["flat", "years", "years_units", "per_unit", "per_unit_deep"],
    "annual_name": ["政府信息公开年度报告", "政府信息公开工作年度报告", "年度报告", "政府信息公开年报", "信息公开年报"],
    "year_name": ["{y}年", "{y}年度", "{y}年政府信息公开年报"],
    "year_slug": ["{y}ndbg", "{y}n", "{y}nzfxxgkndbg"],
    "list_markup": ["ul_after", "ul_before", "table", "div"],
    # TRS pagers (trs-fujian.md §5.1): createPageHTML 0-based (index_1 = page 2), the form with a
    # target id first and total records last and 1-based pages (index_2 = page 2), var countPage,
    # plain 下一页/尾页 links
    "pagination": ["create_page", "count_page", "next_link", "create_page_1based"],
    # how the home page links the 信息公开 page: its text, an image with alt text, a title attribute
    "home_link_style": ["text", "img_alt", "title"],
    "page_size": [3, 4, 6, 20],
    # the 公开 block as a list, a table, bracket labels, or none at all (only 时间/信息来源 lines:
    # 莆田秀屿, 厦门同安, 海盐 pages show no 索引号)
    "meta_block": ["ul", "table", "brackets", "none"],
    "attachment": ["link", "js_var"],
    "charset": ["utf-8", "gbk"],
    "empty_column": ["none", "暂无信息", "暂无数据", "empty_list"],
    "decoys": [False, True],
    "dual_listing": [False, True],
    "link_spelling": ["rel_dot", "rel_parent", "abs_path", "abs_url", "upper_scheme", "double_slash",
                      "whitespace", "fullwidth_space", "protocol_relative", "index_file"],
    # gkmlpt: where the 年报 category sits in TREE, and what the API does past the last page
    "gkmlpt_tree": ["leaf_under_report", "top_leaf", "year_children"],
    "gkmlpt_end": ["http_404", "empty"],
    # jpaas: the gateway answers anyone, or only requests signed by the shell page's script
    # (`_t`): a direct call gets an HTML refusal, and the list exists only in a browser
    "jpaas_gateway": ["open", "signed"],
    # jcms: jpage inline records + dataproxy, or records only through the proxy
    "jcms_list": ["inline_and_proxy", "proxy_only"],
}
FAMILY_FEATURES: dict[str, tuple[str, ...]] = {
    "trs": ("entry", "home_link", "home_link_style", "organisation", "annual_name", "year_name", "year_slug", "list_markup",
            "pagination", "page_size", "meta_block", "attachment", "charset", "empty_column", "decoys",
            "dual_listing", "link_spelling"),
    "gkmlpt": ("entry", "home_link", "home_link_style", "organisation", "annual_name", "year_name", "list_markup", "pagination",
               "page_size", "meta_block", "charset", "empty_column", "decoys", "dual_listing", "link_spelling",
               "gkmlpt_tree", "gkmlpt_end"),
    "jcms": ("entry", "home_link", "home_link_style", "organisation", "annual_name", "year_name", "list_markup", "page_size",
             "meta_block", "attachment", "charset", "empty_column", "decoys", "dual_listing", "link_spelling",
             "jcms_list"),
    "jpaas": ("entry", "home_link", "home_link_style", "organisation", "annual_name", "year_name", "list_markup", "page_size",
              "meta_block", "attachment", "charset", "empty_column", "decoys", "dual_listing", "link_spelling",
              "jpaas_gateway"),
}

UNIT_TYPES = ["区直部门", "市直部门", "市政府各部门", "乡镇（街道）", "部门", "镇街"]
UNIT_TYPE_SLUGS = {"区直部门": "qzbm", "市直部门": "szbm", "市政府各部门": "szfgbm", "乡镇（街道）": "xzjd",
                   "部门": "bm", "镇街": "zj"}
REGIONS = ["青溪县", "云山区", "白沙县", "临江市", "东湖区", "平阳县", "石门县", "南川区", "安平县", "北塘区"]
DEPARTMENTS = [("应急管理局", "yjglj"), ("财政局", "czj"), ("教育局", "jyj"), ("司法局", "sfj"), ("统计局", "tjj"),
               ("审计局", "sjj"), ("卫生健康局", "wsjkj"), ("民政局", "mzj"), ("自然资源局", "zrzyj"),
               ("人力资源和社会保障局", "rsj"), ("市场监督管理局", "scjgj"), ("住房和城乡建设局", "zjj")]
TOWNS = [("城关镇人民政府", "cgz"), ("东街街道办事处", "djjd"), ("西山乡人民政府", "xsx"), ("南湖镇人民政府", "nhz")]
TITLE_FORMS = ["{a}{y}年政府信息公开工作年度报告", "{a}{y}年度政府信息公开工作年度报告",
               "{a}{y}年政府信息公开年度工作报告", "{a}{y}年度政府信息公开工作年度报告（含图解）"]
DECOY_FORMS = ["{a}政府信息公开指南", "关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知",
               "{a}{y}年政务公开工作要点", "{a}政府信息公开目录", "{a}关于{y}年政府信息公开工作年度报告的解读"]


def rng_for(seed: int, *parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(map(str, (seed, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def draw_features(seed: int, family: str, force: dict[str, Any] | None = None) -> dict[str, Any]:
    rng = rng_for(seed, family, "features")
    out: dict[str, Any] = {}
    for name in FAMILY_FEATURES[family]:
        values = FEATURES[name]
        if name == "link_spelling":
            out[name] = sorted(rng.sample(values, rng.randint(2, 4)))
        elif name == "entry":
            out[name] = rng.choices(values, weights=[40, 15, 10, 15, 20])[0]
        elif name == "jpaas_gateway":  # a browser per such portal: rare, as it should be
            out[name] = rng.choices(values, weights=[9, 1])[0]
        else:
            out[name] = rng.choice(values)
    for name, value in (force or {}).items():
        if name not in FEATURES:
            raise ValueError(f"unknown feature {name!r} (known: {', '.join(FEATURES)})")
        out[name] = value
    return out


class Content:
    """Units, reports and decoy documents of one portal (no URLs yet: families lay them out)."""

    def __init__(self, seed: int, family: str, features: dict[str, Any]) -> None:
        self.seed, self.family, self.features = seed, family, features
        rng = rng_for(seed, family, "content")
        self.rng = rng
        self.region = rng.choice(REGIONS)
        n_dept = rng.randint(2, 4)
        n_town = rng.randint(1, 2)
        depts = rng.sample(DEPARTMENTS, n_dept)
        towns = rng.sample(TOWNS, n_town)
        self.units: list[dict[str, Any]] = []
        for i, (name, slug) in enumerate(depts + towns):
            kind = "dept" if i < n_dept else "town"
            self.units.append({"name": self.region + name, "slug": slug, "kind": kind,
                               "code": f"{rng.randint(10, 99)}{rng.randint(100000, 999999)}{i:02d}",
                               "years": sorted(rng.sample(range(2019, 2026), rng.randint(1, 4)))})
        self.doc_counter = rng.randint(1_000_000, 5_000_000)
        self.reports: list[VReport] = []
        for unit in self.units:
            for year in unit["years"]:
                self.reports.append(self._report(unit, year))
        self.docs: list[VDoc] = []
        if features.get("decoys"):
            for j, form in enumerate(rng.sample(DECOY_FORMS, 2)):
                unit = rng.choice(self.units)
                y = rng.choice(unit["years"])
                self.docs.append(VDoc(f"doc{j}", form.format(a=unit["name"], y=y), unit["name"],
                                      datetime(y + 1, rng.randint(1, 11), rng.randint(1, 28), 9, 30)))

    def next_id(self) -> int:
        self.doc_counter += self.rng.randint(1, 40)
        return self.doc_counter

    def _report(self, unit: dict[str, Any], year: int) -> VReport:
        rng = rng_for(self.seed, "report", unit["slug"], year)
        pub = datetime(year + 1, rng.choice([1, 1, 1, 2]), rng.randint(3, 28), rng.randint(8, 17), rng.randint(0, 59))
        written = (pub - timedelta(days=rng.randint(1, 5))).date()
        title = rng.choice(TITLE_FORMS).format(a=unit["name"], y=year)
        seq = rng.randint(1, 99)
        if self.family == "trs":
            index_no = f"XX{unit['code'][:5]}-{rng.choice(['3000', '2510', '0320'])}-{pub.year}-{seq:05d}"
        else:
            index_no = f"{unit['code']}/{pub.year}-{seq:05d}"
        doc_no = f"{unit['name'][-4:-1]}函〔{pub.year}〕{rng.randint(1, 30)}号" if rng.random() < 0.5 else ""
        return VReport(f"{unit['slug']}-{year}", title, unit["name"], year, pub, written, index_no, doc_no,
                       layout={"unit": unit, "id": self.next_id(), "att": rng.random() < 0.5,
                               "att_ext": rng.choice(["pdf", "pdf", "docx"])})

    def unit_reports(self, unit: dict[str, Any]) -> list[VReport]:
        return sorted((r for r in self.reports if r.layout["unit"] is unit), key=lambda r: r.published, reverse=True)


def attachment_body(key: str, ext: str) -> bytes:
    """Small but well-formed files (a one-page PDF, a DOCX zip): what matters is that each
    report's file is distinct and its type is what the bytes say."""
    if ext == "docx":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, text in (("[Content_Types].xml", '<?xml version="1.0"?><Types/>'),
                               ("word/document.xml", f'<?xml version="1.0"?><w:document><w:body>{key}</w:body></w:document>')):
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                zf.writestr(info, text)
        return buf.getvalue()
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            + f"% variant attachment {key}\n".encode() + b"trailer<</Root 1 0 R>>\n%%EOF\n")


def day(d: date | datetime) -> str:
    return d.strftime("%Y-%m-%d")
