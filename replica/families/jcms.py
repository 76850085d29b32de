"""Family C: Hanweb JCMS, Zhejiang (guide: portals/jcms-zhejiang.md).

Column page with the first group of records as XML-in-a-script + jpage init, further groups
via `POST /module/jpage/dataproxy.jsp`, articles `/art/Y/M/D/art_C_ID.html`, attachments
`/module/download/downfile.jsp` -> 302 -> `/attach/0/<name>`.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from urllib.parse import quote

from replica.families.attachments import random_hex
from replica.families.base import BaseSite, Page, Resource, att_name, esc, redirect
from replica.world import Report, body_html, stable_rng

PERPAGE = 5
GROUP = 3  # small pages per dataproxy call ("三小页，一大页")
ENTRY_COL = 1229000001
GUIDE_COL = 1229000002
REPORT_COL = 1229449092
WEBID = 3349
UNITID = 7376533
WEBNAME = "海盐县人民政府"
PROXY = "/module/jpage/dataproxy.jsp"


def art_id(site_id: str, key: str, published: datetime) -> int:
    days = (published.date() - date(2009, 1, 1)).days
    return 10_000 + days * 13 + stable_rng("art", site_id, key).randrange(13)


def record(r: Report) -> str:
    return (f'<li><a href="{r.layout["path"]}" title="{esc(r.title)}" target="_blank">{esc(r.title)}</a>'
            f'<span>{r.published:%Y-%m-%d}</span></li>')


class JcmsSite(BaseSite):
    platform = "jcms"

    def layout(self) -> None:
        reports = sorted(self.content.reports, key=lambda r: r.published, reverse=True)
        self.listed = reports
        self.files: dict[str, tuple[Report, int]] = {}
        col_path = f"/col/col{REPORT_COL}/index.html"
        for r in reports:
            aid = art_id(self.site_id, r.key, r.published)
            p = r.published
            r.layout.update(id=aid, path=f"/art/{p.year}/{p.month}/{p.day}/art_{REPORT_COL}_{aid}.html",
                            alt_paths=[], column=col_path, listed_by_js=False)
            names, paths, served = [], [], []
            for i, a in enumerate(r.attachments):
                fname = f"{random_hex(self.site_id, r.key, i)}.{a.ext}"
                self.files[fname] = (r, i)
                paths.append(f"/module/download/downfile.jsp?classid=0&filename={fname}")
                names.append(att_name(r, i))
                served.append(names[-1] if self._utf8_disposition(r) else fname)
                self.add(f"/attach/0/{fname}", self._file(r, i, names[-1], fname))
            r.layout.update(att_paths=paths, att_names=names, att_served=served)
            self.add(r.layout["path"], self._article(r))
        self.add(col_path, self._column_page())
        self.add(f"/col/col{ENTRY_COL}/index.html", self._entry_page())
        self.add(f"/col/col{GUIDE_COL}/index.html", self._guide_page())
        self.add("/module/xxgk/tree.jsp", self._guide_page())
        self.columns.append({"path": col_path, "name": "政府信息公开年报", "agency": None, "kind": "annual",
                             "perpage": PERPAGE, "total": len(reports), "list_broken": False})

    def _utf8_disposition(self, r: Report) -> bool:
        return r.year % 2 == 0

    # ------------------------------------------------------------------ dynamic
    def dynamic(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        if path == PROXY and method in ("GET", "POST"):
            return self._proxy({**query, **form})
        if path == "/module/download/downfile.jsp" and method in ("GET", "HEAD"):
            name = query.get("filename", "")
            if name not in self.files:
                return Resource("<html><body>文件不存在</body></html>".encode(), status=404, static=False)
            return redirect(f"/attach/0/{name}")
        return None

    def _proxy(self, params: dict[str, str]) -> Resource:
        total = len(self.listed) if params.get("columnid") == str(REPORT_COL) else 0
        try:
            perpage = max(1, int(params.get("perpage") or PERPAGE))
            if "startrecord" in params:
                start = max(1, int(params["startrecord"]))
                end = int(params.get("endrecord") or start + perpage * GROUP - 1)
            else:  # GET ?page=n: one group of 3 small pages
                page = max(1, int(params.get("page") or 1))
                start = (page - 1) * perpage * GROUP + 1
                end = start + perpage * GROUP - 1
        except ValueError:
            return Resource(b"", "text/xml", "utf-8", 400, static=False)
        if self.endless and total:
            total = 99999
            if start > len(self.listed):
                start, end = 1, perpage * GROUP
        chunk = self.listing(self.listed[start - 1:end] if total else [])
        nxt = (f'<a href="./dataproxy.jsp?page={(end // (perpage * GROUP)) + 1}&appid=1&webid={WEBID}&path=/'
               f'&columnid={REPORT_COL}&unitid={UNITID}&webname={WEBNAME}&permissiontype=0"></a>')
        recs = "".join(f"<record><![CDATA[{record(r)}]]></record>" for r in chunk)
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
               f'<totalrecord>{total}</totalrecord>\n<totalpage>{math.ceil(total / perpage)}</totalpage>\n'
               f'<nextgroup><![CDATA[{nxt}]]></nextgroup>\n<recordset>\n{recs}\n</recordset>\n</datastore>')
        return Resource(xml.encode("utf-8"), "text/xml", "utf-8", static=False)

    # ------------------------------------------------------------------ pages
    def _head(self, title: str, extra: str = "") -> str:
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{esc(title)}</title>'
                f'<meta name="SiteName" content="{WEBNAME}">{extra}</head><body>'
                '<div class="top"><a href="/">首页</a> <a href="/col/col1229000001/index.html">政府信息公开</a></div>')

    _FOOT = '<div class="foot">海盐县人民政府办公室主办 技术支持：大汉网络</div></body></html>'

    def _entry_page(self) -> Page:
        def page() -> Resource:
            text = (self._head("政府信息公开") + '<div class="xxgk-menu"><ul>'
                    f'<li><a href="/col/col{GUIDE_COL}/index.html">政府信息公开指南</a></li>'
                    '<li><a href="/module/xxgk/tree.jsp?divid=div1229000001">政府信息公开目录</a></li>'
                    f'<li><a href="/col/col{REPORT_COL}/index.html">政府信息公开年报</a></li></ul></div>' + self._FOOT)
            return self.html(text, self.now())
        return page

    def _guide_page(self) -> Page:
        def page() -> Resource:
            text = self._head("政府信息公开指南") + '<div id="zoom"><p>海盐县人民政府信息公开指南。</p></div>' + self._FOOT
            return self.html(text, datetime(2021, 3, 1, 9, 0))
        return page

    def _column_page(self) -> Page:
        def page() -> Resource:
            first = self.listing(self.listed[:PERPAGE * GROUP])
            recs = "".join(f"<record><![CDATA[{record(r)}]]></record>" for r in first)
            nxt = (f'<a href="/module/jpage/dataproxy.jsp?page=1&appid=1&webid={WEBID}&path=/&columnid={REPORT_COL}'
                   f'&unitid={UNITID}&webname={WEBNAME}&permissiontype=0"></a>')
            param = (f"var param_{UNITID} = {{col:1,appid:1,webid:{WEBID},path:'/',columnid:{REPORT_COL},"
                     f"sourceContentType:1,unitid:{UNITID},webname:'{WEBNAME}',permissiontype:0}};")
            init = (f"$(document).ready(function(){{$('#{UNITID}').jpage({{baseUrl:'{PROXY}',dataStore:dataStore,"
                    f"perPage:{PERPAGE},totalRecord:{99999 if self.endless else len(self.listed)},openCookies:false,groupSize:{GROUP},"
                    f"objId:'{UNITID}',ajaxParam:param_{UNITID},showMode:'full',barPosition:'bottom'}});}});")
            text = (self._head("政府信息公开年报", '<meta name="ColumnName" content="政府信息公开年报">')
                    + '<div class="bt-position">您当前的位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
                    f'<div class="default_pgContainer" id="{UNITID}"><script type="text/xml"><datastore>'
                    f'<nextgroup><![CDATA[{nxt}]]></nextgroup><recordset>{recs}</recordset></datastore></script></div>'
                    f'<script>{param}\nvar dataStore = $("#{UNITID} script[type=\'text/xml\']").text();</script>'
                    '<script language="javascript" src="/module/jslib/jquery/jpage/jquery.jpage.js"></script>'
                    f'<script>{init}</script>' + self._FOOT)
            return self.html(text, self.now())
        return page

    def _article(self, r: Report) -> Page:
        def page() -> Resource:
            meta = (f'<meta name="ColumnName" content="政府信息公开年报"><meta name="ArticleTitle" content="{esc(r.title)}">'
                    f'<meta name="PubDate" content="{r.published:%Y-%m-%d %H:%M}">'
                    f'<meta name="ContentSource" content="{esc(r.source)}"><meta name="Keywords" content="年度报告">')
            links = "".join(f'<p><a href="{esc(p)}" target="_blank">{esc(n)}</a></p>'
                            for p, n in zip(r.layout["att_paths"], r.layout["att_names"]))
            text = (self._head(r.title, meta) + '<div class="article">'
                    f'<h1 class="article-title">{esc(r.title)}</h1><ul class="article-info">'
                    f'<li>发布时间：{r.published:%Y-%m-%d %H:%M}</li><li>信息来源：{esc(r.source)}</li>'
                    '<li>浏览次数：<span id="hits"></span></li><li><a href="javascript:window.print()">打印</a></li></ul>'
                    f'<div id="zoom">{body_html(r)}{links}</div></div>' + self._FOOT)
            return self.html(text, self.report_modified(r))
        return page

    def _file(self, r: Report, i: int, name: str, fname: str) -> Page:
        inner = self.attachment_page(r, i)

        def page() -> Resource:
            res = inner()
            ext = fname.rsplit(".", 1)[-1]
            if self._utf8_disposition(r):
                cd = f"attachment; filename=\"download.{ext}\"; filename*=UTF-8''{quote(name)}"
            else:
                cd = f'attachment; filename="{fname}"'
            res.headers["Content-Disposition"] = cd
            return res
        return page
