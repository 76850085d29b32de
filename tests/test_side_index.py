"""A full build's search indexes built in two processes (archive.build.side_index) are the
indexes one process builds: the same FTS5 shadow rows, byte for byte, and the same answers."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from archive.build import side_index
from archive.build.builder import build
from archive.store.home import Home
from archive.store.search_index import match_sql, register_functions
from fixtures.archive.factory import make_scenario
from test_build_standby import new_report_run

REPO = Path(__file__).resolve().parent.parent
INDEXES = side_index.ALL_INDEXES


def shadow_rows(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    try:
        return {f"{name}_{s}": con.execute(f"select * from [{name}_{s}] order by 1, 2").fetchall()
                for name in INDEXES for s in ("data", "idx", "docsize") if s != "docsize" or "char" not in name}
    finally:
        con.close()


def answers(db: Path) -> dict[str, list[int]]:
    con = sqlite3.connect(db)
    register_functions(con)
    try:
        out = {}
        for q in ("公开", "依申请公开", "复", "政府信息公开工作", "行政 诉讼", "附件"):
            for table in ("reports", "attachments"):
                sql, params = match_sql(table, q)
                out[f"{table}:{q}"] = sorted(r for (r,) in con.execute(sql, params))
        return out
    finally:
        con.close()


def full_build(tmp_path: Path, name: str, monkeypatch, min_rows: int) -> Path:
    home = Home(tmp_path / name)
    make_scenario(home)
    new_report_run(home, 1, n=12)
    monkeypatch.setattr(side_index, "PARALLEL_MIN_ROWS", min_rows)
    stats = build(home, progress=False)
    assert stats.errors == 0 and stats.reports >= 15
    assert not list(home.db.parent.glob("*.fts-side-*")), "side files are removed"
    return home.db


def test_two_processes_build_the_indexes_one_process_builds(tmp_path, monkeypatch, capfd):
    one = full_build(tmp_path, "one", monkeypatch, min_rows=10**9)
    assert "two processes" not in capfd.readouterr().err
    two = full_build(tmp_path, "two", monkeypatch, min_rows=0)
    assert "search indexes of" in capfd.readouterr().err
    assert shadow_rows(two) == shadow_rows(one)
    found = answers(two)
    assert found == answers(one)
    assert found["reports:依申请公开"] and found["reports:公开"] and found["reports:复"]
    con = sqlite3.connect(two)
    register_functions(con)
    # the trigram index against its content view: an index copied wrong fails this
    con.execute("insert into reports_fts (reports_fts, rank) values ('integrity-check', 1)")
    for name in INDEXES:  # every index readable through FTS5 on a new connection
        con.execute(f"insert into [{name}] ([{name}]) values ('integrity-check')")
    con.close()


def test_a_failed_worker_costs_time_not_the_index(tmp_path, monkeypatch, capfd):
    one = full_build(tmp_path, "one", monkeypatch, min_rows=10**9)

    def failing_worker(db_path: Path, names: list[str]) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])

    monkeypatch.setattr(side_index, "start_worker", failing_worker)
    two = full_build(tmp_path, "two", monkeypatch, min_rows=0)
    assert "index worker failed (exit 3)" in capfd.readouterr().err
    assert shadow_rows(two) == shadow_rows(one)
    assert answers(two) == answers(one)


def test_a_worker_whose_build_is_gone_stops(tmp_path):
    """--parent names the build process; a worker outliving it stops instead of indexing on."""
    home = Home(tmp_path / "h")
    make_scenario(home)
    build(home, progress=False)
    side = tmp_path / "side.db"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    done = subprocess.run([sys.executable, "-m", "archive.build.side_index", str(home.db), str(side),
                           "reports_bigram_fts", "--parent", str(gone.pid)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "interrupted" in done.stderr
    ok = subprocess.run([sys.executable, "-m", "archive.build.side_index", str(home.db), str(side),
                         "reports_char_fts"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    con = sqlite3.connect(side)
    assert con.execute("select count(*) from reports_char_fts where reports_char_fts match '\"公\"'").fetchone()[0] > 0
    con.close()


def test_side_files_a_crash_left_are_removed_by_the_next_build(tmp_path):
    home = Home(tmp_path / "h")
    make_scenario(home)
    build(home, progress=False)
    stale = [side_index.side_path(home.root / name, "worker") for name in ("archive.db.tmp", "archive.db.standby")]
    for p in stale:
        p.write_bytes(b"half an index")
    new_report_run(home, 2)
    assert build(home, progress=False).parsed == 3
    assert [p for p in stale if p.exists()] == []
