"""The replica world: sites -> agencies -> reports, fully deterministic.

This module decides *what* exists (agencies, report years, titles, dates, metadata, attachment
formats, day-2 changes). The family modules (`replica/families/`) decide *where* it lives (URL
layout) and *how* it looks (markup). Report content (`ReportSpec`, body HTML, attachment bytes)
comes from `replica.documents`; `content_*` below are the only entry points to it.
"""
from __future__ import annotations

import os

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from replica.documents.spec import template_for_year

YEARS = range(2008, 2026)
LAST_YEAR = 2025


def stable_rng(*parts: object) -> random.Random:
    """A `random.Random` seeded from the parts (stable across processes, unlike hash())."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def clean_title(title: str) -> str:
    """Portal titles carry no spaces (seed transcriptions do: `2020 年度 政府…`)."""
    return re.sub(r"\s+", "", title)


# --------------------------------------------------------------------------- model


@dataclass
class AgencyDef:
    """One publishing unit of a site and where its reports go (family-specific keys in `layout`)."""

    name: str
    slug: str
    code: str  # 索引号 prefix (TRS unit code / credit code / org code)
    first_year: int = 2008
    short: str = ""  # 信息来源 as printed on JCMS pages
    doc_prefix: str = ""  # 发文字号 prefix, e.g. 榕应急函
    layout: dict[str, Any] = field(default_factory=dict)


@dataclass
class AttachmentDef:
    fmt: str  # docx pdf doc wps xls xlsx scan.pdf
    js_only: bool = False

    @property
    def ext(self) -> str:
        return self.fmt.rsplit(".", 1)[-1]


@dataclass
class Report:
    """One report as it exists in the world (day-dependent fields already applied)."""

    site_id: str
    agency: AgencyDef
    year: int
    title: str
    published: datetime
    written: date
    index_no: str
    doc_no: str
    topic: str
    validity: str
    source: str
    template: str
    seed: str | None = None
    attachments: list[AttachmentDef] = field(default_factory=list)
    in_column: bool = True
    revision: int = 1  # >1: content changed (day 2; QUIET_CHANGED: day 4)
    changed_day: int = 2  # the day of that change (its Last-Modified)
    key: str = ""  # stable identity inside the site
    layout: dict[str, Any] = field(default_factory=dict)  # family-specific: ids, paths
    _spec: Any = None

    @property
    def spec(self) -> Any:
        if self._spec is None:
            self._spec = content_spec(self)
        return self._spec


@dataclass
class Doc:
    """A non-report document (catalogue filler) so that columns hold more than reports."""

    title: str
    published: datetime
    agency: AgencyDef
    key: str
    layout: dict[str, Any] = field(default_factory=dict)


@dataclass
class SiteDef:
    site_id: str
    platform: str
    agencies: list[AgencyDef]
    options: dict[str, Any] = field(default_factory=dict)
    scaled: bool = False


@dataclass
class SiteContent:
    """What a site publishes on a given day."""

    site: SiteDef
    day: int
    reports: list[Report]
    docs: list[Doc]

    @property
    def site_id(self) -> str:
        return self.site.site_id

    def by_agency(self, agency: AgencyDef) -> list[Report]:
        """Newest first, as columns list them."""
        rs = [r for r in self.reports if r.agency is agency]
        return sorted(rs, key=lambda r: r.published, reverse=True)


# --------------------------------------------------------------------------- scale-0 sites


def _a(name: str, slug: str, code: str, first: int = 2008, short: str = "", prefix: str = "", **layout: Any) -> AgencyDef:
    return AgencyDef(name, slug, code, first, short or name, prefix, dict(layout))


def seed_sites() -> list[SiteDef]:
    """The five seed portals and their agencies (paths: see replica/README.md)."""
    fz_unit = "/zfxxgkzl/szfbmjxsqxxgk/szfbmxxgk/{slug}/"
    cl_unit = "/xjwz/xxgk/zfxxgk/dfbmptlj/zfjzfgzbm/{slug}/"
    jj_unit = "/xxgk/zfxxgkzl/bmzfxxgk/{slug}/"
    return [
        SiteDef("fuzhou", "trs", [
            _a("福州市应急管理局", "sajj", "FZ00503", 2008, prefix="榕应急函", unit="/zgfzzt/sajj/zfxxgkzl/",
               col="ndbg", col_name="年度报告"),
            _a("福州市防震减灾中心", "fzjzzl", "FZ00517", 2012, unit="/zgfzzt/fzjzzl/zfxxgkzl/",
               col="ndbg", col_name="年度报告", elsewhere={2020: "gkml/yzdgkdqtxx"}),
            _a("福州市财政局", "czj", "FZ00121", 2008, prefix="榕财综", unit=fz_unit.format(slug="czj"),
               col="zfxxgknb", col_name="年度报告"),
            _a("福州市生态环境局", "sthjj", "FZ00540", 2010, unit=fz_unit.format(slug="sthjj"),
               col="ndbg", col_name="年度报告"),
        ], {"group": "fz", "pad": "\u3000", "charset": "utf-8", "aggregate": "/zfxxgkzl/ndbg/",
            "robots": "allow", "entry": "/zfxxgkzl/"}),
        SiteDef("changle", "trs", [
            _a("福州市长乐区应急管理局", "yjglj", "FZ10317", 2008, prefix="长应急", unit=cl_unit.format(slug="yjglj"),
               col="zfxxgknb", col_name="政府信息公开年报"),
            _a("福州市长乐区财政局", "czj", "FZ10302", 2009, unit=cl_unit.format(slug="czj"),
               col="zfxxgknb", col_name="政府信息公开年报", broken_day=2),
            _a("福州市长乐区教育局", "jyj", "FZ10308", 2011, unit=cl_unit.format(slug="jyj"),
               col="zfxxgknb", col_name="政府信息公开年报"),
            _a("福州市长乐区吴航街道办事处", "whjd", "FZ10401", 2013, unit="/xjwz/xxgk/zfxxgk/dfbmptlj/jzbsc/whjd/",
               col="xxgkndbg", col_name="政府信息公开年报"),
        ], {"group": "fz", "pad": "&nbsp;", "charset": "utf-8", "robots": "404", "entry": "/xjwz/xxgk/zfxxgk/"}),
        SiteDef("jinjiang", "trs", [
            _a("晋江市应急管理局", "yjglj", "QZ06135", 2008, prefix="晋应急", unit=jj_unit.format(slug="yjglj"),
               col="zfxxgkndbg", col_name="政府信息公开工作年度报告"),
            _a("晋江市审计局", "sjj", "QZ06121", 2009, unit=jj_unit.format(slug="sjj"),
               col="zfxxgkndbg", col_name="政府信息公开工作年度报告"),
            _a("晋江市卫生健康局", "wsjkj", "QZ06118", 2010, unit=jj_unit.format(slug="wsjkj"),
               col="xxgkndbg", col_name="政府信息公开工作年度报告"),
            _a("晋江市东石镇人民政府", "12", "QZ06913", 2012, unit="/xxgk/zfxxgkzl/zjdgk/12/",
               col="ndbg", col_name="政府信息公开工作年度报告"),
        ], {"group": "jj", "pad": " ", "charset": "gbk", "robots": "disallow", "entry": "/xxgk/zfxxgkzl/",
            "disallow": "/xxgk/zjxx/"}),
        SiteDef("chaoyang", "gkmlpt", [
            _a("汕头市潮阳区应急管理局", "stcyyjglj", "11440513MB2C95316K", 2019, kind="gkmlpt", sid=754131,
               cat=3163, end404=True),
            _a("汕头市潮阳区统计局", "stcytjj", "11440513007019471X", 2010, kind="gkmlpt", sid=754118, cat=2918),
            _a("汕头市潮阳区司法局", "stcysfj", "114405130070194549", 2012, kind="gkmlpt", sid=754124, cat=3031),
            _a("汕头市潮阳区人民政府办公室", "cyzfb", "11440513007019201B", 2008, kind="nfcms"),
            _a("汕头市潮阳区文光街道办事处", "wgjd", "11440513007020155P", 2014, kind="nfcms"),
        ], {"robots": "allow", "entry": "/cy/zwgk/"}),
        SiteDef("haiyan", "jcms", [
            _a("海盐县应急管理局", "yjglj", "002605893", 2019, short="县应急管理局"),
            _a("嘉兴市生态环境局海盐分局", "sthj", "002605712", 2008, short="县生态环境分局"),
            _a("海盐县沈荡镇人民政府", "sdz", "002605981", 2010, short="沈荡镇"),
            _a("海盐县市场监督管理局", "scjg", "002605647", 2015, short="县市场监管局"),
            _a("海盐县教育局", "jyj", "002605621", 2009, short="县教育局"),
        ], {"robots": "disallow", "entry": "/col/col1229000001/index.html", "disallow": "/module/search/"}),
    ]


#: Attachments fixed by hand: (site, agency slug, year) -> formats. The rest are drawn at random.
FIXED_ATTACHMENTS: dict[tuple[str, str, int], list[AttachmentDef]] = {
    ("fuzhou", "sajj", 2018): [AttachmentDef("pdf")],
    ("changle", "yjglj", 2021): [AttachmentDef("doc", js_only=True), AttachmentDef("xls", js_only=True)],
    ("changle", "jyj", 2019): [AttachmentDef("pdf", js_only=True)],
    ("jinjiang", "yjglj", 2020): [AttachmentDef("doc")],
    ("jinjiang", "wsjkj", 2019): [AttachmentDef("wps")],
    ("jinjiang", "sjj", 2022): [AttachmentDef("xlsx"), AttachmentDef("pdf")],
    ("chaoyang", "stcyyjglj", 2020): [AttachmentDef("pdf")],
    ("chaoyang", "stcytjj", 2021): [AttachmentDef("docx"), AttachmentDef("xls")],
    ("haiyan", "yjglj", 2020): [AttachmentDef("docx"), AttachmentDef("pdf")],
    ("haiyan", "sthj", 2023): [AttachmentDef("scan.pdf")],
}
#: Reports present only from day 2 on (besides every agency's missing 2025 report).
DAY2_NEW_2025 = 0.5  # share of agencies (always the first) whose 2025 report appears only on day 2
CHANGED = ("fuzhou", "sajj", 2021)  # day >= 2: same URL, new content
REMOVED = ("haiyan", "sthj", 2019)  # day == 2 only: gone (404), back on day 3
# day >= 4: same URL, new content, and nothing on any list page changes (an in-place edit
# only revalidation finds: crawler/revalidate.py)
QUIET_CHANGED = ("haiyan", "jyj", 2016)
EVIDENCED_IDS = {("fuzhou", "sajj", 2022): (datetime(2023, 1, 14, 10, 2), 4522367)}


# --------------------------------------------------------------------------- generation


def _publication(site_id: str, agency: AgencyDef, year: int, late: bool = False) -> datetime:
    """Jan/Feb (≤2018 also March) of year+1; the last year's reports precede day 1 (2026-02-01)
    unless `late` (published between day 1 and day 2)."""
    rng = stable_rng("pub", site_id, agency.slug, year)
    if year == LAST_YEAR:
        when = (2, rng.randint(2, 7)) if late else (1, rng.randint(5, 28))
        return datetime(year + 1, *when, rng.randint(8, 17), rng.randint(0, 59))
    month = 1 if rng.random() < 0.8 or year < 2010 else 2
    if year <= 2018 and rng.random() < 0.3:
        month = 3  # before 2019 the deadline was 31 March
    return datetime(year + 1, month, rng.randint(5, 28), rng.randint(8, 17), rng.randint(0, 59))


def _draw_attachments(site: SiteDef, agency: AgencyDef, year: int) -> list[AttachmentDef]:
    fixed = FIXED_ATTACHMENTS.get((site.site_id, agency.slug, year))
    if fixed is not None and not site.scaled:
        return [AttachmentDef(a.fmt, a.js_only) for a in fixed]
    rng = stable_rng("att", site.site_id, agency.slug, year)
    if rng.random() > 0.35:
        return []
    fmt = rng.choices(["pdf", "docx", "doc", "xls"], weights=[55, 25, 12, 8])[0]
    return [AttachmentDef(fmt)]


def _index_no(site: SiteDef, agency: AgencyDef, year: int, pub: datetime, seq: int) -> str:
    if site.platform == "trs":
        topic = stable_rng("topic", agency.slug).choice(["3000", "2510", "0320", "1000"])
        return f"{agency.code}-{topic}-{pub.year}-{seq:05d}"
    return f"{agency.code}/{pub.year}-{seq:05d}"


def _title(agency: AgencyDef, year: int) -> str:
    rng = stable_rng("title", agency.name, year)
    form = rng.choices(["{a}{y}年政府信息公开工作年度报告", "{a}{y}年度政府信息公开工作年度报告",
                        "{a}{y}年政府信息公开年度工作报告"], weights=[6, 3, 1])[0]
    return form.format(a=agency.name, y=year)


def _report(site: SiteDef, agency: AgencyDef, year: int, seed: Any | None, late: bool = False) -> Report:
    pub = _publication(site.site_id, agency, year, late)
    if (site.site_id, agency.slug, year) in EVIDENCED_IDS and not site.scaled:
        pub = EVIDENCED_IDS[(site.site_id, agency.slug, year)][0]
    meta: dict[str, str] = dict(getattr(seed, "page_meta", None) or {})
    if meta.get("时间"):
        pub = datetime.strptime(meta["时间"], "%Y-%m-%d %H:%M")
    elif seed is not None and seed.signature_date:
        pub = datetime.strptime(seed.signature_date, "%Y-%m-%d") + timedelta(days=3, hours=9, minutes=30)
    rng = stable_rng("meta", site.site_id, agency.slug, year)
    written = (pub - timedelta(days=rng.randint(1, 6))).date()
    if meta.get("成文日期"):
        written = date.fromisoformat(meta["成文日期"])
    elif seed is not None and getattr(seed, "signature_date", ""):
        written = date.fromisoformat(seed.signature_date)
    doc_no = ""
    if seed is not None:
        doc_no = seed.doc_no
    elif agency.doc_prefix and rng.random() < 0.7:
        doc_no = f"{agency.doc_prefix}〔{pub.year}〕{rng.randint(1, 30)}号"
    seq = rng.randint(1, 40)
    index_no = meta.get("索引号") or _index_no(site, agency, year, pub, seq)
    title = clean_title(seed.title) if seed is not None else _title(agency, year)
    return Report(
        site_id=site.site_id, agency=agency, year=year, title=title, published=pub, written=written,
        index_no=index_no, doc_no=doc_no,
        topic=meta.get("主题分类", "无" if site.platform == "trs" else "综合政务"),
        validity=meta.get("有效性", "有效") if site.platform == "trs" else "",
        source=agency.short if site.platform == "jcms" else agency.name,
        template=seed.template if seed is not None else template_for_year(year),
        seed=seed.seed if seed is not None else None,
        attachments=_draw_attachments(site, agency, year),
        key=f"{agency.slug}-{year}", _spec=seed,
    )


def _docs(site: SiteDef, agency: AgencyDef) -> list[Doc]:
    """A few catalogue documents per agency (TRS 目录 columns)."""
    rng = stable_rng("docs", site.site_id, agency.slug)
    names = ["关于做好安全生产工作的通知", "年度工作要点", "权责清单调整情况", "专项检查情况通报", "部门预算公开说明"]
    out = []
    for i, n in enumerate(rng.sample(names, 3)):
        y = rng.randint(2016, 2024)
        pub = datetime(y, rng.randint(3, 12), rng.randint(1, 28), rng.randint(8, 17), rng.randint(0, 59))
        out.append(Doc(f"{agency.name}{y}年{n}", pub, agency, f"doc-{agency.slug}-{i}"))
    return out


def build_content(site: SiteDef, day: int) -> SiteContent:
    """Reports and filler docs of `site` on `day` (day-2 changes applied)."""
    seeds = {} if site.scaled else {(s.agency, s.year): s for s in seed_content_specs() if s.site_id == site.site_id}
    reports: list[Report] = []
    for n, agency in enumerate(site.agencies):
        late = n == 0 or stable_rng("new", site.site_id, agency.slug).random() < DAY2_NEW_2025
        for year in YEARS:
            if year < agency.first_year:
                continue
            seed = seeds.get((agency.name, year))
            gap = stable_rng("gap", site.site_id, agency.slug, year).random() < 0.08
            key = (site.site_id, agency.slug, year)
            special = key in FIXED_ATTACHMENTS or key in EVIDENCED_IDS or key in (CHANGED, REMOVED, QUIET_CHANGED)
            if gap and seed is None and not special:
                continue
            if year == LAST_YEAR and day < 2 and late:
                continue  # published between day 1 and day 2
            if key == REMOVED and day == 2:
                continue
            r = _report(site, agency, year, seed, late)
            if key == CHANGED and day >= 2:
                r.revision = 2
            if key == QUIET_CHANGED and day >= 4:
                r.revision, r.changed_day = 2, 4
            elsewhere = agency.layout.get("elsewhere", {})
            if year in elsewhere:
                r.in_column = False
            reports.append(r)
    docs = [d for a in site.agencies for d in _docs(site, a)] if site.platform == "trs" else []
    return SiteContent(site, day, reports, docs)


# --------------------------------------------------------------------------- scaled sites

_SCALED_AGENCIES = ["应急管理局", "财政局", "统计局", "生态环境局", "教育局", "司法局", "卫生健康局", "市场监督管理局"]
_SCALED_SLUGS = ["yjglj", "czj", "tjj", "sthjj", "jyj", "sfj", "wsjkj", "scjgj"]


# XXGK_REPLICA_SITE_SIZE=small: 2 agencies from 2022 (~8 reports a site), for tests that need
# many portals (e.g. 200 sites for the distributed crawl) rather than many reports.
SCALED_SIZES = {"full": (6, 2008), "small": (2, 2022)}


def scaled_sites(n: int) -> list[SiteDef]:
    """N synthetic sites round-robin over the families, 6 agencies each (~100 reports)."""
    fams = ["trs", "gkmlpt", "jcms"]
    n_agencies, first_year = SCALED_SIZES[os.environ.get("XXGK_REPLICA_SITE_SIZE", "full")]
    out = []
    for i in range(1, n + 1):
        fam = fams[(i - 1) % 3]
        sid = f"{fam}-{i:04d}"
        place = f"第{i}示例县"
        agencies = []
        for j in range(n_agencies):
            name, slug = place + _SCALED_AGENCIES[j], _SCALED_SLUGS[j]
            code = f"X{i:04d}{j:02d}"
            layout: dict[str, Any]
            if fam == "trs":
                layout = {"unit": f"/xxgk/zfxxgkzl/bmzfxxgk/{slug}/", "col": "ndbg", "col_name": "政府信息公开工作年度报告"}
            elif fam == "gkmlpt":
                layout = {"kind": "gkmlpt", "sid": 900000 + i * 10 + j, "cat": 3000 + j}
            else:
                layout = {}
            agencies.append(AgencyDef(name, slug, code, first_year, name[-5:], "", layout))
        opts: dict[str, Any] = {"robots": "allow", "group": sid, "pad": " ", "charset": "utf-8"}
        opts["entry"] = {"trs": "/xxgk/zfxxgkzl/", "gkmlpt": "/cy/zwgk/", "jcms": "/col/col1229000001/index.html"}[fam]
        out.append(SiteDef(sid, fam, agencies, opts, scaled=True))
    return out


def all_sites(scale: int = 0) -> list[SiteDef]:
    return seed_sites() + scaled_sites(scale)


# --------------------------------------------------------------------------- content adapter


def seed_content_specs() -> list[Any]:
    from replica.documents import seed_specs
    return seed_specs()


def content_spec(report: Report) -> Any:
    from replica.documents import synthetic_spec
    rng = stable_rng("spec", report.site_id, report.agency.slug, report.year)
    spec = synthetic_spec(report.agency.name, report.year, rng, template=report.template)
    spec.title = report.title
    spec.site_id = report.site_id
    return spec


def body_html(report: Report) -> str:
    """Report body HTML (tables as HTML); a revision note is appended for changed reports."""
    from replica.documents import render_html_body
    html = render_html_body(report.spec)
    if report.revision > 1:
        html += (f"<p>更正说明：本报告于{report.published.year}年{report.published.month}月更正了部分统计数据的表述"
                 f"（第{report.revision}版）。</p>")
    return html
