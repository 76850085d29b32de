"""Family B: Guangdong gkmlpt sub-sites + an NFCMS column (guide: portals/gkmlpt-guangdong.md).

`/{unit}/gkmlpt/index` (SPA shell with `window._CONFIG`), JSON list API, server-rendered
details `content/{a}/{b}/post_{id}.html`, attachments `/{unit}/attachment/…`, and the NFCMS
column `/cy/zwgk/zfxxgknb/` whose list only exists after its script runs.
"""
from __future__ import annotations

import base64
import json
import math
from datetime import date, datetime
from typing import Any

from replica.families.base import CST, BaseSite, Page, Resource, att_name, esc, paginate
from replica.world import AgencyDef, Report, body_html, stable_rng

GKMLPT_PAGE_SIZE = 5  # the seed portal: small pages, so a handful of reports exercises paging
GKMLPT_REAL_PAGE_SIZE = 100  # the real API's (portals/gkmlpt-guangdong.md): scaled benchmark sites
NFCMS_PAGE_SIZE = 5
NFCMS_COLUMN = "/cy/zwgk/zfxxgknb/"
NFCMS_NAME = "政府信息公开年报"


def post_id(site_id: str, key: str, published: datetime) -> int:
    days = (published.date() - date(2009, 1, 1)).days
    return 600_000 + days * 330 + stable_rng("post", site_id, key).randrange(330)


def content_path(unit: str, pid: int) -> str:
    return f"/{unit}/gkmlpt/content/{pid // 1_000_000}/{pid // 1000}/post_{pid}.html"


def unix(dt: datetime) -> int:
    return int(dt.replace(tzinfo=CST).timestamp())


