"""The agency lineage in archive.db: `agency_lineage` (the mapping table, from
archive/parse/agency_lineage.csv), `report_agencies` (each report's printed and canonical agency)
and the view `agency_series` (reports per canonical agency and year, printed names beside).
Brought up to date at the end of every build: only reports that are new or whose printed
agency or year changed are looked up again, unless the lineage rules changed (then all are).
docs/agency-lineage.md.
"""
from __future__ import annotations

import hashlib
import json

import sqlite_utils

from archive.parse.lineage import canonical_agency, rules

LINEAGE_COLUMNS = {"rule_id": str, "old_body": str, "new_body": str, "reform": str, "years": str,
                   "kind": str, "source": str}
REPORT_AGENCY_COLUMNS = {"report_id": str, "agency_printed": str, "agency_canonical": str,
                         "region": str, "body": str, "lineage_rules": str, "report_year": int}
AGENCY_SERIES_SQL = (
    "select agency_canonical, report_year, count(*) as reports, "
    "group_concat(distinct agency_printed) as printed_names "
    "from report_agencies where agency_canonical is not null group by agency_canonical, report_year")


BATCH = 2000
STALE_SQL = ("select r.rowid, r.report_id, r.agency, r.report_year from reports r "
             "left join report_agencies a on a.report_id = r.report_id where r.rowid > ? "
             "and (a.report_id is null or a.agency_printed is not r.agency or a.report_year is not r.report_year) "
             "order by r.rowid limit ?")


def write_agency_tables(db: sqlite_utils.Database) -> int:
    """Refresh the three objects; returns the number of report rows (re)written."""
    lineage = db["agency_lineage"]
    if not lineage.exists():
        lineage.create(LINEAGE_COLUMNS, pk="rule_id")
    current = [r.__dict__ for r in rules()]
    digest = hashlib.sha256(json.dumps(current, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    lineage.delete_where()
    lineage.insert_all(current)
    table = db["report_agencies"]
    if not table.exists():
        table.create(REPORT_AGENCY_COLUMNS, pk="report_id")
        table.create_index(["agency_canonical", "report_year"])
    stored = db.execute("select value from build_meta where key = 'agency_lineage_digest'").fetchone()
    if not stored or stored[0] != digest:
        table.delete_where()
    written = 0
    after = 0
    while batch := db.execute(STALE_SQL, [after, BATCH]).fetchall():  # a batch at a time: flat memory
        table.insert_all([_row(*r[1:]) for r in batch], replace=True)
        written += len(batch)
        after = batch[-1][0]
    if table.count > db["reports"].count:  # every report has its row now: the rest are orphans
        db.execute("delete from report_agencies where report_id not in (select report_id from reports)")
    db["build_meta"].upsert({"key": "agency_lineage_digest", "value": digest}, pk="key")
    if "agency_series" not in db.view_names():
        db.create_view("agency_series", AGENCY_SERIES_SQL)
    return written


def _row(rid: str, printed: str | None, year: int | None) -> dict:
    canon = canonical_agency(printed)
    return {"report_id": rid, "agency_printed": printed, "report_year": year,
            "agency_canonical": canon.name if canon else None,
            "region": canon.region if canon else None, "body": canon.body if canon else None,
            "lineage_rules": json.dumps(list(canon.rules)) if canon else "[]"}
