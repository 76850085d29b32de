"""Finding the 信息公开 page and the columns below an annual-report column, on any portal.

Pure functions over parsed pages; `crawler.platforms.base.PortalSpider` uses them. The
rules come from the field guide (portals/other-platforms.md §3, trs-fujian.md §2-3): link
text first, known slugs only as a last resort.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from archive.store import urlnorm
from crawler.pages import common

# the 信息公开 page as home pages name it (squashed text, whole match)
ENTRY_TEXT_RE = re.compile(
    r"(?:政府)?信息公开(?:专栏|目录|平台|专题)?|政务公开|(?:政府信息)?公开目录|法定主动公开内容|"
    r"政府信息公开(?:专栏|网|平台)?|政务信息公开|信息公开专栏")
# field-guide slugs of 信息公开 pages, tried when no link text matches
ENTRY_SLUGS = ("/zfxxgk/", "/zfxxgkzl/", "/xxgk/", "/xxgk/zfxxgkzl/", "/zwgk/", "/zwgk/zfxxgk/",
               "/zwgk/zfxxgkzl/", "/gkml/", "/zfxxgkml/", "/fdzdgknr/", "/xjwz/xxgk/zfxxgk/")
# below an annual column: year and unit-type sub-columns (whatever else they are called, a
# sub-column is also recognised by its path under the column's directory)
SUBCOLUMN_TEXT_RE = re.compile(
    r"^(?:\d{4}年?度?.{0,16}|.{0,6}(?:部门|单位|乡镇|街道|镇街|镇|乡|区直|市直|县直|各部门|直属).{0,6}|"
    r".{2,24}(?:局|委|办|厅|政府|办事处|街道|中心|管委会|分局))$")
CHROME_CLASS_RE = re.compile(r"nav|header|footer|menu|crumb|position|location|weizhi|dqwz|top|bottom|foot", re.I)
NOT_SUBCOLUMN_RE = re.compile(r"首页|上一页|下一页|尾页|末页|返回|更多|打印|关闭|网站地图|联系我们|English")
EMPTY_TEXT_RE = re.compile(r"暂无(?:信息|数据|内容|记录|相关信息)|没有(?:相关)?(?:信息|数据|记录)")


def entry_links(root: Any, base_url: str) -> list[common.Link]:
    """Links whose text names the 信息公开 page, best first (exact names before longer ones)."""
    out = [link for link in common.links(root, base_url)
           if ENTRY_TEXT_RE.fullmatch(common.squash(link.text))]
    order = ("政府信息公开", "信息公开", "政府信息公开专栏", "法定主动公开内容", "公开目录", "政务公开")
    rank = {t: i for i, t in enumerate(order)}
    return sorted(out, key=lambda link: rank.get(common.squash(link.text), len(order)))


def slug_guesses(home_url: str) -> list[str]:
    p = urlsplit(home_url)
    return [f"{p.scheme}://{p.netloc}{slug}" for slug in ENTRY_SLUGS]


def in_chrome(el: Any) -> bool:
    """Inside the page header, navigation, breadcrumb or footer (by tag or class/id)."""
    node = el.getparent()
    while node is not None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("header", "nav", "footer"):
            return True
        if CHROME_CLASS_RE.search((node.get("class") or "") + " " + (node.get("id") or "")):
            return True
        node = node.getparent()
    return False


def sub_column_links(root: Any, page_url: str, column_url: str) -> list[common.Link]:
    """Links of a column page that are its sub-columns: under its directory, or named like a
    year / unit type / unit — outside the page chrome, never a pager link."""
    col = urlsplit(urlnorm.identity(column_url))
    col_dir = col.path if col.path.endswith("/") else col.path.rsplit("/", 1)[0] + "/"
    out: list[common.Link] = []
    for a, url in common.anchors(root.iter("a"), page_url):
        if in_chrome(a):
            continue
        text = common.clean(common.text_content(a)) or common.clean(a.get("title"))
        squashed = common.squash(text)
        if not squashed or NOT_SUBCOLUMN_RE.search(squashed) or common.ANNUAL_TITLE_RE.search(squashed) \
                and len(squashed) > 20:
            continue
        parts = urlsplit(urlnorm.identity(url))
        below = parts.netloc == col.netloc and parts.path.startswith(col_dir) and parts.path != col_dir \
            and re.search(r"/[^/.]+/$", parts.path) is not None
        if below or SUBCOLUMN_TEXT_RE.match(squashed) or common.COLUMN_NAME_RE.fullmatch(squashed):
            out.append(common.Link(url, text, dict(a.attrib)))
    return out


REPORT_COLUMN_RES = (
    (re.compile(r"^(.*/)\d{6}/t\d{8}_\d+\.s?html?$"), r"\1"),                     # TRS t-date pages
    (re.compile(r"^/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_\d+\.html$"), r"/col/col\1/index.html"),  # JCMS
    (re.compile(r"^(/[^/]+)?/gkmlpt/content/\d+/\d+/m?post_\d+\.html$"), r"\1/gkmlpt/index"),  # gkmlpt
    (re.compile(r"^(.*/)content/(?:\d+/\d+/)?m?post_\d+\.html$"), r"\1"),          # NFCMS columns
)


def column_of_report(url: str) -> str | None:
    """The column a known report page sits in, from the family's URL anatomy (field guide),
    or None: a report URL in a site config is a foothold to its column."""
    parts = urlsplit(url)
    for pattern, repl in REPORT_COLUMN_RES:
        if pattern.match(parts.path):
            return f"{parts.scheme}://{parts.netloc}" + pattern.sub(repl, parts.path)
    return None


DOC_KEY_RES = (
    re.compile(r"/t\d{8}_(\d+)\.s?html?$"),                  # TRS: one id sequence per site group
    re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_(\d+)\.html$"),  # JCMS: the column differs, the id not
    re.compile(r"/content/(?:\d+/\d+/)?m?post_(\d+)\.html$"),  # gkmlpt and NFCMS share post ids
)


def doc_key(url: str) -> str | None:
    """The document id a family writes into its report URLs: the same document listed in two
    columns keeps it under both URLs (field guide: trs-fujian.md §2, README "same doc id")."""
    path = urlsplit(url).path
    for i, pattern in enumerate(DOC_KEY_RES):
        m = pattern.search(path)
        if m:
            return f"{('trs', 'art', 'post')[i]}:{m.group(1)}"
    return None


def says_empty(text: str) -> bool:
    """A column page announcing it has nothing (暂无信息, 暂无数据 …)."""
    return bool(EMPTY_TEXT_RE.search(text))


def has_empty_list(root: Any) -> bool:
    """A list element (`ul`, `ol`, `tbody`) with no items at all, in a list-like container
    (a `div` left empty for a script to fill is not one: that list is built by JavaScript)."""
    for el in root.iter("ul", "ol", "tbody"):
        if len(el):
            continue
        holder = el.getparent()
        cls = " ".join((n.get("class") or "") + " " + (n.get("id") or "") for n in (el, holder) if n is not None)
        if re.search(r"list|news|xxgk|lb|content", cls, re.I) and not CHROME_CLASS_RE.search(cls):
            return True
    return False
