"""Counts and facets answered from columns in memory (archive.serve.fast_counts) are exactly
SQLite's: every request here is compared with plain SQL on the same archive, and the ones the
module must leave to SQLite (other operators, later pages, numbers written oddly) still answer
the same."""
from __future__ import annotations

import json
import random
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils

import archive.serve.fast_counts as fast_counts
from archive.build.schema import ensure_schema
from archive.build.search import store_text
from archive.serve.app import serve_app
from archive.serve.search import CACHE
from archive.store.home import Home
from archive.store.search_index import match_sql, register_functions

SEEDS = Path(__file__).parent / "fixtures" / "archive" / "seeds"
FACETS = ["site_id", "agency", "report_year", "template", "parse_status"]
N_REPORTS = 1200


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """1,200 reports over 5 sites with text from the seed reports; some agencies NULL, an
    agency named in ASCII and one in Chinese that sort differently, and rowid gaps."""
    home = Home.from_env(tmp_path_factory.mktemp("fast")).ensure()
    rng = random.Random(7)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    db = sqlite_utils.Database(home.db)
    ensure_schema(db)
    db["sites"].insert_all([{"site_id": f"s{i}", "name": f"站点{i}"} for i in range(5)])
    rows = []
    for i in range(N_REPORTS):
        year = 2014 + rng.randrange(10)
        agency = None if i % 37 == 0 else rng.choice(["应急管理局", "水利局", "Bureau", "人民政府办公室",
                                                      f"第{i % 7}局"])
        start = rng.randrange(0, len(text) - 600)
        rows.append({"report_id": f"{i:016x}", "site_id": f"s{rng.randrange(5)}", "agency": agency,
                     "report_year": year, "title": f"{agency or ''}{year}年政府信息公开工作年度报告",
                     "template": "G0" if year <= 2018 else "G2",
                     "parse_status": rng.choice(["ok", "ok", "ok", "partial", "failed"]),
                     "published_date": f"{year + 1}-0{1 + i % 3}-{1 + i % 28:02d}",
                     "text_id": store_text(db.conn, text[start:start + 600], None)})
    db["reports"].insert_all(rows)
    db.conn.execute("delete from reports where rowid % 11 = 0")  # gaps, and FTS rows deleted with them
    db.conn.commit()
    db.close()
    CACHE.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast_counts, "MIN_ROWS", 100)  # the real threshold is 20,000 rows
        srv = serve_app(home)
        fast_counts.STORE._loaded.clear()
        yield srv, home
        srv.stop()


def fetch(srv, path: str) -> dict:
    with urllib.request.urlopen(srv.url.rstrip("/") + path, timeout=30) as resp:
        return json.loads(resp.read())


def sql_answer(home: Home, args: dict[str, str]) -> tuple[int, dict[str, list[tuple]]]:
    """Count and facets of `reports` filtered like the request, by plain SQL."""
    con = sqlite3.connect(home.db)
    register_functions(con)
    where, params = ["1"], []
    if args.get("_search"):
        for word in args["_search"].split():
            sql, p = match_sql("reports", word)
            where.append(f"rowid in ({sql})")
            params += list(p) if isinstance(p, (list, tuple)) else [p]
    for col in ("site_id", "agency", "report_year", "template", "parse_status"):
        if col in args:
            where.append(f'"{col}" = ?')
            params.append(args[col])
    if "published_date__gt" in args:
        where.append("published_date > ?")
        params.append(args["published_date__gt"])
    w = " and ".join(where)
    count = con.execute(f"select count(*) from reports where {w}", params).fetchone()[0]
    facets = {c: con.execute(f"select {c}, count(*) as n from reports where {w} and {c} is not null "
                             f"group by {c} order by n desc, {c} limit 30", params).fetchall() for c in FACETS}
    con.close()
    return count, facets


REQUESTS = [
    {},
    {"_search": "政府信息公开"},          # every report: the bitmap clause
    {"_search": "行政复议"},
    {"_search": "防汛"},                  # two characters: bigram index
    {"_search": "公"},                    # one character
    {"_search": "沪"},                    # nothing
    {"_search": "政务公开 申请"},
    {"_search": "信息公开", "report_year": "2020"},
    {"_search": "信息公开", "site_id": "s3", "parse_status": "partial"},
    {"report_year": "2019"},
    {"agency": "Bureau"},
    {"agency": "没有这个机关"},
    {"report_year": "2020.0"},            # SQLite converts it; left to SQLite
    {"_search": "信息公开", "published_date__gt": "2021-02"},  # another operator: left to SQLite
]


@pytest.mark.parametrize("args", REQUESTS, ids=lambda a: urllib.parse.urlencode(a) or "none")
def test_counts_and_facets_equal_sqlites(archive, args) -> None:
    srv, home = archive
    before = fast_counts.STORE.answered
    got = fetch(srv, "/archive/reports.json?" + urllib.parse.urlencode(args))
    count, facets = sql_answer(home, args)
    assert got["filtered_table_rows_count"] == count
    for col in FACETS:
        assert [(r["value"], r["count"]) for r in got["facet_results"][col]["results"]] == \
            [tuple(r) for r in facets[col]], col
    answered = fast_counts.STORE.answered - before
    left_to_sqlite = "2020.0" in args.values() or "published_date__gt" in args
    counted_by_sqlite = not args  # an unfiltered count is Datasette's cached table count
    assert answered == (0 if left_to_sqlite else len(FACETS) + (0 if counted_by_sqlite else 1))


