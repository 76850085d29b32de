"""Fast `?_search=` on big tables: the FTS match runs once per search term, not once per statement.

Words of any length: the match itself is built by archive.store.search_index (trigram index for
words of 3+ characters, bigram index for 1-2), so `?_search=公开` finds what it should.

For `/archive/reports?_search=…` Datasette 0.65 runs seven statements (the page, the count and
one per facet), each with the clause `rowid in (select rowid from reports_fts where reports_fts
match escape_fts(:search))`. At 100,000 reports each statement re-evaluates the trigram match
(10–130 ms for a term found in most reports) and then fetches every matching row of `reports`,
whose text makes a row about one page wide: a broad search cost 1.5–3 s.

The plugin (datasette_plugins/xxgk_archive.py) swaps that clause, and only that exact clause,
for one that reads the match from a per-process cache (`HitCache`), through SQL functions
registered on every connection:

- few hits (≤ 1/LOOKUP_RATIO of the rows, and fewer than BITMAP_MIN_HITS in the table's own
  order): `rowid in (select value from json_each(xxgk_fts_rowids('reports_fts', :search, 1)))`
  — row lookups, as before, minus the FTS work;
- more: `substr(xxgk_fts_bitmap('reports_fts', :search, 1), rowid + 1, 1) = x'01'` — a byte
  per rowid. SQLite cannot look rows up by this test, so it scans the narrow indexes that
  already carry the rowid (site_id, agency, report_year, template, parse_status,
  published_date) instead of reading the wide rows: ~10 ms per statement at 100,000 reports.

Both select exactly the rows the original clause selects; counts and facets stay exact. The
third argument is 1 when Datasette's escaping applies (the default search mode) and 0 for
`_searchmode=raw`. The database is immutable while served; a cache entry is keyed by the
file's identity when the connection was opened, so a rebuilt file gets fresh entries.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from archive.store.search_index import INDEX_TABLE, match_sql

LOOKUP_RATIO = 20     # rowid lookups cost ~20x a bitmap test per scanned index entry
# ... but the page's sorted rows stop after a page of hits in the sort's index, while the lookups
# read and sort every hit: 15,000-50,000 hits of a million took 50-200 ms as lookups, 0.3-6 ms
# as a bitmap scan of idx_reports_published_date. The count and facets of a big table come from
# memory (archive.serve.fast_counts), so from this many hits on the page query decides (in the
# table's own order, whose index the scan follows).
BITMAP_MIN_HITS = 2_000
# The per-process cache of matches, by size, not by count: a word found in many of a million
# reports is kept as packed bits (125 kB), a rarer one as its rowids (8 bytes a hit), so
# 256 MB hold about 2,000 broad words or many more narrow ones. Each page process has
# its own (docs/serving.md); a first search costs its FTS match, a repeated one nothing.
CACHE_BYTES = 256 * 2**20
MAX_BITMAP = 50_000_000  # rowids beyond this: leave Datasette's own clause alone


def escape_fts(query: str) -> str:
    from datasette.utils import escape_fts as datasette_escape
    return datasette_escape(query)


def quote_name(name: str) -> str:
    return "[" + name.replace("]", "]]") + "]"


class Hits:
    """The rowids one match selects (ascending), and the two forms the SQL functions return.

    Held in the smaller form: packed bits (one per rowid, 125 kB for a million rows) when
    more than 1 in 64 rowids match, else the rowids (8 bytes a hit); the SQL functions' forms
    are derived when asked for (unpacking a million bits: ~1 ms)."""

    def __init__(self, rowids: np.ndarray) -> None:
        self.count = len(rowids)
        self._size = int(rowids[-1]) + 1 if len(rowids) else 0   # bits: rowids 0 .. last
        self._packed: np.ndarray | None = None
        self._rowids: np.ndarray | None = rowids
        if 64 * len(rowids) > self._size and self._size <= MAX_BITMAP + 1:
            self._packed, self._rowids = np.packbits(_bytes_of(rowids), bitorder="little"), None

    def _bits(self) -> np.ndarray:
        assert self._packed is not None
        return np.unpackbits(self._packed, count=self._size, bitorder="little")

    @property
    def rowids(self) -> np.ndarray:
        if self._rowids is not None:
            return self._rowids
        return np.flatnonzero(self._bits()).astype(np.int64)

    @property
    def json(self) -> str:
        """Asked for once per page statement, and only for few hits: made each time, not kept,
        so an entry's size never changes once it is in the cache."""
        return "[" + ",".join(map(str, self.rowids.tolist())) + "]"

    @property
    def bitmap(self) -> bytes:
        """A byte per rowid, 1 where it matches (what `substr(…, rowid + 1, 1)` reads)."""
        if self._packed is not None:
            return self._bits().tobytes()
        if self.count and self._size - 1 > MAX_BITMAP:
            raise ValueError("rowids too large for a bitmap")
        return _bytes_of(self.rowids).tobytes()

    @property
    def nbytes(self) -> int:
        held = self._rowids.nbytes if self._rowids is not None else 0
        return held + (self._packed.nbytes if self._packed is not None else 0) + 200


