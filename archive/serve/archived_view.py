"""An archived original as a reader sees it: a banner outside the sandbox, the body inside.

`/-/archived/<sha256>` is an archive page: what this is (original URL, capture time,
sha256, the report it belongs to) above the archived body. HTML is shown in an
`<iframe sandbox>` whose document is also served with CSP `sandbox` (no scripts, opaque
origin) and whose links are rewritten by `rewrite_links`: a link to something the archive
captured goes to its archived copy; any other link is marked as leaving the archive and
opens in a new tab. PDFs are shown in the browser's own viewer; other files are downloads
under their original file names. The byte-exact body stays at `/-/original/<sha256>`.
"""
from __future__ import annotations

import re
import sqlite3
import urllib.parse
from html import unescape as html_unescape
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

EXTERNAL_MARK = "↗"
LEAVING_STYLE = ("<style>a.xxgk-leaves::after{content:' \\2197 leaves the archive';font-size:75%;"
                 "color:#a00;background:#fee;padding:0 2px;margin-left:2px}"
                 "a.xxgk-archived{outline:1px dotted #080}</style>")


@dataclass(frozen=True)
class Capture:
    sha256: str
    url: str | None
    fetched_at: str | None
    kind: str
    ext: str | None
    size: int | None
    report_id: str | None
    report_title: str | None
    filename: str | None


def find_capture(conn: sqlite3.Connection, sha256: str) -> Capture | None:
    row = conn.execute(
        "select a.sha256, coalesce(a.final_url, a.url), a.first_seen, 'attachment', a.ext, a.size, "
        "a.report_id, r.title, coalesce(a.link_text, a.filename) from attachments a "
        "left join reports r on r.report_id = a.report_id where a.sha256 = ? "
        "union all select c.sha256, c.url, c.fetched_at, coalesce(c.kind, 'page'), 'html', c.size, "
        "c.report_id, r.title, null from captures c left join reports r on r.report_id = c.report_id "
        "where c.sha256 = ? limit 1", [sha256, sha256]).fetchone()
    return Capture(*row) if row else None


def archived_urls(conn: sqlite3.Connection, urls: list[str]) -> dict[str, str]:
    """{url: sha256} for those of `urls` the archive holds a body of (latest capture wins)."""
    found: dict[str, str] = {}
    for i in range(0, len(urls), 400):
        chunk = urls[i:i + 400]
        marks = ",".join("?" * len(chunk))
        for url, sha in conn.execute(
                f"select url, sha256 from ("
                f"select url, sha256, fetched_at as at from captures where url in ({marks}) and sha256 is not null "
                f"union all select request_url, sha256, fetched_at from captures where request_url in ({marks}) "
                f"and sha256 is not null "
                f"union all select url, sha256, first_seen from attachments where url in ({marks}) "
                f"and sha256 is not null) order by at desc",
                chunk * 3):
            found.setdefault(url, sha)
    return found


_A_TAG_RE = re.compile(r"<a\b[^>]*>", re.I | re.S)
_ATTR_RE = re.compile(r"""\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""", re.S)
_HEAD_RE = re.compile(r"<head\b[^>]*>", re.I)
_REPLACED = {"href", "target", "class", "rel", "title"}


def _absolute(base: str, href: str) -> str | None:
    href = html_unescape(href.strip())
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    try:
        return urllib.parse.urljoin(base, href).split("#")[0]
    except ValueError:
        return None


def _href(tag: str) -> str | None:
    for m in _ATTR_RE.finditer(tag[2:]):
        if m.group(1).lower() == "href" and m.group(2):
            return m.group(2).strip("\"'")
    return None


def _rebuild(tag: str, attrs: str) -> str:
    """`tag` without its href/target/class/rel/title, with `attrs` added."""
    body = tag[2:-1].rstrip("/")
    kept = "".join(m.group(0) for m in _ATTR_RE.finditer(body) if m.group(1).lower() not in _REPLACED)
    return f"<a{kept} {attrs}>"


def rewrite_links(html: str, base_url: str, lookup) -> str:
    """Links to archived captures → their archived copies; the rest marked as leaving.

    `lookup(list_of_absolute_urls) -> {url: sha256}`. Only `<a>` start tags are touched
    (their own target/class/rel are replaced); the page is otherwise unchanged, and its
    scripts never run (the sandbox forbids them).
    """
    targets: dict[str, str] = {}
    for m in _A_TAG_RE.finditer(html):
        href = _href(m.group(0))
        url = _absolute(base_url, href) if href is not None else None
        if url:
            targets[href] = url
    known = lookup(sorted(set(targets.values())))

    def swap(m: re.Match) -> str:
        tag = m.group(0)
        href = _href(tag)
        url = targets.get(href) if href is not None else None
        if url is None:
            return tag
        if url in known:
            return _rebuild(tag, f'href="/-/archived/{known[url]}" target="_top" class="xxgk-archived" '
                                 f'title="存档副本 archived copy of {escape(url)}"')
        return _rebuild(tag, f'href="{escape(url)}" target="_blank" rel="noreferrer noopener" '
                             f'class="xxgk-leaves" title="离开存档 leaves the archive: {escape(url)}"')

    out = _A_TAG_RE.sub(swap, html)
    head = _HEAD_RE.search(out)
    if head:
        return out[:head.end()] + LEAVING_STYLE + out[head.end():]
    return LEAVING_STYLE + out


def banner(cap: Capture) -> Markup:
    report = ""
    if cap.report_id:
        report = (f'<div>报告 Report: <a class="xxgk-banner-report" href="/archive/reports/{escape(cap.report_id)}">'
                  f'{escape(cap.report_title or cap.report_id)}</a></div>')
    name = f"<div>文件名 File: {escape(cap.filename)}</div>" if cap.filename else ""
    return Markup(
        '<div class="xxgk-banner" role="banner">'
        '<div><b>存档副本 Archived copy</b> — this is what the archive captured, not the live page.</div>'
        f'<div>原网址 Original URL: <a href="{escape(cap.url or "")}" class="xxgk-leaves" target="_blank" '
        f'rel="noreferrer noopener">{escape(cap.url or "")}</a> ↗</div>'
        f'<div>抓取时间 Captured: {escape(cap.fetched_at or "")}</div>'
        f'<div>SHA-256: <code class="xxgk-sha">{escape(cap.sha256)}</code></div>{name}{report}'
        f'<div><a href="/-/original/{escape(cap.sha256)}?download=1">下载原始字节 download the original bytes</a>'
        + (f' · <a href="/-/original/{escape(cap.sha256)}?as=text">源码 source</a>' if cap.ext in ("html", "htm") else "")
        + "</div></div>")


def body(cap: Capture) -> Markup:
    sha = escape(cap.sha256)
    ext = (cap.ext or "").lower()
    if ext in ("html", "htm"):
        return Markup(f'<iframe class="xxgk-frame" title="archived page" src="/-/original/{sha}?view=1" '
                      'sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation">'
                      "</iframe>")
    if ext == "pdf":
        return Markup(f'<iframe class="xxgk-frame xxgk-pdf" title="archived PDF" src="/-/original/{sha}?view=1">'
                      f'</iframe><p><a href="/-/original/{sha}?view=1" target="_blank">在新标签页打开 PDF open in a new tab</a></p>')
    return Markup(f'<p class="xxgk-download"><a href="/-/original/{sha}" download>下载 Download '
                  f'{escape(cap.filename or cap.sha256[:16])}</a>（{escape(ext.upper())}，浏览器不能直接显示 '
                  "the browser cannot show this format）</p>")


def db_path_ok(path: str | None) -> bool:
    return bool(path) and Path(path).exists()
