"""The archive.db schema (spec/archive.md §2): tables, indexes, views and full-text search.

Names here are a public contract: extend, never rename. Extensions beyond the spec are
marked `# ext` and documented in docs/archive.md. `ensure_schema` is idempotent: it
creates what is missing and adds new columns to older databases.
"""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import sqlite_utils
from archive.build import health
from archive.build.dense import LONG_VIEWS, create_dense_schema
from archive.build.search import create_search, create_texts, optimize, register_functions, search_exists

# 3: dense cell tables + long-form views, texts stored once, bigram index (a full rebuild)
# 4: build_row_hashes.site (the build folds and syncs one site at a time)
SCHEMA_VERSION = 4

T, I, R = str, int, float  # noqa: E741  # sqlite-utils column types: TEXT, INTEGER, REAL

TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...] | None]] = {
    "sites": ({
        "site_id": T, "name": T, "region_code": T, "province": T, "prefecture": T, "county": T,
        "platform": T, "home_url": T, "column_urls": T,
    }, "site_id"),
    "reports": ({
        "report_id": T, "site_id": T, "url": T, "title": T, "agency": T, "report_year": I,
        "template": T, "index_no": T, "doc_no": T, "topic": T, "written_date": T,
        "published_date": T, "validity": T, "source": T, "parse_status": T,
        "parse_notes": T, "first_seen": T, "last_seen": T, "last_changed": T, "removed_at": T,
        "capture_id": T,
        # ext
        "canonical_url": T, "column_url": T, "listed_title": T, "listed_date": T,
        "page_agency": T, "sha256": T, "versions": I, "body_source": T, "extra": T,
        # the text lives in `texts` (read it through the report_texts view)
        "text_id": I,
    }, "report_id"),
    "captures": ({
        "capture_id": T, "run_id": T, "site_id": T, "url": T, "report_id": T, "fetched_at": T,
        "http_status": I, "content_type": T, "charset": T, "sha256": T, "size": I,
        "raw_path": T, "etag": T, "last_modified": T, "fetched_with": T,
        "request_url": T, "kind": T,  # ext
    }, "capture_id"),
    "attachments": ({
        "attachment_id": T, "report_id": T, "url": T, "filename": T, "ext": T, "mime": T,
        "size": I, "sha256": T, "raw_path": T, "text_method": T, "error": T,
        "final_url": T, "link_text": T, "capture_id": T, "site_id": T, "first_seen": T,  # ext
        "text_id": I,  # the text lives in `texts` (read it through the attachment_texts view)
    }, "attachment_id"),
    # disclosure_items, application_counts, review_litigation_counts, consistency_checks:
    # views over the dense tables of archive.build.dense
    "legacy_indicators": ({
        "report_id": T, "key": T, "label": T, "unit": T, "year_value": R,
        "cumulative_value": R, "raw": T,
        "flags": T,  # ext: from_prose (raw is then the source sentence), stated_none, surplus_values
    }, None),
    "crawl_runs": ({
        "run_id": T, "site_id": T, "started_at": T, "finished_at": T, "status": T,
        "requests": I, "responses": I, "not_modified": I, "new_reports": I,
        "changed_reports": I, "removed_reports": I, "new_attachments": I, "errors": I,
        "spider": T, "stats": T,  # ext
    }, "run_id"),
    "errors": ({
        "run_id": T, "site_id": T, "url": T, "stage": T, "kind": T, "message": T, "at": T,
        "error_id": T, "report_id": T, "origin": T,  # ext: origin = crawl | build
    }, "error_id"),
    # ext: every history event of a report (first seen, changed, removed, returned)
    "report_history": ({
        "event_id": T, "report_id": T, "site_id": T, "at": T, "run_id": T, "event": T,
        "sha256": T, "capture_id": T,
    }, "event_id"),
    # ext: build bookkeeping (hidden in Datasette)
    "build_state": ({
        "sha256": T, "parser_version": T, "report_id": T, "parse_status": T, "built_at": T,
    }, ("sha256", "parser_version", "report_id")),
    "build_meta": ({"key": T, "value": T}, "key"),
    # the fingerprint of each site's record files when its rows were last folded and synced
    "build_sites": ({"site_id": T, "fingerprint": T}, "site_id"),
    # site: the record directory the row was folded from (the build goes site by site)
    "build_row_hashes": ({"tbl": T, "key": T, "hash": T, "site": T}, ("tbl", "key")),
}

