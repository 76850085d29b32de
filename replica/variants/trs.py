"""TRS WCM static portals (trs-fujian.md): column directories, `index.htm`/`index_k.htm` list pages,
`{YYYYMM}/t{date}_{id}.htm` reports, `P0…` attachments beside them."""
from __future__ import annotations

from replica.variants import markup as m
from replica.variants.builder import Builder
from replica.variants.tree import Col


def pager_html(how: str, n_pages: int, k: int, stem: str, ext: str, first: str) -> str:
    """createPageHTML (0-based), `var countPage`, or plain 下一页/尾页 links; TRS page k>0 = index_k."""
    if n_pages <= 1:
        return '<div class="page"></div>' if how != "count_page" else ""
    if how == "create_page":
        return f'<div class="page" id="page_div"></div><script>createPageHTML({n_pages}, {k}, "{stem}", "{ext}");</script>'
    if how == "create_page_1based":
        total = n_pages * 10
        return (f'<div class="page" id="page_div"></div><script>createPageHTML("page_div", {n_pages}, {k + 1}, '
                f'"{stem}", "{ext}", {total});</script>')
    if how == "count_page":
        return f"<script>var countPage = {n_pages};var currentPage = {k};</script><div id=\"pager\"></div>"
    name = lambda i: first if i == 0 else f"{stem}_{i}.{ext}"  # noqa: E731
    links = []
    if k > 0:
        links.append(f'<a href="{name(0)}">首页</a> <a href="{name(k - 1)}">上一页</a>')
    if k < n_pages - 1:
        links.append(f'<a href="{name(k + 1)}">下一页</a> <a href="{name(n_pages - 1)}">尾页</a>')
    return f'<div class="page">{" ".join(links)} 共{n_pages}页</div>'


class TrsBuilder(Builder):
    family = "trs"
    ext = "htm"

    def entry_paths(self) -> tuple[str, str]:
        return self.rng.choice([("/zfxxgk/", "/xxgk/zfxxgkzl/"), ("/xxgk/zfxxgkzl/", "/zwgk/zfxxgk/"),
                                ("/zwgk/zfxxgkzl/", "/zfxxgkzl/")])

    def render_column(self, col: Col) -> None:
        items = self.column_items(col)
        size = int(self.f.get("page_size", 6))
        pages = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
        how = self.f.get("pagination", "create_page")
        for k, chunk in enumerate(pages):
            one_based = how == "create_page_1based"
            path = col.path + ("index.htm" if k == 0 else f"index_{k + 1 if one_based else k}.htm")
            rows = [(self.href(t, path), title, d) for t, title, d, _ in chunk]
            body = f'<h2 class="col-title">{m.esc(col.name)}</h2>'
            if k == 0:
                body += self.sub_links(col, path)
            if rows:
                body += m.list_items(rows, self.f.get("list_markup", "ul_after"))
            elif not col.children or col.empty:
                body += m.empty_list(col.empty or "暂无信息")
            body += pager_html(how, len(pages), k, "index", "htm", "index.htm")
            text = m.page(col.name, body, self.charset, self.crumbs(col))
            self.add_page(path, text)
            if k == 0:
                self.add_page(col.path, text)
