"""One report as a document: everything its page shows, read from archive.db.

`load_report(conn, report_id)` returns a `ReportDoc` (metadata, originals, versions and the
figures of sections 二/三/四 or the 附表, keyed as in report-format.md); the HTML is made by
`archive.serve.report_html`. Kept apart so the page reads a handful of indexed rows per table and
never the report's text.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from archive.store.search_index import decompress_text

REPORT_COLUMNS = ("report_id", "site_id", "url", "title", "agency", "report_year", "template",
                  "index_no", "doc_no", "topic", "written_date", "published_date", "validity",
                  "source", "parse_status", "parse_notes", "first_seen", "last_seen",
                  "last_changed", "removed_at", "capture_id", "canonical_url", "page_agency",
                  "sha256", "versions", "body_source", "listed_title")


@dataclass
class Cell:
    raw: str | None
    value: float | None
    flags: tuple[str, ...] = ()
    unit: str | None = None


@dataclass
class ReportDoc:
    report: dict[str, Any]
    site: dict[str, Any]
    headline: dict[str, Any]
    attachments: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    s2: dict[tuple[str, str], Cell | None] = field(default_factory=dict)   # (row_key, col_key)
    s2_template: str | None = None
    s3: dict[tuple[str, str], Cell | None] = field(default_factory=dict)   # (row_key, applicant)
    s3_labels: dict[str, str] = field(default_factory=dict)         # row_key -> label as printed
    s3_template: str | None = None
    s4: dict[tuple[str, str], Cell | None] = field(default_factory=dict)   # (group_key, result_key)
    legacy: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    text: str | None = None


def _flags(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        got = json.loads(text)
    except ValueError:
        return (text,)
    return tuple(str(f) for f in got) if isinstance(got, list) else ()


def _rows(conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("select 1 from sqlite_master where name = ?", [name]).fetchone() is not None


def load_report(conn: sqlite3.Connection, report_id: str) -> ReportDoc | None:
    got = _rows(conn, f"select {', '.join(REPORT_COLUMNS)} from reports where report_id = ?",
                [report_id])
    if not got:
        return None
    report = got[0]
    site = (_rows(conn, "select * from sites where site_id = ?", [report["site_id"]]) or [{}])[0]
    headline = (_rows(conn, "select * from report_headlines where report_id = ?", [report_id])
                or [{}])[0]
    doc = ReportDoc(report, site, headline)
    doc.attachments = _rows(conn, "select attachment_id, url, final_url, filename, link_text, ext, mime, "
                                  "size, sha256, text_method, error from attachments "
                                  "where report_id = ? order by rowid", [report_id])
    doc.versions = _rows(conn, "select capture_id, fetched_at, sha256, size, url, http_status "
                               "from captures where report_id = ? and kind = 'detail' "
                               "order by fetched_at", [report_id])
    doc.history = _rows(conn, "select at, event, sha256, run_id from report_history "
                              "where report_id = ? order by at", [report_id])
    _load_figures(conn, doc, report_id)
    doc.text = load_text(conn, report_id)
    return doc


def load_text(conn: sqlite3.Connection, report_id: str) -> str | None:
    """The report's text (stored once in `texts`; `reports.body_text` in an older archive)."""
    if _has_table(conn, "texts"):
        row = conn.execute("select t.text_zlib from reports r join texts t on t.text_id = r.text_id "
                           "where r.report_id = ?", [report_id]).fetchone()
        return decompress_text(row[0]) if row else None
    row = conn.execute("select body_text from reports where report_id = ?", [report_id]).fetchone()
    return row[0] if row else None


def _extra(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        got = json.loads(text)
    except ValueError:
        return {}
    return got if isinstance(got, dict) else {}


def _dense_cell(value: Any, extra: dict[str, Any], col: str | None) -> Cell | None:
    """One number of a dense row, with what `extra` keeps beyond it (raw text, flags, unit);
    None for a cell that was not parsed."""
    raw = extra.get("raw")
    flags = extra.get("flags")
    if col is not None:
        raw = raw.get(col) if isinstance(raw, dict) else None
        flags = flags.get(col) if isinstance(flags, dict) else None
    if value is None and raw is None and not flags:
        return None
    if raw is None and value is not None:
        raw = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return Cell(raw, value, tuple(str(f) for f in flags or ()), extra.get("unit") if col is None else None)


APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "public_interest", "legal_services",
                     "other_org", "total")
