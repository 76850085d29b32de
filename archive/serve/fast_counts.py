"""Counts and facets of big tables from columns held in memory, not from a scan per statement.

A Datasette table page runs `select count(*)` and one `group by` per facet over the page's
filtered rows. On `reports` each is a scan of one narrow index entry per row (with a bitmap
test when searching): ~10 ms at 100,000 reports, ~100 ms at 1,000,000, seven statements a
page. Here the facet columns of a big table are read once per process into integer codes
by rowid (numpy, 4 bytes a row), and those statements are answered from them: the rowids a
search selects (the plugin's `HitCache`, archive.serve.search) indexed into the codes, then
`bincount`. A few milliseconds at a million rows.

Only statements whose shape is known exactly are answered (Datasette 0.65's count and column
facet SQL, see `COUNT_RE`/`FACET_RE`) and only when every filter is one this module can
evaluate the way SQLite does: `"column" = :p` on a cached column, and the plugin's own search
clauses. Anything else (other operators, `_where=`, a column with mixed types or a collation)
goes to SQLite unchanged. `tests/test_fast_counts.py` checks the answers against SQLite's.
The database is immutable while served; entries are keyed by the file's identity.
"""
from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from archive.serve.search import CACHE, HitCache, file_key, quote_name

MIN_ROWS = 20_000          # smaller tables: SQLite's own statements are fast enough
MAX_ROWID = 50_000_000     # larger rowids: codes would not fit in memory reasonably
ABSENT, NULL = -2, -1      # codes for a rowid with no row, and for a NULL value
SELECTED_KEPT = 8          # filter results kept (8 bytes a selected row: 8 MB for a million)

COUNT_RE = re.compile(r"^\s*select count\(\*\) from (?P<table>\w+|\[[^\]]+\])(?: where (?P<where>.+?))?\s*$",
                      re.S)
FACET_RE = re.compile(
    r"^\s*select (?P<col>\w+|\[[^\]]+\]) as value, count\(\*\) as count from \(\s*"
    r"select (?P<cols>.+?) from (?P<table>\w+|\[[^\]]+\])(?: where (?P<where>.+?))?\s*\)"
    r"\s*where (?P=col) is not null\s*group by (?P=col) order by count desc, value limit (?P<limit>\d+)\s*$",
    re.S)
EQUALS_RE = re.compile(r'^"(?P<col>[^"]+)" = :(?P<param>p\d+)$')
SEARCH_RES = (
    re.compile(r"^rowid in \(select value from json_each\(xxgk_fts_rowids\('(?P<fts>\w+)', :search, "
               r"(?P<escape>[01])\)\)\)$"),
    re.compile(r"^substr\(xxgk_fts_bitmap\('(?P<fts>\w+)', :search, (?P<escape>[01])\), rowid \+ 1, 1\) "
               r"= x'01'$"),
)


def _unquote(name: str) -> str:
    return name[1:-1].replace("]]", "]") if name.startswith("[") else name


@dataclass
class Column:
    """One column's values as codes by rowid; `values[code]`, `rank[code]` = SQLite's order."""
    codes: np.ndarray
    values: list
    lookup: dict
    rank: np.ndarray
    kind: type
    _all_counts: np.ndarray | None = None

    @property
    def all_counts(self) -> np.ndarray:
        """Rows per code over the whole table (NULL and absent rowids not counted)."""
        if self._all_counts is None:
            self._all_counts = count_codes(self.codes, len(self.values))
        return self._all_counts


def count_codes(codes: np.ndarray, n_values: int) -> np.ndarray:
    return np.bincount(codes[codes >= 0], minlength=n_values)


@dataclass
class Filters:
    """What a recognised where clause selects: a search and equality tests."""
    search: tuple[str, str, int] | None   # (fts table, query, escape)
    equals: list[tuple[str, Any]]         # (column, parameter value)


def parse_where(where: str | None, params: dict) -> Filters | None:
    """The filters of a where clause made only of known parts, else None."""
    if not where:
        return Filters(None, [])
    search, equals = None, []
    for part in where.split(" and "):
        part = part.strip()
        m = EQUALS_RE.match(part)
        if m and m["param"] in params:
            equals.append((m["col"], params[m["param"]]))
            continue
        for rx in SEARCH_RES:
            s = rx.match(part)
            if s and search is None and isinstance(params.get("search"), str):
                search = (s["fts"], params["search"], int(s["escape"]))
                break
        else:
            return None
    return Filters(search, equals)


class Unanswerable(Exception):
    """The statement needs SQLite after all."""


