"""Summary tables for the canned queries that aggregate the whole archive.

`requests_by_agency_year`, `outcome_mix`, `review_litigation_by_year` and `failed_checks` with
no filter, and `agency_attachments` for a rare name, read every report (a GROUP BY, a sort or
an `instr` per row): 50–150 ms at 100,000 reports, ten times that at a million. Their
aggregates are small or sorted once, so the build keeps them as tables, grouped by site:

- `agency_year_requests`: requests received per (year, site, agency), indexed in the order
  the query lists them (latest year, most requests first);
- `site_year_outcomes`: section 三's outcome columns summed per (site, year);
- `site_year_review_litigation`: section 四's totals summed per (site, year);
- `failed_check_rows`: every failed check with its report's year, site and agency, in the
  order `failed_checks` lists them;
- `agency_sites`: the distinct printed agency names per site (what `instr` searches).

Every row derives from one site's reports, so a build refreshes only the sites it refolded
(plus removed sites); a full build refreshes all. The canned queries read these tables and
answer what they answered before (tests/test_summaries.py compares them with the original
SQL over report_headlines).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Summary:
    name: str
    create: str
    select: str        # {sites}: a condition on h.site_id
    indexes: tuple[str, ...] = ()


FIGURES = "case when h.report_year <= 2018 then '附表 (mapped; see docs/reader.md)' else '' end"

SUMMARIES = (
    Summary(
        "agency_year_requests",
        "create table if not exists agency_year_requests (report_year integer, site_id text, agency text, "
        "requests_received integer, reports integer, figures_from text)",
        "select h.report_year, h.site_id, h.agency, sum(h.applications_received), count(*), "
        f"{FIGURES} from report_headlines h where h.applications_received is not null and {{sites}} "
        "group by h.report_year, h.site_id, h.agency",
        ("create index if not exists idx_agency_year_requests_order "
         "on agency_year_requests (report_year desc, requests_received desc)",
         "create index if not exists idx_agency_year_requests_site on agency_year_requests (site_id)")),
    Summary(
        "site_year_outcomes",
        "create table if not exists site_year_outcomes (site_id text, report_year integer, granted integer, "
        "partial integer, denied integer, unable integer, not_processed integer, other integer, "
        "results_total integer, reports integer, figures_from text, primary key (site_id, report_year))",
        "select h.site_id, h.report_year, sum(h.granted), sum(h.partial), sum(h.denied), sum(h.unable), "
        "sum(h.not_processed), sum(h.other_handling), sum(h.results_total), count(h.results_total), "
        f"{FIGURES} from report_headlines h where h.results_total is not null and {{sites}} "
        "group by h.site_id, h.report_year"),
    Summary(
        "site_year_review_litigation",
        "create table if not exists site_year_review_litigation (site_id text, report_year integer, "
        "reviews integer, reviews_corrected integer, suits_direct integer, suits_after_review integer, "
        "suits_total integer, suits_corrected integer, reports integer, primary key (site_id, report_year))",
        "select h.site_id, h.report_year, sum(h.reviews_total), sum(h.reviews_corrected), sum(h.suits_direct), "
        "sum(h.suits_after_review), sum(h.suits_total), sum(h.suits_corrected), count(h.reviews_total) "
        "from report_headlines h where h.reviews_total is not null and {sites} group by h.site_id, h.report_year"),
    Summary(
        "failed_check_rows",
        "create table if not exists failed_check_rows (report_year integer, site_id text, agency text, "
        "rule text, report_id text, severity text, detail text)",
        "select h.report_year, h.site_id, h.agency, k.rule, r.report_id, k.severity, k.detail "
        "from report_headlines h cross join reports r on r.report_id = h.report_id "
        "cross join check_results k on k.report_rowid = r.rowid where k.ok = 0 and {sites}",
        ("create index if not exists idx_failed_check_rows_order "
         "on failed_check_rows (report_year desc, site_id, agency, rule)",
         "create index if not exists idx_failed_check_rows_site on failed_check_rows (site_id)")),
    Summary(
        "agency_sites",
        "create table if not exists agency_sites (site_id text, agency text, reports integer, "
        "primary key (site_id, agency))",
        "select h.site_id, h.agency, count(*) from report_headlines h where h.agency is not null and {sites} "
        "group by h.site_id, h.agency",
        ("create index if not exists idx_agency_sites_agency on agency_sites (agency)",)),
)
NAMES = tuple(s.name for s in SUMMARIES)


def refresh(db: sqlite_utils.Database, sites: set[str] | None = None) -> None:
    """Recompute the summaries of `sites` (None: of every site). A summary that is new or whose
    definition changed (its digest in build_meta) is recomputed whole."""
    for s in SUMMARIES:
        digest = hashlib.sha256("|".join((s.create, s.select, *s.indexes)).encode()).hexdigest()[:16]
        key = f"summary:{s.name}"
        stored = db.execute("select value from build_meta where key = ?", [key]).fetchone()
        if not stored or stored[0] != digest:
            db.execute(f"drop table if exists {s.name}")
        db.execute(s.create)
        if sites is None or not stored or stored[0] != digest:
            db.execute(f"delete from {s.name}")
            db.execute(f"insert into {s.name} {s.select.format(sites='1')}")
        elif sites:
            arg = json.dumps(sorted(sites), ensure_ascii=False)
            db.execute(f"delete from {s.name} where site_id in (select value from json_each(?))", [arg])
            db.execute(f"insert into {s.name} {s.select.format(sites='h.site_id in (select value from json_each(?))')}",
                       [arg])
        for index in s.indexes:
            db.execute(index)
        db["build_meta"].upsert({"key": key, "value": digest}, pk="key")
