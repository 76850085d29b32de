"""What a generated portal is: static pages, dynamic endpoints, the reports it holds, its manifest.

A `VariantPortal` is plain data plus a `resolve()` function, so any server (the loopback
`VariantServer`, a test's own handler) can serve it. Paths are site paths (`/a/b/`); the
manifest turns them into URLs on the origin the portal is served from.
"""
from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

from replica.families.base import Resource

Dynamic = Callable[[str, str, dict[str, str], dict[str, str]], "Resource | None"]


@dataclass
class VAttachment:
    path: str          # where the file is served (after any redirect)
    link: str          # what the page links (downfile.jsp?… for JCMS, else = path)
    filename: str      # human name: link text / alt / API name
    ext: str
    body: bytes
    js_only: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class VReport:
    """One annual report as the portal publishes it."""

    key: str
    title: str
    agency: str
    year: int
    published: datetime
    written: date
    index_no: str
    doc_no: str
    path: str = ""
    alt_paths: list[str] = field(default_factory=list)
    column: str = ""                   # path of the column that lists it (first)
    attachments: list[VAttachment] = field(default_factory=list)
    shown: tuple[str, ...] = ()        # manifest fields the page shows under a label
    layout: dict[str, Any] = field(default_factory=dict)


@dataclass
class VDoc:
    """A non-report document listed beside reports (指南, 通知, 工作要点 …): never a report."""

    key: str
    title: str
    agency: str
    published: datetime
    path: str = ""
    column: str = ""


@dataclass
class VariantPortal:
    """A generated portal of one family; `features` names every variant it drew."""

    family: str
    seed: int
    site_id: str
    features: dict[str, Any]
    home_path: str
    entry_path: str                     # the configured entry URL (a hint: it may have moved)
    charset: str = "utf-8"
    footholds: list[str] = field(default_factory=list)   # evidenced paths a site config would carry
    pages: dict[str, Resource] = field(default_factory=dict)
    reports: list[VReport] = field(default_factory=list)
    docs: list[VDoc] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)  # path, name, kind, agency, empty
    dynamic: Dynamic | None = None
    requests: int = 0                   # requests answered (the server counts)

    # ------------------------------------------------------------------ serving
    def resolve(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Resource | None:
        """The answer to one request. Paths are normalised as web servers do (`//` merged,
        `.`/`..` resolved); a directory answers its index file."""
        clean = normal_path(path)
        if method in ("GET", "HEAD", "POST"):
            index = re.sub(r"/index\.s?html?$", "/", clean)
            for candidate in (path, clean, index):
                if candidate in self.pages:
                    return self.pages[candidate]
        if self.dynamic is not None:
            return self.dynamic(method, clean, query, form)
        return None

    # ------------------------------------------------------------------ manifest
    def manifest(self, base_url: str) -> dict[str, Any]:
        """Same shape as `ReplicaServer.manifest[site]`, plus `features`, `family`, `seed`,
        `home_url`, `footholds` and the non-report `docs`."""
        reports = []
        for r in self.reports:
            reports.append({
                "url": base_url + r.path, "alt_urls": [base_url + p for p in r.alt_paths],
                "title": r.title, "index_no": r.index_no, "doc_no": r.doc_no,
                "written_date": r.written.isoformat(), "published_date": r.published.date().isoformat(),
                "agency": r.agency, "year": r.year, "in_column": True, "charset": self.charset,
                "column_url": base_url + r.column if r.column else None, "shown": list(r.shown),
                "attachments": [{"url": base_url + a.path, "link_url": base_url + a.link, "filename": a.filename,
                                 "ext": a.ext, "sha256": a.sha256, "size": len(a.body), "js_only": a.js_only}
                                for a in r.attachments],
            })
        columns = [{**{k: v for k, v in c.items() if k != "path"}, "url": base_url + c["path"]} for c in self.columns]
        return {
            "site_id": self.site_id, "platform": "jcms" if self.family == "jpaas" else self.family,
            "family": self.family, "seed": self.seed, "base_url": base_url,
            "home_url": base_url + self.home_path, "entry_url": base_url + self.entry_path,
            "footholds": [base_url + p for p in self.footholds], "features": dict(self.features),
            "columns": columns, "reports": reports,
            "docs": [{"url": base_url + d.path, "title": d.title, "column_url": base_url + d.column}
                     for d in self.docs],
        }


def normal_path(path: str) -> str:
    """`//` merged and dot segments resolved, the trailing slash kept (nginx's merge_slashes)."""
    if not path:
        return "/"
    merged = re.sub(r"/{2,}", "/", path)
    out = posixpath.normpath(merged)
    if merged.endswith("/") and not out.endswith("/"):
        out += "/"
    return out if out.startswith("/") else "/" + out
