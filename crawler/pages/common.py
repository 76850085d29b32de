"""Shared page parsing: the 公开 metadata block, dates, attachment links, annual-report names."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from archive.store import urlnorm

WS = r"[\s\u3000\xa0]*"
# A column name is annual-report vocabulary only (optionally after a year); a report title
# carries an agency name as well, so it never matches.
COLUMN_NAME_RE = re.compile(
    r"(?:\d{4}年度?)?(?:政府|信息|公开|工作|政务|专栏|的)*(?:年度报告|年报|年度工作报告)(?:专栏|栏目)?")
ANNUAL_TITLE_RE = re.compile(r"(信息公开|政务公开).{0,8}(年度报告|年报|年度工作报告)")
DATE_RE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
DOC_EXTS = ("pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "ofd", "zip", "rar", "7z", "txt", "jpg", "png")
ATTACHMENT_HREF_RE = re.compile(
    r"(?:\.(?:%s)(?:[?#].*)?$)|downfile\.jsp|download\.jsp|/attachment/|/P0\d{8,}" % "|".join(DOC_EXTS), re.I)
SCRIPT_LINK_RE = re.compile(r"""<a\b[^>]*?href\s*=\s*\\?["']([^"'\\]+)\\?["'][^>]*>(.*?)</a>""", re.I | re.S)
SCRIPT_TRS_FILE_RE = re.compile(r"""["'(\s](\.{0,2}/?[\w/.-]*[PW]0\d{8,}\.\w{2,5})""")

# label -> field; matched after all whitespace inside the label is removed.
META_LABELS: dict[str, str] = {
    "索引号": "index_no", "信息索引号": "index_no",
    "主题分类": "topic", "分类": "topic", "信息分类": "topic", "体裁分类": "genre",
    "发文机关": "agency", "发布机构": "agency", "发文单位": "agency",
    "成文日期": "written_date", "公文生成日期": "written_date", "生成日期": "written_date",
    "标题": "title", "名称": "title", "文件名称": "title",
    "发文字号": "doc_no", "文号": "doc_no", "文件编号": "doc_no",
    "发布日期": "published_date", "发布时间": "published_date",
    "有效性": "validity", "来源": "source", "信息来源": "source", "主题词": "keywords",
    "公开方式": "disclosure_mode",
}
_LABEL_FIRST = frozenset(label[0] for label in META_LABELS)
_LABEL_TOKEN = re.compile(r"^\[?\s*(?P<label>[\u4e00-\u9fff][\u4e00-\u9fff\s\u3000\xa0]{0,12}?)\s*\]?\s*[:：]\s*(?P<value>.*)$", re.S)
_LABEL_ONLY = re.compile(r"^\[?\s*(?P<label>[\u4e00-\u9fff][\u4e00-\u9fff\s\u3000\xa0]{0,12}?)\s*\]?\s*[:：]?\s*$")
DATE_FIELDS = ("written_date", "published_date")


def squash(text: str | None) -> str:
    """Remove every kind of whitespace (labels are padded with spaces, nbsp, U+3000)."""
    return re.sub(r"[\s\u3000\xa0\u200b]+", "", text or "")


def clean(text: str | None) -> str:
    return re.sub(r"[\s\u3000\xa0]+", " ", text or "").strip()


