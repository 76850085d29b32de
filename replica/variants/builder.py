"""The shared recipe of a generated portal; each family overrides where things live and how lists look.

Recipe: draw content -> column tree -> give every column a path -> give every report its
page path(s) and attachments -> render home, entry (moved or not), navigation pages, list
pages, report pages, documents and a little noise.
"""
from __future__ import annotations

from typing import Any

from replica.families.base import Resource, redirect
from replica.variants import markup as m
from replica.variants.draw import Content, attachment_body, day, rng_for
from replica.variants.model import VAttachment, VariantPortal, VDoc, VReport
from replica.variants.tree import Col, build_tree


class Builder:
    family = ""
    ext = "htm"

    def __init__(self, seed: int, features: dict[str, Any]) -> None:
        self.seed, self.f = seed, features
        self.content = Content(seed, self.family, features)
        self.rng = rng_for(seed, self.family, "layout")
        self.charset = features.get("charset", "utf-8")
        self.styles: list[str] = list(features.get("link_spelling") or ["abs_path"])
        self._spell_i = 0
        self.portal = VariantPortal(self.family, seed, f"v{self.family}-{seed}", dict(features), "/",
                                    "/", self.charset)

    # ------------------------------------------------------------------ hooks
    def entry_paths(self) -> tuple[str, str]:
        """(actual entry path, the old path a site config still names)."""
        return "/zfxxgk/", "/xxgk/zfxxgkzl/"

    def place(self, col: Col) -> None:
        for c in col.children:
            c.path = col.path + c.slug + "/"
            self.place(c)

    def detail_path(self, col: Col, r: VReport | VDoc) -> str:
        ident = r.layout["id"] if isinstance(r, VReport) else 90000000 + hash(r.key) % 100000
        return f"{col.path}{r.published:%Y%m}/t{r.published:%Y%m%d}_{ident}.{self.ext}"

    def attachment_paths(self, r: VReport, i: int) -> tuple[str, str]:
        d = r.path.rsplit("/", 1)[0] + "/"
        p = f"{d}P0{r.published:%Y%m%d}{(r.layout['id'] * 7919 + i) % 10**12:012d}.{r.layout['att_ext']}"
        return p, p

    def render_column(self, col: Col) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def href(self, target: str, page_path: str) -> str:
        style = self.styles[self._spell_i % len(self.styles)]
        self._spell_i += 1
        if style == "index_file" and not target.endswith("/"):
            style = "abs_path"
        return m.spell(target, page_path, style, "index." + self.ext)

    def add_page(self, path: str, text: str, status: int = 200) -> None:
        self.portal.pages[path] = m.resource(text, self.charset, status)

    def column_items(self, col: Col) -> list[tuple[str, str, str, Any]]:
        """(target path, title, date, object) of the reports and documents a column lists, newest first."""
        items: list[tuple[str, str, str, Any]] = []
        for r in col.reports:
            path = r.layout["paths"][id(col)]
            items.append((path, r.title, day(r.published), r))
        for d in col.docs:
            items.append((d.path if d.column == col.path else d.path, d.title, day(d.published), d))
        return sorted(items, key=lambda x: x[2], reverse=True)

    def sub_links(self, col: Col, page_path: str) -> str:
        if not col.children:
            return ""
        rows = "".join(f'<li><a href="{m.esc(self.href(c.path, page_path))}">{m.esc(c.name)}</a></li>'
                       for c in col.children)
        return f'<div class="sub-column"><ul>{rows}</ul></div>'

    def crumbs(self, col: Col) -> list[tuple[str, str]]:
        chain, c = [], col
        while c is not None:
            chain.append((c.path, c.name))
            c = c.parent
        return [("/", "首页")] + chain[::-1]

    # ------------------------------------------------------------------ the recipe
    def build(self) -> VariantPortal:
        p, f = self.portal, self.f
        entry = build_tree(self.content, self.units_in_tree())
        actual, configured = self.entry_paths()
        entry.path = actual
        self.place(entry)
        self.tree = entry
        for col in entry.walk():
            for r in col.reports:
                path = self.detail_path(col, r)
                r.layout.setdefault("paths", {})[id(col)] = path
                if not r.path:
                    r.path, r.column = path, col.path
                elif path != r.path and path not in r.alt_paths:
                    r.alt_paths.append(path)
            for d in col.docs:
                if not d.path:
                    d.path, d.column = self.detail_path(col, d), col.path
        self.extra_layout()
        self.make_attachments()
        p.entry_path = actual if f.get("entry", "ok") == "ok" else configured
        self.render_home(actual)
        self.render_moved_entry(configured, actual)
        for col in entry.walk():
            if col.is_report_column or col.kind == "guide":
                self.render_column(col)
            else:
                self.render_nav(col)
        for r in self.all_reports():
            for path in [r.path, *r.alt_paths]:
                self.render_report(r, path)
        for d in self.content.docs:
            if d.path:
                self.render_doc(d)
        self.render_noise()
        p.reports = [r for r in self.all_reports() if r.path]
        p.docs = [d for d in self.content.docs if d.path]
        p.columns = self.manifest_columns()
        # what a site config would carry as evidence: one known report page, one known column, and a
        # column the portal has since moved (answers 404)
        if p.reports:
            last = p.reports[-1]
            p.footholds = [p.reports[0].path, last.column, "/zfxxgk/ndbg_old/"]
        return p

    def units_in_tree(self) -> list[dict[str, Any]] | None:
        return None

    def extra_layout(self) -> None:
        """Families with places outside the tree (gkmlpt sub-sites) lay them out here."""

    def all_reports(self) -> list[VReport]:
        return self.content.reports

    def manifest_columns(self) -> list[dict[str, Any]]:
        out = []
        for col in self.tree.walk():
            if col.is_report_column:
                out.append({"path": col.path, "name": col.name, "kind": col.kind, "agency": col.agency,
                            "empty": bool(col.empty) and not col.children,
                            "reports": len(col.reports)})
        return out

    def make_attachments(self) -> None:
        for r in self.all_reports():
            if not r.path or not r.layout.get("att"):
                continue
            ext = r.layout["att_ext"]
            path, link = self.attachment_paths(r, 0)
            body = attachment_body(f"{self.portal.site_id}/{r.key}", ext)
            js = self.f.get("attachment") == "js_var"
            r.attachments = [VAttachment(path, link, f"{r.title}.{ext}", ext, body, js_only=js)]
            self.portal.pages[path] = Resource(body, "application/pdf" if ext == "pdf" else
                                               "application/vnd.openxmlformats-officedocument."
                                               "wordprocessingml.document", None)

    def render_home(self, entry_path: str) -> None:
        link = self.f.get("home_link", "政府信息公开")
        href = m.esc(self.href(entry_path, "/"))
        anchor = {"img_alt": f'<a href="{href}"><img src="/images/zwgk.png" alt="{m.esc(link)}"></a>',
                  "title": f'<a href="{href}" title="{m.esc(link)}" class="icon-zwgk"></a>'}.get(
            self.f.get("home_link_style", "text"), f'<a href="{href}">{m.esc(link)}</a>')
        body = ('<div class="banner">欢迎访问</div><div class="news"><h3>要闻动态</h3><ul>'
                '<li><a href="/xwzx/">新闻中心</a></li><li><a href="/xwzx/tzgg/">通知公告</a></li></ul></div>'
                f'<div class="zwgk"><h3>政务</h3><ul><li>{anchor}</li>'
                '<li><a href="/bsfw/">办事服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>')
        self.add_page("/", m.page(self.content.region + "人民政府门户网站", body, self.charset))
        self.portal.home_path = "/"

    def render_moved_entry(self, configured: str, actual: str) -> None:
        how = self.f.get("entry", "ok")
        if how == "ok" or configured == actual:
            return
        if how == "http_410":
            self.add_page(configured, "<html><body><h1>410 Gone</h1></body></html>", status=410)
        elif how == "redirect_home":
            self.portal.pages[configured] = redirect("/")
        elif how == "no_links":
            self.add_page(configured, m.page("栏目调整", '<p>本栏目已调整，敬请关注新版网站。</p><p><a href="/">返回首页</a></p>',
                                             self.charset, chrome=False))
        # http_404: nothing served there

    def render_nav(self, col: Col) -> None:
        rows = "".join(f'<li><a href="{m.esc(self.href(c.path, col.path))}">{m.esc(c.name)}</a></li>'
                       for c in col.children)
        extra = '<li><a href="/zfxxgk/zfxxgkzd/">政府信息公开制度</a></li>' if col.kind == "entry" else ""
        body = f'<div class="gk-nav"><h2>{m.esc(col.name)}</h2><ul>{rows}{extra}</ul></div>'
        self.add_page(col.path, m.page(col.name, body, self.charset, self.crumbs(col)))

    def report_page(self, r: VReport, path: str) -> str:
        block, shown = m.meta_block(r, self.f.get("meta_block", "ul"))
        r.shown = shown
        atts = []
        for a in r.attachments:
            here = path.rsplit("/", 1)[0] + "/"
            atts.append((m.relative(here, a.link) if a.js_only and a.link.startswith("/") and "?" not in a.link
                         else a.link if a.js_only else self.href(a.link, path), a.filename))
        att = m.attachment_html(atts, "js_var" if r.attachments and r.attachments[0].js_only else "link")
        head = (f'<meta name="ArticleTitle" content="{m.esc(r.title)}">'
                f'<meta name="PubDate" content="{r.published:%Y-%m-%d %H:%M}">')
        body = (f'{block}<div class="article"><h1 class="article_title">{m.esc(r.title)}</h1>'
                f'<div class="article_time">时间：{r.published:%Y-%m-%d %H:%M}</div>'
                f'<div class="TRS_Editor">{m.report_body(r)}</div>{att}</div>')
        return m.page(r.title, body, self.charset, head=head)

    def render_report(self, r: VReport, path: str) -> None:
        self.add_page(path, self.report_page(r, path))

    def render_doc(self, d: VDoc) -> None:
        body = (f'<div class="article"><h1>{m.esc(d.title)}</h1><div class="article_time">时间：{d.published:%Y-%m-%d}'
                f'</div><div class="TRS_Editor"><p>为进一步做好政府信息公开工作，现将有关事项通知如下。</p></div></div>')
        self.add_page(d.path, m.page(d.title, body, self.charset))

    def render_noise(self) -> None:
        for path, name in (("/xwzx/", "新闻中心"), ("/xwzx/tzgg/", "通知公告"), ("/bsfw/", "办事服务"),
                           ("/hdjl/", "互动交流"), ("/zfxxgk/zfxxgkzd/", "政府信息公开制度")):
            if path in self.portal.pages:
                continue
            items = [(f"{path}202401/t20240115_{900 + i}.htm", f"{self.content.region}召开第{i + 1}次工作会议", "2024-01-15")
                     for i in range(2)]
            self.add_page(path, m.page(name, m.list_items(items, "ul_after"), self.charset, [("/", "首页")]))
