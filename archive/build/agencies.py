"""The agency lineage in archive.db: `agency_lineage` (the mapping table, from
archive/parse/agency_lineage.csv), `report_agencies` (each report's printed and canonical agency)
and the view `agency_series` (reports per canonical agency and year, printed names beside).
Rewritten at the end of every build (a cheap pass over reports.agency). docs/agency-lineage.md.
"""
from __future__ import annotations

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


def write_agency_tables(db: sqlite_utils.Database) -> int:
    """Refresh the three objects; returns the number of reports given a canonical agency."""
    lineage = db["agency_lineage"]
    if not lineage.exists():
        lineage.create(LINEAGE_COLUMNS, pk="rule_id")
    lineage.delete_where()
    lineage.insert_all([r.__dict__ for r in rules()])
    table = db["report_agencies"]
    if not table.exists():
        table.create(REPORT_AGENCY_COLUMNS, pk="report_id")
        table.create_index(["agency_canonical", "report_year"])
    table.delete_where()
    rows = []
    for rid, printed, year in db.execute("select report_id, agency, report_year from reports"):
        canon = canonical_agency(printed)
        rows.append({"report_id": rid, "agency_printed": printed, "report_year": year,
                     "agency_canonical": canon.name if canon else None,
                     "region": canon.region if canon else None, "body": canon.body if canon else None,
                     "lineage_rules": json.dumps(list(canon.rules)) if canon else "[]"})
    table.insert_all(rows, batch_size=2000)
    if "agency_series" not in db.view_names():
        db.create_view("agency_series", AGENCY_SERIES_SQL)
    return sum(1 for r in rows if r["agency_canonical"])