# Foreign keys: Datasette shows them as links and lists a report's figures on its row page.
FOREIGN_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "reports": [("site_id", "sites", "site_id")],
    "crawl_runs": [("site_id", "sites", "site_id")],
    **{t: [("report_id", "reports", "report_id")] for t in (
        "captures", "attachments", "legacy_indicators", "report_history")},
}

# the parser's cell lists (long form); legacy_indicators is a table, the others dense + views
CELL_TABLES = ("disclosure_items", "application_counts", "review_litigation_counts",
               "legacy_indicators", "consistency_checks")
CELL_VIEWS = ("disclosure_items", "application_counts", "review_litigation_counts", "consistency_checks")

INDEXES: dict[str, list[tuple[str, ...]]] = {
    "reports": [("site_id", "report_year"), ("site_id", "removed_at"), ("site_id", "parse_status"),
                ("agency", "report_year"), ("report_year", "published_date", "site_id"),
                ("template",), ("parse_status",), ("published_date",), ("first_seen",),
                ("removed_at",)],
    "captures": [("report_id",), ("sha256",), ("site_id", "fetched_at"), ("url",),
                 ("fetched_at",)],  # the captures page lists the latest first
    "attachments": [("report_id",), ("sha256",)],
    "legacy_indicators": [("report_id",), ("key",)],
    "crawl_runs": [("site_id", "started_at"), ("status",)],
    "errors": [("site_id", "run_id"), ("stage", "kind"), ("report_id",)],
    "report_history": [("report_id", "at"), ("run_id",)],
    "build_state": [("report_id",)],
    "build_row_hashes": [("tbl", "site")],
}
# The build's own lookups while it loads, per site and per report: these exist from the start.
# A full build that deferred them to the end would scan every row loaded so far at each
# lookup, a cost quadratic in the archive (at 100,000 reports `_parsed` alone took 9 s of
# build_state scans; at a million, by the same rule, 100 times that).
LOAD_INDEXES = {name: INDEXES[name] for name in ("build_state", "build_row_hashes")} | {
    "legacy_indicators": [("report_id",)], "errors": [("report_id",)]}

# ext: headline figures per report, computed by the parse stage from the cells it writes
# (archive.build.headlines), with site/agency/year copied in so that aggregate queries read
# one narrow indexed table instead of joining millions of cells to the wide reports table.
HEADLINE_FIGURES = (
    "applications_received", "carried_over", "granted", "partial", "denied", "unable",
    "not_processed", "other_handling", "results_total", "carried_forward", "reviews_total",
    "reviews_corrected", "suits_direct", "suits_after_review", "suits_total", "suits_corrected",
    "checks_failed", "checks_total")
TABLES["report_headlines"] = ({
    "report_id": T, "site_id": T, "agency": T, "report_year": I, "template": T,
    **{k: I for k in HEADLINE_FIGURES},
    # ext (#14): where the figures come from (archive.parse.legacy_figures) and the publication deadline
    "figures_basis": T, "agency_kind": T, "published_date": T, "due_date": T, "deadline_rule": T},
    "report_id")
FOREIGN_KEYS["report_headlines"] = [("report_id", "reports", "report_id")]
INDEXES["report_headlines"] = [("site_id", "report_year"), ("agency", "report_year"), ("report_year",)]
# late_reports lists the latest reports first: the late ones only (a few), in that order
EXPRESSION_INDEXES = [
    "create index if not exists idx_report_headlines_days_late on report_headlines "
    "(cast(julianday(published_date) - julianday(due_date) as integer)) "
    "where due_date is not null and published_date > due_date"]
# covering indexes of earlier versions, for canned queries that now read summary tables
# (archive/build/summaries.py): dropped from archives built before
DROPPED_INDEXES = [
    "idx_report_headlines_report_year_site_id_agency_applications_received",
    "idx_report_headlines_report_year_site_id_reviews_total_reviews_corrected_suits_direct_suits_after_review"
    "_suits_corrected_suits_total",
    "idx_report_headlines_site_id_report_year_granted_partial_denied_unable_not_processed_other_handling"
    "_results_total",
    "idx_report_headlines_report_year_site_id_due_date_published_date"]

