"""Hanweb JCMS (Zhejiang): column pages with records embedded as XML, the jpage dataproxy, /art/ pages."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from archive.store import urlnorm

from crawler.pages import common

DETAIL_RE = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$|/col/col\d+/art/\d{4}/art_[\w-]+\.html$")
COLUMN_RE = re.compile(r"/col/col(\d+)/")
RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
TOTAL_RE = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
PERPAGE_RE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)", re.I)
PARAM_RE = re.compile(r"var\s+param_\w*\s*=\s*\{(.*?)\}", re.S)
PAIR_RE = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,\s}]+))""")
PROXY_PATH = "/module/jpage/dataproxy.jsp"


@dataclass
class JcmsList:
    items: list[tuple[str, str, str | None]]
    total: int | None = None
    per_page: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    has_datastore: bool = False
    duplicates: int = 0


def parse_records(text: str, url: str) -> list[tuple[str, str, str | None]]:
    return records_and_duplicates(text, url)[0]


def records_and_duplicates(text: str, url: str) -> tuple[list[tuple[str, str, str | None]], int]:
    """(url, title, date) of each record, and how many records repeated an earlier one."""
    out: dict[str, tuple[str, str, str | None]] = {}
    dups = 0
    for cdata in RECORD_RE.findall(text):
        root = common.parse_html(f"<html><body>{cdata}</body></html>")
        for a in root.iter("a"):
            full = urlnorm.join(url, a.get("href"))
            if DETAIL_RE.search(urlsplit(full).path) or common.is_attachment_url(full):
                dups += full in out
                out.setdefault(full, (full, common.clean(a.get("title")) or common.clean(a.text_content()),
                                      common.iso_date(root.text_content())))
    return list(out.values()), dups


def parse_list(html: str, url: str) -> JcmsList:
    """A column page: its embedded records and what the dataproxy needs for the rest."""
    items, dups = records_and_duplicates(html, url)
    page = JcmsList(items, has_datastore="<datastore" in html, duplicates=dups)
    m = TOTAL_RE.search(html)
    page.total = int(m.group(1)) if m else None
    m = PERPAGE_RE.search(html)
    page.per_page = int(m.group(1)) if m else None
    m = PARAM_RE.search(html)
    if m:
        page.params = {k: (a or b or c) for k, a, b, c in PAIR_RE.findall(m.group(1))}
    return page


def proxy_requests(column_url: str, page: JcmsList) -> list[tuple[str, dict[str, str]]]:
    """(url, form) for each further 'big page' (3 small pages per call), after the embedded records."""
    if not page.total or not page.per_page or len(page.items) >= page.total:
        return []
    params = dict(page.params)
    if "columnid" not in params:
        m = COLUMN_RE.search(urlsplit(column_url).path)
        if m:
            params["columnid"] = m.group(1)
    step = 3 * page.per_page
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(column_url))
    out = []
    start = len(page.items) + 1
    while start <= page.total:
        end = min(start + step - 1, page.total)
        q = urlencode({"startrecord": start, "endrecord": end, "perpage": page.per_page})
        out.append((f"{origin}{PROXY_PATH}?{q}", params))
        start = end + 1
    return out


JPAAS_QUERY_RE = re.compile(r"""querydata\s*=\s*(["'])(\{.*?\})\1""", re.I | re.S)
JPAAS_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
JPAAS_COUNT_RE = re.compile(r"""\bcount\s*=\s*["']?(\d+)""", re.I)


def jpaas_query(html: str) -> dict[str, str] | None:
    """The `queryData` of a jpaas-publish-server column shell (webId, pageId, tagId, tplSetId)."""
    m = JPAAS_QUERY_RE.search(html)
    if not m:
        return None
    raw = m.group(2).replace("&quot;", '"').replace("&#39;", "'")
    pairs = re.findall(r"""['"]?(\w+)['"]?\s*:\s*['"]([^'"]*)['"]""", raw)
    q = dict(pairs)
    return q if q.get("pageId") and q.get("webId") else None


def jpaas_url(column_url: str, query: dict[str, str], page_no: int, page_size: int = 50) -> str:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(column_url))
    params = {"parseType": "bulidstatic", "webId": query["webId"], "tplSetId": query.get("tplSetId", ""),
              "pageType": "column", "tagId": query.get("tagId", ""), "editType": "null",
              "pageId": query["pageId"],
              "paramJson": '{"pageNo":%d,"pageSize":%d}' % (page_no, page_size)}
    return f"{origin}{JPAAS_PATH}?{urlencode(params)}"


def parse_jpaas(body: str, url: str) -> tuple[list[tuple[str, str, str | None]], int | None]:
    """(items, total count) of one gateway answer `{"success":…, "data":{"html": …}}`."""
    import json

    data = json.loads(body)
    if not isinstance(data, dict) or data.get("success") is False:
        raise ValueError(f"gateway refused: {str(data)[:120]}")
    html = (data.get("data") or {}).get("html") or ""
    root = common.parse_html(f"<html><body>{html}</body></html>")
    out: dict[str, tuple[str, str, str | None]] = {}
    for a, full in common.anchors(root.iter("a"), url):
        if DETAIL_RE.search(urlsplit(full).path) or common.is_attachment_url(full):
            out.setdefault(full, (full, common.clean(a.get("title")) or common.clean(a.text_content()),
                                  common.item_date(a)))
    m = JPAAS_COUNT_RE.search(html)
    return list(out.values()), int(m.group(1)) if m else None


def rendered_items(html: str, url: str) -> list[tuple[str, str, str | None]]:
    """Report links of a column page as Chromium rendered it (a jpaas list written by script)."""
    root = common.parse_html(html)
    out: dict[str, tuple[str, str, str | None]] = {}
    for a, full in common.anchors(root.iter("a"), url):
        if DETAIL_RE.search(urlsplit(full).path):
            out.setdefault(full, (full, common.clean(a.get("title")) or common.clean(a.text_content()),
                                  common.item_date(a)))
    return list(out.values())


def parse_detail(html: str, url: str) -> tuple[str, dict[str, str], list[common.Link]]:
    return common.detail_page(html, url, ("h1", "title"))
