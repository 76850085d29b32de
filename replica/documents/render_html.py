"""HTML renderers: the article body (official rowspan/colspan tables) and whole pages.

Whitespace style (U+3000 indents, `&nbsp;`, CSS indents, cell wrappers) varies per spec but is
deterministic: it is drawn from a RNG seeded with the spec's digest.
"""
from __future__ import annotations

import html
import random
from dataclasses import dataclass

from .layout import PLAIN, Block, Cell, Table, Variant, build_document, split_links
from .spec import ReportSpec


@dataclass
class HtmlStyle:
    indent: str
    para_attr: str
    heading: str  # "strong" | "h3" | "font"
    table_attr: str
    cell_wrap: str  # "p" | "span" | ""
    empty_cell: str
    newline: str  # between tags

    @classmethod
    def for_spec(cls, spec: ReportSpec) -> "HtmlStyle":
        rng = random.Random(spec.digest())
        return cls(
            indent=rng.choice(["\u3000\u3000", "&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;", ""]),
            para_attr=rng.choice(['', ' style="text-indent:2em;line-height:1.75"',
                                  ' style="text-align:justify;font-family:仿宋_GB2312;font-size:16pt"']),
            heading=rng.choice(["strong", "h3", "font"]),
            table_attr=rng.choice(['border="1" cellspacing="0" cellpadding="0" width="100%"',
                                   'class="MsoNormalTable" style="border-collapse:collapse;border:none" border="1"',
                                   'border="1" style="width:600px;border-collapse:collapse"']),
            cell_wrap=rng.choice(["p", "span", ""]),
            empty_cell=rng.choice(["", "&nbsp;", "\u3000"]),
            newline=rng.choice(["\n", "\r\n", ""]),
        )


def _text(s: str) -> str:
    """Escape, links as <a>, label line breaks as <br/>."""
    out = []
    for part, url in split_links(s):
        esc = html.escape(part, quote=False).replace("\n", "<br/>")
        out.append(f'<a href="{html.escape(url)}" target="_blank">{esc}</a>' if url else esc)
    return "".join(out)


def _cell(cell: Cell, st: HtmlStyle) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in (("rowspan", cell.rowspan), ("colspan", cell.colspan)) if v > 1)
    body = _text(cell.text) if cell.text.strip() else (cell.text.replace(" ", "&nbsp;") or st.empty_cell)
    if cell.text.strip() and cell.text != cell.text.strip():  # keep printed padding (" 0", "      1")
        body = body.replace(" ", "&nbsp;")
    if st.cell_wrap == "p":
        body = f'<p style="text-align:center">{body}</p>'
    elif st.cell_wrap == "span":
        body = f'<span style="font-size:10.5pt">{body}</span>'
    align = ' align="center" valign="middle"' if not cell.header else ' align="center"'
    return f"<td{attrs}{align}>{body}</td>"


def render_table(table: Table, st: HtmlStyle) -> str:
    nl = st.newline
    rows = [f"<tr>{nl}" + nl.join(_cell(c, st) for c in row) + f"{nl}</tr>" for row in table.rows]
    return f'<table {st.table_attr}>{nl}<tbody>{nl}' + nl.join(rows) + f"{nl}</tbody>{nl}</table>"


def _block(b: Block, st: HtmlStyle) -> str:
    if b.kind == "table" and b.table is not None:
        return render_table(b.table, st)
    t = _text(b.text)
    if b.kind == "letterhead":
        return f'<p style="text-align:center"><span style="color:#ff0000;font-size:26pt"><strong>{t}</strong></span></p>'
    if b.kind == "title":
        return f'<p style="text-align:center"><strong><span style="font-size:18pt">{t}</span></strong></p>'
    if b.kind == "doc_no":
        return f'<p style="text-align:center">{t}</p>'
    if b.kind in ("signature", "date"):
        return f'<p style="text-align:right">{t}</p>'
    if b.kind == "heading":
        return {"strong": f"<p{st.para_attr}><strong>{st.indent}{t}</strong></p>", "h3": f"<h3>{t}</h3>",
                "font": f'<p{st.para_attr}><font face="黑体">{st.indent}{t}</font></p>'}[st.heading]
    return f"<p{st.para_attr}>{st.indent}{t}</p>"