SUMMARY_COLUMNS = ("applications_received", "carried_over", "granted", "partial", "denied", "unable",
                   "not_processed", "other_handling", "results_total", "carried_forward",
                   "reviews_total", "suits_total", "checks_failed")
REPORT_SUMMARY_SQL = (
    "create view report_summary as select r.report_id, r.site_id, r.agency, r.report_year, "
    "r.template, r.published_date, r.title, r.parse_status, "
    + ", ".join(f"h.{c}" for c in SUMMARY_COLUMNS)
    + ", r.url, r.sha256, r.removed_at from reports r "
    "left join report_headlines h on h.report_id = r.report_id"
)

VIEWS = {"report_summary": REPORT_SUMMARY_SQL,
         "crawl_health": health.view_sql()}  # latest run per site with its verdict (archive/build/health.py)

def views_digest() -> str:
    """Changes with any view's definition (these and the dense tables' long-form views): part of
    the build's input fingerprint, so an archive.db built before a view changed is rebuilt (the
    build alone writes archive.db)."""
    views = sorted({**VIEWS, **LONG_VIEWS}.items())
    return hashlib.sha256("\x1f".join(f"{k}\x1e{v}" for k, v in views).encode()).hexdigest()[:16]


def ensure_schema(db: sqlite_utils.Database, search: bool = True) -> None:
    """Create missing tables/columns, indexes, views and FTS (idempotent).

    `search=False` leaves the full-text indexes and their triggers (and the secondary
    indexes) out: a full build loads everything first and calls `finish_schema` at the end."""
    register_functions(db.conn)
    for (name,) in db.execute("select name from sqlite_master where type = 'table' and name in "
                              f"({', '.join('?' * len(CELL_VIEWS))})", CELL_VIEWS).fetchall():
        db.execute(f"drop table [{name}]")  # schema 2 had them as tables
    for name, (columns, pk) in TABLES.items():
        table = db[name]
        if not table.exists():
            table.create(columns, pk=pk, foreign_keys=FOREIGN_KEYS.get(name))
            continue
        have = set(table.columns_dict)
        for col, typ in columns.items():
            if col not in have:
                table.add_column(col, typ)
    for name, idxs in LOAD_INDEXES.items():
        for cols in idxs:
            db[name].create_index(list(cols), if_not_exists=True)
    create_dense_schema(db.conn)
    create_texts(db.conn)
    if search:
        finish_schema(db)
    for view, sql in VIEWS.items():  # views are recreated: their definition may have changed
        db.execute(f"drop view if exists [{view}]")
        db.execute(sql)
    db["build_meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
    db.conn.commit()


def finish_schema(db: sqlite_utils.Database) -> None:
    """Secondary indexes and the search indexes; on a loaded database, indexes what is there."""
    for name, idxs in INDEXES.items():
        for cols in idxs:
            db[name].create_index(list(cols), if_not_exists=True)
    for sql in EXPRESSION_INDEXES:
        db.execute(sql)
    for name in DROPPED_INDEXES:
        db.execute(f"drop index if exists [{name}]")
    create_search(db.conn, populate_new=True)


def read_meta(db_path: Path, key: str) -> str | None:
    """A `build_meta` value of a database file, read-only; None when the file, table or key is missing."""
    if not db_path.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            row = con.execute("select value from build_meta where key = ?", [key]).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def search_ready(db: sqlite_utils.Database) -> bool:
    return search_exists(db.conn)


# An FTS5 index grows a segment per commit and keeps the old entries of every re-indexed row
# until segments merge. Small nightly deltas are left to FTS5's automerge: `optimize`
# rewrites the whole index.
OPTIMIZE_SHARE = 8  # merge when segments other than the largest hold >= 1/8 of the index


def optimize_fts(db: sqlite_utils.Database, fresh: bool = False) -> list[str]:
    """Merge each FTS index into one segment when recent writes make up a large share of it."""
    return optimize(db.conn, OPTIMIZE_SHARE, fresh)
