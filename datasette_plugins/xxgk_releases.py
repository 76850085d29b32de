"""Bulk downloads: the dataset releases made by `xxgk export dataset` (archive/export/dataset.py)
under `$XXGK_HOME/releases/`, listed at `/-/releases` and linked from the front page.

Files are served from a release folder by name only (a name the folder really holds, no path
parts), as downloads: CSV as text/csv, Parquet and the rest as octet streams.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import AsgiFileDownload, Response
from markupsafe import escape

from archive.store.home import Home

RELEASE_RE = re.compile(r"^xxgk-archive-[0-9TZ]+$")
TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json", ".md": "text/markdown; charset=utf-8",
         ".parquet": "application/vnd.apache.parquet"}


def releases_dir(datasette) -> Path:
    cfg = datasette.plugin_config("xxgk-archive") or {}
    return Home.from_env(cfg.get("home")).root / "releases"


def list_releases(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and RELEASE_RE.match(p.name)), reverse=True)


async def releases(datasette, request):
    found = list_releases(releases_dir(datasette))
    parts = ["<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'><title>Bulk downloads · xxgk-archive</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:.2em .6em;text-align:left}"
             "td.n{text-align:right}code{font-size:.85em}</style></head><body>",
             "<p><a href='/'>← archive</a></p><h1>批量下载 Bulk downloads</h1>",
             "<p>Each release holds every public table as CSV (UTF-8 with BOM, opens in Excel) and Parquet, "
             "a Frictionless <code>datapackage.json</code> and a README with the sha256 of every file.</p>"]
    if not found:
        parts.append("<p>No release yet: run <code>xxgk export dataset</code>.</p>")
    for rel in found:
        try:
            package = json.loads((rel / "datapackage.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        parts.append(f"<h2 id='{escape(rel.name)}'>{escape(rel.name)}</h2><p>built {escape(package.get('created', ''))}</p>"
                     "<table><tr><th>file</th><th>rows</th><th>bytes</th><th>sha256</th></tr>")
        for extra in ("README.md", "datapackage.json"):
            parts.append(f"<tr><td><a href='/-/releases/{rel.name}/{extra}'>{extra}</a></td><td></td>"
                         f"<td class='n'>{(rel / extra).stat().st_size}</td><td></td></tr>")
        for res in package.get("resources", []):
            name = str(res.get("path", ""))
            parts.append(f"<tr><td><a href='/-/releases/{escape(rel.name)}/{escape(name)}'>{escape(name)}</a></td>"
                         f"<td class='n'>{res.get('rows', '')}</td><td class='n'>{res.get('bytes', '')}</td>"
                         f"<td><code>{escape(str(res.get('hash', '')).split(':', 1)[-1])}</code></td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return Response.html("".join(parts))


async def release_file(datasette, request):
    rel, name = request.url_vars["release"], request.url_vars["name"]
    folder = releases_dir(datasette) / rel
    if not RELEASE_RE.match(rel) or not folder.is_dir() or name not in {p.name for p in folder.iterdir()}:
        return Response.text("not found", status=404)
    path = folder / name
    ctype = TYPES.get(path.suffix, "application/octet-stream")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=86400, immutable"}
    return AsgiFileDownload(path, filename=name, content_type=ctype, headers=headers)  # streamed


@hookimpl
def register_routes():
    return [(r"^/-/releases$", releases),
            (r"^/-/releases/(?P<release>[A-Za-z0-9TZ_-]+)/(?P<name>[A-Za-z0-9_.-]+)$", release_file)]
