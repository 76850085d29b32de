"""Datasette plugin for the xxgk archive (loaded by `xxgk serve` via --plugins-dir).

- `/-/original/<sha256>`: an archived body, by hash only (archive.serve.originals), sandboxed.
- hash columns render as links to those originals; report ids in canned-query results link
  to the report's page.
- `?_search=` on the tables listed under `fast_search` (reports, attachments) evaluates the
  match once per query and serves the page, count and facets from that
  (archive.serve.search); words of any length, 1–2 characters through the bigram index
  (archive.store.search_index).
- counts and facets of big tables (reports at a million rows) are answered from columns held
  in memory (archive.serve.fast_counts), read once per process in the background at start.
- the search box of `report_summary` (a view, no index of its own) leads to `/-/search`.
"""
from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from datasette import hookimpl
from datasette.utils import await_me_maybe, escape_sqlite
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.store.home import Home
from archive.store.search_index import register_functions as register_text_functions
from archive.serve.originals import SHA256_RE, lookup, response_parts
from archive.serve.fast_counts import warm, wrap_execute
from archive.serve.search import datasette_clause, fast_clause, register_functions

PLUGIN = "xxgk-archive"
LINK_COLUMNS = {"sha256", "archived_page", "archived_file"}
SEARCH_TABLES = {"report_summary"}  # views without an index: their search box goes to /-/search
REPORT_ID_RE = re.compile(r"^[0-9a-f]{16}$")


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


def _fast_search(datasette, database: str) -> dict[str, str]:
    """{table: fts_table} for the archive database, from the plugin config."""
    cfg = _config(datasette)
    if database != cfg.get("database", "archive"):
        return {}
    return cfg.get("fast_search") or {}


async def original(datasette, request):
    sha = request.url_vars["sha256"]
    cfg = _config(datasette)
    db = datasette.get_database(cfg.get("database", "archive"))
    found = lookup(Path(db.path), Home.from_env(cfg.get("home")), sha) if db.path else None
    if found is None:
        return Response.text("original not found", status=404)
    body, content_type, headers = response_parts(found, as_text=request.args.get("as") == "text",
                                                 download=request.args.get("download") == "1")
    return Response(body, status=200, headers=headers, content_type=content_type)


@hookimpl
def register_routes():
    return [(r"^/-/original/(?P<sha256>[0-9a-f]{64})$", original)]


TEXT_VIEW = {"reports": ("report_texts", "report_id"), "attachments": ("attachment_texts", "attachment_id")}


def _text_link(database: str, table: str, key: str) -> Markup:
    """No query per cell: a table page renders 50 of these."""
    view, col = TEXT_VIEW[table]
    href = f"/{database}/{view}?" + urllib.parse.urlencode({col: key})
    return Markup(f'<a class="xxgk-text" href="{escape(href)}">全文 full text</a>')


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "text_id" and table in TEXT_VIEW and isinstance(value, int):
        # the text is stored once in `texts`: a link to it with its report
        key = row[TEXT_VIEW[table][1]] if TEXT_VIEW[table][1] in row.keys() else None
        if isinstance(key, str):
            return _text_link(database, table, key)
    if column == "report_id" and table is None and isinstance(value, str) and REPORT_ID_RE.match(value):
        # canned-query results: lead to the report's row page (text, figures, originals)
        return Markup(f'<a href="/{escape(database)}/reports/{escape(value)}">{escape(value)}</a>')
    if column in LINK_COLUMNS and isinstance(value, str) and SHA256_RE.match(value):
        href = f"/-/original/{value}"
        return Markup(f'<a class="xxgk-original" href="{escape(href)}">原件 original {escape(value[:12])}…</a> '
                      f'(<a href="{escape(href)}?as=text">源码 source</a>)')
    return None


def short_search_target(path: str, query_string: bytes) -> str | None:
    """Where a `_search` on a view without its own index should go, else None."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[1] not in SEARCH_TABLES:
        return None
    q = urllib.parse.parse_qs(query_string.decode("utf-8", "replace"), keep_blank_values=True)
    term = (q.get("_search") or [""])[0]
    if not term.strip():
        return None
    return "/-/search?" + urllib.parse.urlencode({"q": term.strip()})  # ranked, with passages


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def redirect_short_search(scope, receive, send):
            if scope.get("type") == "http":
                target = short_search_target(scope.get("path", ""), scope.get("query_string", b""))
                if target:
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [(b"location", target.encode("ascii")),
                                            (b"content-type", b"text/plain")]})
                    await send({"type": "http.response.body", "body": b""})
                    return
            await app(scope, receive, send)
        return redirect_short_search
    return wrap


@hookimpl
def startup(datasette):
    """Serve counts and facets of the archive from memory; read the facet columns now."""
    name = _config(datasette).get("database", "archive")
    if name not in datasette.databases or not datasette.get_database(name).path:
        return
    db = datasette.get_database(name)
    wrap_execute(db, db.path, rows_of=_config(datasette).get("rows_of") or {})
    tables = datasette.metadata("tables", database=name) or {}
    facets = {t: [f for f in (m or {}).get("facets", []) if isinstance(f, str)] for t, m in tables.items()}
    warm(db.path, {t: cols for t, cols in facets.items() if cols})


@hookimpl
def prepare_connection(conn, database, datasette):
    if database == _config(datasette).get("database", "archive"):
        register_text_functions(conn)  # xxgk_text (texts are compressed), xxgk_bigrams
    tables = _fast_search(datasette, database)
    if tables:
        register_functions(conn, datasette.get_database(database).path, set(tables.values()))


async def _faster_clause(datasette, database: str, table: str, fts: str, raw: bool,
                         search: str, own_sort: bool) -> str | None:
    try:
        res = await datasette.get_database(database).execute(
            f"select xxgk_fts_count(:fts, :search, :escape), (select max(rowid) from {escape_sqlite(table)})",
            {"fts": fts, "search": search, "escape": 0 if raw else 1})
    except Exception:  # bad raw query, time limit: Datasette's own clause reports it as usual
        return None
    hits, max_rowid = res.first()
    return fast_clause(fts, raw, hits, max_rowid or 0, own_sort)


@hookimpl(hookwrapper=True)
def filters_from_request(request, database, table, datasette):
    """Swap Datasette's own `?_search=` clause (recognised verbatim) for the cached one."""
    outcome = yield
    fts = _fast_search(datasette, database).get(table)
    if not fts or not (request.args.get("_search") or "").strip():
        return
    originals = {datasette_clause(fts, raw): raw for raw in (False, True)}

    def wrap(hook):
        async def inner():
            args = await await_me_maybe(hook)
            for i, clause in enumerate(getattr(args, "where_clauses", None) or []):
                if clause in originals and "search" in args.params:
                    own_sort = not (request.args.get("_sort") or request.args.get("_sort_desc"))
                    faster = await _faster_clause(datasette, database, table, fts, originals[clause],
                                                  args.params["search"], own_sort)
                    if faster:
                        args.where_clauses[i] = faster
            return args
        return inner

    outcome.force_result([wrap(hook) for hook in outcome.get_result()])
