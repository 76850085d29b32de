"""HTML pages: the report body without page chrome, tables expanded into grids."""
from __future__ import annotations

import json
import re

import lxml.html
from lxml import etree

from archive.store.charset import decode_bytes

from .grid import SpanCell, expand, spans
from .html_meta import page_meta
from .model import Extracted, ExtractError, Grid, clean_cell, rectangular, render_grid, tidy_text

# Body containers, most specific first (TRS, JCMS, gkmlpt/NFCMS, gov.cn, generic CMS).
CONTAINER_XPATHS = [
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')]",
    "//*[@id='zoom']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article_con ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article_content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-body ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' zc_article_con ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' pages_content ')]",
    "//*[@id='UCAP-CONTENT']",
    "//*[@id='js_content']",
]
MIN_BODY_CHARS = 30          # less than this: try the gkmlpt DETAIL copy of the body
MIN_CONTAINER_CHARS = 10     # a known container with less text than this is not the body
BLOCK_SHARE = 0.7       # descend while one child holds this share of the non-link text

_SKIP = {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed",
         "select", "option", "textarea", "input", "button", "svg", "math", "map", "canvas"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "ul", "ol",
          "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr",
          "form", "center", "address", "figure", "figcaption", "table", "tr", "caption",
          "fieldset", "legend", "details", "summary", "body", "html", "tbody", "thead", "tfoot"}
_CONTAINERS = {"div", "section", "article", "main", "td", "th", "tr", "tbody", "table", "center",
               "form", "body", "html"}
_WS = re.compile(r"[ \t\r\n\f\v]+")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_DETAIL_CONTENT = re.compile(r'DETAIL\s*:\s*\{.*?"content"\s*:\s*("(?:[^"\\]|\\.)*")', re.S)


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _skipped(el) -> bool:
    tag = _tag(el)
    if not tag or tag in _SKIP:
        return True
    return bool(_HIDDEN.search(el.get("style") or "")) or el.get("hidden") is not None


def _rows(table) -> list:
    return table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")


def _cells(tr) -> list:
    return tr.xpath("./td|./th")


def is_layout_table(table) -> bool:
    """Tables used for page layout hold nested tables, or one cell per row: render them as blocks."""
    rows = _rows(table)
    if all(len(_cells(tr)) <= 1 for tr in rows):   # one column: a page frame, not a data table
        return True
    return any(cell.xpath(".//table") for tr in rows for cell in _cells(tr))


