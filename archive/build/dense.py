"""Report tables stored the way they are printed: one row per printed row, integer keys.

| dense table | one row per | columns |
|---|---|---|
| `application_rows` (section 三) | report and row | the 7 applicant columns side by side |
| `review_litigation_rows` (section 四) | report and group | upheld, corrected, other, pending, total |
| `disclosure_values` (section 二) | report and item (article, row, column) | value |
| `check_results` | report and rule evaluated | rule, ok, severity, detail |

Rows are keyed by `report_rowid` (= `reports.rowid`) and a small integer label id; the label
tables (`application_row_labels`, `applicant_labels`, `review_litigation_groups`,
`review_litigation_results`, `disclosure_item_labels`) hold the canonical keys, the official
Chinese labels and the printed order. All are `WITHOUT ROWID` on their natural key, so the
primary key is the only index. What a cell has beyond its number — the text as printed when it
is not just the number, normalisation flags, a printed label that differs from the official
one, a template other than the report's — goes into the row's `extra` JSON (NULL for the
ordinary row).

The long form of spec/archive.md §2 (`application_counts`, `review_litigation_counts`,
`disclosure_items`, `consistency_checks`: one row per number, text keys) is kept as views
(`LONG_VIEWS`) with the same column names, so canned queries and users' SQL keep working.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from archive.parse import keys as _keys  # canonical keys and official labels

APPLICANTS = ("natural_person", "commercial", "research", "public_interest", "legal_services",
              "other_org", "total")
S4_RESULTS = ("upheld", "corrected", "other", "pending", "total")

# long-form columns (the views' columns, and what the parser's JSON rows carry)
LONG_COLUMNS = {
    "disclosure_items": ("report_id", "template", "article", "row_key", "row_label", "col_key",
                         "col_label", "raw", "value", "unit", "flags"),
    "application_counts": ("report_id", "template", "row_key", "row_label", "applicant", "raw",
                           "value", "flags"),
    "review_litigation_counts": ("report_id", "group_key", "result_key", "raw", "value", "flags"),
    "consistency_checks": ("report_id", "rule", "ok", "severity", "detail"),
}

DENSE_DDL = [
    """create table if not exists application_row_labels (
  row_id integer primary key, row_key text not null unique, label text, ord integer)""",
    """create table if not exists applicant_labels (
  applicant_id integer primary key, applicant text not null unique, label text)""",
    f"""create table if not exists application_rows (
  report_rowid integer not null, row_id integer not null,
  {", ".join(f"{a} integer" for a in APPLICANTS)},
  extra text,
  primary key (report_rowid, row_id)) without rowid""",
    """create table if not exists review_litigation_groups (
  group_id integer primary key, group_key text not null unique, label text, ord integer)""",
    """create table if not exists review_litigation_results (
  result_id integer primary key, result_key text not null unique, label text)""",
    f"""create table if not exists review_litigation_rows (
  report_rowid integer not null, group_id integer not null,
  {", ".join(f"{r} integer" for r in S4_RESULTS)},
  extra text,
  primary key (report_rowid, group_id)) without rowid""",
    """create table if not exists disclosure_item_labels (
  item_id integer primary key, article text, row_key text not null, col_key text not null,
  row_label text, col_label text, ord integer, unique (article, row_key, col_key))""",
    """create table if not exists disclosure_values (
  report_rowid integer not null, item_id integer not null, value numeric, extra text,
  primary key (report_rowid, item_id)) without rowid""",
    """create table if not exists check_results (
  report_rowid integer not null, seq integer not null, rule text, ok integer, severity text,
  detail text, primary key (report_rowid, seq)) without rowid""",
    # failed_checks reads the failures only: a small partial index instead of all checks
    "create index if not exists idx_check_results_failed on check_results (rule, report_rowid) where ok = 0",
]

DENSE_TABLES = ("application_rows", "review_litigation_rows", "disclosure_values", "check_results")


def _json(col: str, path: str) -> str:
    return f"json_extract({col}, '{path}')"


def _unpivot(columns: tuple[str, ...], alias: str, key_col: str) -> str:
    return "case " + key_col + " " + " ".join(
        f"when '{c}' then {alias}.{c}" for c in columns) + " end"


LONG_VIEWS = {
    "application_counts": f"""create view application_counts as
