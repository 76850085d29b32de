"""Datasette plugin: the archive as a reader sees it (issue #14).

- `/archive/reports/<report_id>` (the page every report link leads to) and
  `/-/report/<report_id>`: the report as a document (archive.serve.report_doc / report_html).
  `?_row=1` still shows Datasette's row page (all columns, the full text).
- `/-/archived/<sha256>`: an archived original with a banner outside its sandbox
  (archive.serve.archived_view); `/-/original/<sha256>?view=1` is what its frame shows.
- `?_bom=1` on any `.csv` URL prepends a UTF-8 BOM, so Excel reads the Chinese text; a
  "CSV for Excel" link sits beside Datasette's own export links.
- CSS: list views keep titles on one line and never print a whole report text.
"""
from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.serve import archived_view
from archive.store.home import Home
from archive.serve.originals import SHA256_RE, lookup, response_parts
from archive.serve.report_doc import load_report
from archive.serve.report_html import number, report_body

PLUGIN = "xxgk-archive"
REPORT_ROW_RE = re.compile(r"^/(?P<db>[^/]+)/reports/(?P<rid>[0-9a-f]{16})$")
INTEGER_COLUMNS = {"value", "year_value", "cumulative_value"}
# long text: clipped to three lines in list views (CSS), whole on the row page
LONG_TEXT_COLUMNS = {"body_text", "text", "parse_notes", "extra", "stats", "message", "column_urls",
                     "detail", "raw", "reasons"}
BOM = b"\xef\xbb\xbf"

CSS = """
table.rows-and-columns td.col-title, table.rows-and-columns td.col-listed_title,
table.rows-and-columns td.col-agency, table.rows-and-columns td.col-name { white-space: nowrap; max-width: 40em;
  overflow: hidden; text-overflow: ellipsis; word-break: keep-all; }
table.rows-and-columns th { white-space: nowrap; word-break: keep-all; }
body.table table.rows-and-columns td.type-str { white-space: nowrap; }
body.table table.rows-and-columns td.type-str:has(.xxgk-clip) { white-space: normal; min-width: 22em; max-width: 30em; }
body.table .xxgk-clip, body.table .xxgk-text-preview { display: block; max-height: 4.5em; overflow: hidden; }
body.table td.col-text_id { min-width: 22em; max-width: 30em; }
.xxgk-doc { max-width: 78em; }
.xxgk-doc h1.xxgk-title { font-size: 1.6em; line-height: 1.3; word-break: keep-all; }
table.xxgk-meta th { text-align: left; white-space: nowrap; padding-right: 1em; vertical-align: top; }
table.xxgk-print { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.92em; }
table.xxgk-print th, table.xxgk-print td { border: 1px solid #999; padding: 3px 6px; }
table.xxgk-print th { background: #f3f3f3; font-weight: normal; text-align: center; white-space: normal; }
table.xxgk-print tr { height: 1.7em; }
table.xxgk-print th.label { text-align: left; max-width: 26em; }
table.xxgk-print th.group { white-space: normal; width: 5.5em; min-width: 5.5em; }
table.xxgk-print th.note { font-size: 0.85em; max-width: 18em; }
table.xxgk-print td.num { text-align: right; min-width: 3.2em; font-variant-numeric: tabular-nums; }
table.xxgk-print td.total { font-weight: bold; }
table.xxgk-print td.missing { background: repeating-linear-gradient(45deg,#fff,#fff 4px,#eee 4px,#eee 8px); }
table.xxgk-print td.check { text-align: center; font-size: 0.85em; }
td.check.ok, li.ok { color: #080; } td.check.fail, li.fail { color: #c00; font-weight: bold; }
td.check.na { color: #999; }
tr.checks th, tr.checks td { background: #fafafa; }
ul.xxgk-checks { font-size: 0.9em; margin-top: 0; }
.xxgk-banner { background: #fff8dc; border: 1px solid #d4b106; padding: 0.6em 1em; margin-bottom: 0.6em;
  font-size: 0.92em; line-height: 1.6; }
.xxgk-banner code { word-break: break-all; }
iframe.xxgk-frame { width: 100%; height: 80vh; border: 1px solid #999; background: #fff; }
mark { background: #ffe066; padding: 0 1px; }
details.xxgk-text pre { white-space: pre-wrap; max-width: 60em; font-family: inherit; line-height: 1.6; }
ol.xxgk-results li { margin-bottom: 0.9em; } .xxgk-snippet { color: #333; font-size: 0.92em; }
"""

