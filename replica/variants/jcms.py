"""Hanweb JCMS portals (jcms-zhejiang.md): `/col/col{N}/index.html` columns whose records come as
XML-in-a-script plus the jpage `dataproxy.jsp`, `/art/Y/M/D/art_{col}_{id}.html` reports,
`downfile.jsp` attachments (302 to `/attach/0/…`); and the newer `jpaas-publish-server`
gateway (`JpaasBuilder`): the column page is a shell with `queryData`, the list is JSON."""
from __future__ import annotations

import base64
import json
import math
from typing import Any

from replica.families.base import Resource, redirect
from replica.variants import markup as m
from replica.variants.builder import Builder
from replica.variants.model import VDoc, VReport
from replica.variants.tree import Col

PROXY = "/module/jpage/dataproxy.jsp"
GATEWAY = "/api-gateway/jpaas-publish-server/front/page/build/unit"


def record(href: str, title: str, date: str, markup: str) -> str:
    if markup == "ul_before":
        return f'<li><span class="date">{date}</span><a href="{m.esc(href)}" title="{m.esc(title)}">{m.esc(m.short(title))}</a></li>'
    if markup == "table":
        return f'<tr><td><a href="{m.esc(href)}" title="{m.esc(title)}">{m.esc(m.short(title))}</a></td><td>{date}</td></tr>'
    if markup == "div":
        return f'<p class="lb-list"><a href="{m.esc(href)}" title="{m.esc(title)}">{m.esc(m.short(title))}</a><span>{date}</span></p>'
    return f'<li><a href="{m.esc(href)}" title="{m.esc(title)}" target="_blank">{m.esc(m.short(title))}</a><span>{date}</span></li>'