def render_html_body(spec: ReportSpec, variant: Variant = PLAIN) -> str:
    """The article body as a portal shows it (no <html>/<body>; the replica wraps it)."""
    st = HtmlStyle.for_spec(spec)
    return st.newline.join(_block(b, st) for b in build_document(spec, variant).blocks)


def _meta_block(spec: ReportSpec) -> str:
    if not spec.page_meta:
        return ""
    rows = []
    for label, value in spec.page_meta.items():
        if label in ("来源", "时间"):
            continue
        shown = {"索引号": "索 引 号", "标题": "标\u00a0\u00a0\u00a0\u00a0题", "有效性": "有 效 性"}.get(label, label)
        rows.append(f"<li><span>{html.escape(shown)}:</span> {html.escape(value)}</li>")
    return '<div class="xxgk_table"><ul>' + "".join(rows) + "</ul></div>\n"


def _source_line(spec: ReportSpec) -> str:
    src = spec.page_meta.get("来源", spec.agency)
    when = spec.page_meta.get("时间", spec.signature_date)
    return f'<div class="article_info">来源:{html.escape(src)} 时间:{html.escape(when)}</div>\n'


def render_page_html(spec: ReportSpec, variant: Variant = PLAIN, site_name: str = "") -> str:
    """A complete modern UTF-8 detail page wrapping `render_html_body` (fixtures; replicas use their own).
    `site_name` adds the portal's name to `<title>` and an `ArticleTitle` meta tag, as TRS pages have."""
    doc_no = f'<div class="article_docno">{html.escape(spec.doc_no)}</div>\n' if spec.doc_no else ""
    head_title = f"{spec.title}_{site_name}" if site_name else spec.title
    tags = (f'<meta name="ArticleTitle" content="{html.escape(spec.title)}">\n'
            f'<meta name="ContentSource" content="{html.escape(spec.agency)}">\n') if site_name else ""
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"{tags}<title>{html.escape(head_title)}</title>\n</head>\n<body>\n"
            f"<div class=\"breadcrumb\">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>\n{_meta_block(spec)}"
            f"<h1 class=\"article_title\">{html.escape(spec.title)}</h1>\n{doc_no}{_source_line(spec)}"
            f"<div class=\"TRS_Editor\">\n{render_html_body(spec, variant)}\n</div>\n"
            "<div class=\"article_attachment\"><div class=\"title_base\">附件下载</div></div>\n"
            "<div class=\"footer\"><span>扫一扫在手机上查看当前页面</span> <a>打印</a> <a>关闭</a></div>\n"
            "</body>\n</html>\n")


def render_page_gbk(spec: ReportSpec, variant: Variant = PLAIN) -> bytes:
    """A complete old-style (table layout, upper-case tags) page encoded GBK, declared gb2312."""
    body = render_html_body(spec, variant)
    page = ("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\r\n<HTML>\r\n<HEAD>\r\n"
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">\r\n"
            f"<TITLE>{html.escape(spec.title)}</TITLE>\r\n</HEAD>\r\n<BODY bgcolor=\"#FFFFFF\">\r\n"
            "<TABLE width=\"980\" border=\"0\" align=\"center\" cellpadding=\"0\" cellspacing=\"0\">\r\n"
            f"<TR><TD class=\"title\" align=\"center\"><FONT size=\"5\"><B>{html.escape(spec.title)}</B></FONT></TD></TR>\r\n"
            f"<TR><TD align=\"center\">发布机构：{html.escape(spec.agency)}&nbsp;&nbsp;发布日期：{html.escape(spec.signature_date)}</TD></TR>\r\n"
            f"<TR><TD class=\"content\">\r\n{body}\r\n</TD></TR>\r\n"
            "<TR><TD align=\"center\">【<A href=\"javascript:window.print()\">打印本页</A>】【<A href=\"javascript:window.close()\">关闭窗口</A>】</TD></TR>\r\n"
            "</TABLE>\r\n</BODY>\r\n</HTML>\r\n")
    return page.encode("gbk", errors="xmlcharrefreplace")
