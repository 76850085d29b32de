"""Guangdong gkmlpt portals (gkmlpt-guangdong.md): department sub-sites `/{unit}/gkmlpt/index`
(`_CONFIG` with SID and the category TREE) whose lists come from `/gkmlpt/api/all/{cat}`, and
NFCMS columns (`…/index.html`, `index_2.html`, `content/post_{id}.html`) for the rest."""
from __future__ import annotations

import json
from typing import Any

from replica.families.base import CST, Resource
from replica.variants import markup as m
from replica.variants.builder import Builder
from replica.variants.model import VDoc, VReport
from replica.variants.tree import Col


class GkmlptBuilder(Builder):
    family = "gkmlpt"
    ext = "html"

    def entry_paths(self) -> tuple[str, str]:
        p = self.rng.choice(["cy", "hj", "lh", "jp"])
        return f"/{p}/zwgk/", f"/{p}/xxgk/"

    def units_in_tree(self) -> list[dict[str, Any]]:
        return [u for u in self.content.units if u["kind"] == "town"]

    def detail_path(self, col: Col, r: VReport | VDoc) -> str:
        ident = r.layout["id"] if isinstance(r, VReport) else 9000000 + abs(hash(r.key)) % 99999
        return f"{col.path}content/post_{ident}.html"

    def gkmlpt_path(self, unit: dict[str, Any], ident: int) -> str:
        return f"/{unit['slug']}/gkmlpt/content/{ident // 1000000}/{ident // 1000}/post_{ident}.html"

    def attachment_paths(self, r: VReport, i: int) -> tuple[str, str]:
        att = r.layout["id"] % 900000 + 100000 + i
        prefix = "/" + r.path.split("/")[1]
        p = f"{prefix}/attachment/0/{att // 1000}/{att}/{r.layout['id']}.{r.layout['att_ext']}"
        return p, p

    # ------------------------------------------------------------------ gkmlpt sub-sites
    def extra_layout(self) -> None:
        self.units = [u for u in self.content.units if u["kind"] == "dept"]
        self.cats: dict[tuple[str, int], list[Any]] = {}
        self.sids: dict[str, int] = {}
        shape = self.f.get("gkmlpt_tree", "leaf_under_report")
        for n, unit in enumerate(self.units):
            self.sids[unit["slug"]] = 754100 + n
            reports = self.content.unit_reports(unit)
            for r in reports:
                path = self.gkmlpt_path(unit, r.layout["id"])
                if not r.path:
                    r.path, r.column = path, f"/{unit['slug']}/gkmlpt/index"
                else:
                    r.alt_paths.append(path)
            base = 3000 + 10 * n
            annual_name = self.rng.choice(["政府信息公开年报", "年度报告", "政府信息公开工作年度报告"])
            if shape == "year_children":
                years = sorted({r.year for r in reports}, reverse=True)
                kids = []
                for j, y in enumerate(years):
                    cid = base + 2 + j
                    self.cats[(unit["slug"], cid)] = [r for r in reports if r.year == y]
                    kids.append({"id": cid, "name": f"{y}年", "post_count": len(self.cats[(unit["slug"], cid)]),
                                 "children": []})
                annual = {"id": base + 1, "name": annual_name, "post_count": 0, "children": kids}
                self.cats[(unit["slug"], base + 1)] = []
            else:
                annual = {"id": base + 1, "name": annual_name, "post_count": len(reports), "children": []}
                self.cats[(unit["slug"], base + 1)] = reports
            tree: list[dict[str, Any]] = [{"id": base, "name": "机构职能", "post_count": 2, "children": []}]
            if shape == "leaf_under_report":
                tree.append({"id": base + 9, "name": "统计报告", "post_count": len(reports), "children": [annual]})
            else:
                tree.append(annual)
            tree.append({"id": base + 8, "name": "领导信息", "jump_url": f"/{unit['slug']}/ldxx/"})
            unit["tree"] = tree
        if self.f.get("decoys") and self.units:
            # a notice filed in a unit's 年报 category beside its reports: never a report
            unit = self.units[0]
            cat = next(k for k, v in self.cats.items() if k[0] == unit["slug"] and v)
            ident = 9_900_000 + self.seed % 99_999
            y = max(unit["years"])
            doc = VDoc("gkdoc", f"关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知", unit["name"],
                       self.cats[cat][0].published, self.gkmlpt_path(unit, ident), f"/{unit['slug']}/gkmlpt/index")
            self.content.docs.append(doc)
            self.cats[cat] = sorted([*self.cats[cat], doc], key=lambda d: d.published, reverse=True)
        self.portal.dynamic = self.dynamic

    def all_reports(self) -> list[VReport]:
        return self.content.reports

    def manifest_columns(self) -> list[dict[str, Any]]:
        out = super().manifest_columns()
        for unit in self.units:
            out.append({"path": f"/{unit['slug']}/gkmlpt/index", "name": unit["name"], "kind": "gkmlpt",
                        "agency": unit["name"], "empty": False, "reports": len(self.content.unit_reports(unit))})
        return out

    def render_nav(self, col: Col) -> None:
        if col.kind != "entry":
            return super().render_nav(col)
        rows = "".join(f'<li><a href="{m.esc(self.href(c.path, col.path))}">{m.esc(c.name)}</a></li>' for c in col.children)
        units = "".join(f'<li><a href="/{u["slug"]}/gkmlpt/index">{m.esc(u["name"])}</a></li>' for u in self.units)
        body = (f'<div class="gk-nav"><h2>政府信息公开</h2><ul>{rows}</ul></div>'
                f'<div class="bm-list"><h3>部门信息公开</h3><ul>{units}</ul></div>')
        self.add_page(col.path, m.page(col.name, body, self.charset, self.crumbs(col)))
        for u in self.units:
            cfg = (f"window._CONFIG = {{ SID: '{self.sids[u['slug']]}', TREE: {json.dumps(u['tree'], ensure_ascii=False)}, "
                   f"SERVICE_AREA_ID: '{u['code']}' }};")
            self.add_page(f"/{u['slug']}/gkmlpt/index",
                          m.page("政府信息公开", "", self.charset, chrome=False).split("<body>")[0] + "<body>"
                          f"<div id=\"app\"></div><script>{cfg}</script></body></html>")

    def report_page(self, r: VReport, path: str) -> str:
        text = super().report_page(r, path)
        detail = json.dumps({"id": r.layout["id"], "title": r.title}, ensure_ascii=False)
        return text.replace("</body>", f"<script>window._CONFIG = {{ SID: '1', DETAIL: {detail}, TREE: [] }};</script></body>")

    def render_column(self, col: Col) -> None:
        items = self.column_items(col)
        size = int(self.f.get("page_size", 6))
        pages = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
        for k, chunk in enumerate(pages):
            path = col.path + ("index.html" if k == 0 else f"index_{k + 1}.html")
            rows = [(self.href(t, path), title, d) for t, title, d, _ in chunk]
            body = f'<h2 class="col-title">{m.esc(col.name)}</h2>' + (self.sub_links(col, path) if k == 0 else "")
            if rows:
                body += m.list_items(rows, self.f.get("list_markup", "ul_after"))
            elif not col.children or col.empty:
                body += m.empty_list(col.empty or "暂无信息")
            if len(pages) > 1:
                nums = " ".join(f'<a href="{"index.html" if i == 0 else f"index_{i + 1}.html"}">{i + 1}</a>'
                                for i in range(len(pages)))
                nxt = f' <a href="index_{k + 2}.html">下一页</a>' if k + 1 < len(pages) else ""
                body += f'<div class="pagination">{nums}{nxt}</div>'
            text = m.page(col.name, body, self.charset, self.crumbs(col))
            self.add_page(path, text)
            if k == 0:
                self.add_page(col.path, text)

    def dynamic(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        parts = path.split("/")
        if len(parts) == 6 and parts[2:4] == ["gkmlpt", "api"] and parts[4] == "all":
            slug = parts[1]
            try:
                cat = int(parts[5])
            except ValueError:
                return None
            if (slug, cat) not in self.cats:
                return None
            reports = self.cats[(slug, cat)]
            if str(query.get("sid")) != str(self.sids.get(slug)):
                reports = []
            size = int(self.f.get("page_size", 6))
            page = max(1, int(query.get("page") or 1))
            chunk = reports[(page - 1) * size: page * size]
            if not chunk and page > 1 and self.f.get("gkmlpt_end") == "http_404":
                return None
            body = {"classify": {"id": cat, "post_count": len(reports)}, "total": len(reports),
                    "articles": [self.article(slug, r) for r in chunk]}
            return Resource(json.dumps(body, ensure_ascii=False).encode(), "application/json", "utf-8", static=False)
        return None

    def article(self, slug: str, r: VReport | VDoc) -> dict[str, Any]:
        ts = int(r.published.replace(tzinfo=CST).timestamp())  # naive = China wall clock
        if isinstance(r, VDoc):
            url = m.ORIGIN + r.path
            return {"id": int(r.path.rsplit("_", 1)[1].split(".")[0]), "title": r.title, "url": url, "post_url": url,
                    "identifier": "", "document_number": "", "publisher": r.agency, "date": ts,
                    "display_publish_time": ts, "created_at": r.published.strftime("%Y-%m-%d %H:%M:%S"), "attachment": []}
        url = m.ORIGIN + next(p for p in [r.path, *r.alt_paths] if p.startswith(f"/{slug}/gkmlpt/"))
        return {"id": r.layout["id"], "title": r.title, "url": url, "post_url": url, "identifier": r.index_no,
                "document_number": r.doc_no, "publisher": r.agency, "date": ts, "display_publish_time": ts,
                "created_at": r.published.strftime("%Y-%m-%d %H:%M:%S"),
                "attachment": [{"name": a.filename, "url": m.ORIGIN + a.path} for a in r.attachments]}

