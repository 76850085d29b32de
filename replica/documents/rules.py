"""Consistency rules R1–R5 and R9 (report-format.md §6) evaluated on an `expected` map."""
from __future__ import annotations

from collections.abc import Mapping

from .spec import S2_LAYOUT, S3_COLUMNS, S4_GROUPS, S4_RESULTS, s3_groups, s3_row_keys

Values = Mapping[str, float]


def _s3(v: Values, row: str, col: str) -> float:
    return v.get(f"s3.{row}.{col}", 0)


def _result_rows(template: str) -> list[str]:
    groups = s3_groups(template)[2:-2]  # granted … other (without results_total / carried_forward)
    rows = s3_row_keys(template)
    return [r for r in rows if r.split(".")[0] in {g.key for g in groups}]


def broken_rules(v: Values, template: str) -> set[str]:
    """Ids of the rules the values break (only rules that apply to the template)."""
    bad: set[str] = set()
    if template in ("G1", "G2") and any(k.startswith("s3.") for k in v):
        for col in S3_COLUMNS:
            lhs = _s3(v, "new", col) + _s3(v, "carried_over", col)
            if lhs != _s3(v, "results_total", col) + _s3(v, "carried_forward", col):
                bad.add("R1")
            if _s3(v, "results_total", col) != sum(_s3(v, r, col) for r in _result_rows(template)):
                bad.add("R2")
        for row in s3_row_keys(template):
            if _s3(v, row, "total") != sum(_s3(v, row, c) for c in S3_COLUMNS[:-1]):
                bad.add("R3")
    if template in ("G1", "G2") and any(k.startswith("s4.") for k in v):
        for g, _ in S4_GROUPS:
            parts = sum(v.get(f"s4.{g}.{r}", 0) for r, _ in S4_RESULTS[:-1])
            if v.get(f"s4.{g}.total", 0) != parts:
                bad.add("R4")
    for key, value in v.items():
        signed = template == "G1" and key.startswith("s2.") and key.endswith(".change")
        money = key.endswith((".total_amount", ".amount_wan"))
        if not signed and (value < 0 or (not money and not float(value).is_integer())):
            bad.add("R5")
    if template == "G0":
        for col in ("year", "cumulative"):
            g = lambda k: v.get(f"g0.{k}.{col}", 0)  # noqa: E731
            if g("applications_total") != g("applications.in_person") + g("applications.online") + g("applications.letter_fax"):
                bad.add("R9")
            replies = sum(g(f"replies.{k}") for k in ("granted", "partial", "denied", "other"))
            if g("replies_total") != replies:
                bad.add("R9")
    return bad


def s2_keys(template: str) -> list[str]:
    """Canonical section-2 cell keys (without `s2.`) in table order."""
    return [f"{r}.{c}" for b in S2_LAYOUT.get(template, ()) for r, _ in b.rows for c, _ in b.cols]