@dataclass
class TableInfo:
    present: np.ndarray       # bool by rowid
    columns: set[str]
    rows: int = 0

    @functools.cached_property
    def first(self) -> int:
        return int(np.argmax(self.present)) if self.rows else 0

    @functools.cached_property
    def last(self) -> int:
        return len(self.present) - 1 - int(np.argmax(self.present[::-1])) if self.rows else -1

    @functools.cached_property
    def gapless(self) -> bool:
        return self.last - self.first + 1 == self.rows


class ColumnStore:
    """Facet columns of big tables, loaded on first use; shared by Datasette's threads."""

    def __init__(self, hits: HitCache = CACHE) -> None:
        self.hits = hits
        self.rows_of: dict[str, str] = {}  # view -> table with one view row per table row
        self.answered = 0  # statements answered here rather than by SQLite (tests, ?_trace)
        self._loaded: dict[tuple, Any] = {}
        self._selected: OrderedDict[tuple, np.ndarray | None] = OrderedDict()
        self._unselected: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, k: tuple, load: Callable[[], Any]) -> Any:
        with self._lock:
            if k in self._loaded:
                return self._loaded[k]
        value = load()  # outside the lock: a million rows take a second; a duplicate load is harmless
        with self._lock:
            return self._loaded.setdefault(k, value)

    def table(self, conn: sqlite3.Connection, key: tuple, table: str) -> TableInfo:
        """The rowids of a big plain rowid table, and its columns; Unanswerable for any other."""
        info = self._cached((key, table), lambda: _table_info(conn, table))
        if info is None:
            raise Unanswerable(table)
        return info

    def column(self, conn: sqlite3.Connection, key: tuple, table: str, col: str) -> Column:
        if col not in self.table(conn, key, table).columns:
            raise Unanswerable(col)
        c = self._cached((key, table, col), lambda: _load_column(conn, table, col))
        if c is None:
            raise Unanswerable(col)
        return c

    def _kept(self, kept: OrderedDict, k: tuple, compute: Callable[[], Any]) -> Any:
        """`kept[k]`, computed outside the lock when missing; the last SELECTED_KEPT are kept."""
        with self._lock:
            if k in kept:
                kept.move_to_end(k)
                return kept[k]
        value = compute()
        with self._lock:
            kept[k] = value
            while len(kept) > SELECTED_KEPT:
                kept.popitem(last=False)
        return value

    def selected(self, conn: sqlite3.Connection, key: tuple, table: str, flt: Filters) -> np.ndarray | None:
        """The rowids (ascending) the filters select; None for every row of the table.

        A page asks for them six times (count and five facets): the last few are kept."""
        return self._kept(self._selected, (key, table, flt.search, tuple(flt.equals)),
                          lambda: self._select(conn, key, table, flt))

    def unselected(self, conn: sqlite3.Connection, key: tuple, table: str, flt: Filters,
                   rowids: np.ndarray) -> np.ndarray:
        """The table's rowids that `rowids` (what `flt` selects) leaves out; kept like `selected`."""
        def compute() -> np.ndarray:
            left = self.table(conn, key, table).present.copy()
            left[rowids] = False
            return np.flatnonzero(left)
        return self._kept(self._unselected, (key, table, flt.search, tuple(flt.equals)), compute)

    def facet_counts(self, conn: sqlite3.Connection, key: tuple, table: str, c: Column,
                     flt: Filters) -> np.ndarray:
        """Selected rows per code of `c`.

        A search found in most reports selects most rows: then the table's own counts minus
        those of the few rows left out (a million-element gather per facet becomes one per page)."""
        rowids = self.selected(conn, key, table, flt)
        if rowids is None:
            return c.all_counts
        if 2 * len(rowids) > self.table(conn, key, table).rows:
            return c.all_counts - count_codes(c.codes[self.unselected(conn, key, table, flt, rowids)],
                                              len(c.values))
        return count_codes(c.codes[rowids], len(c.values))

    def _select(self, conn: sqlite3.Connection, key: tuple, table: str, flt: Filters) -> np.ndarray | None:
        info = self.table(conn, key, table)
        rowids = None
        if flt.search:
            fts, query, escape = flt.search
            rowids = self.hits.get(conn, key, fts, query, escape).rowids
            if info.gapless:  # every rowid from the first to the last is a row: cut the ends
                lo, hi = np.searchsorted(rowids, [info.first, info.last + 1])
                rowids = rowids[lo:hi]
            else:
                rowids = rowids[rowids < len(info.present)]
                rowids = rowids[info.present[rowids]]
        for col, param in flt.equals:
            c = self.column(conn, key, table, col)
            code = _code_for(c, param)
            if rowids is None:
                rowids = np.flatnonzero(c.codes == code)
            else:
                rowids = rowids[c.codes[rowids] == code]
        return rowids


