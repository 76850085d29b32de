"""HTML pieces every family draws from: page chrome, link spellings, list markups, metadata blocks.

Bodies may hold origin placeholders (`ORIGIN`, `UORIGIN`, `NETLOC`): the port is only known
when the portal is served, so the server substitutes them per request.
"""
from __future__ import annotations

import html
import posixpath
from typing import Any

from replica.families.base import Resource
from replica.variants.model import VReport

ORIGIN, UORIGIN, NETLOC = "__VORIGIN__", "__VUORIGIN__", "__VNETLOC__"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def relative(from_dir: str, to_path: str) -> str:
    r = posixpath.relpath(to_path, from_dir.rstrip("/") or "/")
    if to_path.endswith("/") and not r.endswith("/"):
        r += "/"
    return r if r.startswith("../") else "./" + r


def spell(target: str, page_path: str, style: str, index_name: str = "index.htm") -> str:
    """The href a page writes for site path `target` in one of the odd but valid spellings."""
    page_dir = page_path if page_path.endswith("/") else page_path.rsplit("/", 1)[0] + "/"
    if style == "rel_dot":
        return relative(page_dir, target)
    if style == "rel_parent":  # up one level and down again: ../col/x even for a child
        parent = page_dir.rstrip("/").rsplit("/", 1)[0] + "/"
        last = page_dir.rstrip("/").rsplit("/", 1)[-1]
        if parent != page_dir and target.startswith(page_dir) and last:
            return "../" + last + "/" + target[len(page_dir):]
        return relative(page_dir, target)
    if style == "abs_url":
        return ORIGIN + target
    if style == "upper_scheme":
        return UORIGIN + target
    if style == "protocol_relative":
        return "//" + NETLOC + target
    if style == "double_slash":
        head, _, tail = target.lstrip("/").partition("/")
        return "/" + head + "//" + tail if tail else "//" + head
    if style == "whitespace":  # browsers drop tabs/newlines inside a URL and trim the ends
        rel = relative(page_dir, target)
        cut = max(2, len(rel) // 2)
        return "\n  " + rel[:cut] + "\t\n" + rel[cut:] + "  "
    if style == "fullwidth_space":
        return "\u3000" + target + "\u3000"
    if style == "index_file" and target.endswith("/"):
        return target + index_name
    return target


def page(title: str, body: str, charset: str, crumbs: list[tuple[str, str]] | None = None,
         head: str = "", chrome: bool = True) -> str:
    meta = '<meta charset="utf-8">' if charset == "utf-8" else \
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    nav = ('<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/xwzx/">新闻中心</a></li>'
           '<li><a href="/bsfw/">办事服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>') if chrome else ""
    crumb = ""
    if crumbs:
        crumb = '<div class="position">当前位置：' + " &gt; ".join(
            f'<a href="{esc(h)}">{esc(t)}</a>' for h, t in crumbs) + "</div>"
    foot = ('<div class="footer">主办单位：人民政府办公室 <a href="/wzdt/">网站地图</a> '
            '<a href="/lxwm/">联系我们</a></div>') if chrome else ""
    return (f"<!DOCTYPE html><html><head>{meta}<title>{esc(title)}</title>{head}</head><body>"
            f"{nav}{crumb}<div class=\"main\">{body}</div>{foot}</body></html>")


def resource(text: str, charset: str, status: int = 200) -> Resource:
    if charset == "utf-8":
        return Resource(text.encode("utf-8"), "text/html", "utf-8", status, static=True)
    return Resource(text.encode("gbk", "xmlcharrefreplace"), "text/html", None, status, static=True)


def short(title: str, limit: int = 22) -> str:
    return title if len(title) <= limit else title[:limit] + "…"


def list_items(items: list[tuple[str, str, str]], markup: str) -> str:
    """(href, title, date) items in one of the list markups real templates use."""
    if markup == "ul_before":
        rows = "".join(f'<li><span class="date">{d}</span><a href="{esc(h)}" title="{esc(t)}" target="_blank">'
                       f"{esc(short(t))}</a></li>" for h, t, d in items)
        return f'<ul class="news-list">{rows}</ul>'
    if markup == "table":
        rows = "".join(f'<tr><td class="t"><a href="{esc(h)}" title="{esc(t)}">{esc(short(t))}</a></td>'
                       f'<td class="d">{d}</td></tr>' for h, t, d in items)
        return f'<table class="list-table" width="100%"><tbody>{rows}</tbody></table>'
    if markup == "div":
        rows = "".join(f'<div class="list-row"><div class="list-t"><a href="{esc(h)}" title="{esc(t)}">'
                       f'{esc(short(t))}</a></div><div class="list-d">发布日期：{d}</div></div>' for h, t, d in items)
        return f'<div class="list-content">{rows}</div>'
    rows = "".join(f'<li><a href="{esc(h)}" title="{esc(t)}" target="_blank">{esc(short(t))}</a>'
                   f"<span>{d}</span></li>" for h, t, d in items)
    return f'<div class="list"><ul>{rows}</ul></div>'


def empty_list(style: str) -> str:
    if style == "empty_list":
        return '<div class="list"><ul></ul></div>'
    return f'<div class="list"><p class="no-data">{esc(style)}</p></div>'


LABELS = {"index_no": "索引号", "agency": "发布机构", "written_date": "成文日期", "title": "标题",
          "doc_no": "发文字号", "published_date": "发布日期"}


def meta_block(r: VReport, style: str, pad: str = "\u3000") -> tuple[str, tuple[str, ...]]:
    """The 公开 metadata block and the manifest fields it shows."""
    values = {"index_no": r.index_no, "agency": r.agency, "written_date": r.written.isoformat(),
              "title": r.title, "doc_no": r.doc_no, "published_date": r.published.strftime("%Y-%m-%d")}
    shown = tuple(k for k in values if k != "doc_no" or r.doc_no)
    if style == "none":
        return (f'<ul class="article-info"><li>发布时间：{r.published:%Y-%m-%d %H:%M}</li>'
                f'<li>信息来源：{esc(r.agency)}</li><li>浏览次数：<span id="hits"></span></li></ul>'), \
            ("title", "published_date")
    if style == "table":
        cells = [f"<td class=\"l\">{LABELS[k]}：</td><td>{esc(values[k])}</td>" for k in values]
        rows = "".join("<tr>" + "".join(cells[i:i + 2]) + "</tr>" for i in range(0, len(cells), 2))
        return f'<table class="classify" border="1">{rows}</table>', shown
    if style == "brackets":
        cells = "".join(f"<li><span class=\"l\">[ {LABELS[k]} ]</span><span class=\"v\">{esc(values[k])}</span></li>"
                        for k in values)
        return f'<ul class="bmeta">{cells}</ul>', shown
    cells = "".join(f"<li><span>{pad.join(LABELS[k]) if len(LABELS[k]) == 3 else LABELS[k]}：</span>"
                    f"{esc(values[k])}</li>" for k in values)
    return f'<div class="xxgk_table"><ul>{cells}</ul></div>', shown


def report_body(r: VReport) -> str:
    return ("<p>一、总体情况</p><p>本年度，" + esc(r.agency) + "认真贯彻落实《中华人民共和国政府信息公开条例》。</p>"
            "<table border=\"1\"><tr><td>信息内容</td><td>本年制发件数</td></tr><tr><td>规章</td><td>0</td></tr></table>"
            "<p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p>")


def attachment_html(links: list[tuple[str, str]], how: str) -> str:
    if not links:
        return ""
    if how == "js_var":
        joined = "|".join(f'<a href="{h}">{esc(n)}</a>' for h, n in links).replace("'", "\\'")
        return ('<div class="article_attachment"><div class="title_base">附件下载</div><div id="att"></div>'
                f"<script>var rel_appendix = '{joined}';document.write(rel_appendix.split('|').join('<br>'));"
                "</script></div>")
    rows = "".join(f'<li><a href="{esc(h)}" title="{esc(n)}">{esc(n)}</a></li>' for h, n in links)
    return f'<div class="article_attachment"><div class="title_base">附件下载</div><ul>{rows}</ul></div>'


def features_note(features: dict[str, Any]) -> str:
    return "<!-- variant: " + esc(repr(sorted(features.items())))[:400] + " -->"