S4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")


def _load_figures(conn: sqlite3.Connection, doc: ReportDoc, rid: str) -> None:
    """Sections 二/三/四 from the dense tables (one row per printed row), checks, 附表."""
    if not _has_table(conn, "application_rows"):
        return _load_long_figures(conn, doc, rid)
    rowid = conn.execute("select rowid from reports where report_id = ?", [rid]).fetchone()[0]
    template = doc.report.get("template")
    for r in _rows(conn, "select l.row_key, l.label, a.* from application_rows a "
                         "join application_row_labels l on l.row_id = a.row_id "
                         "where a.report_rowid = ? order by l.ord", [rowid]):
        extra = _extra(r["extra"])
        for col in APPLICANT_COLUMNS:
            doc.s3[(r["row_key"], col)] = _dense_cell(r[col], extra, col)
        doc.s3_labels[r["row_key"]] = extra.get("row_label") or r["label"]
        doc.s3_template = doc.s3_template or extra.get("template") or template
    for r in _rows(conn, "select g.group_key, s.* from review_litigation_rows s "
                         "join review_litigation_groups g on g.group_id = s.group_id "
                         "where s.report_rowid = ? order by g.ord", [rowid]):
        extra = _extra(r["extra"])
        for col in S4_COLUMNS:
            doc.s4[(r["group_key"], col)] = _dense_cell(r[col], extra, col)
    for r in _rows(conn, "select l.row_key, l.col_key, d.value, d.extra from disclosure_values d "
                         "join disclosure_item_labels l on l.item_id = d.item_id "
                         "where d.report_rowid = ? order by l.ord", [rowid]):
        extra = _extra(r["extra"])
        doc.s2[(r["row_key"], r["col_key"])] = _dense_cell(r["value"], extra, None)
        doc.s2_template = doc.s2_template or extra.get("template") or template
    doc.legacy = _rows(conn, "select key, label, unit, year_value, cumulative_value, raw "
                             "from legacy_indicators where report_id = ? order by rowid", [rid])
    doc.checks = _rows(conn, "select rule, ok, severity, detail from check_results "
                             "where report_rowid = ? order by rule, seq", [rowid])


def _load_long_figures(conn: sqlite3.Connection, doc: ReportDoc, rid: str) -> None:
    """The same from the long form (one row per number): archives built before schema 3."""
    for r in _rows(conn, "select template, row_key, col_key, raw, value, unit, flags "
                         "from disclosure_items where report_id = ? order by rowid", [rid]):
        doc.s2[(r["row_key"], r["col_key"])] = Cell(r["raw"], r["value"], _flags(r["flags"]), r["unit"])
        doc.s2_template = doc.s2_template or r["template"]
    for r in _rows(conn, "select template, row_key, row_label, applicant, raw, value, flags "
                         "from application_counts where report_id = ? order by rowid", [rid]):
        doc.s3[(r["row_key"], r["applicant"])] = Cell(r["raw"], r["value"], _flags(r["flags"]))
        if r["row_label"]:
            doc.s3_labels.setdefault(r["row_key"], r["row_label"])
        doc.s3_template = doc.s3_template or r["template"]
    for r in _rows(conn, "select group_key, result_key, raw, value, flags "
                         "from review_litigation_counts where report_id = ? order by rowid", [rid]):
        doc.s4[(r["group_key"], r["result_key"])] = Cell(r["raw"], r["value"], _flags(r["flags"]))
    doc.legacy = _rows(conn, "select key, label, unit, year_value, cumulative_value, raw "
                             "from legacy_indicators where report_id = ? order by rowid", [rid])
    doc.checks = _rows(conn, "select rule, ok, severity, detail from consistency_checks "
                             "where report_id = ? order by rule", [rid])
