"""A report's page as HTML: metadata, originals, versions, and its tables as printed.

Rows come in the official order with the official labels (report-format.md §3–§5, §7), the
seven applicant columns of section 三 side by side, counts as integers, blank cells blank,
and every consistency rule (R1–R4, R9) shown next to the figures it compares.
"""
from __future__ import annotations

from typing import Any, Callable

from markupsafe import Markup, escape

from archive.parse.keys import (APPLICANT_LABEL, APPLICANTS, S2_COLUMNS, S2_ROW_LABEL, S2_ROWS,
                                S3_LABEL, S3_ROWS, S4_GROUPS, S4_RESULT_LABEL, S4_RESULTS)
from archive.serve.report_doc import Cell, ReportDoc

TEMPLATE_NAMES = {"G0": "G0 — 2018 年及以前的格式（附表）", "G1": "G1 — 2019 年格式（国办公开办函〔2019〕60号）",
                  "G2": "G2 — 2021 年格式（国办公开办函〔2021〕30号）"}
S2_ARTICLES = [("第二十条第（一）项", ["regulations", "normative_docs", "other_proactive_docs"]),
               ("第二十条第（五）项", ["licensing", "other_services"]),
               ("第二十条第（六）项", ["penalty", "coercion"]),
               ("第二十条第（八）项", ["fees"]),
               ("第二十条第（九）项", ["procurement"])]
S3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
S3_GROUPS = {"denied": "（三）不予公开", "unable": "（四）无法提供", "not_processed": "（五）不予处理",
             "other": "（六）其他处理"}
S4_HEAD = {"review": "行政复议", "litigation_direct": "未经复议直接起诉",
           "litigation_after_review": "复议后起诉"}
EVENTS = {"first_seen": "首次发现 first seen", "changed": "内容变更 changed",
          "removed": "下线 removed", "returned": "重新上线 returned"}
KINDS = {"government": "本级政府 government's own report", "township": "乡镇/街道 township or sub-district",
         "department": "政府部门 department", "unknown": "未能判断 unknown"}