class GkmlptSite(BaseSite):
    platform = "gkmlpt"

    def layout(self) -> None:
        self.units: dict[str, AgencyDef] = {}
        self.lists: dict[str, list[Report]] = {}
        nfcms: list[Report] = []
        for agency in self.site.agencies:
            reports = self.content.by_agency(agency)
            if agency.layout.get("kind") == "nfcms":
                nfcms.extend(reports)
                continue
            unit = agency.slug
            self.units[unit] = agency
            self.lists[unit] = reports
            for r in reports:
                self._place_gkmlpt(r, unit)
            index = f"/{unit}/gkmlpt/index"
            self.add(index, self._index_page(agency))
            self.columns.append({"path": index, "name": "政府信息公开年报", "agency": agency.name, "kind": "gkmlpt",
                                 "sid": agency.layout["sid"], "category": agency.layout["cat"],
                                 "api": f"/{unit}/gkmlpt/api/all/{agency.layout['cat']}?page=1&sid={agency.layout['sid']}",
                                 "list_broken": False})
        nfcms.sort(key=lambda r: r.published, reverse=True)
        for r in nfcms:
            self._place_nfcms(r)
        if nfcms:
            pages = paginate(nfcms, NFCMS_PAGE_SIZE)
            for k, chunk in enumerate(pages):
                pg = self._nfcms_list(chunk, k, len(pages))
                self.add(NFCMS_COLUMN + ("index.html" if k == 0 else f"index_{k + 1}.html"), pg)
                if k == 0:
                    self.add(NFCMS_COLUMN, pg)
            self.columns.append({"path": NFCMS_COLUMN, "name": NFCMS_NAME, "agency": None, "kind": "nfcms",
                                 "listed_by_js": True, "pages": len(pages), "list_broken": False})
        self.add("/cy/zwgk/zfxxgkzn/", self._simple("政府信息公开指南", "潮阳区人民政府信息公开指南。"))
        self.add("/cy/gkmlpt/index", self._district_index())
        self.add(self.entry_path, self._entry_page(bool(nfcms)))
        self.add(self.entry_path + "index.html", self._entry_page(bool(nfcms)))

    # ------------------------------------------------------------------ layout helpers
    def _attachments(self, r: Report, unit: str, pid: int) -> None:
        paths, ids = [], []
        for i, a in enumerate(r.attachments):
            att_id = 100_000 + stable_rng("attid", self.site_id, r.key, i).randrange(200_000)
            ids.append(att_id)
            paths.append(f"/{unit}/attachment/{att_id // 1_000_000}/{att_id // 1000}/{att_id}/{pid}.{a.ext}")
        r.layout.update(att_paths=paths, att_ids=ids, att_names=[att_name(r, i) for i in range(len(r.attachments))])
        for i, p in enumerate(paths):
            self.add(p, self.attachment_page(r, i))

    def _place_gkmlpt(self, r: Report, unit: str) -> None:
        pid = post_id(self.site_id, r.key, r.published)
        r.layout.update(id=pid, unit=unit, path=content_path(unit, pid), alt_paths=[],
                        column=f"/{unit}/gkmlpt/index", listed_by_js=False)
        self._attachments(r, unit, pid)
        self.add(r.layout["path"], self._detail(r))

    def _place_nfcms(self, r: Report) -> None:
        pid = post_id(self.site_id, r.key, r.published)
        r.layout.update(id=pid, unit="cy", path=f"{NFCMS_COLUMN}content/post_{pid}.html", alt_paths=[],
                        column=NFCMS_COLUMN, listed_by_js=True)
        self._attachments(r, "cy", pid)
        self.add(r.layout["path"], self._nfcms_detail(r))

    # ------------------------------------------------------------------ data
    def tree(self, agency: AgencyDef) -> list[dict[str, Any]]:
        cat = agency.layout["cat"]
        n = len(self.lists.get(agency.slug, []))
        base = cat - 3
        return [
            {"id": base - 20, "name": "机构职能", "post_count": 0, "children": [
                {"id": base - 19, "name": "机构概况", "post_count": 0, "children": []}]},
            {"id": base - 10, "name": "政策文件", "post_count": 0, "children": []},
            {"id": base, "name": "统计报告", "post_count": n, "children": [
                {"id": cat, "name": "政府信息公开年报", "post_count": n, "children": []},
                {"id": cat + 1, "name": "统计数据", "post_count": 0, "children": []}]},
            {"id": base + 50, "name": "领导信息", "jump_url": f"http://www.gdcy.gov.cn/{agency.slug}/ldxx/"},
        ]

    def _article(self, r: Report) -> dict[str, Any]:
        agency = r.agency
        ts = unix(r.published)
        return {
            "id": r.layout["id"], "title": r.title, "url": self._abs(r.layout["path"]), "post_url": self._abs(r.layout["path"]),
            "identifier": r.index_no, "document_number": r.doc_no, "publisher": agency.name, "keywords": "年度报告",
            "abstract": "", "date": ts, "created_at": r.published.strftime("%Y-%m-%d %H:%M:%S"), "create_time": ts,
            "display_publish_time": ts, "classify_main": agency.layout["cat"], "classify_main_name": "政府信息公开年报",
            "classify_genre_name": "报告", "classify_theme_name": r.topic,
            "attachment": [{"id": aid, "name": n, "type": a.ext, "mime": "", "size": "", "url": self._abs(p)}
                           for aid, n, a, p in zip(r.layout["att_ids"], r.layout["att_names"], r.attachments,
                                                   r.layout["att_paths"])],
            "relation": "[]", "is_expired": 0, "is_abolished": 0,
        }

    def _abs(self, path: str) -> str:
        """gkmlpt writes absolute URLs (origin set by the server once the port is bound)."""
        return self.origin + path

    # ------------------------------------------------------------------ dynamic API
    def dynamic(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        parts = path.strip("/").split("/")
        if len(parts) != 5 or parts[1:4] != ["gkmlpt", "api", "all"] or parts[0] not in self.units:
            return None
        agency = self.units[parts[0]]
        try:
            cat = int(parts[4])
            page = max(1, int(query.get("page", "1") or 1))
        except ValueError:
            return Resource(b'{"msg":"bad request"}', "application/json", "utf-8", 400, static=False)
        known = {n["id"] for n in _walk(self.tree(agency))}
        if cat not in known:
            return Resource(b'{"msg":"not found"}', "application/json", "utf-8", 404, static=False)
        items = self.lists[agency.slug] if cat == agency.layout["cat"] else []
        sid = query.get("sid")
        if sid not in (None, "", str(agency.layout["sid"])):
            items = []
        size = GKMLPT_REAL_PAGE_SIZE if self.content.site.scaled else GKMLPT_PAGE_SIZE
        pages = max(1, math.ceil(len(items) / size))
        if page > pages and agency.layout.get("end404") and not (self.endless and items):
            return Resource(b"<html><body><h1>404 Not Found</h1></body></html>", "text/html", "utf-8", 404, static=False)
        if self.endless and items and page > pages:
            page = 1  # past the real end the same first page comes back
        chunk = self.listing(items[(page - 1) * size: page * size])
        node = next(n for n in _walk(self.tree(agency)) if n["id"] == cat)
        total = 99999 if self.endless and items else len(items)
        data = {"classify": {"id": cat, "name": node["name"], "post_count": total}, "total": total,
                "articles": [self._article(r) for r in chunk]}
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return Resource(body, "application/json", "utf-8", static=False)

    # ------------------------------------------------------------------ pages
    def _simple(self, title: str, text: str) -> Page:
        def page() -> Resource:
            return self.html(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
                             f'<body><div class="article-content"><p>{text}</p></div></body></html>', datetime(2021, 3, 1))
        return page

    def _entry_page(self, with_nfcms: bool) -> Page:
        def page() -> Resource:
            units = "".join(f'<li><a href="/{a.slug}/gkmlpt/index" target="_blank">{esc(a.name)}</a></li>'
                            for a in self.units.values())
            nf = f'<li><a href="{NFCMS_COLUMN}">{NFCMS_NAME}</a></li>' if with_nfcms else ""
            text = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>政务公开_潮阳区人民政府</title></head><body>'
                    '<div class="nav"><a href="/cy/">首页</a> <a href="/cy/zwgk/">政务公开</a></div>'
                    '<div class="zwgk-box"><h3>政府信息公开</h3><ul class="zfxxgk">'
                    '<li><a href="/cy/zwgk/zfxxgkzn/">政府信息公开指南</a></li>'
                    f'{nf}<li><a href="/cy/gkmlpt/index">区政府信息公开目录</a></li></ul>'
                    f'<h3>部门信息公开</h3><ul class="bmxxgk">{units}</ul></div></body></html>')
            return self.html(text, self.now())
        return page

    def _district_index(self) -> Page:
        """The district government's own 公开目录: a real gkmlpt shell whose TREE has no 年报 leaf
        (the district's reports sit in the NFCMS column), so a spider finds nothing to list here."""
        tree = [{"id": 1001, "name": "机构职能", "post_count": 0, "children": []},
                {"id": 1010, "name": "政策文件", "post_count": 0, "children": [
                    {"id": 1011, "name": "规范性文件", "post_count": 0, "children": []}]},
                {"id": 1099, "name": "领导信息", "jump_url": "/cy/zwgk/ldxx/"}]

        def page() -> Resource:
            text = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开</title></head>'
                    "<body><div id=\"app\"></div><script>\nwindow._CONFIG = {\n  SID: '754001',\n  TREE: "
                    f"{json.dumps(tree, ensure_ascii=False)} ,\n  SERVICE_AREA_ID: '1'\n}};\n</script></body></html>")
            return self.html(text, self.now())
        return page

    def _index_page(self, agency: AgencyDef) -> Page:
        def page() -> Resource:
            cfg = (f"window._CONFIG = {{\n  SID: '{agency.layout['sid']}',\n  TREE: "
                   f"{json.dumps(self.tree(agency), ensure_ascii=False)} ,\n  SERVICE_AREA_ID: '{agency.layout['sid'] % 1000}'\n}};")
            text = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开</title>'
                    f'<link href="/{agency.slug}/gkmlpt/gkml/pc/css/app.css" rel="stylesheet"></head>'
                    f'<body><div id="app"></div><script>\n{cfg}\n</script>'
                    f'<script src="/{agency.slug}/gkmlpt/gkml/pc/js/chunk-common.5f3a1c2e.js"></script></body></html>')
            return self.html(text, self.now())
        return page

    def _table(self, r: Report, classify: str) -> str:
        return ('<table class="classify"><tbody>'
                f'<tr><td class="td-label">索引号：</td><td class="td-value">{esc(r.index_no)}</td>'
                f'<td class="td-label">分类：</td><td class="td-value">{esc(classify)}</td></tr>'
                f'<tr><td class="td-label">发布机构：</td><td class="td-value">{esc(r.agency.name)}</td>'
                f'<td class="td-label">成文日期：</td><td class="td-value">{r.written.isoformat()}</td></tr>'
                f'<tr><td class="td-label">名称：</td><td class="td-value" colspan="3">{esc(r.title)}</td></tr>'
                f'<tr><td class="td-label">文号：</td><td class="td-value">{esc(r.doc_no)}</td>'
                f'<td class="td-label">发布日期：</td><td class="td-value">{r.published.date().isoformat()}</td></tr>'
                '<tr><td class="td-label">主题词：</td><td class="td-value" colspan="3"></td></tr></tbody></table>')

    def _att_links(self, r: Report) -> str:
        links = "".join(f'<p><a class="nfw-cms-attachment" href="{p}" alt="{esc(n)}">{esc(n)}</a></p>'
                        for p, n in zip(r.layout["att_paths"], r.layout["att_names"]))
        return f'<p>附件：</p>{links}' if links else ""

    def _detail(self, r: Report) -> Page:
        def page() -> Resource:
            body = body_html(r) + self._att_links(r)
            detail = {"id": r.layout["id"], "title": r.title, "abstract": "", "content": body,
                      "publisher": r.agency.name, "identifier": r.index_no, "date": unix(r.published)}
            detail_js = json.dumps(detail, ensure_ascii=False).replace("<", "\\u003C").replace(">", "\\u003E")
            text = ('<!DOCTYPE html><html><head><meta charset="utf-8">'
                    f'<title>{esc(r.title)}</title></head><body><div class="content">'
                    + self._table(r, "统计报告") +
                    f'<h1 class="title">{esc(r.title)}</h1><div class="article-content">{body}</div></div>'
                    f"<script>window._CONFIG = {{ SID: '{r.agency.layout['sid']}',\n DETAIL: {detail_js},\n"
                    f" TREE: {json.dumps(self.tree(r.agency), ensure_ascii=False)} }};</script></body></html>")
            return self.html(text, self.report_modified(r))
        return page

    def _nfcms_list(self, chunk: list[Report], k: int, count: int) -> Page:
        """The list is built by the script from an encoded blob; nothing to scrape without JS."""
        def page() -> Resource:
            data = {"page": k + 1, "count": count,
                    "items": [{"t": r.title, "u": r.layout["path"], "d": r.published.strftime("%Y-%m-%d")} for r in chunk]}
            blob = base64.b64encode(json.dumps(data, ensure_ascii=False).encode("utf-8")).decode()[::-1]
            script = ("(function(){var s='" + blob + "'.split('').reverse().join('');"
                      "var d=JSON.parse(decodeURIComponent(escape(window.atob(s))));var h='<ul class=\"list\">';"
                      "for(var i=0;i<d.items.length;i++){var it=d.items[i];h+='<li><a href=\"'+it.u+'\" title=\"'+it.t+"
                      "'\" target=\"_blank\">'+it.t+'</a><span>'+it.d+'</span></li>';}h+='</ul>';"
                      "var p='<div class=\"pageList\">';for(var j=1;j<=d.count;j++){var f=j==1?'index.html':'index_'+j+'.html';"
                      "p+=j==d.page?'<span class=\"cur\">'+j+'</span>':'<a href=\"'+f+'\">'+j+'</a>';}"
                      "if(d.page<d.count){p+='<a class=\"next\" href=\"index_'+(d.page+1)+'.html\">下一页</a>';}p+='</div>';"
                      "document.getElementById('list').innerHTML=h+p;})();")
            text = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报_潮阳区人民政府</title></head>'
                    '<body><div class="crumb">您现在所在的位置：首页 &gt; 政务公开 &gt; 政府信息公开年报</div>'
                    f'<div class="list-content2" id="list"></div><script>{script}</script></body></html>')
            return self.html(text, self.now())
        return page

    def _nfcms_detail(self, r: Report) -> Page:
        def page() -> Resource:
            body = body_html(r) + self._att_links(r)
            text = ('<!DOCTYPE html><html><head><meta charset="utf-8">'
                    f'<title>{esc(r.title)}</title><meta name="ArticleTitle" content="{esc(r.title)}">'
                    f'<meta name="PubDate" content="{r.published:%Y-%m-%d %H:%M}">'
                    f'<meta name="ContentSource" content="{esc(r.agency.name)}">'
                    f'<meta name="ArticleId" content="{r.layout["id"]}"></head><body>'
                    '<div class="crumb">您现在所在的位置 : 首页 &gt; 政务公开 &gt; 政府信息公开年报</div>'
                    f'<h1 class="article-title">{esc(r.title)}</h1><div class="article-info">'
                    f'<span class="date">{r.published:%Y-%m-%d %H:%M}</span> <span class="source">来源：{esc(r.agency.name)}</span>'
                    f' <span class="publisher">发布机构：{esc(r.agency.name)}</span> 【字体：大 中 小】</div>'
                    f'<div class="article-content">{body}</div>'
                    f'<script>var NFCMS_SITE_ID = 754001; var NFCMS_POST_ID = {r.layout["id"]};</script></body></html>')
            return self.html(text, self.report_modified(r))
        return page


def _walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for n in nodes:
        out.append(n)
        out.extend(_walk(n.get("children", [])))
    return out
