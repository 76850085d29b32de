"""A search match split into rowid ranges on several connections (archive.serve.search) gives
exactly the rowids one match gives."""
from __future__ import annotations

import sqlite3

import numpy as np

from archive.build.builder import build
from archive.serve import search
from archive.store.home import Home
from fixtures.archive.factory import make_scenario
from test_build_standby import new_report_run

QUERIES = [("公开", 1), ("依申请公开", 1), ("复", 1), ("政府信息公开工作 行政", 1), ("附件", 1),
           ("没有这个词语", 1), ("政府 OR 诉讼", 0), ('"应急管理"', 0)]


def test_split_ranges_cover_every_rowid_once():
    for rows, parts in ((10, 2), (1_000_000, 2), (999_999, 3), (5, 4)):
        ranges = search.split_ranges(rows, parts)
        assert len(ranges) == parts
        assert ranges[0][0] == -2**63 and ranges[-1][1] == 2**63 - 1
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(ranges, ranges[1:]))
        assert ranges[0][1] <= rows // parts + 1  # cut evenly, not one range doing all the work


def test_a_split_match_finds_what_one_match_finds(tmp_path, monkeypatch):
    home = Home(tmp_path / "h")
    make_scenario(home)
    new_report_run(home, 1, n=20)
    build(home, progress=False)
    conn = sqlite3.connect(home.db, check_same_thread=False)
    path = str(home.db)
    whole = {q: search.match_rowids(conn, path, "reports_fts", q, e) for q, e in QUERIES}
    assert len(whole["公开"]) >= 20 and len(whole["复"]) >= 1 and len(whole["没有这个词语"]) == 0
    monkeypatch.setattr(search, "SPLIT_MIN_ROWS", 0)
    for parts in (2, 3):
        monkeypatch.setattr(search, "SPLIT_PARTS", parts)
        monkeypatch.setattr(search, "_pool", None)
        for q, e in QUERIES:
            got = search.match_rowids(conn, path, "reports_fts", q, e)
            assert np.array_equal(got, whole[q]), (q, parts)
            assert (np.diff(got) > 0).all()
        used = {t.name for t in __import__("threading").enumerate()}
        assert any(n.startswith("xxgk-fts") for n in used), "the other ranges ran on the pool"
    conn.close()


def test_the_split_readers_use_the_sqlite_datasette_serves_with(tmp_path):
    """Datasette serves through pysqlite3 when it is installed (a newer SQLite); the split
    match's own connections must run the same library as the connection they help."""
    from datasette.utils.sqlite import sqlite_version
    db = tmp_path / "x.db"
    sqlite3.connect(db).close()
    reader = search._reader(str(db))
    got = tuple(int(x) for x in reader.execute("select sqlite_version()").fetchone()[0].split("."))
    assert got == sqlite_version()
    assert type(reader).__module__.split(".")[0] == search.serving_sqlite().__name__.split(".")[0]