def number(value: float | None) -> str:
    """A count as an integer; a non-integral amount as written (no `30.0`)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def cell_td(cell: Cell | None, extra_class: str = "") -> Markup:
    if cell is None:
        return Markup(f'<td class="num missing {extra_class}" title="未解析 not parsed"></td>')
    if "blank" in cell.flags:  # printed blank: shown blank, counted as 0 by the rules
        shown, title = "", "空白 blank in the report (counted as 0)"
    elif "dash" in cell.flags:
        shown, title = cell.raw or "—", "表示无 a dash: none"
    elif cell.value is None:
        shown, title = cell.raw or "", "未能解析的数字 not a number"
    else:
        shown = number(cell.value) + (f" {cell.unit}" if cell.unit else "")
        title = f"原文 as printed: {cell.raw}" if cell.raw and cell.raw.strip() != shown else ""
    t = f' title="{escape(title)}"' if title else ""
    return Markup(f'<td class="num {extra_class}"{t}>{escape(shown)}</td>')


def check_td(ok: bool | None, detail: str) -> Markup:
    if ok is None:
        return Markup('<td class="check na" title="无法核对 not evaluable">·</td>')
    cls, mark = ("ok", "✓") if ok else ("fail", "✗")
    return Markup(f'<td class="check {cls}" title="{escape(detail)}">{mark}</td>')


def _v(cell: Cell | None) -> float | None:
    if cell is None:
        return None
    return 0.0 if cell.value is None and "blank" in cell.flags else cell.value


def _sum(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else sum(values)


# --------------------------------------------------------------------------- header
def _meta_rows(doc: ReportDoc, link: Callable[[str], str]) -> list[tuple[str, Markup | str]]:
    r, s, h = doc.report, doc.site, doc.headline
    region = " ".join(x for x in (s.get("province"), s.get("prefecture"), s.get("county")) if x)
    kind = h.get("agency_kind")
    due = h.get("due_date")
    late = ""
    if due and r.get("published_date"):
        late = (" — 逾期 late" if r["published_date"] > due else " — 按时 on time")
    rows: list[tuple[str, Markup | str]] = [
        ("发布机关 Agency", Markup(f'<a href="{escape(link("agency"))}">{escape(r.get("agency") or r.get("page_agency") or "")}</a>')
         + (f"（{KINDS.get(kind, kind)}）" if kind else "")),
        ("地区 Region", Markup(f'<a href="/archive/sites/{escape(r["site_id"])}">{escape(s.get("name") or r["site_id"])}</a>'
                               f' · {escape(region)}')),
        ("报告年度 Year", str(r.get("report_year") or "")),
        ("格式 Template", TEMPLATE_NAMES.get(r.get("template") or "", r.get("template") or "")),
        ("索引号", r.get("index_no") or ""),
        ("发文字号", r.get("doc_no") or ""),
        ("发布日期 Published", (r.get("published_date") or "")
         + (f"（应于 {due} 前 due by {due}{late}; {h.get('deadline_rule')}）" if due else "")),
        ("成文日期 Written", r.get("written_date") or ""),
        ("抓取时间 Captured", f"{r.get('last_changed') or ''}（首次发现 first seen {r.get('first_seen') or ''}；"
                            f"最后可见 last seen {r.get('last_seen') or ''}）"),
        ("解析 Parse", f"{r.get('parse_status') or ''} {r.get('parse_notes') or ''}".strip()),
    ]
    if r.get("removed_at"):
        rows.append(("下线 Removed", f"{r['removed_at']}（已从网站撤下 no longer on the portal）"))
    return rows


def _size(n: int | None) -> str:
    if not n:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def _originals(doc: ReportDoc) -> Markup:
    r = doc.report
    out = ['<ul class="xxgk-originals">']
    if r.get("sha256"):
        out.append(f'<li><a class="xxgk-page-original" href="/-/archived/{escape(r["sha256"])}">存档原页 archived page</a>'
                   f'（{escape(r.get("last_changed") or "")}）· <a href="{escape(r.get("url") or "")}" '
                   f'class="xxgk-external" rel="noreferrer noopener" target="_blank">原网址 live page ↗</a></li>')
    for a in doc.attachments:
        name = a.get("link_text") or a.get("filename") or a.get("url")
        kind = (a.get("ext") or "").upper()
        if a.get("sha256"):
            out.append(f'<li><a class="xxgk-attachment" href="/-/archived/{escape(a["sha256"])}">'
                       f'{escape(name)}</a> <span class="meta">{escape(kind)} · {escape(_size(a.get("size")))}</span></li>')
        else:
            out.append(f'<li>{escape(name)} <span class="meta">{escape(kind)} · 未存档 not archived'
                       f'{" · " + escape(a["error"]) if a.get("error") else ""}</span></li>')
    out.append("</ul>")
    return Markup("".join(out))


def _versions(doc: ReportDoc) -> Markup:
    if not doc.versions and not doc.history:
        return Markup("")
    out = ['<table class="xxgk-versions"><tr><th>时间 time</th><th>事件 event</th><th>版本 version</th></tr>']
    current = doc.report.get("sha256")
    for v in doc.versions:
        mark = "（当前 current）" if v.get("sha256") == current else ""
        out.append(f'<tr><td>{escape(v["fetched_at"] or "")}</td><td>抓取 captured{mark}</td>'
                   f'<td><a href="/-/archived/{escape(v["sha256"])}">{escape((v["sha256"] or "")[:12])}…</a> '
                   f'{escape(_size(v.get("size")))}</td></tr>')
    for e in doc.history:
        out.append(f'<tr><td>{escape(e["at"] or "")}</td><td>{escape(EVENTS.get(e["event"], e["event"]))}</td>'
                   f'<td>{escape((e.get("sha256") or "")[:12])}</td></tr>')
    out.append("</table>")
    return Markup("".join(out))


# --------------------------------------------------------------------------- section 二
def section2(doc: ReportDoc) -> Markup:
    tpl = doc.s2_template or ("G2" if doc.report.get("template") == "G2" else "G1")
    cols_of = S2_COLUMNS.get(tpl, S2_COLUMNS["G1"])
    rows_wanted = S2_ROWS.get(tpl, [])
    out = ['<table class="xxgk-print s2">']
    for caption, rows in S2_ARTICLES:
        rows = [k for k in rows if k in rows_wanted or any(rk == k for rk, _ in doc.s2)]
        if not rows:
            continue
        cols = cols_of.get(rows[0], [])
        width = 1 + max(len(cols_of.get(k, [])) for k in rows)
        out.append(f'<tr class="caption"><th colspan="{width}">{escape(caption)}</th></tr>')
        out.append("<tr><th>信息内容</th>" + "".join(
            f'<th colspan="{width - len(cols) if i == len(cols) - 1 else 1}">{escape(lab)}</th>'
            for i, (_, lab) in enumerate(cols)) + "</tr>")
        for k in rows:
            tds = "".join(str(cell_td(doc.s2.get((k, c)))) for c, _ in cols_of.get(k, []))
            label = "行政规范性文件" if tpl == "G2" and k == "normative_docs" else S2_ROW_LABEL.get(k, k)
            out.append(f"<tr><th class='label'>{escape(label)}</th>{tds}</tr>")
    out.append("</table>")
    return Markup("".join(out))


# --------------------------------------------------------------------------- section 三
def _s3_row_label(key: str, tpl: str, rows: list[str]) -> str:
    """The label cells of one section-3 row, merged as printed."""
    group = key.split(".")[0] if "." in key else None
    if key in ("new", "carried_over", "carried_forward"):
        return f'<th colspan="3" class="label">{escape(S3_LABEL[key])}</th>'
    out = ""
    result_rows = [k for k in rows if k not in ("new", "carried_over", "carried_forward")]
    if key == result_rows[0]:
        out += f'<th rowspan="{len(result_rows)}" class="label group">三、本年度办理结果</th>'
    if group:
        members = [k for k in rows if k.startswith(group + ".")]
        if key == members[0]:
            out += f'<th rowspan="{len(members)}" class="label group">{escape(S3_GROUPS[group])}</th>'
        return out + f'<th class="label">{escape(S3_LABEL.get(key, key))}</th>'
    return out + f'<th colspan="2" class="label">{escape(S3_LABEL.get(key, key))}</th>'


def s3_checks(doc: ReportDoc, rows: list[str]) -> tuple[dict[str, tuple[bool | None, str]],
                                                         dict[str, tuple[bool | None, str]],
                                                         dict[str, tuple[bool | None, str]]]:
    """R1 and R2 per applicant column, R3 per row: (ok or None, what was compared)."""
    v = {(r, c): _v(doc.s3.get((r, c))) for r in rows for c in APPLICANTS}
    outcome_rows = [k for k in rows if k not in ("new", "carried_over", "results_total", "carried_forward")]
    r1, r2, r3 = {}, {}, {}
    for c in APPLICANTS:
        a, b = _sum([v[("new", c)], v[("carried_over", c)]]), _sum([v[("results_total", c)], v[("carried_forward", c)]])
        r1[c] = (None if a is None or b is None else a == b,
                 f"R1 一+二 = {number(a)}，（七）总计+四 = {number(b)}")
        s, t = _sum([v[(k, c)] for k in outcome_rows]), v[("results_total", c)]
        r2[c] = (None if s is None or t is None else s == t,
                 f"R2 （七）总计 = {number(t)}，（一）…（六）之和 = {number(s)}")
    for r in rows:
        s, t = _sum([v[(r, c)] for c in APPLICANTS[:-1]]), v[(r, "total")]
        r3[r] = (None if s is None or t is None else s == t, f"R3 总计 = {number(t)}，六列之和 = {number(s)}")
    return r1, r2, r3


def section3(doc: ReportDoc) -> Markup:
    tpl = doc.s3_template or doc.report.get("template") or "G1"
    rows = S3_ROWS.get(tpl, S3_ROWS["G1"])
    r1, r2, r3 = s3_checks(doc, rows)
    head = (f'<tr><th colspan="3" rowspan="3" class="note">{escape(S3_NOTE)}</th>'
            '<th colspan="7">申请人情况</th><th rowspan="3" class="check" title="R3: 总计 = 各列之和">R3</th></tr>'
            '<tr><th rowspan="2">自然人</th><th colspan="5">法人或其他组织</th><th rowspan="2">总计</th></tr>'
            "<tr>" + "".join(f"<th>{escape(APPLICANT_LABEL[c])}</th>" for c in APPLICANTS[1:6]) + "</tr>")
    out = ['<table class="xxgk-print s3">', head]
    for key in rows:
        tds = "".join(str(cell_td(doc.s3.get((key, c)), "total" if c == "total" else "")) for c in APPLICANTS)
        out.append(f'<tr data-row="{escape(key)}">{_s3_row_label(key, tpl, rows)}{tds}{check_td(*r3[key])}</tr>')
    for rule, res, what in (("R1", r1, "一＋二 ＝ （七）总计＋四"), ("R2", r2, "（七）总计 ＝ （一）至（六）之和")):
        out.append(f'<tr class="checks" data-rule="{rule}"><th colspan="3" class="label">{rule} 勾稽 {escape(what)}</th>'
                   + "".join(str(check_td(*res[c])) for c in APPLICANTS) + "<td></td></tr>")
    out.append("</table>")
    return Markup("".join(out))


# --------------------------------------------------------------------------- section 四
def section4(doc: ReportDoc) -> Markup:
    labels = "".join(f"<th>{escape(S4_RESULT_LABEL[k])}</th>" for k in S4_RESULTS)
    head = ('<tr><th colspan="5">行政复议</th><th colspan="10">行政诉讼</th></tr>'
            f'<tr>{"".join(f"<th rowspan=2>{escape(S4_RESULT_LABEL[k])}</th>" for k in S4_RESULTS)}'
            '<th colspan="5">未经复议直接起诉</th><th colspan="5">复议后起诉</th></tr>'
            f"<tr>{labels}{labels}</tr>")
    vals = "".join(str(cell_td(doc.s4.get((g, k)), "total" if k == "total" else ""))
                   for g in S4_GROUPS for k in S4_RESULTS)
    checks = []
    for g in S4_GROUPS:
        parts = _sum([_v(doc.s4.get((g, k))) for k in S4_RESULTS[:-1]])
        total = _v(doc.s4.get((g, "total")))
        ok = None if parts is None or total is None else parts == total
        checks.append(f'<td colspan="5" class="check {"na" if ok is None else ("ok" if ok else "fail")}">'
                      f'R4 {escape(S4_HEAD[g])}：总计 {number(total)} {"=" if ok else "≠" if ok is False else "?"} '
                      f'四项之和 {number(parts)} {"✓" if ok else "✗" if ok is False else ""}</td>')
    return Markup(f'<table class="xxgk-print s4">{head}<tr>{vals}</tr>'
                  f'<tr class="checks" data-rule="R4">{"".join(checks)}</tr></table>')


# --------------------------------------------------------------------------- 附表
def legacy_table(doc: ReportDoc) -> Markup:
    year = doc.report.get("report_year")
    out = ['<table class="xxgk-print g0"><tr><th>指标名称</th><th>单位</th>'
           f'<th>{escape(str(year) + "年" if year else "本年")}</th><th>历年累计</th></tr>']
    for r in doc.legacy:
        label = r.get("label") or r.get("key")
        sub = " sub" if label and (label[:1].isdigit() or label.startswith("其中")) else ""
        out.append(f'<tr><th class="label{sub}">{escape(label)}</th><td>{escape(r.get("unit") or "")}</td>'
                   f'{cell_td(Cell(r.get("raw"), r.get("year_value")))}'
                   f'{cell_td(Cell(r.get("raw"), r.get("cumulative_value")))}</tr>')
    out.append("</table>")
    return Markup("".join(out))


def checks_list(doc: ReportDoc, rules: tuple[str, ...]) -> Markup:
    got = [c for c in doc.checks if c["rule"] in rules]
    if not got:
        return Markup("")
    items = "".join(
        f'<li class="{"ok" if c["ok"] else "fail"}">{escape(c["rule"])} {"✓ 通过" if c["ok"] else "✗ 不符"}'
        f'（{escape(c.get("severity") or "")}）{escape(c.get("detail") or "")}</li>' for c in got)
    return Markup(f'<ul class="xxgk-checks">{items}</ul>')


def report_body(doc: ReportDoc, agency_link: str) -> Markup:
    r = doc.report
    meta = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
                   for k, v in _meta_rows(doc, lambda _: agency_link))
    parts: list[Any] = [
        Markup(f'<h1 class="xxgk-title">{escape(r.get("title") or r.get("listed_title") or r["report_id"])}</h1>'),
        Markup(f'<table class="xxgk-meta">{meta}</table>'),
        Markup("<h2>原件 Archived originals</h2>"), _originals(doc),
    ]
    has_tables = doc.s2 or doc.s3 or doc.s4
    if has_tables:
        parts += [Markup("<h2>二、主动公开政府信息情况</h2>"), section2(doc),
                  Markup("<h2>三、收到和处理政府信息公开申请情况</h2>"), section3(doc),
                  checks_list(doc, ("R1", "R2", "R3")),
                  Markup("<h2>四、政府信息公开行政复议、行政诉讼情况</h2>"), section4(doc),
                  checks_list(doc, ("R4",)), checks_list(doc, ("R5",))]
    if doc.legacy:
        parts += [Markup("<h2>附表 政府信息公开情况统计表</h2>"), legacy_table(doc), checks_list(doc, ("R9",))]
    if not has_tables and not doc.legacy:
        parts.append(Markup('<p class="xxgk-none">没有解析出统计表 No tables were parsed from this report '
                            f'({escape(r.get("parse_status") or "")}).</p>'))
    if doc.text:
        parts.append(Markup('<details class="xxgk-text"><summary>全文 Full text '
                            f'({len(doc.text)} 字 characters, {escape(r.get("body_source") or "page")})</summary>'
                            f'<pre>{escape(doc.text)}</pre></details>'))
    rid = escape(r["report_id"])
    tables = " · ".join(f'<a href="/archive/{t}?report_id={rid}">{t}</a>' for t in (
        "disclosure_items", "application_counts", "review_litigation_counts", "legacy_indicators",
        "consistency_checks", "attachments", "captures", "report_history"))
    parts += [Markup("<h2>版本 Versions and history</h2>"), _versions(doc),
              Markup(f'<p class="xxgk-more"><a href="/archive/reports/{rid}?_row=1">数据行 row data</a> · '
                     f'<a href="/archive/report_figures?report_id={rid}">所有数字 all figures</a> · 数据表 tables: {tables}</p>')]
    return Markup("").join(parts)