CSV_LINK_JS = """
document.querySelectorAll('a[href*=".csv"]').forEach(function (a) {
  if (a.dataset.xxgkBom) return;
  var u = new URL(a.href, location.href); u.searchParams.set('_bom', '1');
  var b = document.createElement('a'); b.href = u.pathname + u.search; b.textContent = 'CSV for Excel (UTF-8 BOM)';
  b.className = 'xxgk-csv-bom'; b.dataset.xxgkBom = '1';
  a.after(document.createTextNode(' · '), b);
});
"""


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


def _db(datasette):
    return datasette.get_database(_config(datasette).get("database", "archive"))


def cached(datasette, response: Response) -> Response:
    """The Cache-Control Datasette gives its own pages (`default_cache_ttl`), on a reader page:
    the database is immutable while served, so a page stays right until the next build, and
    nginx (deploy/nginx-xxgk.conf) may answer it again. Errors are not cached."""
    if response.status == 200 and datasette.cache_headers:
        ttl = int(datasette.setting("default_cache_ttl"))
        response.headers["cache-control"] = f"max-age={ttl}" if ttl > 0 else "no-cache"
    return response


async def report_page(datasette, request):
    rid = request.url_vars["report_id"]
    doc = await _db(datasette).execute_fn(lambda conn: load_report(conn, rid))
    if doc is None:
        return Response.html(await datasette.render_template(
            "xxgk_page.html", {"page_title": "报告不存在 Report not found",
                               "content": Markup(f"<h1>报告不存在 No report {escape(rid)}</h1>")}, request=request),
            status=404)
    agency = doc.report.get("agency") or doc.report.get("page_agency") or ""
    content = report_body(doc, "/archive/agency_reports?" + urllib.parse.urlencode({"agency": agency}))
    title = doc.report.get("title") or doc.report.get("listed_title") or rid
    return cached(datasette, Response.html(await datasette.render_template(
        "xxgk_page.html", {"page_title": title, "content": Markup(f'<div class="xxgk-doc">{content}</div>')},
        request=request)))


async def archived_page(datasette, request):
    sha = request.url_vars["sha256"]
    cap = await _db(datasette).execute_fn(lambda conn: archived_view.find_capture(conn, sha))
    if cap is None:
        return Response.text("original not found", status=404)
    content = archived_view.banner(cap) + archived_view.body(cap)
    title = f"存档副本 Archived copy · {cap.report_title or cap.url or sha[:12]}"
    return cached(datasette, Response.html(await datasette.render_template(
        "xxgk_page.html", {"page_title": title, "content": content}, request=request)))


async def original_view(datasette, request):
    """The archived body, sandboxed; HTML with its links rewritten (`?view=1`)."""
    sha = request.url_vars["sha256"]
    db = _db(datasette)
    found = lookup(Path(db.path), Home.from_env(_config(datasette).get("home")), sha) if db.path else None
    if found is None:
        return Response.text("original not found", status=404)
    body, content_type, headers = response_parts(found, view=True)
    if content_type.startswith("text/html"):
        cap = await db.execute_fn(lambda conn: archived_view.find_capture(conn, sha))
        text = body.decode(found.charset or "utf-8", "replace")
        text = await db.execute_fn(lambda conn: archived_view.rewrite_links(
            text, (cap.url if cap else "") or "", lambda urls: archived_view.archived_urls(conn, urls)))
        body, content_type = text.encode("utf-8"), "text/html; charset=utf-8"
    return Response(body, status=200, headers=headers, content_type=content_type)