def _bytes_of(rowids: np.ndarray) -> np.ndarray:
    bits = np.zeros(int(rowids[-1]) + 1 if len(rowids) else 0, dtype=np.uint8)
    bits[rowids] = 1
    return bits


class HitCache:
    """Matching rowids per (file, FTS table, query); LRU within `max_bytes`, shared by
    Datasette's threads."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, Hits] = OrderedDict()
        self._held = 0  # sum of the entries' nbytes
        self._lock = threading.Lock()

    def get(self, conn: sqlite3.Connection, file_key: tuple, fts: str, query: str, escape: int) -> Hits:
        key = (file_key, fts, query, bool(escape))
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit
        hit = Hits(match_rowids(conn, file_key[0], fts, query, escape))
        with self._lock:
            old = self._entries.pop(key, None)  # two threads matched the same word at once
            self._held += hit.nbytes - (old.nbytes if old is not None else 0)
            self._entries[key] = hit
            while self._held > self.max_bytes and len(self._entries) > 1:
                self._held -= self._entries.popitem(last=False)[1].nbytes
        return hit

    @property
    def nbytes(self) -> int:
        return self._held

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0


def parse_rowids(csv: str | None) -> np.ndarray:
    """Ascending int64 rowids from `group_concat(rowid)` (numpy: 3 ms for 100k, Python's int() 30)."""
    if not csv:
        return np.empty(0, dtype=np.int64)
    rowids = np.fromstring(csv, dtype=np.int64, sep=",")
    if len(rowids) > 1 and not (rowids[1:] > rowids[:-1]).all():
        rowids = np.unique(rowids)
    return rowids


def _match_csv(conn: sqlite3.Connection, fts: str, query: str, escape: int,
               rowids: tuple[int, int] | None = None) -> str | None:
    """The matching rowids as one comma-separated string (100k hits in ~65 ms, not ~190 ms).

    Default mode: every word must occur, each answered by its index (archive.store.search_index:
    trigram for 3+ characters, bigrams for 1-2). Raw mode (`_searchmode=raw`): the query is
    FTS5 syntax for the trigram table, as Datasette passes it. `rowids` (lo, hi): that part
    of the rows only."""
    table = INDEX_TABLE.get(fts)
    if escape and table is not None:
        planned = match_sql(table, query, rowids)
        if planned is None:
            return None
        sql, params = planned
        return conn.execute(f"select group_concat(rowid) from ({sql})", params).fetchone()[0]
    expr = escape_fts(query) if escape else query
    ranged = " and rowid >= ? and rowid < ?" if rowids else ""
    return conn.execute(f"select group_concat(rowid) from {quote_name(fts)} "
                        f"where {quote_name(fts)} match ?{ranged}", [expr, *(rowids or ())]).fetchone()[0]


# A word found in most of a million reports costs its FTS match 150–450 ms on one core, most of
# a first search's time. The rows are split into rowid ranges matched at once on several
# connections (SQLite works without Python's lock), one per core: the same rowids, in about
# half the time on two cores. Below SPLIT_MIN_ROWS the match takes a few ms: one range.
SPLIT_MIN_ROWS = 200_000
SPLIT_PARTS = max(1, min(4, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()
_max_rowids: dict[tuple, int] = {}


def _part_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=SPLIT_PARTS - 1, thread_name_prefix="xxgk-fts")
        return _pool


def _reader(path: str) -> sqlite3.Connection:
    """This pool thread's read-only connection to the file now at `path` (a rebuilt file at the
    same path, a new identity: the old connection is closed)."""
    key = file_key(path)
    held = getattr(_local, "readers", None)
    if held is None:
        held = _local.readers = {}
    old = held.get(path)
    if old is not None and old[0] == key:
        return old[1]
    if old is not None:
        old[1].close()
    conn = serving_sqlite().connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    held[path] = (key, conn)
    return conn


def serving_sqlite():
    """The sqlite3 module Datasette serves with: pysqlite3 (a newer SQLite) when installed."""
    from datasette.utils.sqlite import sqlite3 as module
    return module


def _part(path: str, fts: str, query: str, escape: int, rowids: tuple[int, int]) -> np.ndarray:
    return parse_rowids(_match_csv(_reader(path), fts, query, escape, rowids))


def _max_rowid(conn: sqlite3.Connection, path: str, table: str) -> int:
    key = (file_key(path), table)
    if key not in _max_rowids:
        _max_rowids[key] = conn.execute(f"select coalesce(max(rowid), 0) from {quote_name(table)}").fetchone()[0]
    return _max_rowids[key]


def split_ranges(max_rowid: int, parts: int) -> list[tuple[int, int]]:
    """`parts` rowid ranges [lo, hi), cut evenly up to max_rowid, that together cover every rowid
    from -2**63 to 2**63 - 2 (2**63 - 1, the largest rowid, in practice only by an explicit insert)."""
    step = max_rowid // parts + 1
    cuts = [step * i for i in range(1, parts)]
    return list(zip([-2**63, *cuts], [*cuts, 2**63 - 1]))


def match_rowids(conn: sqlite3.Connection, path: str, fts: str, query: str, escape: int) -> np.ndarray:
    """Ascending rowids matching `query` in `fts`: split across cores on a large table."""
    table = INDEX_TABLE.get(fts)
    rows = _max_rowid(conn, path, table) if table and path else 0
    if SPLIT_PARTS < 2 or rows < SPLIT_MIN_ROWS:
        return parse_rowids(_match_csv(conn, fts, query, escape))
    first, *rest = split_ranges(rows, SPLIT_PARTS)
    pending = [_part_pool().submit(_part, path, fts, query, escape, r) for r in rest]
    mine = parse_rowids(_match_csv(conn, fts, query, escape, first))
    return np.concatenate([mine, *(f.result() for f in pending)])


CACHE = HitCache()


def file_key(path: str) -> tuple:
    """A database file's identity: a rebuilt file at the same path gets a new key."""
    st = os.stat(path)
    return (os.path.abspath(path), st.st_ino, st.st_size, st.st_mtime_ns)


def register_functions(conn: sqlite3.Connection, path: str | None, fts_tables: set[str],
                       cache: HitCache = CACHE) -> None:
    """xxgk_fts_count / xxgk_fts_rowids / xxgk_fts_bitmap(fts_table, query, escape) on `conn`."""
    if not path:
        return
    key = file_key(path)

    def hits(fts: str, query: str, escape: int) -> Hits:
        if fts not in fts_tables:
            raise ValueError(f"{fts!r} is not a configured full-text table")
        return cache.get(conn, key, fts, query or "", escape)

    conn.create_function("xxgk_fts_count", 3, lambda f, q, e: hits(f, q, e).count, deterministic=True)
    conn.create_function("xxgk_fts_rowids", 3, lambda f, q, e: hits(f, q, e).json, deterministic=True)
    conn.create_function("xxgk_fts_bitmap", 3, lambda f, q, e: hits(f, q, e).bitmap, deterministic=True)


def datasette_clause(fts: str, raw: bool) -> str:
    """The exact where clause Datasette 0.65's ?_search= adds (datasette/filters.py)."""
    from datasette.utils import escape_sqlite
    name = escape_sqlite(fts)
    match = ":search" if raw else "escape_fts(:search)"
    return f"rowid in (select rowid from {name} where {name} match {match})"


def fast_clause(fts: str, raw: bool, hits: int, max_rowid: int, own_sort: bool = True) -> str | None:
    """The cached replacement for `datasette_clause`, chosen by the share of rows that match.

    `own_sort`: the page is in the table's own order (no `_sort` asked for), whose index a
    bitmap scan can stop early in; another column may have no index, then every row would be
    scanned, and lookups stay cheaper up to 1/LOOKUP_RATIO of the rows."""
    lit = "'" + fts.replace("'", "''") + "'"
    args = f"{lit}, :search, {0 if raw else 1}"
    if hits * LOOKUP_RATIO <= max_rowid and (hits < BITMAP_MIN_HITS or not own_sort):
        return f"rowid in (select value from json_each(xxgk_fts_rowids({args})))"
    if max_rowid > MAX_BITMAP:
        return None
    return f"substr(xxgk_fts_bitmap({args}), rowid + 1, 1) = x'01'"