select r.report_id as report_id,
  coalesce(json_extract(c.extra, '$.template'), r.template) as template,
  l.row_key as row_key,
  coalesce(json_extract(c.extra, '$.row_label'), l.label) as row_label,
  c.applicant as applicant,
  case when json_type(c.extra, '$.raw.' || c.applicant) is null then cast(c.value as text)
       else json_extract(c.extra, '$.raw.' || c.applicant) end as raw,
  c.value as value,
  coalesce(json_extract(c.extra, '$.flags.' || c.applicant), '[]') as flags
from (select a.report_rowid, a.row_id, a.extra, p.applicant_id, p.applicant,
        {_unpivot(APPLICANTS, "a", "p.applicant")} as value
      from application_rows a join applicant_labels p) c
join reports r on r.rowid = c.report_rowid
join application_row_labels l on l.row_id = c.row_id
where c.value is not null or json_type(c.extra, '$.raw.' || c.applicant) is not null""",
    "review_litigation_counts": f"""create view review_litigation_counts as
select r.report_id as report_id, g.group_key as group_key, c.result_key as result_key,
  case when json_type(c.extra, '$.raw.' || c.result_key) is null then cast(c.value as text)
       else json_extract(c.extra, '$.raw.' || c.result_key) end as raw,
  c.value as value,
  coalesce(json_extract(c.extra, '$.flags.' || c.result_key), '[]') as flags
from (select s.report_rowid, s.group_id, s.extra, k.result_id, k.result_key,
        {_unpivot(S4_RESULTS, "s", "k.result_key")} as value
      from review_litigation_rows s join review_litigation_results k) c
join reports r on r.rowid = c.report_rowid
join review_litigation_groups g on g.group_id = c.group_id
where c.value is not null or json_type(c.extra, '$.raw.' || c.result_key) is not null""",
    "disclosure_items": """create view disclosure_items as
select r.report_id as report_id,
  coalesce(json_extract(d.extra, '$.template'), r.template) as template,
  l.article as article, l.row_key as row_key,
  coalesce(json_extract(d.extra, '$.row_label'), l.row_label) as row_label,
  l.col_key as col_key,
  coalesce(json_extract(d.extra, '$.col_label'), l.col_label) as col_label,
  case when json_type(d.extra, '$.raw') is null then cast(d.value as text)
       else json_extract(d.extra, '$.raw') end as raw,
  d.value as value, json_extract(d.extra, '$.unit') as unit,
  coalesce(json_extract(d.extra, '$.flags'), '[]') as flags
from disclosure_values d
join reports r on r.rowid = d.report_rowid
join disclosure_item_labels l on l.item_id = d.item_id""",
    "consistency_checks": """create view consistency_checks as
