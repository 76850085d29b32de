"""Pages of a portal of unknown platform, read by their structure and labels, not by a template.

* list pages: repeated rows (`ul/li`, table rows, `div`/`p`/`dd` rows) that each carry a link and,
  mostly, a date; the first screen of Hanweb columns kept as CDATA inside a script is read too;
* pagers: 下一页 / 尾页 / page-number links, `createPageHTML(…)`, `var countPage = N`,
  `pageNum=` / `page=` query pagers announced with a page total;
* report pages: label-based metadata anywhere (`索 引 号：`, table cells, `[ 索引号 ]` brackets),
  attachments by extension, by link text, by `downfile`-style URLs and inside scripts.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup

from archive.store import urlnorm

from crawler import linktext
from crawler.pages import common

ROW_TAGS = ("li", "tr", "dl", "dd", "dt", "p", "div", "h3", "h4", "span", "td")
RECORD_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
# TRS-style pagers (trs-fujian.md §5.1): createPageHTML(count, current, stem, ext) with an optional
# target id first, or `var countPage = N`
CREATE_PAGE_RE = re.compile(r"createPageHTML\(\s*(?:['\"][\w-]+['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,"
                            r"\s*['\"](\w+)['\"]")
COUNT_PAGE_RE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
PAGE_TOTAL_RE = re.compile(
    r"(?:totalPage|pageCount|countPage|totalpage|page_count|pageTotal|totalPages)\s*[:=]\s*['\"]?(\d{1,4})")
PAGE_PARAM_RE = re.compile(r"""[?&](pageNum|pageNo|pageIndex|currentPage|curPage|page)=(\d{0,4})""")
DOWNLOAD_HREF_RE = re.compile(r"down(?:load)?(?:file)?|getfile|fileid|attach|/file/|\.do\b|\.jsp\b|\.ashx\b|\.aspx\b",
                              re.I)
FILE_TEXT_RE = re.compile(r"\.(?:%s)\s*$" % "|".join(common.DOC_EXTS), re.I)
BRACKET_LABEL_RE = re.compile(
    r"[\[【]\s*(?P<label>[\u4e00-\u9fff][\u4e00-\u9fff\s\u3000\xa0]{0,10}?)\s*[\]】]\s*[:：]?\s*(?P<value>[^\[【\n]*)")


def _label_alternation() -> str:
    labels = sorted(common.META_LABELS, key=len, reverse=True)
    return "|".join(r"[\s\u3000\xa0]*".join(map(re.escape, label)) for label in labels)


_LABELS = _label_alternation()
# several `label：value` pairs on one line: each value runs to the next label or the line's end
INLINE_LABEL_RE = re.compile(
    r"(?P<label>(?:%s))[\s\u3000\xa0]*[:：][ \t\u3000\xa0]*(?P<value>[^\n]*?)(?=[\s\u3000\xa0]+(?:%s)[\s\u3000\xa0]*[:：]|\n|$)"
    % (_LABELS, _LABELS))

NEXT_LABEL_RE = re.compile(r"[\s\u3000\xa0]+(?:%s)[\s\u3000\xa0]*[:：]" % _LABELS)


@dataclass
class GenericList:
    items: list[tuple[str, str, str | None]]  # (url, title, date) of every row link
    pages: list[str] = field(default_factory=list)  # further list pages announced
    row_links: int = 0                               # links found in repeated rows (list structure)
    subcolumns: list[tuple[str, str]] = field(default_factory=list)  # (url, text) of sub-column links
    duplicates: int = 0


def html_with_records(html: str) -> str:
    """Hanweb columns embed their first records as CDATA in a `<script type="text/xml">`: expose them."""
    if "<![CDATA[" not in html:
        return html
    cdata = "".join(RECORD_CDATA_RE.findall(html))
    return html.replace("</body>", f"<div class='xxgk-records'>{cdata}</div></body>", 1) \
        if "</body>" in html else html + cdata


def _row_of(a: object) -> object | None:
    """The repeated element (li, tr, dl, div …) that holds one list item: the nearest one that
    also holds a date, else the nearest one at all."""
    el = a.getparent()  # type: ignore[attr-defined]
    first = None
    depth = 0
    while el is not None and depth < 4:
        parent = el.getparent()
        if el.tag in ROW_TAGS and parent is not None and len(el.findall(".//a")) <= 3:
            same = sum(1 for s in parent if getattr(s, "tag", None) == el.tag)
            if same >= 2 or el.tag in ("li", "tr", "dl"):
                if common.DATE_RE.search(el.text_content() or ""):
                    return el
                first = first if first is not None else el
        el = parent
        depth += 1
    return first


def parse_list(html: str, url: str) -> GenericList:
    """Every link that sits in a repeated row with the others, with its row's date."""
    root = common.parse_html(html_with_records(html))
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree() if bad.getparent() is not None else None
    groups: dict[int, list[tuple[str, str, str | None]]] = {}
    dated: dict[int, int] = {}
    for a, full in common.anchors(root.iter("a"), url):
        row = _row_of(a)
        if row is None:
            continue
        title = common.clean(a.get("title")) or common.clean(a.text_content())
        if not title:
            continue
        date = common.iso_date(row.text_content())
        key = id(row.getparent())
        groups.setdefault(key, []).append((_norm(full), title, date))
        dated[key] = dated.get(key, 0) + bool(date)
    items: dict[str, tuple[str, str, str | None]] = {}
    dups = 0
    row_links = 0
    for key, rows in groups.items():
        # a list: at least one dated row, or rows whose titles are reports (undated lists exist)
        if not dated[key] and not any(linktext.is_annual_report_title(t) and not linktext.is_column_text(t)
                                      for _, t, _ in rows):
            continue
        for u, t, d in rows:
            if not d and linktext.is_column_text(t):
                continue  # an undated `2023年政府信息公开年报` row: a sub-column
            row_links += 1
            if u in items:
                dups += 1
                if not items[u][2] and d:
                    items[u] = (u, items[u][1], d)
                continue
            items[u] = (u, t, d)
    subcolumns = []
    for link in common.links(root, url):
        listed = items.get(_norm(link.url))
        if listed is not None and listed[2]:
            continue  # a dated row is a document (`2023年度报告` in a unit's own column)
        if linktext.is_subcolumn_text(link.text) and not common.is_attachment_url(link.url):
            subcolumns.append((_norm(link.url), link.text))
    return GenericList(list(items.values()), page_urls(html, url, root), row_links, subcolumns, dups)