def test_a_later_page_keeps_datasettes_own_facets(archive) -> None:
    """Datasette 0.65 counts facets of a later page over the rows after the cursor; the
    module does not know that clause, so SQLite answers it as before."""
    srv, _ = archive
    first = fetch(srv, "/archive/reports.json?_search=" + urllib.parse.quote("信息公开"))
    before = fast_counts.STORE.answered
    nxt = fetch(srv, "/archive/reports.json?_search=" + urllib.parse.quote("信息公开") + "&_next=" + first["next"])
    assert nxt["rows"] and nxt["rows"][0] != first["rows"][0]
    assert fast_counts.STORE.answered - before == 1  # the count only: its clauses are the search's


def test_facet_rows_order_like_sqlite_on_ties() -> None:
    """count desc, then the value in SQLite's order (code points, numbers numerically)."""
    con = sqlite3.connect(":memory:")
    con.execute("create table t (v)")
    values = ["b", "a", "B", "中", "a", "b", "Z", "中", "é"]
    con.executemany("insert into t values (?)", [(v,) for v in values])
    want = con.execute("select v, count(*) as n from t group by v order by n desc, v limit 4").fetchall()
    col = fast_counts._load_column(con, "t", "v")
    assert fast_counts.facet_rows(col, col.all_counts, 4) == want


def test_a_column_of_mixed_types_is_left_to_sqlite() -> None:
    con = sqlite3.connect(":memory:")
    con.execute("create table t (v)")
    con.executemany("insert into t values (?)", [(1,), ("1",), (None,)])
    assert fast_counts._load_column(con, "t", "v") is None


def test_a_view_with_one_row_per_report_is_counted_from_memory(archive) -> None:
    """report_summary left-joins report_headlines on its key: its count is the reports'. SQLite
    would join every report to count (0.3 s at a million)."""
    srv, home = archive
    con = sqlite3.connect(home.db)
    try:
        everything, s1 = (con.execute(f"select count(*) from report_summary {w}").fetchone()[0]
                          for w in ("", "where site_id = 's1'"))
    finally:
        con.close()
    before = fast_counts.STORE.answered
    assert fetch(srv, "/archive/report_summary.json")["filtered_table_rows_count"] == everything
    assert fast_counts.STORE.answered - before == 1
    filtered = fetch(srv, "/archive/report_summary.json?site_id=s1")  # filtered: SQLite's own count
    assert filtered["filtered_table_rows_count"] == s1 and 0 < s1 < everything
    assert fast_counts.STORE.answered - before == 1


def test_the_search_indexes_are_counted_from_their_own_row_totals(archive):
    """Datasette counts every table at start-up; `select count(*)` on a contentless
    detail=none FTS5 table fails in SQLite (it logged an error for each), and on the trigram
    index it decompresses every text of its content view. The count comes from each index's
    own row total, deletes included (some reports were deleted through triggers), and equals
    what SQLite counts where it can."""
    srv, home = archive
    before = fast_counts.STORE.answered
    tables = {t["name"]: t["count"] for t in fetch(srv, "/archive.json")["tables"]}
    con = sqlite3.connect(home.db)
    register_functions(con)
    reports = con.execute("select count(*) from reports").fetchone()[0]
    with pytest.raises(sqlite3.OperationalError, match="does not support scanning"):
        con.execute("select count(*) from reports_char_fts")
    scanned = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
               for t in ("reports_fts", "reports_bigram_fts", "attachments_fts")}
    con.close()
    assert reports < N_REPORTS and tables["reports"] == reports
    assert tables["reports_char_fts"] == reports
    assert tables["attachments_char_fts"] == 0
    assert scanned == {"reports_fts": reports, "reports_bigram_fts": reports, "attachments_fts": 0}
    assert {t: tables[t] for t in scanned} == scanned
    for table in ("reports_fts", "reports_bigram_fts", "reports_char_fts", "reports"):
        con = sqlite3.connect(home.db)
        assert fast_counts.fts_index_rows(con, table) == (None if table == "reports" else reports)
        con.close()
    assert fast_counts.STORE.answered == before  # whole-table counts: not the search statistics
    assert fast_counts._varint(bytes([0x86, 0x8D, 0x20])) == 100_000 and fast_counts._varint(b"\x05") == 5


class _FixedHits:
    def __init__(self, rowids: np.ndarray) -> None:
        self.rowids = rowids

    def get(self, *args) -> "_FixedHits":
        return self


@pytest.mark.parametrize("gaps", [False, True])
def test_a_search_selects_only_rows_the_table_has(gaps: bool) -> None:
    """Hits outside the table's rows (an FTS rowid without its row) are not counted: cut at the
    ends when the table's rowids have no gaps, looked up one by one when they have."""
    con = sqlite3.connect(":memory:")
    con.execute("create table t (v)")
    con.executemany("insert into t (rowid, v) values (?, ?)", [(r, r % 3) for r in range(10, 130)])
    if gaps:
        con.execute("delete from t where rowid % 7 = 0")
    hits = np.array([1, 9, 10, 11, 14, 50, 63, 129, 130, 500], dtype=np.int64)
    store = fast_counts.ColumnStore(hits=_FixedHits(hits))  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast_counts, "MIN_ROWS", 10)
        info = store.table(con, ("k",), "t")
        got = store.selected(con, ("k",), "t", fast_counts.Filters(("t_fts", "x", 1), []))
    present = {r for (r,) in con.execute("select rowid from t")}
    assert info.gapless is not gaps
    assert got.tolist() == [r for r in hits.tolist() if r in present]