select r.report_id as report_id, k.rule as rule, k.ok as ok, k.severity as severity, k.detail as detail
from check_results k join reports r on r.rowid = k.report_rowid""",
}


def _official_labels() -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]],
                                list[tuple[str, str, str, str | None, str | None]]]:
    """(section-3 rows, section-4 groups, section-2 items) in printed order, with labels."""
    s3_order = list(dict.fromkeys(_keys.S3_ROWS["G1"] + _keys.S3_ROWS["G2"]))
    s3 = [(k, _keys.S3_LABEL.get(k)) for k in s3_order]
    s3 += [(k, v) for k, v in _keys.S3_GROUP_LABEL.items() if k not in dict(s3)]
    s4 = [(g, _keys.S4_GROUP_LABEL.get(g)) for g in _keys.S4_GROUPS]
    s2: list[tuple[str, str, str, str | None, str | None]] = []
    for template in ("G1", "G2"):
        for row in _keys.S2_ROWS[template]:
            for col, col_label in _keys.S2_COLUMNS[template][row]:
                s2.append((_keys.S2_ARTICLE[row], row, col, _keys.S2_ROW_LABEL.get(row), col_label))
    return s3, s4, s2


def create_dense_schema(conn: sqlite3.Connection) -> None:
    """Dense tables, label tables with the official labels, and the long-form views."""
    for ddl in DENSE_DDL:
        conn.execute(ddl)
    s3, s4, s2 = _official_labels()
    conn.executemany("insert or ignore into application_row_labels (row_key, label, ord) values (?, ?, ?)",
                     [(k, label, i) for i, (k, label) in enumerate(s3)])
    labels = _keys.APPLICANT_LABEL
    conn.executemany("insert or ignore into applicant_labels (applicant_id, applicant, label) values (?, ?, ?)",
                     [(i + 1, a, labels.get(a)) for i, a in enumerate(APPLICANTS)])
    conn.executemany("insert or ignore into review_litigation_groups (group_key, label, ord) values (?, ?, ?)",
                     [(k, label, i) for i, (k, label) in enumerate(s4)])
    results = _keys.S4_RESULT_LABEL
    conn.executemany("insert or ignore into review_litigation_results (result_id, result_key, label) "
                     "values (?, ?, ?)", [(i + 1, r, results.get(r)) for i, r in enumerate(S4_RESULTS)])
    conn.executemany("insert or ignore into disclosure_item_labels (article, row_key, col_key, row_label, "
                     "col_label, ord) values (?, ?, ?, ?, ?, ?)",
                     [(*item, i) for i, item in enumerate(s2)])
    for name, sql in LONG_VIEWS.items():
        conn.execute(f"drop view if exists [{name}]")
        conn.execute(sql)


class Labels:
    """Label ids by key, read once per build; an unknown key gets a new id (label NULL)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.s3 = dict(conn.execute("select row_key, row_id from application_row_labels"))
        self.s3_label = dict(conn.execute("select row_key, label from application_row_labels"))
        self.s4 = dict(conn.execute("select group_key, group_id from review_litigation_groups"))
        self.s2 = {(a, r, c): (i, rl, cl) for i, a, r, c, rl, cl in conn.execute(
            "select item_id, article, row_key, col_key, row_label, col_label from disclosure_item_labels")}

    def s3_id(self, key: str) -> int:
        if key not in self.s3:
            cur = self.conn.execute("insert into application_row_labels (row_key, ord) values "
                                    "(?, 1000 + (select count(*) from application_row_labels))", [key])
            self.s3[key], self.s3_label[key] = cur.lastrowid, None
        return self.s3[key]

    def s4_id(self, key: str) -> int:
        if key not in self.s4:
            cur = self.conn.execute("insert into review_litigation_groups (group_key, ord) values "
                                    "(?, 1000 + (select count(*) from review_litigation_groups))", [key])
            self.s4[key] = cur.lastrowid
        return self.s4[key]

    def s2_item(self, article: str | None, row: str, col: str) -> tuple[int, str | None, str | None]:
        key = (article, row, col)
        if key not in self.s2:
            cur = self.conn.execute("insert into disclosure_item_labels (article, row_key, col_key, ord) "
                                    "values (?, ?, ?, 1000 + (select count(*) from disclosure_item_labels))",
                                    [article, row, col])
            self.s2[key] = (cur.lastrowid, None, None)
        return self.s2[key]


def default_raw(value: Any) -> str | None:
    """The text SQLite's `cast(value as text)` gives: what `raw` is when `extra` holds none."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_number(value: Any) -> Any:
    """Counts as INTEGER: 3.0 -> 3; other numbers as they are."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _flags(value: Any) -> list:
    if value in (None, "", "[]"):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _dump(extra: dict[str, Any]) -> str | None:
    return json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None


def _cell_extra(extra: dict[str, Any], col: str, cell: dict[str, Any], value: Any) -> None:
    raw = cell.get("raw")
    if "raw" in cell and raw != default_raw(value):
        extra.setdefault("raw", {})[col] = raw
    flags = _flags(cell.get("flags"))
    if flags:
        extra.setdefault("flags", {})[col] = flags


def application_rows(labels: Labels, report_rowid: int, template: str | None,
                     cells: Iterable[dict[str, Any]]) -> list[tuple]:
    rows: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for cell in cells:
        key = cell.get("row_key")
        if not key:
            continue
        values, extra = rows.setdefault(key, ({}, {}))
        applicant = cell.get("applicant")
        if applicant not in APPLICANTS:
            extra.setdefault("unknown_cells", []).append(cell)
            continue
        value = as_number(cell.get("value"))
        values[applicant] = value
        _cell_extra(extra, applicant, cell, value)
        labels.s3_id(key)
        if cell.get("row_label") and cell["row_label"] != labels.s3_label.get(key):
            extra["row_label"] = cell["row_label"]
        if cell.get("template") and cell["template"] != template:
            extra["template"] = cell["template"]
    return [(report_rowid, labels.s3_id(key), *(values.get(a) for a in APPLICANTS), _dump(extra))
            for key, (values, extra) in rows.items()]