class JcmsBuilder(Builder):
    family = "jcms"
    ext = "html"

    def entry_paths(self) -> tuple[str, str]:
        a, b = self.rng.sample(range(1229000001, 1229000999), 2)
        return f"/col/col{a}/index.html", f"/col/col{b}/index.html"

    def place(self, col: Col) -> None:
        for c in col.children:
            c.ident = self.rng.randint(1229100000, 1229999999)
            c.path = f"/col/col{c.ident}/index.html"
            self.place(c)
        if not col.ident:
            col.ident = int(col.path.split("/col/col")[1].split("/")[0]) if "/col/col" in col.path else 1

    def detail_path(self, col: Col, r: VReport | VDoc) -> str:
        ident = r.layout["id"] % 100000 if isinstance(r, VReport) else 90000 + abs(hash(r.key)) % 9999
        p = r.published
        return f"/art/{p.year}/{p.month}/{p.day}/art_{col.ident}_{ident}.html"

    def attachment_paths(self, r: VReport, i: int) -> tuple[str, str]:
        name = f"{(r.layout['id'] * 2654435761 + i) % 16**32:032x}.{r.layout['att_ext']}"
        return f"/attach/0/{name}", f"/module/download/downfile.jsp?classid=0&filename={name}"

    def extra_layout(self) -> None:
        self.records: dict[int, list[str]] = {}
        self.portal.dynamic = self.dynamic

    def column_records(self, col: Col) -> list[str]:
        markup = self.f.get("list_markup", "ul_after")
        return [record(self.href(t, col.path), title, d, markup) for t, title, d, _ in self.column_items(col)]

    def render_column(self, col: Col) -> None:
        recs = self.column_records(col)
        self.records[col.ident] = recs
        per = int(self.f.get("page_size", 6)) if int(self.f.get("page_size", 6)) < 20 else 15
        body = f'<h2 class="col-title">{m.esc(col.name)}</h2>' + self.sub_links(col, col.path)
        body += self.list_block(col, recs, per)
        if not recs and (not col.children or col.empty):
            body += m.empty_list(col.empty or "暂无信息")
        self.add_page(col.path, m.page(col.name, body, self.charset, self.crumbs(col)))

    def list_block(self, col: Col, recs: list[str], per: int) -> str:
        inline = [] if self.f.get("jcms_list") == "proxy_only" else recs[: 3 * per]
        cdata = "".join(f"<record><![CDATA[{r}]]></record>" for r in inline)
        return (f'<div id="{col.ident}"><script type="text/xml"><datastore><nextgroup><![CDATA[]]></nextgroup>'
                f"<recordset>{cdata}</recordset></datastore></script>"
                f"<script>var param_{col.ident} = {{col:1,appid:1,webid:3349,path:'/',columnid:{col.ident},"
                f"sourceContentType:1,unitid:{col.ident % 10000000},webname:'{self.content.region}人民政府',permissiontype:0}};"
                f"$('#{col.ident}').jpage({{totalRecord:{len(recs)},openCookies:false,perPage:{per},dataStore:'',"
                f"barPosition:'bottom'}});</script></div>")

    def dynamic(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        if path == "/module/download/downfile.jsp":
            name = query.get("filename", "")
            return redirect(f"/attach/0/{name}") if f"/attach/0/{name}" in self.portal.pages else None
        if path == PROXY:
            args = {**query, **form}
            recs = self.records.get(int(args.get("columnid") or 0), [])
            try:
                start, end = int(args.get("startrecord", 1)), int(args.get("endrecord", 0))
                per = int(args.get("perpage", 15))
            except ValueError:
                return None
            chunk = recs[start - 1:end] if start >= 1 else []
            body = (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{len(recs)}</totalrecord>'
                    f"<totalpage>{math.ceil(len(recs) / per) if per else 0}</totalpage><recordset>"
                    + "".join(f"<record><![CDATA[{r}]]></record>" for r in chunk) + "</recordset></datastore>")
            return Resource(body.encode("utf-8"), "text/xml", "utf-8", static=False)
        return None


class JpaasBuilder(JcmsBuilder):
    family = "jpaas"

    def list_block(self, col: Col, recs: list[str], per: int) -> str:
        shell = (f'<div class="list-box" id="阳光政务_分页列表" queryData="{{\'webId\':\'3185\',\'pageId\':\'{col.ident}\','
                 f'\'tagId\':\'当前栏目list\',\'tplSetId\':\'a1b2c3d4e5\'}}"><div id="jpaas_list"></div></div>')
        if self.f.get("jpaas_gateway") != "signed":
            return shell + "<script src=\"/static/jpaas/list.js\"></script>"
        # the template's script signs its call (`_t`) and writes the list while the page loads
        return shell + ("<script>(function(){var id='%d';var u='%s?parseType=bulidstatic&webId=3185&tplSetId=a1b2c3d4e5"
                        "&pageType=column&tagId='+encodeURIComponent('当前栏目list')+'&editType=null&pageId='+id+"
                        "'&paramJson='+encodeURIComponent('{\"pageNo\":1,\"pageSize\":500}')+'&_t='+btoa(id);"
                        "var x=new XMLHttpRequest();x.open('GET',u,false);x.send();"
                        "document.getElementById('jpaas_list').innerHTML=JSON.parse(x.responseText).data.html;})();"
                        "</script>") % (col.ident, GATEWAY)

    def dynamic(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        if path != GATEWAY:
            return super().dynamic(method, path, query, form)
        try:
            recs = self.records[int(query.get("pageId") or 0)]
        except (KeyError, ValueError):
            return Resource(json.dumps({"success": False, "data": None}).encode(), "application/json", "utf-8",
                            static=False)
        params: dict[str, Any] = {}
        if query.get("paramJson"):
            try:
                params = json.loads(query["paramJson"])
            except ValueError:
                params = {}
        signed = query.get("_t") == base64.b64encode(str(query.get("pageId")).encode()).decode()
        if self.f.get("jpaas_gateway") == "signed" and not signed:
            return Resource("<html><body><h3>非法请求</h3></body></html>".encode(), "text/html", "utf-8", static=False)
        page_no = int(params.get("pageNo") or query.get("pageNo") or 1)
        size = int(params.get("pageSize") or query.get("rows") or 0) or int(self.f.get("page_size", 6))
        if not signed:
            size = min(size, int(self.f.get("page_size", 6)))  # the template's page size wins
        chunk = recs[(page_no - 1) * size: page_no * size]
        markup = self.f.get("list_markup", "ul_after")
        wrap = ("<table>", "</table>") if markup == "table" else ("<ul class=\"page-content\">", "</ul>")
        html = (wrap[0] + "".join(chunk) + wrap[1]
                + f'<table class="pagination" count="{len(recs)}" pagesize="{size}" pageno="{page_no}"></table>')
        return Resource(json.dumps({"success": True, "data": {"html": html}}, ensure_ascii=False).encode("utf-8"),
                        "application/json", "utf-8", static=False)