def _table_info(conn: sqlite3.Connection, table: str) -> TableInfo | None:
    row = conn.execute("select sql from sqlite_master where type = 'table' and name = ?", [table]).fetchone()
    ddl = (row[0] or "").lower() if row else ""
    if not ddl or "without rowid" in ddl or "collate" in ddl or ddl.startswith("create virtual"):
        return None
    max_rowid = conn.execute(f"select max(rowid) from [{table}]").fetchone()[0] or 0
    if max_rowid > MAX_ROWID:
        return None
    rowids = _rowids(conn.execute(f"select group_concat(rowid) from [{table}]").fetchone()[0])
    if len(rowids) < MIN_ROWS:
        return None
    present = np.zeros(max_rowid + 1, dtype=bool)
    present[rowids] = True
    return TableInfo(present, {r[1] for r in conn.execute(f"pragma table_info([{table}])")}, len(rowids))


def _rowids(csv: str | None) -> np.ndarray:
    return np.fromstring(csv, dtype=np.int64, sep=",") if csv else np.empty(0, dtype=np.int64)


def _load_column(conn: sqlite3.Connection, table: str, col: str) -> Column | None:
    """Codes by rowid, one row per distinct value from SQLite (the column's index answers the
    group by): ~0.2 s for a million rows, against ~1 s reading them row by row."""
    max_rowid = conn.execute(f"select max(rowid) from [{table}]").fetchone()[0] or 0
    codes = np.full(max_rowid + 1, ABSENT, dtype=np.int32)
    values: list = []
    for value, csv in conn.execute(f'select "{col}", group_concat(rowid) from [{table}] group by "{col}"'):
        if value is None:
            codes[_rowids(csv)] = NULL
        else:
            codes[_rowids(csv)] = len(values)
            values.append(value)
    kinds = {type(v) for v in values}
    if len(kinds) > 1 or kinds - {int, str}:
        return None  # SQLite's comparisons of mixed or other types: leave them to SQLite
    order = sorted(range(len(values)), key=values.__getitem__)
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(values))
    return Column(codes, values, {v: i for i, v in enumerate(values)}, rank, kinds.pop() if kinds else str)


INTEGER_RE = re.compile(r"^-?[0-9]{1,18}$")
NO_CODE = -3  # a value the column does not hold: selects nothing


def _code_for(c: Column, param: Any) -> int:
    """The code `"col" = :param` selects.

    Datasette passes query-string values as text. On an INTEGER column SQLite converts text
    that looks like a number; only plain integers are answered here, the rest go to SQLite."""
    if c.kind is int:
        if isinstance(param, str) and INTEGER_RE.match(param):
            param = int(param)
        elif not isinstance(param, int):
            raise Unanswerable(param)
    elif not isinstance(param, str):
        raise Unanswerable(param)
    return c.lookup.get(param, NO_CODE)


def facet_rows(c: Column, counts: np.ndarray, limit: int) -> list[tuple[Any, int]]:
    """(value, count) as `group by col order by count desc, value limit n` gives them, from the
    rows per code (`count_codes`)."""
    present = np.flatnonzero(counts)
    order = np.lexsort((c.rank[present], -counts[present]))[:limit]
    return [(c.values[i], int(counts[i])) for i in present[order]]


class Row(tuple):
    """A result row readable by position and by column name, like sqlite3.Row."""
    names: tuple[str, ...] = ()

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


@functools.lru_cache(maxsize=None)
def _row_class(names: tuple[str, ...]) -> type:
    return type("Row", (Row,), {"names": names})


def _rows(names: tuple[str, ...], rows: list[tuple]) -> list[Row]:
    cls = _row_class(names)
    return [cls(r) for r in rows]