def page_urls(html: str, url: str, root: object | None = None) -> list[str]:
    """Further pages of the list at `url`: pager links and the JS pagers' announced pages."""
    out: list[str] = []
    m = CREATE_PAGE_RE.search(html)
    count_m = COUNT_PAGE_RE.search(html)
    if m or count_m:
        stem, ext = _stem_ext(url)
        if not re.search(r"\.s?html?$", urlsplit(url).path):  # a directory URL: the site's own extension
            ext = _index_ext(html)
        total = int(m.group(1)) if m else int(count_m.group(1))  # type: ignore[union-attr]
        current = int(m.group(2)) if m else 0
        if m:
            stem, ext = m.group(3), m.group(4)
        if current in (0, 1) and not re.search(r"_\d+\.s?html?$", urlsplit(url).path):
            # 0-based pagers name page 2 `index_1`, 1-based ones `index_2`: announce both ranges
            # (the page past the end answers 404 and costs one request)
            base = url.rsplit("/", 1)[0] + "/"
            out += [urljoin(base, f"{stem}_{k}.{ext}") for k in range(1, min(total, 500) + 1)]
    total_m = PAGE_TOTAL_RE.search(html)
    if total_m:
        param_m = PAGE_PARAM_RE.search(html)
        if param_m:
            name = param_m.group(1)
            total = int(total_m.group(1))
            cur = dict(parse_qsl(urlsplit(url).query)).get(name)
            if cur in (None, "1", "0"):
                start = 2 if cur != "0" else 1
                out += [_with_param(url, name, k) for k in range(start, min(total, 500) + (1 if start == 2 else 0))]
    if root is None:
        root = common.parse_html(html)
    for link in common.links(root, url):  # type: ignore[arg-type]
        if linktext.is_next_page_text(link.text) and _same_list(link.url, url):
            out.append(_norm(link.url))
    here = _norm(url)
    seen, ordered = {here, *(here + f"index.{e}" for e in ("html", "htm", "shtml") if here.endswith("/"))}, []
    for u in out:
        u = _norm(u)
        if u not in seen:
            seen.add(u)
            ordered.append(u)
    return ordered


def _stem_ext(url: str) -> tuple[str, str]:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    m = re.match(r"([A-Za-z]+)(?:_\d+)?\.(s?html?)$", name)
    return (m.group(1), m.group(2)) if m else ("index", "htm")


