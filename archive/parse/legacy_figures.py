"""Pre-2019 附表 indicators mapped once onto the modern headline figures.

A G0 report (report years 2008–2018) has no section-3/4 tables; many attach a statistics
table (附表, report-format.md §7). The indicators below mean the same thing as a modern
headline figure closely enough to continue its series; each carries what differs, and the
headline row of such a report says `figures_basis = 'g0_annex'` so that every query and
chart can say where a series is not strictly comparable. Indicators not listed here (the
application channels, 主动公开 counts, complaints) have no modern counterpart and stay only in
`legacy_indicators`. Documented in docs/archive.md (*Pre-2019 figures*).
"""
from __future__ import annotations

from typing import Any

# headline column -> (G0 indicator key, what differs from the modern figure)
G0_TO_HEADLINE: dict[str, tuple[str, str]] = {
    "applications_received": ("g0.applications_total",
                              "受理申请总数 (applications accepted) vs 本年新收申请数量 (received)"),
    "results_total": ("g0.replies_total", "对申请的答复总数 (replies) vs 办理结果总计 (outcomes)"),
    "granted": ("g0.replies.granted", "同意公开答复数 = 予以公开"),
    "partial": ("g0.replies.partial", "同意部分公开答复数 = 部分公开"),
    "denied": ("g0.replies.denied", "不予公开答复数: reasons differ from the 2019 list"),
    "other_handling": ("g0.replies.other",
                       "其他类型答复数: also what 2019+ splits into 无法提供 / 不予处理"),
    "reviews_total": ("g0.admin_review", "行政复议数 = 行政复议总计"),
    "suits_total": ("g0.admin_litigation", "行政诉讼数 = 行政诉讼总计 (not split by review)"),
}

TABLE = "table"        # figures read from the section-3/4 tables (G1/G2)
G0_ANNEX = "g0_annex"  # figures mapped from the pre-2019 附表


def _int(v: Any) -> int | None:
    if v is None:
        return None
    try:
        return int(round(float(v)))
    except (TypeError, ValueError):
        return None


def legacy_headline(indicators: list[dict[str, Any]]) -> dict[str, int | None]:
    """Headline figures from one report's 附表 rows (the report-year column)."""
    year = {r.get("key"): r.get("year_value") for r in indicators if r.get("key")}
    return {col: _int(year.get(key)) for col, (key, _) in G0_TO_HEADLINE.items() if key in year}
