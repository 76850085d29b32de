"""Headline figures of one report, from its cell rows (the `report_headlines` table).

Group totals (`denied`, `unable`, `not_processed`, `other`) are the parser's derived rows
when present, else the sum of their sub-rows; a figure with no cell stays None — a report
without a parsed table never shows zeros.
"""
from __future__ import annotations

from typing import Any

from archive.build.deadlines import agency_kind, deadline
from archive.parse.legacy_figures import G0_ANNEX, TABLE, legacy_headline

S3_DIRECT = {"new": "applications_received", "carried_over": "carried_over", "granted": "granted",
             "partial": "partial", "results_total": "results_total",
             "carried_forward": "carried_forward"}
S3_GROUPS = {"denied": "denied", "unable": "unable", "not_processed": "not_processed",
             "other": "other_handling"}


def _sum(values: list[int | float | None]) -> int | None:
    nums = [v for v in values if v is not None]
    return int(sum(nums)) if nums else None


def headline(report: dict[str, Any], cells: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    total = {r["row_key"]: r.get("value") for r in cells.get("application_counts", [])
             if r.get("applicant") == "total" and r.get("row_key")}
    row: dict[str, Any] = {k: report.get(k) for k in ("report_id", "site_id", "agency", "report_year",
                                                       "template")}
    for key, col in S3_DIRECT.items():
        row[col] = total.get(key)
    for group, col in S3_GROUPS.items():
        if group in total:
            row[col] = total[group]
        else:
            row[col] = _sum([v for k, v in total.items() if k.startswith(group + ".")])
    s4 = {(r.get("group_key"), r.get("result_key")): r.get("value")
          for r in cells.get("review_litigation_counts", [])}
    row["reviews_total"] = s4.get(("review", "total"))
    row["reviews_corrected"] = s4.get(("review", "corrected"))
    row["suits_direct"] = s4.get(("litigation_direct", "total"))
    row["suits_after_review"] = s4.get(("litigation_after_review", "total"))
    row["suits_total"] = _sum([row["suits_direct"], row["suits_after_review"]])
    row["suits_corrected"] = _sum([s4.get(("litigation_direct", "corrected")),
                                   s4.get(("litigation_after_review", "corrected"))])
    basis = TABLE if any(row.get(c) is not None for c in ("applications_received", "results_total",
                                                          "reviews_total")) else None
    legacy = legacy_headline(cells.get("legacy_indicators", []))
    if basis is None and legacy:  # pre-2019 附表: continue the modern series (archive.parse.legacy_figures)
        row.update(legacy)
        basis = G0_ANNEX
    row["figures_basis"] = basis
    kind = agency_kind(report.get("agency") or report.get("page_agency"))
    due = deadline(report.get("report_year"), kind)
    row["agency_kind"] = kind
    row["published_date"] = report.get("published_date")
    row["due_date"] = due.due_date if due else None
    row["deadline_rule"] = due.rule if due else None
    checks = cells.get("consistency_checks", [])
    row["checks_total"] = len(checks) if checks else None
    row["checks_failed"] = sum(1 for c in checks if not c.get("ok")) if checks else None
    return row
