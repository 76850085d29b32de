"""Which platform a portal runs, where its 信息公开 entry is and which 年度报告 columns it has.

`detect(url)` fetches the home page and a few pages more (the entry, the pages between it and
the columns), matches the platform signatures of the field guide (`../shared/portals/`: the
family files and `other-platforms.md` §2) and reports what it saw, with the evidence, as a
JSON-serialisable `Detection`. `xxgk detect URL` prints it; `xxgk sites add URL` stores it.

Families with a spider of their own (`trs`, `gkmlpt`, `jcms`) are crawled by it; every other
family, and `generic`, by the generic spider.
"""
from __future__ import annotations

import argparse
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from crawler import linktext
from crawler.pages import common, gkmlpt

FAMILY_SPIDERS = {"trs": "trs", "gkmlpt": "gkmlpt", "jcms": "jcms"}


@dataclass(frozen=True)
class Signature:
    family: str
    variant: str
    pattern: re.Pattern[str]
    what: str  # the evidence, in words
    weight: int = 2  # URL and API shapes; a CSS class or label style alone weighs 1


def _sig(family: str, variant: str, pattern: str, what: str, weight: int = 2) -> Signature:
    return Signature(family, variant, re.compile(pattern, re.I), what, weight)


# Matched against page HTML (links included). Evidence in the field-guide files named.
SIGNATURES: tuple[Signature, ...] = (
    # trs-fujian.md §1
    _sig("trs", "static", r"""/\d{6}/t\d{8}_\d+\.s?html?\b""", "TRS detail URL {YYYYMM}/t{YYYYMMDD}_{id}.htm"),
    _sig("trs", "static", r"createPageHTML\s*\(", "TRS pager createPageHTML()"),
    _sig("trs", "static", r"class=[\"'][^\"']*TRS_Editor", "TRS body container div.TRS_Editor", 1),
    _sig("trs", "static", r"/[PW]0\d{8}\d{12}\.\w{2,5}\b", "TRS attachment name P0{YYYYMMDD}{12 digits}"),
    _sig("trs", "was5", r"/was5/web/search\?", "TRS WAS5 search endpoint"),
    # gkmlpt-guangdong.md §1
    _sig("gkmlpt", "gkmlpt", r"/gkmlpt/(?:index|api/all/|content/\d+/\d+/post_)", "gkmlpt URL (/gkmlpt/index, API, post)"),
    _sig("gkmlpt", "gkmlpt", r"window\._CONFIG\s*=\s*\{[^<]{0,200}SID", "gkmlpt window._CONFIG with SID"),
    _sig("gkmlpt", "nfcms", r"/content/m?post_\d+\.html\b", "NFCMS article URL …/content/post_{id}.html"),
    _sig("gkmlpt", "nfcms", r"nfw-cms|NFCMS_(?:POST|SITE)_ID", "NFCMS markers"),
    # jcms-zhejiang.md §1
    _sig("jcms", "jpage", r"/col/col\d+/index\.html", "Hanweb column URL /col/col{id}/index.html"),
    _sig("jcms", "jpage", r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html", "Hanweb article URL /art/Y/M/D/art_{col}_{id}.html"),
    _sig("jcms", "jpage", r"<datastore>|dataproxy\.jsp|jpage", "Hanweb jpage datastore/dataproxy"),
    _sig("jcms", "jpaas", r"jpaas-publish-server|queryData\s*=\s*[\"']\{", "Hanweb jpaas-publish-server gateway"),
    _sig("jcms", "xxgk-module", r"/module/xxgk/(?:tree|search|subjectinfo|xxgkAnnualReport)\.jsp", "Hanweb 公开目录 module /module/xxgk/"),
    _sig("jcms", "jpage", r"/module/download/downfile\.jsp", "Hanweb attachment downfile.jsp"),
    # other-platforms.md §2
    _sig("govcn", "template-a", r"/zhengce/content/\d{6}/content_\d+\.htm", "gov.cn Template A /zhengce/content/"),
    _sig("jiangsu-jyh", "content-uuid", r"/content/[0-9a-f]{32}\.html|/content/[0-9a-f-]{36}\.html",
         "Jiangsu 集约化 /{site}/{column}/content/{uuid}.html"),
    _sig("anhui-zwgk", "public", r"/zfxxgk/public/\d+/\d+\.html", "Anhui 政务公开 /zfxxgk/public/{areaId}/{docId}.html"),
    _sig("shandong-jyh", "site-channel", r"/site_\w+/channel_\w+/doc_[0-9a-f]{24}\.html|/site_\w+/channel_",
         "Shandong 集约化 /site_{site}/channel_…/doc_{hex}.html"),
    _sig("fujian-cms", "cms-html", r"/cms/html/\w+/\d{4}-\d{2}-\d{2}/\d+\.html", "Fujian county /cms/html/{site}/{date}/{id}.html"),
    _sig("hanweb-datacall", "datacall", r"datacall|data-call", "Hanweb datacall client-rendered column"),
    _sig("shanxi-son", "son-list", r"/son/list/", "Shanxi /son/list/ lists"),
    _sig("trs", "chongqing", r"\[\s*索\s*引\s*号\s*\]", "bracket labels [ 索引号 ] (Chongqing TRS)", 1),
)


@dataclass
class Column:
    url: str
    name: str
    found_on: str


@dataclass
class Detection:
    """What `detect` found. `spider` is the spider that should crawl the portal."""

    url: str
    family: str = "generic"
    variant: str | None = None
    spider: str = "generic"
    home_url: str = ""
    entry_url: str | None = None
    columns: list[Column] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    pages_fetched: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)