async def css(request):
    return Response(CSS, content_type="text/css; charset=utf-8",
                    headers={"cache-control": "public, max-age=600"})


@hookimpl
def register_routes():
    return [(r"^/-/report/(?P<report_id>[0-9a-f]{16})$", report_page),
            (r"^/-/archived/(?P<sha256>[0-9a-f]{64})$", archived_page),
            (r"^/-/original-view/(?P<sha256>[0-9a-f]{64})$", original_view),
            (r"^/-/search$", search_page),
            (r"^/-/pivot$", pivot_page),
            (r"^/-/xxgk-reader\.css$", css)]


@hookimpl
def extra_css_urls():
    return ["/-/xxgk-reader.css"]


@hookimpl
def extra_body_script(view_name):
    if view_name in ("table", "query", "row", "database"):
        return CSV_LINK_JS
    return None


REPORT_VIEWS = {"report_summary"}  # views: Datasette gives their rows no link of their own
REPORT_ID_RE = re.compile(r"^[0-9a-f]{16}$")


@hookimpl
def render_cell(value, column, table, database):
    if column == "report_id" and table in REPORT_VIEWS and isinstance(value, str) and REPORT_ID_RE.match(value):
        return Markup(f'<a href="/{escape(database)}/reports/{escape(value)}">{escape(value)}</a>')
    if column in INTEGER_COLUMNS and isinstance(value, float):
        return number(value)  # counts stored as REAL still read as integers
    if column in LONG_TEXT_COLUMNS and isinstance(value, str) and len(value) > 60:
        return Markup(f'<span class="xxgk-clip">{escape(value)}</span>')
    return None


def _rewrite_target(scope) -> str | None:
    """The internal path for a request that a reader page answers, else None."""
    path = scope.get("path", "")
    qs = urllib.parse.parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    m = REPORT_ROW_RE.match(path)
    if m and "_row" not in qs:
        return f"/-/report/{m.group('rid')}"
    if path.startswith("/-/original/") and qs.get("view") == ["1"] and SHA256_RE.match(path[12:]):
        return "/-/original-view/" + path[12:]
    return None


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def reader(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            target = _rewrite_target(scope)
            if target:
                scope = dict(scope, path=target, raw_path=target.encode("ascii"))
                return await app(scope, receive, send)
            qs = urllib.parse.parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
            if scope.get("path", "").endswith(".csv") and qs.get("_bom") == ["1"]:
                return await app(scope, receive, _with_bom(send))
            return await app(scope, receive, send)
        return reader
    return wrap


def _with_bom(send):
    started = {"body": False}

    async def sender(message):
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            message = dict(message, headers=headers)
        elif message["type"] == "http.response.body" and not started["body"]:
            started["body"] = True
            message = dict(message, body=BOM + message.get("body", b""))
        await send(message)
    return sender


async def search_page(datasette, request):
    from archive.serve.search_page import render, search
    q = request.args.get("q") or ""
    try:
        page = max(0, int(request.args.get("page") or 0))
    except ValueError:
        page = 0
    res = await _db(datasette).execute_fn(lambda conn: search(conn, q, page))
    title = f"搜索 {q}" if q else "搜索 Search"
    return cached(datasette, Response.html(await datasette.render_template(
        "xxgk_page.html", {"page_title": title, "content": render(res, page)}, request=request)))


async def pivot_page(datasette, request):
    from archive.serve.pivot_page import build_pivot, render
    args = request.args
    pivot = await _db(datasette).execute_fn(lambda conn: build_pivot(
        conn, args.get("region"), args.get("agency") or "", args.get("figure") or ""))
    return cached(datasette, Response.html(await datasette.render_template(
        "xxgk_page.html", {"page_title": "申请数 机关×年度 Requests pivot", "content": render(pivot)},
        request=request)))
