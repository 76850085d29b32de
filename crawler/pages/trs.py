"""TRS WCM static sites (Fujian): list pages with createPageHTML, t-date detail pages."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from archive.store import urlnorm

from crawler.pages import common

DETAIL_RE = re.compile(r"/t\d{8}_\d+\.s?html?$")
PAGER_RE = re.compile(r"createPageHTML\(\s*(?:['\"][\w-]+['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]")
PAGE_LINK_RE = re.compile(r"(?:^|/)(?:index|default)_\d+\.s?html?$")
COUNT_PAGE_RE = re.compile(r"var\s+countPage\s*=\s*(\d+)")
TITLE_SELECTORS = ("#font_title", ".article_title", ".xxgk_title", "h1", ".title")


@dataclass
class TrsList:
    items: list[tuple[str, str, str | None]]  # (url, title, date)
    page_count: int | None
    current: int | None
    stem: str
    ext: str
    duplicates: int = 0  # detail links shown more than once
    pager_links: tuple[str, ...] = ()  # index_N pages linked as 下一页/尾页/page numbers


def parse_list(html: str, url: str) -> TrsList:
    root = common.parse_html(html)
    items: dict[str, tuple[str, str, str | None]] = {}
    dups = 0
    for a in root.iter("a"):
        href = urlnorm.clean_href(a.get("href"))
        if not href or href.lower().startswith("javascript:"):
            continue
        full = urlnorm.join(url, href)
        if not DETAIL_RE.search(urlsplit(full).path):
            continue
        title = common.clean(a.get("title")) or common.clean(a.text_content())
        date = common.item_date(a)
        if full in items:
            dups += 1
        items.setdefault(full, (full, title, date))
    pager = tuple(sorted({urlnorm.join(url, a.get("href")) for a in root.iter("a")
                          if PAGE_LINK_RE.search(urlnorm.clean_href(a.get("href")))}))
    m = PAGER_RE.search(html)
    if m:
        return TrsList(list(items.values()), int(m.group(1)), int(m.group(2)), m.group(3), m.group(4), dups, pager)
    m = COUNT_PAGE_RE.search(html)
    stem, ext = _stem_ext(url)
    return TrsList(list(items.values()), int(m.group(1)) if m else None, 0 if m else None, stem, ext, dups, pager)


def page_urls(list_url: str, page: TrsList) -> list[str]:
    """index_1 … index_{N-1} next to the first page (0-based createPageHTML)."""
    linked = list(page.pager_links)
    first = re.search(r"/(?:[A-Za-z]+\.s?html?)?$", urlsplit(list_url).path) is not None
    if not page.page_count or not first:
        return linked
    base = list_url.rsplit("/", 1)[0] + "/"
    # 0-based pagers name page 2 `index_1`, 1-based ones `index_2` (trs-fujian.md §5.1): announce
    # both ranges; the page that does not exist answers 404 and is skipped
    announced = [urljoin(base, f"{page.stem}_{k}.{page.ext}") for k in range(1, page.page_count + 1)]
    return announced + [u for u in linked if u not in announced]


def _stem_ext(url: str) -> tuple[str, str]:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    m = re.match(r"([A-Za-z]+)(?:_\d+)?\.(s?html?)$", name)
    return (m.group(1), m.group(2)) if m else ("index", "htm")


def parse_detail(html: str, url: str) -> tuple[str, dict[str, str], list[common.Link]]:
    return common.detail_page(html, url, TITLE_SELECTORS + ("title",))