Fetch = Callable[[str], "tuple[int, str, str]"]  # url -> (status, final url, text)


def http_fetch(timeout: float = 15.0, user_agent: str | None = None) -> Fetch:
    """A plain urllib fetcher: follows redirects, decodes by header, <meta> and bytes."""
    from w3lib.encoding import html_to_unicode

    if user_agent is None:
        from crawler.settings import USER_AGENT as user_agent  # noqa: N811
    def fetch(url: str) -> tuple[int, str, str]:
        # header values travel as latin-1 (Scrapy sends the UTF-8 bytes of ours: so do we)
        ua = (user_agent or "").encode("utf-8").decode("latin-1")
        req = urllib.request.Request(quote(url, safe=":/?&=%#+,;@!$'()*~[]"),
                                     headers={"User-Agent": ua, "Accept": "text/html,*/*"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http/https only, checked below)
                body = resp.read(4 << 20)
                status, final, ctype = resp.status, resp.geturl(), resp.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            body, status, final, ctype = exc.read(1 << 20), exc.code, url, exc.headers.get("Content-Type")
        _, text = html_to_unicode(ctype, body)
        return status, final, text
    return fetch


def detect(url: str, fetch: Fetch | None = None, max_pages: int = 15) -> Detection:
    """Fetch `url` (a home page, or any page of the portal) and up to `max_pages - 1` more."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    fetch = fetch or http_fetch()
    det = Detection(url=url, home_url=_origin(url) + "/")
    hits: dict[tuple[str, str], list[str]] = {}
    queue: list[tuple[str, str]] = [(url, "home")]  # (url, why)
    seen: set[str] = set()
    gkmlpt_indexes: list[str] = []
    weights: dict[str, int] = {}
    while queue and det.pages_fetched < max_pages:
        page_url, why = queue.pop(0)
        if page_url in seen:
            continue
        seen.add(page_url)
        try:
            status, final, text = fetch(page_url)
        except (OSError, ValueError) as exc:
            det.errors.append(f"{page_url}: {type(exc).__name__}: {exc}"[:300])
            continue
        det.pages_fetched += 1
        if status >= 400:
            det.errors.append(f"{page_url}: HTTP {status}")
            bare = re.sub(r"/index\.s?html?$", "/", page_url)
            if bare != page_url and bare not in seen:  # a dead `…/index.htm`: its directory may answer
                queue.insert(0, (bare, why))
                if det.entry_url == page_url:
                    det.entry_url = bare
            continue
        if page_url == url:
            det.home_url = _origin(final) + "/"
        for sig in SIGNATURES:
            m = sig.pattern.search(text) or sig.pattern.search(final)
            if m:
                hits.setdefault((sig.family, sig.variant), []).append(f"{sig.what}: {m.group(0)[:80]!r} on {final}")
                weights[sig.what] = sig.weight
        if gkmlpt.INDEX_RE.search(urlsplit(final).path):
            _gkmlpt_columns(det, final, text)
            continue
        root = common.parse_html(_with_records(text))
        entries, navs, reports = [], [], []
        for link in common.links(root, final):
            if not _same_site(link.url, det.home_url):
                continue
            if linktext.is_column_text(link.text) and not common.is_attachment_url(link.url):
                _add_column(det, link.url, link.text, final)
                continue
            if linktext.is_annual_report_title(link.text):
                reports.append(link)
                continue
            if common.is_attachment_url(link.url):
                continue
            if gkmlpt.INDEX_RE.search(urlsplit(link.url).path) and link.url not in gkmlpt_indexes:
                gkmlpt_indexes.append(link.url)
                queue.insert(0, (link.url, "gkmlpt index"))
            if linktext.is_entry_text(link.text):
                entries.append(link)
            elif linktext.is_navigation_text(link.text) or linktext.is_entry_url(link.url):
                navs.append(link)
        if why == "home" and det.entry_url is None and urlsplit(final).path.strip("/"):
            det.entry_url = final  # started from an inner page: that page is the way in
            det.evidence.append(f"entry: the page given, {final}")
        if entries and det.entry_url is None:
            det.entry_url = entries[0].url
            det.evidence.append(f"entry: link text {entries[0].text!r} -> {entries[0].url} on {final}")
        if why == "column":
            if reports:  # one report page shows the platform's detail template
                queue.insert(0, (reports[0].url, "report"))
            continue
        if det.columns and not any(w == "column" for _, w in queue):
            # one column page (and a report) tells the family apart
            for col in det.columns[:1]:
                if "#" not in col.url and col.url not in seen and not any(c.url in seen for c in det.columns):
                    queue.insert(0, (col.url, "column"))
        for link in entries[:2]:
            queue.append((link.url, "entry"))
        for link in navs[:4]:
            queue.append((link.url, "navigation"))
    _decide_family(det, hits, weights)
    if det.entry_url is None and det.columns:
        det.entry_url = det.columns[0].found_on
    return det


def _with_records(text: str) -> str:
    """Hanweb column pages carry their first records as CDATA inside a script: expose them."""
    cdata = re.findall(r"<!\[CDATA\[(.*?)\]\]>", text, re.S)
    return text + ("<div>" + "".join(cdata) + "</div>" if cdata else "")


def _gkmlpt_columns(det: Detection, index_url: str, text: str) -> None:
    sid, tree = gkmlpt.parse_config(text)
    for node in gkmlpt.annual_categories(tree):
        _add_column(det, f"{index_url.split('#')[0]}#{node['id']}", str(node.get("name") or ""), index_url)
    det.evidence.append(f"gkmlpt index {index_url}: SID {sid}, {len(tree)} top categories")


def _add_column(det: Detection, url: str, name: str, found_on: str) -> None:
    if any(c.url == url for c in det.columns):
        return
    det.columns.append(Column(url, common.clean(name), found_on))
    det.evidence.append(f"column: link text {common.clean(name)!r} -> {url} on {found_on}")


def _decide_family(det: Detection, hits: dict[tuple[str, str], list[str]], weights: dict[str, int]) -> None:
    scores: dict[str, int] = {}
    for (family, _variant), found in hits.items():
        scores[family] = scores.get(family, 0) + sum(weights.get(w, 2) for w in {f.split(": ")[0] for f in found})
    det.scores = scores
    if not scores:
        det.evidence.append("no platform signature matched: generic")
        return
    # the gateway / module variants outrank the classic ones of the same family when present
    family = max(scores, key=lambda f: (scores[f], f in FAMILY_SPIDERS))
    variants = [v for (f, v) in hits if f == family]
    for preferred in ("jpaas", "xxgk-module", "gkmlpt", "was5"):
        if preferred in variants:
            det.variant = preferred
            break
    else:
        det.variant = variants[0]
    det.family = family
    det.spider = FAMILY_SPIDERS.get(family, "generic")
    for (f, _v), found in hits.items():
        if f == family:
            det.evidence.extend(found[:2])
    others = {f: s for f, s in scores.items() if f != family}
    if others:
        det.evidence.append(f"weaker signatures: {others}")


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


def _same_site(url: str, home_url: str) -> bool:
    a, b = urlsplit(url).hostname or "", urlsplit(home_url).hostname or ""
    if a == b:
        return True
    # sub-domains of one government (fzwb.fuzhou.gov.cn beside www.fuzhou.gov.cn)
    base = b.removeprefix("www.")
    return a.endswith("." + base) and a.endswith(".gov.cn")


# -- `xxgk detect URL` ---------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("urls", nargs="+", metavar="URL", help="a portal's home page (or any page of it)")
    parser.add_argument("--max-pages", type=int, default=15, help="pages fetched per portal (default 15)")
    parser.add_argument("--json", action="store_true", help="print JSON, one object per line")


def run(args: argparse.Namespace) -> int:
    worst = 0
    for url in args.urls:
        try:
            det = detect(url, max_pages=args.max_pages)
        except ValueError as exc:
            print(f"{url}: {exc}")
            worst = 2
            continue
        if args.json:
            print(det.to_json())
            continue
        print(format_detection(det))
        if not det.columns:
            worst = max(worst, 1)
    return worst


def format_detection(det: Detection) -> str:
    lines = [f"{det.url}", f"  family:  {det.family}" + (f" ({det.variant})" if det.variant else "")
             + f"  -> spider {det.spider}", f"  home:    {det.home_url}", f"  entry:   {det.entry_url or '-'}"]
    lines += [f"  column:  {c.name}  {c.url}" for c in det.columns] or ["  column:  none found"]
    lines += [f"  evidence: {e}" for e in det.evidence]
    lines += [f"  error:   {e}" for e in det.errors]
    lines.append(f"  pages fetched: {det.pages_fetched}")
    return "\n".join(lines)