def review_rows(labels: Labels, report_rowid: int, cells: Iterable[dict[str, Any]]) -> list[tuple]:
    rows: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for cell in cells:
        group, result = cell.get("group_key"), cell.get("result_key")
        if not group:
            continue
        values, extra = rows.setdefault(group, ({}, {}))
        if result not in S4_RESULTS:
            extra.setdefault("unknown_cells", []).append(cell)
            continue
        value = as_number(cell.get("value"))
        values[result] = value
        _cell_extra(extra, result, cell, value)
    return [(report_rowid, labels.s4_id(g), *(values.get(r) for r in S4_RESULTS), _dump(extra))
            for g, (values, extra) in rows.items()]


def disclosure_rows(labels: Labels, report_rowid: int, template: str | None,
                    cells: Iterable[dict[str, Any]]) -> list[tuple]:
    out: dict[int, tuple] = {}
    for cell in cells:
        row, col = cell.get("row_key"), cell.get("col_key")
        if not row or not col:
            continue
        article = cell.get("article") or _keys.S2_ARTICLE.get(row)
        item_id, row_label, col_label = labels.s2_item(article, row, col)
        value = as_number(cell.get("value"))
        extra: dict[str, Any] = {}
        if "raw" in cell and cell.get("raw") != default_raw(value):
            extra["raw"] = cell.get("raw")
        if cell.get("unit"):
            extra["unit"] = cell["unit"]
        flags = _flags(cell.get("flags"))
        if flags:
            extra["flags"] = flags
        if cell.get("row_label") and cell["row_label"] != row_label:
            extra["row_label"] = cell["row_label"]
        if cell.get("col_label") and cell["col_label"] != col_label:
            extra["col_label"] = cell["col_label"]
        if cell.get("template") and cell["template"] != template:
            extra["template"] = cell["template"]
        out[item_id] = (report_rowid, item_id, value, _dump(extra))
    return list(out.values())


def check_rows(report_rowid: int, cells: Iterable[dict[str, Any]]) -> list[tuple]:
    return [(report_rowid, i, c.get("rule"), None if c.get("ok") is None else int(bool(c["ok"])),
             c.get("severity"), c.get("detail")) for i, c in enumerate(cells)]


INSERTS = {
    "application_rows": f"insert into application_rows values ({', '.join('?' * (len(APPLICANTS) + 3))})",
    "review_litigation_rows": f"insert into review_litigation_rows values ({', '.join('?' * (len(S4_RESULTS) + 3))})",
    "disclosure_values": "insert into disclosure_values values (?, ?, ?, ?)",
    "check_results": "insert into check_results values (?, ?, ?, ?, ?, ?)",
}


def dense_rows(labels: Labels, report_rowid: int, template: str | None,
               cells: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple]]:
    """The dense rows of one report from the parser's long-form cells."""
    return {
        "application_rows": application_rows(labels, report_rowid, template, cells.get("application_counts") or []),
        "review_litigation_rows": review_rows(labels, report_rowid, cells.get("review_litigation_counts") or []),
        "disclosure_values": disclosure_rows(labels, report_rowid, template, cells.get("disclosure_items") or []),
        "check_results": check_rows(report_rowid, cells.get("consistency_checks") or []),
    }


def delete_cells(conn: sqlite3.Connection, report_rowid: int) -> None:
    for table in DENSE_TABLES:
        conn.execute(f"delete from {table} where report_rowid = ?", [report_rowid])


def write_cells(conn: sqlite3.Connection, labels: Labels, report_rowid: int, template: str | None,
                cells: dict[str, list[dict[str, Any]]]) -> None:
    """Replace one report's dense rows."""
    delete_cells(conn, report_rowid)
    for table, rows in dense_rows(labels, report_rowid, template, cells).items():
        if rows:
            conn.executemany(INSERTS[table], rows)


def delete_orphans(conn: sqlite3.Connection) -> None:
    """Dense rows of reports that are gone."""
    for table in DENSE_TABLES:
        conn.execute(f"delete from {table} where report_rowid not in (select rowid from reports)")
