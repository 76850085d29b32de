"""`/-/pivot`: one region's agencies × report years for one headline figure.

Region, agency and figure are chosen from lists (names shown, not slugs). Cells of pre-2019
reports come from the 附表 mapping (archive.parse.legacy_figures) and are marked †, since those
indicators are close to but not the same as the modern ones; a cell links to the report.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from urllib.parse import urlencode

from markupsafe import Markup, escape

from archive.parse.legacy_figures import G0_ANNEX, G0_TO_HEADLINE

FIGURES = {"applications_received": "本年新收申请 requests received",
           "granted": "予以公开 granted", "partial": "部分公开 partly granted",
           "denied": "不予公开 denied", "results_total": "办理结果总计 results total",
           "reviews_total": "行政复议 administrative reviews", "suits_total": "行政诉讼 lawsuits"}


@dataclass
class Pivot:
    sites: list[tuple[str, str]]
    site_id: str | None
    agencies: list[str]
    agency: str
    figure: str
    years: list[int] = field(default_factory=list)
    rows: dict[str, dict[int, tuple[int | None, str | None, bool]]] = field(default_factory=dict)


def build_pivot(conn: sqlite3.Connection, site_id: str | None, agency: str, figure: str) -> Pivot:
    figure = figure if figure in FIGURES else "applications_received"
    sites = [(s, n or s) for s, n in conn.execute(
        "select site_id, coalesce(name, site_id) from sites order by province, prefecture, county, name")]
    ids = {s for s, _ in sites}
    site_id = site_id if site_id in ids else (sites[0][0] if sites else None)
    agencies = [a for (a,) in conn.execute(
        "select distinct agency from report_headlines where site_id = ? and agency is not null order by agency",
        [site_id])]
    agency = agency if agency in agencies else ""
    p = Pivot(sites, site_id, agencies, agency, figure)
    rows = conn.execute(
        f"select agency, report_year, [{figure}], report_id, figures_basis from report_headlines "
        "where site_id = ? and report_year is not null and agency is not null and (? = '' or agency = ?) "
        "order by agency, report_year", [site_id, agency, agency]).fetchall()
    for ag, year, value, rid, basis in rows:
        cells = p.rows.setdefault(ag, {})
        old = cells.get(year)
        if old and old[0] is not None and value is not None:  # two reports of one year: add them
            value = old[0] + value
        cells[year] = (value if value is not None else (old[0] if old else None), rid, basis == G0_ANNEX)
    p.years = sorted({y for c in p.rows.values() for y in c})
    return p


def _select(name: str, options: list[tuple[str, str]], chosen: str, label: str) -> Markup:
    opts = "".join(f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(t)}</option>'
                   for v, t in options)
    return Markup(f'<label>{escape(label)} <select name="{name}" onchange="this.form.submit()">{opts}</select></label> ')


def render(p: Pivot) -> Markup:
    form = (Markup('<h1>申请数 · 机关 × 年度 Requests per agency and year</h1>'
                   '<form method="get" action="/-/pivot" class="xxgk-pivot-form">')
            + _select("region", p.sites, p.site_id or "", "地区 Region")
            + _select("agency", [("", "全部机关 all agencies"), *[(a, a) for a in p.agencies]], p.agency, "机关 Agency")
            + _select("figure", list(FIGURES.items()), p.figure, "数字 Figure")
            + Markup('<noscript><input type="submit" value="Show"></noscript></form>'))
    if not p.rows:
        return form + Markup("<p>没有数字 No figures for this choice.</p>")
    head = "".join(f"<th>{y}</th>" for y in p.years)
    body = []
    totals: dict[int, int] = {}
    for ag, cells in sorted(p.rows.items()):
        tds = []
        for y in p.years:
            value, rid, legacy = cells.get(y, (None, None, False))
            if value is not None:
                totals[y] = totals.get(y, 0) + value
            mark = "†" if legacy and value is not None else ""
            shown = "" if value is None else f"{value}{mark}"
            title = "附表 mapped from the pre-2019 table" if mark else ""
            inner = f'<a href="/archive/reports/{escape(rid)}" title="{title}">{escape(shown)}</a>' if rid and shown else (
                "—" if rid else "")
            tds.append(f'<td class="num">{inner}</td>')
        q = urlencode({"region": p.site_id or "", "agency": ag, "figure": p.figure})
        body.append(f'<tr><th class="label"><a href="/-/pivot?{escape(q)}">{escape(ag)}</a></th>{"".join(tds)}</tr>')
    total_row = "".join(f'<td class="num total">{totals.get(y, "")}</td>' for y in p.years)
    key = G0_TO_HEADLINE.get(p.figure)
    note = (f"† 2008–2018: {escape(key[0])} from the 附表 — {escape(key[1])}; not strictly comparable with 2019+."
            if key else "2008–2018 reports have no comparable indicator for this figure.")
    return form + Markup(
        f'<table class="xxgk-print xxgk-pivot"><tr><th>机关 agency</th>{head}</tr>{"".join(body)}'
        f'<tr class="checks"><th class="label">合计 total</th>{total_row}</tr></table>'
        f'<p class="help">{note} — 空白 blank: no report or figure not parsed; “—”: report without this figure.</p>')
