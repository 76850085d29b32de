"""Consistency rules R1–R5, R9 (R8 as an info note) (report-format.md §6), on parsed cells only.

Cells without a value and cells inferred from narrative text are left out; a rule with
nothing to evaluate is not reported.
"""
from __future__ import annotations

from .keys import APPLICANTS, S3_ROWS, S4_GROUPS
from .result import Check, ReportResult


def _usable(c) -> bool:
    return c.value is not None and "inferred_from_text" not in c.flags and "row_missing" not in c.flags


def _s3_table(res: ReportResult) -> dict[str, dict[str, float]]:
    t: dict[str, dict[str, float]] = {}
    for c in res.application_counts:
        if c.row_key in S3_ROWS.get(c.template or "G1", []) and _usable(c):
            t.setdefault(c.row_key, {})[c.applicant] = c.value
    return t


def _sum(t: dict, keys: list[str], col: str) -> float | None:
    vals = [t.get(k, {}).get(col) for k in keys]
    return None if None in vals else sum(vals)


def _r1_r2(t: dict, tpl: str, col: str) -> tuple[str | None, str | None]:
    """(R1 failure detail or '' when ok or None when not evaluable, same for R2)."""
    r1 = r2 = None
    a = _sum(t, ["new", "carried_over"], col)
    b = _sum(t, ["results_total", "carried_forward"], col)
    if a is not None and b is not None:
        r1 = "" if a == b else (f"{col}: new {t['new'][col]} + carried_over {t['carried_over'][col]} = {a}"
                                f" != results_total {t['results_total'][col]} + carried_forward "
                                f"{t['carried_forward'][col]} = {b}")
    parts = [k for k in S3_ROWS[tpl] if k not in ("new", "carried_over", "results_total", "carried_forward")]
    s = _sum(t, parts, col)
    tot = t.get("results_total", {}).get(col)
    if s is not None and tot is not None:
        r2 = "" if s == tot else f"{col}: results_total {tot} != sum of results {s}"
    return r1, r2


def s3_column_checks(table: dict[str, list[dict]], tpl: str, only: tuple[str, ...]) -> int:
    """Number of R1/R2 column checks that hold (used to place an ambiguous single value)."""
    t = {k: {d["applicant"]: d["value"] for d in cells if d["value"] is not None}
         for k, cells in table.items()}
    ok = 0
    for col in only:
        r1, r2 = _r1_r2(t, tpl, col)
        ok += (r1 == "") + (r2 == "")
    return ok


def _rule(rule: str, severity: str, failures: list[str], evaluated: int, what: str) -> Check | None:
    if not evaluated:
        return None
    if failures:
        return Check(rule, False, severity, "; ".join(failures))
    return Check(rule, True, severity, f"{evaluated} {what} checked")


def evaluate(res: ReportResult) -> list[Check]:
    out: list[Check | None] = []
    s3_tpl = res.templates.get("s3")
    if s3_tpl in S3_ROWS:
        t = _s3_table(res)
        r1f, r2f, n1, n2 = [], [], 0, 0
        for col in APPLICANTS:
            r1, r2 = _r1_r2(t, s3_tpl, col)
            if r1 is not None:
                n1 += 1
                if r1:
                    r1f.append(r1)
            if r2 is not None:
                n2 += 1
                if r2:
                    r2f.append(r2)
        out.append(_rule("R1", "E", r1f, n1, "columns"))
        out.append(_rule("R2", "E", r2f, n2, "columns"))
        r3f, n3 = [], 0
        for key in S3_ROWS[s3_tpl]:
            row = t.get(key, {})
            if all(a in row for a in APPLICANTS):
                n3 += 1
                s = sum(row[a] for a in APPLICANTS[:-1])
                if s != row["total"]:
                    r3f.append(f"{key}: total {row['total']} != sum of applicants {s}")
        out.append(_rule("R3", "E", r3f, n3, "rows"))
    s4 = {(c.group_key, c.result_key): c.value for c in res.review_litigation_counts if _usable(c)}
    r4f, n4 = [], 0
    for g in S4_GROUPS:
        parts = [s4.get((g, r)) for r in ("upheld", "corrected", "other", "pending")]
        tot = s4.get((g, "total"))
        if None not in parts and tot is not None:
            n4 += 1
            if sum(parts) != tot:
                r4f.append(f"{g}: total {tot} != {' + '.join(str(p) for p in parts)} = {sum(parts)}")
    out.append(_rule("R4", "E", r4f, n4, "groups"))
    out.append(_r5(res))
    for note in r8_notes(res):
        res.note(note)
    out.append(_r9(res))
    return [c for c in out if c is not None]


def _r5(res: ReportResult) -> Check | None:
    bad, n = [], 0
    cells = [*res.application_counts, *res.review_litigation_counts]
    cells += [c for c in res.disclosure_items if c.col_key not in ("change", "total_amount", "amount_wan")]
    for c in cells:
        if not _usable(c):
            continue
        n += 1
        v = c.value
        if v < 0 or v != int(v):
            bad.append(f"{c.key} = {v}")
    return _rule("R5", "E", bad, n, "counts")


def r8_notes(res: ReportResult) -> list[str]:
    """G1 `decisions == prev_count + change` is no rule (§3.3): an info note, not a check,
    so that dashboards counting failed checks are not misled."""
    rows: dict[str, dict[str, float]] = {}
    for c in res.disclosure_items:
        if c.template == "G1" and c.value is not None and c.col_key in ("prev_count", "change", "decisions"):
            rows.setdefault(c.row_key, {})[c.col_key] = c.value
    out = []
    for key, r in rows.items():
        if len(r) == 3 and r["change"] and r["prev_count"] + r["change"] == r["decisions"]:
            out.append(f"R8 (info): s2.{key}: decisions {r['decisions']} == prev_count {r['prev_count']}"
                       f" + change {r['change']}: decisions look like the current item count")
    return out


def _r9(res: ReportResult) -> Check | None:
    ind = {i.key: i for i in res.legacy_indicators}
    fails, n = [], 0
    for total, prefix in (("g0.applications_total", "g0.applications."),
                          ("g0.replies_total", "g0.replies.")):
        parts = [i for k, i in ind.items() if k.startswith(prefix)]
        if total not in ind or not parts:
            continue
        for attr in ("year_value", "cumulative_value"):
            t = getattr(ind[total], attr)
            vals = [getattr(p, attr) for p in parts]
            if t is None or None in vals:
                continue
            n += 1
            if sum(vals) != t:
                fails.append(f"{total}.{attr.split('_')[0]}: {t} != sum of parts {sum(vals)}")
    return _rule("R9", "W", fails, n, "totals")
