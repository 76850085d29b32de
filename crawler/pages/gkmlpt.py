"""Guangdong gkmlpt (政府信息公开目录管理平台): `_CONFIG` shell, JSON list API, post pages; NFCMS columns."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from archive.store import urlnorm

from crawler.pages import common

DETAIL_RE = re.compile(r"/content/(?:\d+/\d+/)?m?post_\d+\.html$")
INDEX_RE = re.compile(r"/gkmlpt/index/?$")
SID_RE = re.compile(r"""["']?SID["']?\s*[:=]\s*["']?(\w+)""")
CST = timezone(timedelta(hours=8))


def _balanced(text: str, start: int) -> str | None:
    """The JSON array/object that opens at text[start], by bracket matching (strings respected)."""
    opener = text[start]
    closer = {"[": "]", "{": "}"}[opener]
    depth, i, in_str, quote = 0, start, False, ""
    while i < len(text):
        ch = text[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == quote:
                in_str = False
        elif ch in "\"'":
            in_str, quote = True, ch
        elif ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
        i += 1
    return None


def parse_config(html: str) -> tuple[str | None, list[dict[str, Any]]]:
    """SID and TREE from `window._CONFIG = {...}` (or the older `var TREE = [...]`)."""
    sid = None
    m = SID_RE.search(html)
    if m:
        sid = m.group(1)
    tree: list[dict[str, Any]] = []
    m = re.search(r"TREE\s*[:=]\s*\[", html)
    if m:
        raw = _balanced(html, m.end() - 1)
        if raw:
            try:
                tree = json.loads(raw)
            except json.JSONDecodeError:
                tree = []
    return sid, tree


def annual_categories(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tree nodes named like a 年报 column; the deepest such node on each branch (a parent named
    年度报告 usually holds the real 政府信息公开年报 leaf). jump_url nodes (external links) are skipped."""
    def is_annual(node: dict[str, Any]) -> bool:
        return bool(common.COLUMN_NAME_RE.fullmatch(common.squash(str(node.get("name", ""))))) \
            and not node.get("jump_url")

    def below(node: dict[str, Any]) -> list[dict[str, Any]]:
        # below an annual node every category counts, whatever its name (years, unit types)
        out = [node]
        for child in node.get("children") or []:
            if not child.get("jump_url"):
                out.extend(below(child))
        return out

    def walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for node in nodes:
            deeper = walk(node.get("children") or [])
            if deeper:
                out.extend(deeper)
            elif is_annual(node):
                out.extend(below(node))
        return out
    return walk(tree)


def api_url(index_url: str, category_id: Any, sid: str | None, page: int) -> str:
    prefix = index_url.split("/gkmlpt/")[0]
    q = f"page={page}" + (f"&sid={sid}" if sid else "")
    return f"{prefix}/gkmlpt/api/all/{category_id}?{q}"


def _ts_date(value: Any) -> str | None:
    if isinstance(value, (int, float)) and value > 0:
        return datetime.fromtimestamp(value, CST).strftime("%Y-%m-%d")
    return common.iso_date(str(value)) if value else None


@dataclass
class GkmlptList:
    items: list[dict[str, Any]]  # url, title, date, index_no, doc_no, agency, topic, attachments
    total: int | None            # the category's article count, as the API announces it


def parse_list(body: str, url: str) -> GkmlptList:
    """One page of the category list API (`api_url`): its articles, normalised, and the total
    the category announces. Not the expected JSON: ValueError or AttributeError."""
    data = json.loads(body)
    total = data.get("total")
    if total is None and isinstance(data.get("classify"), dict):
        total = data["classify"].get("post_count")
    items = []
    for art in data.get("articles") or []:
        url = art.get("url") or art.get("post_url")
        if not url:
            continue
        items.append({
            "url": url, "title": common.clean(art.get("title")),
            "date": _ts_date(art.get("display_publish_time") or art.get("date")) or common.iso_date(art.get("created_at")),
            "index_no": art.get("identifier") or None, "doc_no": art.get("document_number") or None,
            "agency": art.get("publisher") or None, "topic": art.get("classify_theme_name") or None,
            "attachments": [{"url": a.get("url"), "name": a.get("name")} for a in art.get("attachment") or [] if a.get("url")],
        })
    return GkmlptList(items, int(total) if total not in (None, "") else None)


def parse_detail(html: str, url: str) -> tuple[str, dict[str, str], list[common.Link]]:
    """The 名称 cell of the metadata table is the title; the <title> can carry a site suffix."""
    return common.detail_page(html, url, ("h1", "title"), prefer_block_title=True)


def nfcms_list(html: str, url: str) -> list[tuple[str, str, str | None]]:
    root = common.parse_html(html)
    out: dict[str, tuple[str, str, str | None]] = {}
    for a in root.iter("a"):
        full = urlnorm.join(url, a.get("href"))
        if DETAIL_RE.search(urlsplit(full).path) and "/gkmlpt/" not in full:
            out.setdefault(full, (full, common.clean(a.get("title")) or common.clean(a.text_content()),
                                  common.item_date(a)))
    return list(out.values())


NFCMS_NEXT_RE = re.compile(r"""href=["']([^"']*index_(\d+)\.html)["']""")


def nfcms_pages(html: str, url: str) -> list[str]:
    return sorted({urlnorm.join(url, m.group(1)) for m in NFCMS_NEXT_RE.finditer(html)})
