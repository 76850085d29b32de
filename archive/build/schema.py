"""The archive.db schema (spec/archive.md §2): tables, indexes, views and full-text search.

Names here are a public contract: extend, never rename. Extensions beyond the spec are
marked `# ext` and documented in docs/archive.md. `ensure_schema` is idempotent: it
creates what is missing and adds new columns to older databases.
"""
from __future__ import annotations

import hashlib

import sqlite_utils
from archive.build import health

SCHEMA_VERSION = 2

T, I, R = str, int, float  # sqlite-utils column types: TEXT, INTEGER, REAL

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
        # last: long text overflows into extra pages; columns before it are read without them
        "body_text": T,
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
        "text": T,
    }, "attachment_id"),
    "disclosure_items": ({
        "report_id": T, "template": T, "article": T, "row_key": T, "row_label": T,
        "col_key": T, "col_label": T, "raw": T, "value": R, "unit": T, "flags": T,
    }, None),
    "application_counts": ({
        "report_id": T, "template": T, "row_key": T, "row_label": T, "applicant": T,
        "raw": T, "value": I, "flags": T,
    }, None),
    "review_litigation_counts": ({
        "report_id": T, "group_key": T, "result_key": T, "raw": T, "value": I, "flags": T,
    }, None),
    "legacy_indicators": ({
        "report_id": T, "key": T, "label": T, "unit": T, "year_value": R,
        "cumulative_value": R, "raw": T,
    }, None),
    "consistency_checks": ({
        "report_id": T, "rule": T, "ok": I, "severity": T, "detail": T,
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
    "build_row_hashes": ({"tbl": T, "key": T, "hash": T}, ("tbl", "key")),
}

# Foreign keys: Datasette shows them as links and lists a report's figures on its row page.
FOREIGN_KEYS: dict[str, list[tuple[str, str, str]]] = {
    "reports": [("site_id", "sites", "site_id")],
    "crawl_runs": [("site_id", "sites", "site_id")],
    **{t: [("report_id", "reports", "report_id")] for t in (
        "captures", "attachments", "disclosure_items", "application_counts",
        "review_litigation_counts", "legacy_indicators", "consistency_checks", "report_history")},
}

CELL_TABLES = ("disclosure_items", "application_counts", "review_litigation_counts",
               "legacy_indicators", "consistency_checks")

INDEXES: dict[str, list[tuple[str, ...]]] = {
    "reports": [("site_id", "report_year"), ("site_id", "removed_at"), ("site_id", "parse_status"),
                ("agency", "report_year"), ("report_year", "published_date", "site_id"),
                ("template",), ("parse_status",), ("published_date",), ("first_seen",),
                ("removed_at",)],
    "captures": [("report_id",), ("sha256",), ("site_id", "fetched_at"), ("url",)],
    "attachments": [("report_id",), ("sha256",)],
    "disclosure_items": [("report_id",), ("row_key", "col_key")],
    "application_counts": [("report_id", "row_key", "applicant")],
    "review_litigation_counts": [("report_id", "group_key", "result_key")],
    "legacy_indicators": [("report_id",), ("key",)],
    "consistency_checks": [("report_id", "ok"), ("ok", "rule")],
    "crawl_runs": [("site_id", "started_at"), ("status",)],
    "errors": [("site_id", "run_id"), ("stage", "kind"), ("report_id",)],
    "report_history": [("report_id", "at"), ("run_id",)],
    "build_state": [("report_id",)],
}

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
    **{k: I for k in HEADLINE_FIGURES}}, "report_id")
FOREIGN_KEYS["report_headlines"] = [("report_id", "reports", "report_id")]
INDEXES["report_headlines"] = [("site_id", "report_year"), ("agency", "report_year"), ("report_year",),
                               # covering indexes: these canned queries read no table rows
                               ("report_year", "site_id", "agency", "applications_received"),  # requests_by_agency_year
                               ("report_year", "site_id", "reviews_total", "reviews_corrected", "suits_direct",
                                "suits_after_review", "suits_corrected"),  # review_litigation_by_year
                               ("site_id", "report_year", "granted", "partial", "denied", "unable",
                                "not_processed", "other_handling", "results_total")]  # outcome_mix

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

FTS = {"reports": ["title", "agency", "body_text"], "attachments": ["text"]}


def views_digest() -> str:
    """Changes with any view's definition: part of the build's input fingerprint, so an
    archive.db built before a view changed is rebuilt (the build alone writes archive.db)."""
    return hashlib.sha256("\x1f".join(f"{k}\x1e{v}" for k, v in sorted(VIEWS.items())).encode()).hexdigest()[:16]


def _guard_fts_update(db: sqlite_utils.Database, table: str, cols: list[str]) -> None:
    """Re-index a row only when an indexed column changed.

    sqlite-utils' update trigger re-indexes on every UPDATE; the build updates history
    columns (last_seen, …) of every live report after each crawl, which would re-tokenise
    all report texts nightly.
    """
    fts = f"{table}_fts"
    names = ", ".join(f'"{c}"' for c in cols)
    changed = " or ".join(f'old."{c}" is not new."{c}"' for c in cols)
    db.execute(f'drop trigger if exists "{table}_au"')
    db.execute(
        f'create trigger "{table}_au" after update on "{table}" when {changed} begin\n'
        f'  insert into "{fts}" ("{fts}", rowid, {names}) values (\'delete\', old.rowid, '
        + ", ".join(f'old."{c}"' for c in cols) + ");\n"
        f'  insert into "{fts}" (rowid, {names}) values (new.rowid, '
        + ", ".join(f'new."{c}"' for c in cols) + ");\nend")


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables/columns, indexes, views and FTS (idempotent)."""
    for name, (columns, pk) in TABLES.items():
        table = db[name]
        if not table.exists():
            table.create(columns, pk=pk, foreign_keys=FOREIGN_KEYS.get(name))
            continue
        have = set(table.columns_dict)
        for col, typ in columns.items():
            if col not in have:
                table.add_column(col, typ)
    for name, idxs in INDEXES.items():
        for cols in idxs:
            db[name].create_index(list(cols), if_not_exists=True)
    for name, cols in FTS.items():
        if not db[f"{name}_fts"].exists():
            db[name].enable_fts(cols, create_triggers=True, tokenize="trigram")
        _guard_fts_update(db, name, cols)
    for view, sql in VIEWS.items():  # views are recreated: their definition may have changed
        db.execute(f"drop view if exists [{view}]")
        db.execute(sql)
    db["build_meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")


# An FTS5 index grows a segment per commit and keeps the old entries of every re-indexed row
# until segments merge. After a big build (every report indexed once without text by the sync
# and again with it by the parse) the 100k-report index was half garbage in 10 segments, and a
# broad trigram match took twice as long as on the merged index. Small nightly deltas are
# left to FTS5's automerge: `optimize` rewrites the whole index (~40 s at 100k reports).
OPTIMIZE_SHARE = 8  # merge when segments other than the largest hold >= 1/8 of the index


def optimize_fts(db: sqlite_utils.Database) -> list[str]:
    """Merge each FTS index into one segment when recent writes make up a large share of it."""
    done = []
    for name in FTS:
        fts = f"{name}_fts"
        sizes = [n for _, n in db.execute(f"select segid, count(*) from [{fts}_idx] group by segid")]
        if len(sizes) > 1 and (sum(sizes) - max(sizes)) * OPTIMIZE_SHARE >= sum(sizes):
            db.execute(f"insert into [{fts}]([{fts}]) values ('optimize')")
            done.append(fts)
    return done