def ext_is_guessed(html: str, url: str) -> bool:
    """Whether `page_urls` had to guess the extension of the numbered pages (a directory URL
    and no `index.*` link on the page)."""
    return (not re.search(r"\.s?html?$", urlsplit(url).path)
            and not re.search(r"""index(?:_\d+)?\.(s?html?)["'?#]""", html))


def _index_ext(html: str) -> str:
    """The extension of a site's list pages: from an `index.*` link if any, else the commonest."""
    named = re.findall(r"""index(?:_\d+)?\.(s?html?)["'?#]""", html)
    if named:
        return max(set(named), key=named.count)
    for ext in ("html", "htm", "shtml"):
        if f'.{ext}"' in html:
            return ext
    return "html"


def _with_param(url: str, name: str, value: int) -> str:
    parts = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name] + [(name, str(value))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(q), ""))


def _same_list(candidate: str, list_url: str) -> bool:
    """A pager link stays in the list's directory (index_2.htm, ?page=2, list_2.html …)."""
    a, b = urlsplit(candidate), urlsplit(list_url)
    if a.netloc != b.netloc:
        return False
    return a.path.rsplit("/", 1)[0] == b.path.rsplit("/", 1)[0] or a.path == b.path


def _norm(url: str) -> str:
    """One spelling per URL: the project's one normaliser (`archive.store.urlnorm`)."""
    return urlnorm.normalize(url)


normalise_url = _norm


# -- report pages ------------------------------------------------------------------------------
TITLE_SELECTORS = ("#font_title", ".article_title", ".xxgk_title", "h1", ".title", "h2", "title")


def parse_detail(html: str, url: str) -> tuple[str, dict[str, str], list[common.Link]]:
    title, meta, attachments = common.detail_page(html, url, TITLE_SELECTORS)
    soup = BeautifulSoup(html, "lxml")
    for bad in soup(["script", "style", "noscript"]):
        bad.extract()
    text = soup.get_text("\n")
    extra = label_metadata(text)
    for k, v in list(meta.items()):  # `索引号：X　发布机构：Y` read as one value: cut at the next label
        cut = NEXT_LABEL_RE.search(v or "")
        if cut and cut.start() > 0:
            meta[k] = v[:cut.start()].strip()
    for k, v in extra.items():
        if v and not meta.get(k):
            meta[k] = v
    for f in common.DATE_FIELDS:
        if meta.get(f):
            meta[f] = common.iso_date(meta[f]) or meta[f]
    if meta.get("title") and (not title or not linktext.is_annual_report_title(title)):
        title = meta["title"]
    for att in attachments:
        att.url = _norm(att.url)
    known = {a.url for a in attachments}
    for a in soup.find_all("a", href=True):
        href = re.sub(r"[\t\n\r]", "", a["href"]).strip(" \u3000\xa0")
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        full = _norm(urljoin(url, href))
        name = common.clean(a.get("title") or a.get_text(" "))
        if full in known or re.search(r"\.s?html?$", urlsplit(full).path, re.I):
            continue
        if FILE_TEXT_RE.search(name) or (DOWNLOAD_HREF_RE.search(href) and ("附件" in name or "下载" in name
                                                                              or FILE_TEXT_RE.search(name)
                                                                              or linktext.is_annual_report_title(name))):
            attachments.append(common.Link(full, name, {"by": "link_text"}))
            known.add(full)
    meta.pop("title", None)
    return common.clean(title), meta, attachments


def label_metadata(text: str) -> dict[str, str]:
    """`[ 索引号 ] X`, and several `label：value` on one line (`索引号：X 发布日期：Y`)."""
    found: dict[str, str] = {}
    for m in BRACKET_LABEL_RE.finditer(text):
        label = common.squash(m.group("label"))
        field_ = common.META_LABELS.get(label)
        value = common.clean(m.group("value"))
        if field_ and value and field_ not in found:
            found[field_] = value
    for m in INLINE_LABEL_RE.finditer(text):
        field_ = common.META_LABELS.get(common.squash(m.group("label")))
        value = common.clean(m.group("value"))
        if field_ and value and field_ not in found:
            found[field_] = value
    return found


def body_fingerprint(html: str, title: str) -> str:
    """The report's own text (after its title), to know one report under two URLs."""
    root = common.parse_tree(html)
    tokens = common.text_tokens(root)
    text = common.squash("".join(tokens))
    t = common.squash(title)
    at = text.find(t) if t else -1
    body = text[at + len(t):] if at >= 0 else text
    return hashlib.sha256(body[:4000].encode("utf-8")).hexdigest()[:16]