class _Renderer:
    """Walks a subtree; text collapses like a browser, blocks break lines, data tables become grids."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.tables: list[Grid] = []

    def text(self, s: str | None) -> None:
        if s:
            self.parts.append(_WS.sub(" ", s))

    def newline(self) -> None:
        self.parts.append("\n")

    def walk(self, el) -> None:
        if _skipped(el):
            return
        tag = _tag(el)
        if tag == "br":
            self.newline()
            return
        if tag == "table" and not is_layout_table(el):
            grid = table_grid(el)
            if grid:
                self.tables.append(grid)
                self.parts.append("\n\x00" + render_grid(grid).replace("\n", "\n\x00") + "\n")
            return
        block = tag in _BLOCK or tag in ("td", "th")
        if block:
            self.newline()
        self.text(el.text)
        for child in el:
            self.walk(child)
            self.text(child.tail)
        if block:
            self.newline()

    def result(self) -> str:
        lines = []
        for ln in "".join(self.parts).split("\n"):
            if ln.startswith("\x00"):
                lines.append(ln[1:])                     # a table row: verbatim
            else:
                lines.append(ln.strip(" ").replace("\xa0", " "))
        return tidy_text("\n".join(lines))


def cell_text(cell) -> str:
    r = _Renderer()
    r.text(cell.text)
    for child in cell:
        r.walk(child)
        r.text(child.tail)
    return clean_cell("".join(r.parts))


def table_grid(table) -> Grid:
    """An HTML table as an expanded grid honouring rowspan/colspan."""
    rows = []
    for tr in _rows(table):
        row = []
        for cell in _cells(tr):
            rs, cs = spans(cell.get("rowspan", 1), cell.get("colspan", 1))
            row.append(SpanCell(cell_text(cell), rs, cs))
        rows.append(row)
    return rectangular(expand(rows))


def _text_len(root) -> dict:
    """Non-link, visible text length of every element (children first, no recursion)."""
    sizes: dict = {}
    for el in reversed(list(root.iter())):
        if not _tag(el) or _skipped(el):
            sizes[el] = 0
            continue
        own = 0 if _tag(el) == "a" else len((el.text or "").strip())
        for child in el:
            own += sizes.get(child, 0) + len((child.tail or "").strip())
        sizes[el] = 0 if _tag(el) == "a" else own
    return sizes


def _largest_block(body, sizes: dict):
    node = body
    while True:
        children = [c for c in node if _tag(c)]
        if not children:
            return node
        best = max(children, key=lambda c: sizes.get(c, 0))
        if sizes.get(best, 0) < BLOCK_SHARE * sizes.get(node, 0) or sizes.get(best, 0) == 0:
            return node
        if _tag(best) not in _CONTAINERS or (_tag(best) == "table" and not is_layout_table(best)):
            return node
        node = best


def find_body(doc):
    """The element holding the report: a known CMS container, else the dominant text block."""
    body = doc.find(".//body")
    if body is None:
        body = doc
    sizes: dict | None = None       # text sizes of every element: only when they decide
    for xp in CONTAINER_XPATHS:
        found = [el for el in doc.xpath(xp) if el is body or any(a is body for a in el.iterancestors())]
        if found:
            if len(found) > 1:
                sizes = sizes if sizes is not None else _text_len(body)
                best = max(found, key=lambda el: sizes.get(el, 0))
            else:
                best = found[0]
            if len(_WS.sub("", best.text_content())) >= MIN_CONTAINER_CHARS:
                return best
    return _largest_block(body, sizes if sizes is not None else _text_len(body))


def parse_html(html: str):
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring(f"<html><body>{html}</body></html>")


def render(el) -> tuple[str, list[Grid]]:
    r = _Renderer()
    r.walk(el)
    return r.result(), r.tables


def html_to_text(html: str, whole_page: bool = False) -> tuple[str, list[Grid]]:
    """(text, tables) of the report body, or of the whole page if `whole_page`."""
    text, tables, _ = html_document(html, whole_page)
    return text, tables


def html_document(html: str, whole_page: bool = False) -> tuple[str, list[Grid], dict[str, str]]:
    """(text, tables, title sources) of a page; the title sources come from the whole page."""
    html = html.replace("\x00", "")
    if not html.strip():
        return "", [], {}
    doc = parse_html(html)
    meta = page_meta(doc)
    text, tables = render(doc if whole_page else find_body(doc))
    if len(text.strip()) < MIN_BODY_CHARS and not whole_page:
        detail = gkmlpt_detail_html(html)
        if detail:
            text, tables = render(find_body(parse_html(detail)))
    return text, tables, meta


def html_body_text(html: str) -> str:
    """The report body text of a detail page (for crawler page objects)."""
    return html_to_text(html)[0]


def gkmlpt_detail_html(html: str) -> str | None:
    """gkmlpt pages embed the body in `window._CONFIG = {DETAIL: {"content": "..."}}`."""
    m = _DETAIL_CONTENT.search(html)
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except ValueError:
        return None


def extract_html(data: bytes, fmt: str = "html", charset: str | None = None) -> Extracted:
    text, used = decode_bytes(data, charset)
    if fmt == "text":
        body = tidy_text("\n".join(ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")))
        tables: list[Grid] = []
        meta: dict[str, str] = {}
    else:
        body, tables, meta = html_document(text)
    if not body.strip() and not tables:
        raise ExtractError("empty", "no text in page")
    warnings = [] if used == "utf-8" else [f"charset:{used}"]
    return Extracted(text=body, tables=tables, method="html", pages=1, warnings=warnings, format=fmt,
                     meta=meta)
