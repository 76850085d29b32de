"""Family A: TRS WCM static sites of Fujian (guide: portals/trs-fujian.md).

Static tree: entry page -> unit 公开 pages -> columns (`index.htm`, `index_N.htm` with
`createPageHTML`) -> details `YYYYMM/tYYYYMMDD_ID.htm` with `./P0….ext` attachments.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from replica.families.base import BaseSite, Page, Resource, att_name, esc, paginate, rel
from replica.world import AgencyDef, Doc, Report, body_html, stable_rng

PAGE_SIZE = 6  # seed portals: small pages, so their few reports per column exercise pagination
# Scaled (benchmark) sites: a Fujian TRS list page of 20 (`prepage=20` on zjj.sm.gov.cn, portals/trs-fujian.md
# §5.2), so a column of one report a year since 2008 fits one page, as the guide says most do (§5.1).
SCALED_PAGE_SIZE = 20
#: Document-id sequences: (base, ids per day). One sequence per site group (福州 group shares one).
_ID_BASE = {"fz": (2_000_000, 490), "jj": (1_000_000, 360)}
EVIDENCED = {("fuzhou", "sajj-2022"): 4522367}
_LABELS = ("索引号", "主题分类", "发文机关", "成文日期", "标题", "发文字号", "发布日期", "有效性")


def doc_id(group: str, site_id: str, key: str, published: datetime) -> int:
    if (site_id, key) in EVIDENCED:
        return EVIDENCED[(site_id, key)]
    base, per_day = _ID_BASE.get(group, (1_500_000, 300))
    days = (published.date() - date(2009, 1, 1)).days
    return base + days * per_day + stable_rng("docid", site_id, key).randrange(per_day)


def p0_name(published: datetime, *key: object) -> str:
    return f"P0{published:%Y%m%d}{stable_rng('p0', *key).randrange(10**11, 10**12)}"


def pad_label(label: str, pad: str) -> str:
    """`索 引 号`, `标    题`: labels spread to four character widths."""
    if len(label) == 2:
        return label[0] + pad * 4 + label[1]
    if len(label) == 3:
        return pad.join(label)
    return label


class TrsSite(BaseSite):
    platform = "trs"

    # ------------------------------------------------------------------ layout
    def layout(self) -> None:
        c = self.content
        group = self.options.get("group", self.site_id)
        entry = self.entry_path
        agg_path = self.options.get("aggregate")
        agg_items: list[Report] = []
        unit_links: list[tuple[str, str]] = []
        for agency in self.site.agencies:
            unit = agency.layout["unit"]
            col = unit + agency.layout["col"] + "/"
            catalog = unit + ("gkml/" if self.site_id == "fuzhou" else "zfxxgkml/")
            guide = unit + "zfxxgkzn/"
            unit_links.append((unit, agency.name))
            reports = c.by_agency(agency)
            in_col = [r for r in reports if r.in_column]
            elsewhere = [r for r in reports if not r.in_column]
            for r in reports:
                home = col if r.in_column else unit + agency.layout["elsewhere"][r.year] + "/"
                self._place(r, home, group)
                if agg_path and r.in_column and r.year >= 2019:
                    agg_items.append(r)
            docs = [d for d in c.docs if d.agency is agency]
            for d in docs:
                d.layout["id"] = doc_id(group, self.site_id, d.key, d.published)
                d.layout["path"] = f"{catalog}{d.published:%Y%m}/t{d.published:%Y%m%d}_{d.layout['id']}.htm"
                self.add(d.layout["path"], self._doc_page(d))
            sub_cols: list[tuple[str, str]] = []
            if elsewhere:
                other = unit + agency.layout["elsewhere"][elsewhere[0].year] + "/"
                other_docs = docs[:1]
                self._column(other, "应主动公开的其他信息", agency, elsewhere + other_docs, kind="catalog")
                sub_cols.append((other, "应主动公开的其他信息"))
            broken = self.day >= agency.layout.get("broken_day", 99)
            self._column(col, agency.layout["col_name"], agency, in_col, kind="annual", broken=broken)
            self._column(catalog, "政府信息公开目录", agency, docs, kind="other", sub_cols=sub_cols, manifest=False)
            self.add(guide, self._guide_page(agency, guide))
            self.add(guide + "index.htm", self._guide_page(agency, guide))
            links = [(guide, "政府信息公开指南"), (catalog, "政府信息公开目录"), (col, agency.layout["col_name"])]
            self.add(unit, self._unit_page(agency, unit, links))
            self.add(unit + "index.htm", self._unit_page(agency, unit, links))
        if agg_path:
            agg_items.sort(key=lambda r: r.published, reverse=True)
            for r in agg_items:
                alt = f"{agg_path}{r.published:%Y%m}/t{r.published:%Y%m%d}_{r.layout['id']}.htm"
                r.layout["alt_paths"] = [alt]
                self.add(alt, self._detail_page(r, agg_path, "政府信息公开年度报告"))
                for i, name in enumerate(r.layout["p0"]):
                    self.add(f"{agg_path}{r.published:%Y%m}/{name}", self.attachment_page(r, i))
            self._column(agg_path, "政府信息公开年度报告", None, agg_items, kind="aggregate", alt=True)
        for sub, name in (("zfxxgkzn/", "政府信息公开指南"), ("zfxxgkzd/", "政府信息公开制度")):
            self.add(entry + sub, self._text_page(name, f"本页面为{name}。"))
        self.add(entry, self._entry_page(entry, unit_links, agg_path))
        self.add(entry + "index.htm", self._entry_page(entry, unit_links, agg_path))

    def dynamic(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        """Chaos `endless_pagination`: any `index_N.htm` of a column answers (with its first page)."""
        m = re.fullmatch(r"(.*/)index_\d+\.htm", path)
        if self.endless and method in ("GET", "HEAD") and m and m.group(1) + "index.htm" in self.pages:
            return self.get(method, m.group(1) + "index.htm", query, form)
        return None

    def _place(self, r: Report, home: str, group: str) -> None:
        rid = doc_id(group, self.site_id, r.key, r.published)
        ym = f"{r.published:%Y%m}"
        r.layout.update(id=rid, column=home, path=f"{home}{ym}/t{r.published:%Y%m%d}_{rid}.htm", alt_paths=[])
        r.layout["p0"] = [f"{p0_name(r.published, self.site_id, r.key, i)}.{a.ext}" for i, a in enumerate(r.attachments)]
        r.layout["att_paths"] = [f"{home}{ym}/{n}" for n in r.layout["p0"]]
        r.layout["att_names"] = [att_name(r, i) for i in range(len(r.attachments))]
        col_name = r.agency.layout["col_name"] if r.in_column else "应主动公开的其他信息"
        self.add(r.layout["path"], self._detail_page(r, home, col_name))
        for i, p in enumerate(r.layout["att_paths"]):
            self.add(p, self.attachment_page(r, i))

    def _column(self, path: str, name: str, agency: AgencyDef | None, items: list[Any], kind: str,
                broken: bool = False, sub_cols: list[tuple[str, str]] | None = None, alt: bool = False,
                manifest: bool = True) -> None:
        pages = paginate(items, SCALED_PAGE_SIZE if self.content.site.scaled else PAGE_SIZE)
        for k, chunk in enumerate(pages):
            page = self._broken_list(path, name, chunk if len(pages) == 1 else items) if broken else \
                self._list_page(path, name, chunk, k, len(pages), sub_cols or [], alt)
            self.add(path + ("index.htm" if k == 0 else f"index_{k}.htm"), page)
            if k == 0:
                self.add(path, page)
            if broken:
                break
        self.add(path.rstrip("/"), lambda: Resource(b"", status=301, headers={"Location": path}, static=False))
        if manifest:
            self.columns.append({"path": path, "name": name, "agency": agency.name if agency else None,
                                 "kind": kind, "pages": 1 if broken else len(pages), "list_broken": broken})

    # ------------------------------------------------------------------ pages
    def _head(self, title: str, extra: str = "") -> str:
        return (f'<!DOCTYPE html><html><head>{self.meta_charset()}<title>{esc(title)}</title>{extra}'
                '<link rel="stylesheet" href="/images/common.css"></head><body>'
                f'<div class="header"><a href="/">首页</a> <span>简体</span> <span>繁体</span></div>')

    _FOOT = '<div class="footer">主办单位：人民政府办公室　技术支持：拓尔思</div></body></html>'

    def _entry_page(self, entry: str, units: list[tuple[str, str]], agg: str | None) -> Page:
        def page() -> Resource:
            items = "".join(f'<li><a href="{rel(entry, u)}" target="_blank">{esc(n)}</a></li>' for u, n in units)
            agg_link = f'<li><a href="{rel(entry, agg)}">政府信息公开年度报告</a></li>' if agg else ""
            text = (self._head("政府信息公开") + '<div class="xxgk_nav"><ul>'
                    '<li><a href="./zfxxgkzn/">政府信息公开指南</a></li><li><a href="./zfxxgkzd/">政府信息公开制度</a></li>'
                    f'{agg_link}</ul></div><div class="bmlist"><h3>部门及乡镇信息公开</h3><ul>{items}</ul></div>' + self._FOOT)
            return self.html(text, self.now())
        return page

    def _unit_page(self, agency: AgencyDef, unit: str, links: list[tuple[str, str]]) -> Page:
        def page() -> Resource:
            lis = "".join(f'<li><a href="{rel(unit, p)}">{esc(n)}</a></li>' for p, n in links)
            text = (self._head(f"{agency.name}政府信息公开") + f'<div class="unit"><h2>{esc(agency.name)}</h2>'
                    f'<ul class="xxgk_menu">{lis}</ul></div>' + self._FOOT)
            return self.html(text, self.now())
        return page

    def _text_page(self, title: str, text: str) -> Page:
        def page() -> Resource:
            return self.html(self._head(title) + f'<div class="TRS_Editor"><p>{esc(text)}</p></div>' + self._FOOT, date_min())
        return page

    def _guide_page(self, agency: AgencyDef, path: str) -> Page:
        def page() -> Resource:
            text = (self._head(f"{agency.name}政府信息公开指南") + '<div class="TRS_Editor">'
                    f'<p>为了更好地提供政府信息公开服务，{esc(agency.name)}编制本指南。</p>'
                    '<p>一、主动公开：公开范围、公开形式、公开时限。</p><p>二、依申请公开：受理机构、办理程序。</p>'
                    '<p>三、监督方式：政府信息公开工作年度报告每年1月31日前公布。</p></div>' + self._FOOT)
            return self.html(text, date_min())
        return page

    def _list_page(self, path: str, name: str, chunk: list[Any], k: int, count: int,
                   sub_cols: list[tuple[str, str]], alt: bool) -> Page:
        def page() -> Resource:
            lis = []
            for it in self.listing(chunk):
                target = (it.layout["alt_paths"][0] if alt else it.layout["path"])
                lis.append(f'<li><a href="{rel(path, target)}" title="{esc(it.title)}" target="_blank">'
                           f'{esc(_short(it.title))}</a><span>{it.published:%Y-%m-%d}</span></li>')
            subs = "".join(f'<li class="sub"><a href="{rel(path, p)}">{esc(n)}</a></li>' for p, n in sub_cols)
            text = (self._head(name) + f'<div class="position">当前位置：<a href="../">政府信息公开</a> &gt; {esc(name)}</div>'
                    f'<div class="list"><ul>{subs}{"".join(lis)}</ul>'
                    '<div class="page" id="page_div"></div>'
                    f'<script>createPageHTML({9999 if self.endless else count}, {k}, "index", "htm");</script></div>'
                    + self._FOOT)
            return self.html(text, self.now())
        return page

    def _broken_list(self, path: str, name: str, items: list[Any]) -> Page:
        """Day-2 redesign: items carry ids only; the links are built by a script."""
        def page() -> Resource:
            divs = "".join(f'<div class="item" data-id="{it.layout["id"]}" data-d="{it.published:%Y%m%d}">'
                           f'<p class="tt">{esc(_short(it.title))}</p><p class="dd">{it.published:%Y.%m.%d}</p></div>'
                           for it in items)
            text = (self._head(name) + f'<div class="news-list-v2" data-col="{esc(name)}">{divs}</div>'
                    '<script>$(".item").on("click",function(){var d=$(this).data("d")+"";'
                    'location.href="./"+d.substring(0,6)+"/t"+d+"_"+$(this).data("id")+".htm";});</script>' + self._FOOT)
            return self.html(text, self.now())
        return page

    def _meta_block(self, rows: list[tuple[str, str]]) -> str:
        pad = self.options.get("pad", " ")
        lis = "".join(f"<li><span>{pad_label(lab, pad)}：</span>{esc(val)}</li>" for lab, val in rows)
        return f'<div class="xxgk_table"><ul>{lis}</ul></div>'

    def _detail_page(self, r: Report, home: str, col_name: str) -> Page:
        def page() -> Resource:
            meta = [r.index_no, r.topic, r.agency.name, r.written.isoformat(), r.title, r.doc_no,
                    r.published.date().isoformat(), r.validity]
            names = r.layout["att_names"]
            anchors = [f'<a href="./{p}" title="{esc(n)}" {self._att_attrs(r, p, n)}>{esc(n)}</a>'
                       for p, n in zip(r.layout["p0"], names)]
            plain = "".join(f"<li>{a}</li>" for a, att in zip(anchors, r.attachments) if not att.js_only)
            js = "|".join(a for a, att in zip(anchors, r.attachments) if att.js_only)
            att_html = ""
            if plain or js:
                script = ""
                if js:
                    script = ("<script>var rel_appendix = '" + js.replace("'", "\\'") + "';"
                              "var arr = rel_appendix.split('|');for (var i = 0; i < arr.length; i++) {"
                              "if (arr[i] != '') document.write('<li>' + arr[i] + '</li>');}</script>")
                att_html = ('<div class="article_attachment"><div class="title_base">附件下载</div>'
                            f'<div class="list_base"><ul>{plain}{script}</ul></div></div>')
            head_meta = (f'<meta name="ArticleTitle" content="{esc(r.title)}">'
                         f'<meta name="PubDate" content="{r.published:%Y-%m-%d %H:%M}">'
                         f'<meta name="ContentSource" content="{esc(r.agency.name)}">'
                         f'<meta name="ColumnName" content="{esc(col_name)}">')
            wh = f'<div class="article_wh">{esc(r.doc_no)}</div>' if r.doc_no else ""
            text = (self._head(r.title, head_meta)
                    + self._meta_block(list(zip(_LABELS, meta)))
                    + '<div class="article_component">'
                    f'<div class="article_title text_align_center" id="font_title">{esc(r.title)}</div>{wh}'
                    f'<div class="article_info"><span class="article_source">来源：{esc(r.agency.name)}</span>'
                    f'<span class="article_time">时间：{r.published:%Y-%m-%d %H:%M}</span></div>'
                    '<div class="article_area"><div class="article_content_01"><div class="TRS_Editor">'
                    f'<div class="Custom_UnionStyle">{body_html(r)}</div></div></div></div>{att_html}'
                    '<div class="article_qrcode">扫一扫在手机上查看当前页面</div>'
                    '<div class="article_related"><a href="javascript:;">文字解读</a> <a href="javascript:;">图片解读</a></div>'
                    '</div>' + self._FOOT)
            return self.html(text, self.report_modified(r))
        return page

    def _att_attrs(self, r: Report, p0: str, name: str) -> str:
        """Attribute variants seen on TRS attachment anchors (guide §7), one style per site."""
        style = {"fuzhou": "oldsrc", "jinjiang": "download"}.get(self.site_id, "appendix")
        if style == "oldsrc":
            return f'OLDSRC="/protect/P0{r.published:%Y%m}/P0{r.published:%Y%m%d}/{p0}" appendix="true"'
        if style == "download":
            return f'download="{esc(name)}" needdownload="true"'
        return 'appendix="true"'

    def _doc_page(self, d: Doc) -> Page:
        def page() -> Resource:
            text = (self._head(d.title, f'<meta name="ArticleTitle" content="{esc(d.title)}">')
                    + f'<div class="article_title" id="font_title">{esc(d.title)}</div>'
                    f'<span class="article_time">时间：{d.published:%Y-%m-%d %H:%M}</span>'
                    f'<div class="TRS_Editor"><p>{esc(d.agency.name)}现将{esc(d.title)}公布如下。</p></div>' + self._FOOT)
            return self.html(text, d.published)
        return page


def _short(title: str, n: int = 26) -> str:
    return title if len(title) <= n else title[:n] + "…"


def date_min() -> datetime:
    return datetime(2020, 6, 1, 9, 0)