def iso_date(text: str | None) -> str | None:
    if not text:
        return None
    m = DATE_RE.search(text)
    if not m:
        return None
    y, mo, d = (int(x) for x in m.groups())
    if not (1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Lenient: NULs and control characters (which lxml refuses outright) are dropped first."""
    try:
        return lxml.html.document_fromstring(_XML_ILLEGAL.sub("", text or "") or "<html></html>")
    except (lxml.etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html></html>")


_PARSERS = threading.local()  # lxml parsers must not be shared between threads
_CONTROL_BYTES = bytes(c for c in range(32) if chr(c) not in "\t\n\r")  # = _XML_ILLEGAL, as UTF-8


def parse_tree(text: str) -> etree._Element:
    """`parse_html`'s tree as plain lxml elements: the same parser without lxml.html's
    per-element class lookup (a Python call for every element visited), for the hot detail-page
    path. Use `text_content()` and `css()` on it instead of HtmlElement methods.

    The text goes to libxml2 as UTF-8 bytes (a control byte is never part of a multi-byte
    UTF-8 character, so `bytes.translate` drops exactly what `_XML_ILLEGAL` does): a quarter
    less CPU than handing lxml the str and running the regex over it.
    """
    parser = getattr(_PARSERS, "html", None)
    if parser is None:
        parser = _PARSERS.html = etree.HTMLParser(encoding="utf-8", remove_blank_text=True)
    data = (text or "").encode("utf-8", "replace").translate(None, _CONTROL_BYTES)
    try:
        root = etree.fromstring(data or b"<html></html>", parser)
    except (etree.ParserError, ValueError):
        root = None
    return root if root is not None else etree.fromstring(b"<html></html>", parser)


text_content = etree.XPath("string()", smart_strings=False)  # = HtmlElement.text_content, any element


@lru_cache(maxsize=64)
def css(selector: str) -> CSSSelector:
    """A compiled CSS selector (HtmlElement.cssselect compiles on every call)."""
    return CSSSelector(selector, translator="html")


_NO_TEXT = frozenset(("script", "style", "noscript"))


def text_tokens(root: etree._Element, limit: int | None = None) -> list[str]:
    """Visible text pieces, element by element: an element's text, then its tail (scripts and
    styles contribute their tail only, comments nothing); the first `limit` of them, if given
    (the walk stops there: a report's tables need not be visited for its metadata block)."""
    out: list[str] = []
    append = out.append
    for el in root.iter():
        if limit is not None and len(out) >= limit:
            return out[:limit]
        tag = el.tag
        if tag.__class__ is not str:
            continue
        if tag not in _NO_TEXT:
            text = el.text
            if text and (text := text.strip()):
                append(text)
        tail = el.tail
        if tail and (tail := tail.strip()):
            append(tail)
    return out


def metadata_block(root: lxml.html.HtmlElement, max_tokens: int = 400) -> dict[str, str]:
    """The 公开 metadata: `索 引 号：X` inline, or a label cell followed by its value cell.

    The first occurrence of each field wins (page blocks come before body text).
    """
    tokens = text_tokens(root, max_tokens)
    found: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not _may_be_label(tok):
            i += 1
            continue
        field_, value = None, None
        m = _LABEL_TOKEN.match(tok)
        if m and squash(m.group("label")) in META_LABELS:
            field_ = META_LABELS[squash(m.group("label"))]
            value = m.group("value").strip()
            if not value and i + 1 < len(tokens) and not _is_label(tokens[i + 1]):
                value, i = tokens[i + 1], i + 1
        else:
            m = _LABEL_ONLY.match(tok)
            if m and squash(m.group("label")) in META_LABELS and (tok.endswith(("：", ":")) or len(squash(tok)) <= 5
                                                                 or tok.lstrip().startswith("[")):
                field_ = META_LABELS[squash(m.group("label"))]
                if i + 1 < len(tokens) and not _is_label(tokens[i + 1]):
                    value, i = tokens[i + 1], i + 1
                else:
                    value = ""
        if field_ and field_ not in found and value is not None:
            found[field_] = clean(value)
        i += 1
    for f in DATE_FIELDS:
        if f in found:
            found[f] = iso_date(found[f]) or found[f]
    return found


def _may_be_label(tok: str) -> bool:
    """Cheap pre-check: the label patterns start with an optional `[`, whitespace (the regex
    `\\s` is str.isspace) and the label, whose first character must start a known label."""
    return (tok[1:] if tok[:1] == "[" else tok).lstrip()[:1] in _LABEL_FIRST


def _is_label(tok: str) -> bool:
    if not _may_be_label(tok):
        return False
    m = _LABEL_ONLY.match(tok) or _LABEL_TOKEN.match(tok)
    return bool(m and squash(m.group("label")) in META_LABELS)


def meta_tags(metas: Iterable[Any]) -> dict[str, str]:
    """name (or property) -> content of the `<meta>` elements given; the first of a name wins."""
    out: dict[str, str] = {}
    for el in metas:
        name = el.get("name") or el.get("property")
        if name and el.get("content") is not None:
            out.setdefault(name, el.get("content", "").strip())
    return out


@dataclass
class Link:
    url: str
    text: str
    attrs: dict[str, Any] = field(default_factory=dict)


def anchors(elements: Iterable[Any], base_url: str) -> Iterator[tuple[Any, str]]:
    """Each `<a>` of `elements` with a followable href, and that href made absolute."""
    for a in elements:
        href = urlnorm.clean_href(a.get("href"))
        if href and not href.lower().startswith(("javascript:", "mailto:", "#", "tel:")):
            yield a, urlnorm.join(base_url, href)


def item_date(a: Any) -> str | None:
    """The date printed beside a list item's link: in its parent, else in the row around it
    (a table row, a `div` row) when that row holds this one link only."""
    node = a.getparent()
    for _ in range(2):
        if node is None:
            return None
        found = iso_date(text_content(node))
        if found:
            return found
        node = node.getparent()
        if node is not None and sum(1 for _ in node.iter("a")) > 1:
            return None
    return None


def link_text(a: Any) -> str:
    """What a link says: its text, else its title, else the alt text of an image inside it
    (home pages often link 政府信息公开 with a picture)."""
    text = clean(text_content(a)) or clean(a.get("title"))
    if not text:
        text = next((clean(img.get("alt")) for img in a.iter("img") if img.get("alt")), "")
    return text


def links(root: lxml.html.HtmlElement, base_url: str) -> list[Link]:
    return [Link(url, link_text(a), dict(a.attrib)) for a, url in anchors(root.iter("a"), base_url)]


def is_attachment_url(url: str) -> bool:
    path = urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
    return bool(ATTACHMENT_HREF_RE.search(path)) and not re.search(r"\.s?html?$", urlsplit(url).path, re.I)


def attachment_links(anchor_elements: Iterable[Any], scripts: Iterable[Any], base_url: str) -> list[Link]:
    """Attachments among the `<a>` elements, and the ones only written by JavaScript in the
    `<script>` elements (`var rel_appendix = '<a …>'`)."""
    seen: dict[str, Link] = {}
    for a, url in anchors(anchor_elements, base_url):
        attrs = dict(a.attrib)
        marked = any(k in attrs for k in ("appendix", "data-appendix", "needdownload", "download"))
        if url not in seen and (marked or is_attachment_url(url) or "nfw-cms-attachment" in attrs.get("class", "")):
            # the anchor's text only for attachments (a report page has dozens of other links)
            name = attrs.get("download") or attrs.get("title") or attrs.get("alt") \
                or clean(text_content(a)) or clean(a.get("title"))
            seen[url] = Link(url, clean(name), attrs)
    for script in scripts:
        code = script.text or ""
        # (substring checks first: each pattern needs them, and a miss spares a scan with backtracking)
        for href, inner in SCRIPT_LINK_RE.findall(code) if "<a" in code or "<A" in code else ():
            url = urlnorm.join(base_url, href)
            if is_attachment_url(url):
                text = clean(lxml.html.fragment_fromstring(f"<span>{inner}</span>").text_content()) if inner else ""
                seen.setdefault(url, Link(url, text, {"js_only": True}))
        for href in SCRIPT_TRS_FILE_RE.findall(code) if "P0" in code or "W0" in code else ():
            url = urlnorm.join(base_url, href)
            seen.setdefault(url, Link(url, "", {"js_only": True}))
    return list(seen.values())


def detail_page(html: str, url: str, title_selectors: tuple[str, ...] = ("h1", "title"),
                prefer_block_title: bool = False) -> tuple[str, dict[str, str], list[Link]]:
    """A report page of any platform: (title, metadata, attachments).

    Metadata comes from the 公开 block, completed from the CMS meta tags (ContentSource,
    PubDate) and a `时间：` line. The title is the ArticleTitle tag or the block's 标题/名称
    (`prefer_block_title` decides which first), else the first selector with text.
    """
    root = parse_tree(html)
    meta = metadata_block(root)
    by_tag: dict[str, list[Any]] = {"meta": [], "a": [], "script": []}
    for el in root.iter("meta", "a", "script"):  # one walk of the tree, not three
        by_tag[el.tag].append(el)
    tags = meta_tags(by_tag["meta"])
    named = [meta.get("title"), tags.get("ArticleTitle")]
    title = next((t for t in (named if prefer_block_title else named[::-1]) if t), "")
    for sel in title_selectors if not title else ():
        found = css(sel)(root)
        if found and clean(text_content(found[0])):
            title = text_content(found[0])
            break
    if not meta.get("source") and tags.get("ContentSource"):
        meta["source"] = tags["ContentSource"]
    if not meta.get("published_date"):
        m = re.search(r"时间[:：]\s*(\d{4}-\d{1,2}-\d{1,2})", text_content(root))
        meta["published_date"] = iso_date(tags.get("PubDate")) or (iso_date(m.group(1)) if m else "") or ""
    return clean(title), meta, attachment_links(by_tag["a"], by_tag["script"], url)
