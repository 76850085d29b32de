"""Shared machinery of the family replicas: resources, the per-site path table, the manifest."""
from __future__ import annotations

import hashlib
import html
import posixpath
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from replica.families.attachments import MIME, attachment_bytes
from replica.world import Report, SiteContent

CST = timezone(timedelta(hours=8))
#: "Now" of each replica day (list pages carry it as Last-Modified).
DAY_DATES = {1: datetime(2026, 2, 1, 9, 0), 2: datetime(2026, 2, 8, 9, 0), 3: datetime(2026, 2, 15, 9, 0)}


def day_date(day: int) -> datetime:
    return DAY_DATES.get(day, DAY_DATES[3] + timedelta(days=7 * (day - 3)))


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def rel(from_dir: str, to_path: str) -> str:
    """Relative link from a directory URL path (ending in /) to a site path, TRS style (`./x`, `../x`)."""
    r = posixpath.relpath(to_path, from_dir.rstrip("/") or "/")
    if to_path.endswith("/") and not r.endswith("/"):
        r += "/"
    return r if r.startswith("../") else "./" + r


@dataclass
class Resource:
    """One HTTP answer before the server adds validators, charset handling and chaos."""

    body: bytes
    content_type: str = "text/html"
    charset: str | None = "utf-8"  # charset parameter of the Content-Type header (None: omitted)
    status: int = 200
    last_modified: datetime | None = None  # naive = China time
    headers: dict[str, str] = field(default_factory=dict)
    static: bool = True  # static file: ETag/Last-Modified/304

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


def redirect(location: str, status: int = 302, headers: dict[str, str] | None = None) -> Resource:
    return Resource(b"", "text/html", None, status, None, {"Location": location, **(headers or {})}, static=False)


Page = Callable[[], Resource]


class BaseSite:
    """A site replica: a table of static paths plus optional dynamic endpoints.

    Subclasses lay out URLs in `layout()` (filling `report.layout` with `path`, `alt_paths`,
    `att_paths`, `att_names`, `listed_by_js`) and register pages with `self.add(path, page)`.
    """

    platform = ""
    page_cache_size = 256

    def __init__(self, content: SiteContent) -> None:
        self.content = content
        self.site = content.site
        self.site_id = content.site_id
        self.day = content.day
        self.options = content.site.options
        self.charset: str = self.options.get("charset", "utf-8")
        self.origin = ""  # http://127.0.0.1:port, set by the server before serving
        self.modes: set[str] = set()  # chaos modes the family renders itself (endless/duplicate lists)
        self.pages: dict[str, Page] = {}
        self.columns: list[dict[str, Any]] = []  # manifest columns: path, name, agency, kind, ...
        self._memo: OrderedDict[str, Resource] = OrderedDict()
        self._memo_lock = threading.Lock()
        self.layout()

    # ---------------------------------------------------------------- to override
    def layout(self) -> None:
        raise NotImplementedError

    def dynamic(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        return None

    @property
    def entry_path(self) -> str:
        return self.options["entry"]

    # ---------------------------------------------------------------- helpers
    def add(self, path: str, page: Page) -> None:
        self.pages[path] = page

    def html(self, text: str, last_modified: datetime | None = None) -> Resource:
        if self.charset == "utf-8":
            return Resource(text.encode("utf-8"), "text/html", "utf-8", last_modified=last_modified)
        return Resource(text.encode(self.charset, "xmlcharrefreplace"), "text/html", None, last_modified=last_modified)

    def meta_charset(self) -> str:
        if self.charset == "utf-8":
            return '<meta charset="utf-8">'
        return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'

    def now(self) -> datetime:
        return day_date(self.day)

    def report_modified(self, r: Report) -> datetime:
        return day_date(r.changed_day) if r.revision > 1 else r.published

    def attachment_page(self, r: Report, i: int) -> Page:
        def page() -> Resource:
            ext = r.attachments[i].ext
            return Resource(attachment_bytes(r, i), MIME[ext], None, last_modified=self.report_modified(r))
        return page

    def set_modes(self, modes: set[str]) -> None:
        self.modes = set(modes)
        with self._memo_lock:
            self._memo.clear()

    def listing(self, items: list[Any]) -> list[Any]:
        """Chaos `duplicate_listing`: every item twice."""
        return [x for it in items for x in (it, it)] if "duplicate_listing" in self.modes else items

    @property
    def endless(self) -> bool:
        return "endless_pagination" in self.modes

    def get(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        if method in ("GET", "HEAD") and path in self.pages:
            with self._memo_lock:  # pages are rendered in executor threads
                hit = self._memo.get(path)
                if hit is not None:
                    self._memo.move_to_end(path)
                    return hit
            hit = self.pages[path]()
            with self._memo_lock:
                self._memo[path] = hit
                if len(self._memo) > self.page_cache_size:
                    self._memo.popitem(last=False)
            return hit
        return self.dynamic(method, path, query, form)

    # ---------------------------------------------------------------- manifest
    def manifest(self, base_url: str) -> dict[str, Any]:
        reports = []
        for r in self.content.reports:
            lay = r.layout
            atts = []
            for i, att in enumerate(r.attachments):
                data = attachment_bytes(r, i)
                atts.append({
                    "url": base_url + lay["att_paths"][i], "filename": lay["att_names"][i], "ext": att.ext,
                    "mime": MIME[att.ext], "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                    "js_only": att.js_only, "served_filename": lay.get("att_served", [None] * len(r.attachments))[i],
                })
            reports.append({
                "url": base_url + lay["path"], "alt_urls": [base_url + p for p in lay.get("alt_paths", [])],
                "title": r.title, "index_no": r.index_no, "doc_no": r.doc_no, "topic": r.topic,
                "written_date": r.written.isoformat(), "published_date": r.published.date().isoformat(),
                "validity": r.validity, "source": r.source, "agency": r.agency.name, "year": r.year,
                "template": r.template, "in_column": r.in_column, "listed_by_js": lay.get("listed_by_js", False),
                "seed": r.seed, "charset": self.charset, "revision": r.revision,
                "column_url": base_url + lay["column"] if lay.get("column") else None,
                "attachments": atts,
            })
        columns = [{**{k: v for k, v in c.items() if k != "path"}, "url": base_url + c["path"]} for c in self.columns]
        return {"site_id": self.site_id, "platform": self.platform, "base_url": base_url,
                "entry_url": base_url + self.entry_path, "day": self.day, "columns": columns, "reports": reports}


def att_name(r: Report, i: int) -> str:
    ext = r.attachments[i].ext
    return f"{r.title}.{ext}" if i == 0 else f"{r.title}（附件{i + 1}）.{ext}"


def paginate(items: list[Any], size: int) -> list[list[Any]]:
    pages = [items[i:i + size] for i in range(0, len(items), size)]
    return pages or [[]]
