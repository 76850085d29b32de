"""Portals of no known platform (family `none`): what the generic spider must cope with.

Drawn from the field guide's "other" shapes (`other-platforms.md` §1-§2: `/doc/{Y}/{M}/{D}/{id}.shtml`,
one directory per document, `/cms/html/{site}/{date}/{id}.html`, `content/{uuid}.html`) and the
general list/pager/metadata/attachment vocabulary, with none of the three families' signatures
(no `t{date}_{id}.htm`, no `createPageHTML` unless drawn, no `/col/col…`, no gkmlpt, no TRS_Editor).

`generate(seed, features=None) -> VariantPortal`, the contract of `replica.variants.generate`.
"""
from __future__ import annotations

import hashlib
from typing import Any

from replica.families.base import Resource, redirect
from replica.variants import markup as m
from replica.variants.builder import Builder
from replica.variants.draw import FEATURES, rng_for
from replica.variants.model import VAttachment, VariantPortal, VDoc, VReport
from replica.variants.tree import Col

#: features of the `none` family beyond the shared ones (first value = the plain case)
UNKNOWN_FEATURES: dict[str, list[Any]] = {
    "detail_shape": ["doc_date", "dir_per_doc", "cms_html", "content_uuid", "info_id"],
    "list_markup": ["ul_after", "ul_before", "table", "div", "dl"],
    "pagination": ["next_link", "page_numbers", "create_page", "count_page", "page_num_js"],
    "meta_block": ["ul", "table", "brackets", "inline", "none"],
    "attachment": ["link", "js_var", "download_noext", "redirect_downfile"],
    "title_markup": ["h1", "div_title", "h2"],
}
NONE_FEATURES = ("entry", "home_link", "organisation", "annual_name", "year_name", "year_slug", "list_markup",
                 "pagination", "page_size", "meta_block", "attachment", "charset", "empty_column", "decoys",
                 "dual_listing", "link_spelling", "detail_shape", "title_markup")


def values_of(name: str) -> list[Any]:
    return UNKNOWN_FEATURES.get(name) or FEATURES[name]


def draw_none_features(seed: int, force: dict[str, Any] | None = None) -> dict[str, Any]:
    rng = rng_for(seed, "none", "features")
    out: dict[str, Any] = {}
    for name in NONE_FEATURES:
        values = values_of(name)
        if name == "link_spelling":
            out[name] = sorted(rng.sample(values, rng.randint(2, 4)))
        elif name == "entry":
            out[name] = rng.choices(values, weights=[40, 15, 10, 15, 20])[0]
        else:
            out[name] = rng.choice(values)
    for name, value in (force or {}).items():
        if name not in NONE_FEATURES:
            raise ValueError(f"unknown feature {name!r} for family none (known: {', '.join(NONE_FEATURES)})")
        out[name] = value
    return out


def generate(seed: int, features: dict[str, Any] | None = None) -> VariantPortal:
    return NoneBuilder(seed, draw_none_features(seed, features)).build()


def pager_html(how: str, n: int, k: int, name: Any) -> str:
    """Page k (0-based) of n: the drawn pager. `name(i)` is the href of page i."""
    if n <= 1:
        return ""
    if how == "create_page":
        return f'<div class="pagination" id="pager"></div><script>createPageHTML({n}, {k}, "index", "html");</script>'
    if how == "count_page":
        return f'<div id="pages"></div><script>var countPage = {n};var currentPage = {k};</script>'
    if how == "page_num_js":
        return (f'<div class="pg" id="pg"></div><script>var totalPage = {n}; var cur = {k + 1};'
                "for (var i = 1; i <= totalPage; i++) { document.getElementById('pg').innerHTML += "
                "'<a href=\"?pageNum=' + i + '\">' + i + '</a>'; }</script>")
    if how == "page_numbers":
        links = " ".join(f"<span>{i + 1}</span>" if i == k else f'<a href="{name(i)}">{i + 1}</a>' for i in range(n))
        return f'<div class="pages">{links}</div>'
    links = []
    if k > 0:
        links.append(f'<a href="{name(0)}">首页</a> <a href="{name(k - 1)}">上一页</a>')
    if k < n - 1:
        links.append(f'<a href="{name(k + 1)}">下一页</a> <a href="{name(n - 1)}">尾页</a>')
    return f'<div class="page-bar">{" ".join(links)} 第{k + 1}/{n}页</div>'