def answer(store: ColumnStore, conn: sqlite3.Connection, key: tuple, sql: str,
           params: Any) -> tuple[tuple[str, ...], list[Row]] | None:
    """(column names, rows) for a recognised count or facet statement, else None."""
    params = params or {}
    if not isinstance(params, dict):
        return None
    facet = FACET_RE.match(sql)
    count = None if facet else COUNT_RE.match(sql)
    m = facet or count
    if m is None:
        return None
    table = _unquote(m["table"])
    try:
        flt = parse_where(m["where"], params)
        if flt is None:
            return None
        if count:
            if not flt.search and not flt.equals:
                indexed = store._cached((key, "fts rows", table), lambda: fts_index_rows(conn, table))
                if indexed is not None:
                    return ("count(*)",), _rows(("count(*)",), [(indexed,)])
                if table not in store.rows_of:
                    return None  # SQLite counts a whole table from its smallest index
                table = store.rows_of[table]  # a view such as report_summary: 1M joins at a million
            info = store.table(conn, key, table)
            rowids = store.selected(conn, key, table, flt)
            n = info.rows if rowids is None else len(rowids)
            store.answered += 1
            return ("count(*)",), _rows(("count(*)",), [(n,)])
        col = _unquote(facet["col"])
        listed = [x.strip().strip('"[]') for x in facet["cols"].split(",")]
        if facet["cols"].strip() != "*" and col not in listed:
            return None
        c = store.column(conn, key, table, col)
        counts = store.facet_counts(conn, key, table, c, flt)
        store.answered += 1
        return ("value", "count"), _rows(("value", "count"), facet_rows(c, counts, int(facet["limit"])))
    except Unanswerable:
        return None


def fts_index_rows(conn: sqlite3.Connection, table: str) -> int | None:
    """How many rows an FTS5 table indexes, from the index itself; None for any other table.

    Datasette counts every table of an immutable database when a process starts. SQLite
    cannot scan a contentless `detail=none` table at all ("table does not support scanning":
    an error logged for each character index, no count shown), and counts an external-content
    table (`reports_fts`, content `report_texts`) by reading its content: every text
    decompressed by a Python function, 24 s at a million reports, cut by Datasette's time limit
    after 3 s of every page process's start (and no count shown). FTS5 keeps the number of rows
    it indexes as the first varint of its averages record (`<table>_data`, id 1), kept up to
    date by every insert and delete: that is the count."""
    row = conn.execute("select sql from sqlite_master where type = 'table' and name = ?", [table]).fetchone()
    ddl = "".join((row[0] or "").lower().split()) if row else ""
    if "usingfts5" not in ddl:
        return None
    block = conn.execute(f"select block from {quote_name(table + '_data')} where id = 1").fetchone()
    return _varint(block[0]) if block and block[0] else 0


def _varint(b: bytes) -> int:
    """SQLite's variable-length integer at the start of `b` (FTS5 writes its counts so)."""
    v = 0
    for i in range(min(8, len(b))):
        v = (v << 7) | (b[i] & 0x7F)
        if not b[i] & 0x80:
            return v
    return (v << 8) | b[8] if len(b) > 8 else v


STORE = ColumnStore()


def wrap_execute(db: Any, path: str, store: ColumnStore = STORE, rows_of: dict[str, str] | None = None) -> None:
    """Answer recognised statements of Datasette database `db` from `store`, the rest as before.

    `rows_of`: views that have exactly one row per row of a table (the plugin's `rows_of`
    config): their unfiltered count is that table's."""
    store.rows_of.update(rows_of or {})
    from datasette.database import Results
    from datasette.tracer import trace
    original: Callable = db.execute
    key = file_key(path)

    async def execute(sql, params=None, truncate=False, custom_time_limit=None, page_size=None,
                      log_sql_errors=True):
        if isinstance(sql, str) and "count(*)" in sql:
            with trace("sql", database=db.name, sql=sql.strip(), params=params):
                found = await db.execute_fn(lambda conn: answer(store, conn, key, sql, params))
            if found is not None:
                names, rows = found
                return Results(rows, False, [(n, None, None, None, None, None, None) for n in names])
        return await original(sql, params=params, truncate=truncate, custom_time_limit=custom_time_limit,
                              page_size=page_size, log_sql_errors=log_sql_errors)

    db.execute = execute


def warm(path: str, facets: dict[str, list[str]], store: ColumnStore = STORE) -> threading.Thread:
    """Read the facet columns of the big tables in a background thread with its own connection,
    so that the first pages do not wait for them (a million rows take about a second a column)."""
    key = file_key(path)

    def run() -> None:
        conn = sqlite3.connect(Path(path).resolve().as_uri() + "?immutable=1", uri=True, check_same_thread=False)
        try:
            for table, cols in facets.items():
                for col in cols:
                    try:
                        store.column(conn, key, table, col)
                    except Unanswerable:
                        break
                    except sqlite3.Error:
                        continue
        finally:
            conn.close()

    thread = threading.Thread(target=run, name="xxgk-facet-columns", daemon=True)
    thread.start()
    return thread