def list_html(rows: list[tuple[str, str, str]], markup: str) -> str:
    if markup == "dl":
        inner = "".join(f'<dl class="item"><dt><a href="{m.esc(h)}" title="{m.esc(t)}">{m.esc(m.short(t))}</a></dt>'
                        f"<dd>{d}</dd></dl>" for h, t, d in rows)
        return f'<div class="items">{inner}</div>'
    return m.list_items(rows, markup)


class NoneBuilder(Builder):
    family = "none"
    ext = "html"

    def __init__(self, seed: int, features: dict[str, Any]) -> None:
        super().__init__(seed, features)
        self.query_pages: dict[tuple[str, int], str] = {}  # (column path, page number) -> html
        self.downloads: dict[str, tuple[VAttachment, str]] = {}

    def href(self, target: str, page_path: str) -> str:
        out = super().href(target, page_path)
        if out.startswith("//") and not out.startswith("//" + m.NETLOC):
            out = target  # markup.spell's double_slash on a one-segment path names another host
        return out + "l" if out.endswith("/index.htm") else out  # this family's directory index

    def add_page(self, path: str, text: str, status: int = 200) -> None:
        super().add_page(path, text, status)
        if path.endswith("/") and path + "index.html" not in self.portal.pages:
            super().add_page(path + "index.html", text, status)  # a directory answers its index file

    def entry_paths(self) -> tuple[str, str]:
        return self.rng.choice([("/zwgk/xxgk/", "/xxgk/"), ("/gongkai/", "/zfxxgk/"), ("/channel/zfxxgk/", "/zwgk/"),
                                ("/site/gkml/", "/gkml/")])

    def detail_path(self, col: Col, r: VReport | VDoc) -> str:
        ident = r.layout["id"] if isinstance(r, VReport) else 90000000 + int(hashlib.sha1(r.key.encode()).hexdigest()[:5], 16)
        p = r.published
        shape = self.f.get("detail_shape", "doc_date")
        if shape == "dir_per_doc":
            return f"{col.path}{ident}/index.html"
        if shape == "cms_html":
            return f"/cms/html/site{self.seed % 97}/{p:%Y-%m-%d}/{ident}.html"
        if shape == "content_uuid":
            return f"{col.path}content/{hashlib.md5(f'{self.seed}-{ident}'.encode()).hexdigest()}.html"
        if shape == "info_id":
            return f"/info/{ident}.jhtml"
        return f"/doc/{p:%Y}/{p:%m}/{p:%d}/{ident}.shtml"

    def attachment_paths(self, r: VReport, i: int) -> tuple[str, str]:
        ext = r.layout["att_ext"]
        n = (r.layout["id"] * 31 + i) % 10**8
        how = self.f.get("attachment", "link")
        if how == "download_noext":
            return f"/getfile/{n}", f"/getfile/{n}"
        if how == "redirect_downfile":
            return f"/uploadfiles/{r.published:%Y%m}/{n}.{ext}", f"/common/downfile.do?fid={n}"
        return f"/uploadfiles/{r.published:%Y%m}/{n}.{ext}", f"/uploadfiles/{r.published:%Y%m}/{n}.{ext}"

    def make_attachments(self) -> None:
        super().make_attachments()
        how = self.f.get("attachment", "link")
        for r in self.all_reports():
            for a in r.attachments:
                if how == "download_noext":  # no extension: the type is in Content-Disposition and the bytes
                    ctype = "application/pdf" if a.ext == "pdf" else "application/octet-stream"
                    self.portal.pages[a.path] = Resource(a.body, ctype, None, headers={
                        "Content-Disposition": f'attachment; filename="file{a.path.rsplit("/", 1)[-1]}.{a.ext}"'})
                elif how == "redirect_downfile":
                    self.downloads[a.link.split("=", 1)[1]] = (a, a.path)
        if how == "redirect_downfile":
            self.portal.dynamic = self.dynamic
        if self.f.get("pagination") == "page_num_js":
            self.portal.dynamic = self.dynamic

    def dynamic(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        if path == "/common/downfile.do" and query.get("fid") in self.downloads:
            return redirect(self.downloads[query["fid"]][1])
        n = query.get("pageNum", "1")
        html = self.query_pages.get((path, int(n) if n.isdigit() else -1))
        return m.resource(html, self.charset) if html is not None else None

    def render_column(self, col: Col) -> None:
        items = self.column_items(col)
        size = int(self.f.get("page_size", 6))
        pages = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
        how = self.f.get("pagination", "next_link")
        first = "index.html"
        for k, chunk in enumerate(pages):
            path = col.path + (first if k == 0 else f"index_{k}.html")
            rows = [(self.href(t, path), title, d) for t, title, d, _ in chunk]
            body = f'<div class="col-name">{m.esc(col.name)}</div>'
            if k == 0:
                body += self.sub_links(col, path)
            if rows:
                body += list_html(rows, self.f.get("list_markup", "ul_after"))
            elif not col.children or col.empty:
                body += m.empty_list(col.empty or "暂无信息")

            def name(i: int) -> str:
                return first if i == 0 else f"index_{i}.html"
            body += pager_html(how, len(pages), k, name)
            text = m.page(col.name, body, self.charset, self.crumbs(col))
            if how == "page_num_js":  # the list is only at `col/?pageNum=k` (and the bare column URL)
                self.query_pages[(col.path, k + 1)] = text
                if k == 0:
                    self.query_pages[(col.path + first, 1)] = text
                continue
            self.add_page(path, text)
            if k == 0:
                self.add_page(col.path, text)

    def report_page(self, r: VReport, path: str) -> str:
        style = self.f.get("meta_block", "ul")
        values = {"index_no": r.index_no, "agency": r.agency, "published_date": r.published.strftime("%Y-%m-%d")}
        if style == "inline":
            block = ('<div class="info">' + "　".join(f"{m.LABELS[k]}：{m.esc(v)}" for k, v in values.items())
                     + "</div>")
            r.shown = tuple(values)
        elif style == "none":
            block = ""
            r.shown = ("published_date",)
        else:
            block, shown = m.meta_block(r, style)
            r.shown = shown
        atts = []
        for a in r.attachments:
            href = a.link if a.js_only else self.href(a.link, path)
            text = a.filename if self.f.get("attachment") != "download_noext" else "附件：点击下载"
            atts.append((href, text))
        att = m.attachment_html(atts, "js_var" if r.attachments and r.attachments[0].js_only else "link")
        tm = self.f.get("title_markup", "h1")
        title = {"h1": f"<h1>{m.esc(r.title)}</h1>", "h2": f'<h2 class="tit">{m.esc(r.title)}</h2>',
                 "div_title": f'<div class="title">{m.esc(r.title)}</div>'}[tm]
        body = (f'{block}<div class="detail">{title}<div class="time">发布时间：{r.published:%Y-%m-%d %H:%M}'
                f'　来源：{m.esc(r.agency)}</div><div class="content">{m.report_body(r)}</div>{att}</div>')
        return m.page(r.title + "_" + self.content.region + "人民政府", body, self.charset)

    def render_doc(self, d: VDoc) -> None:
        body = (f'<div class="detail"><h1>{m.esc(d.title)}</h1><div class="time">发布时间：{d.published:%Y-%m-%d}</div>'
                f'<div class="content"><p>为进一步做好政府信息公开工作，现将有关事项通知如下。</p></div></div>')
        self.add_page(d.path, m.page(d.title, body, self.charset))

    def render_noise(self) -> None:
        for path, name in (("/xwzx/", "新闻中心"), ("/xwzx/tzgg/", "通知公告"), ("/bsfw/", "办事服务"),
                           ("/hdjl/", "互动交流"), ("/zfxxgk/zfxxgkzd/", "政府信息公开制度")):
            if path in self.portal.pages:
                continue
            items = [(f"/doc/2024/01/15/{900 + i}.shtml", f"{self.content.region}召开第{i + 1}次工作会议", "2024-01-15")
                     for i in range(2)]
            self.add_page(path, m.page(name, list_html(items, "ul_after"), self.charset, [("/", "首页")]))


__all__ = ["NONE_FEATURES", "UNKNOWN_FEATURES", "draw_none_features", "generate"]
