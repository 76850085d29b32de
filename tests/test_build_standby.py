"""Incremental builds in proportion to what changed: sites without new records are not
refolded, and the previous build's file is updated in place instead of copying archive.db
(archive.build.standby). Whatever path a build takes, it ends with the archive a build from
scratch makes of the same records."""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.build import builder, standby
from archive.build.builder import build
from archive.store.home import Home
from fixtures.archive.factory import CL_COL, _run, add_run, make_scenario, report_page, seed_text, text_to_html
from test_build_crash import _count

REPO = Path(__file__).resolve().parent.parent
COMPARED = ["sites", "reports", "captures", "attachments", "crawl_runs", "errors", "report_history",
            "report_headlines", "report_agencies", "application_counts", "disclosure_items",
            "review_litigation_counts", "consistency_checks", "report_texts", "build_state",
            "agency_year_requests", "site_year_outcomes", "site_year_review_litigation", "failed_check_rows",
            "agency_sites"]
VOLATILE = {"text_id", "report_rowid", "built_at"}  # row ids and clocks of the build itself


def dump(db: Path) -> dict[str, list[str]]:
    """Every compared table or view as sorted rows, without the build's own ids and clocks."""
    con = sqlite3.connect(db)
    from archive.store.search_index import register_functions
    register_functions(con)
    out = {}
    for name in COMPARED:
        cur = con.execute(f"select * from [{name}]")
        keep = [i for i, d in enumerate(cur.description) if d[0] not in VOLATILE]
        out[name] = sorted(repr(tuple(row[i] for i in keep)) for row in cur.fetchall())
    con.close()
    return out


def new_report_run(home: Home, day: int, n: int = 3) -> None:
    """A changle run with n new reports (new content: parsed)."""
    r = _run(home, "changle", 10 + day, day)
    r.start("http://www.fzcl.gov.cn")
    urls = [f"{CL_COL}2023{day:02d}/t2023{day:02d}{i:02d}.htm" for i in range(n)]
    r.w("listing", column_url=CL_COL, page_url=CL_COL, report_urls=urls)
    for i, url in enumerate(urls):
        title = f"长乐区第{day}-{i}单位2022年政府信息公开工作年度报告"
        r.report(url, report_page(title, text_to_html(seed_text("001")) + f"<p>{day}-{i}</p>", {}), CL_COL,
                 title, f"长乐区第{day}-{i}单位", f"CL-2023-{day:02d}{i:02d}", "2023-01-20")
    r.end()


def test_each_later_build_updates_the_previous_file_and_equals_a_build_from_scratch(tmp_path):
    home = Home.from_env(tmp_path / "a")
    make_scenario(home)
    first = build(home, progress=False)
    assert first.target == "full build" and not standby.standby_path(home).exists()

    add_run(home, "fuzhou", 4, 4)
    second = build(home, progress=False)
    assert second.target.startswith("copy of archive.db (no standby)")
    assert second.sites_unchanged == 1  # changle has no new records: not refolded

    served = home.db.stat().st_ino
    spare = standby.standby_path(home).stat().st_ino
    assert spare != served  # the file served before the second build
    new_report_run(home, 5)
    third = build(home, progress=False)
    # the standby is the first build's file: fuzhou changed since then, changle changes now
    assert third.target == "standby updated in place" and third.sites_unchanged == 0
    assert third.parsed == 3
    assert home.db.stat().st_ino == spare  # the standby became archive.db ...
    assert standby.standby_path(home).stat().st_ino == served  # ... and the old archive.db the standby
    assert not standby.marker_path(home).exists()

    add_run(home, "fuzhou", 6, 6)
    new_report_run(home, 7)
    fourth = build(home, progress=False)  # in place on a file two builds old: both nights' reports
    assert fourth.target == "standby updated in place" and fourth.parsed == 6

    scratch = Home.from_env(tmp_path / "b")
    shutil.copytree(home.records, scratch.records)
    shutil.copytree(home.raw, scratch.raw)
    assert build(scratch, progress=False).target == "full build"
    assert dump(home.db) == dump(scratch.db)


def test_a_change_to_the_fold_code_refolds_every_site(tmp_path, monkeypatch):
    home = Home.from_env(tmp_path)
    make_scenario(home)
    build(home, progress=False)
    add_run(home, "fuzhou", 4, 4)
    assert build(home, progress=False).sites_unchanged == 1
    add_run(home, "fuzhou", 5, 5)
    monkeypatch.setattr(builder, "fold_code_digest", lambda: "another fold")
    assert build(home, progress=False).sites_unchanged == 0


def two_builds(tmp_path: Path) -> Home:
    """An archive after its full build and one nightly build: the full build's file is the standby."""
    home = Home.from_env(tmp_path)
    make_scenario(home)
    build(home, progress=False)
    add_run(home, "fuzhou", 4, 4)
    build(home, progress=False)
    return home


def test_a_standby_still_open_somewhere_is_not_written(tmp_path):
    home = two_builds(tmp_path)
    reader = sqlite3.connect(f"file:{standby.standby_path(home)}?immutable=1", uri=True)
    reader.execute("select count(*) from reports").fetchone()  # a server not yet restarted
    try:
        assert standby.is_open(standby.standby_path(home))
        add_run(home, "fuzhou", 5, 5)
        stats = build(home, progress=False)
        assert stats.target == "copy of archive.db (the standby is still open in a process)"
    finally:
        reader.close()
    assert not standby.is_open(home.db)
    assert standby.is_open(home.db, proc=tmp_path / "no-proc")  # cannot tell: counts as open


def test_sigkill_while_updating_the_standby_keeps_archive_db_and_the_next_build_copies(tmp_path):
    home = two_builds(tmp_path)
    for day in range(5, 25):
        new_report_run(home, day, n=2)  # 40 reports to parse: time to kill the build
    inode, before = home.db.stat().st_ino, _count(home.db)
    env = {**os.environ, "XXGK_HOME": str(home.root), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "build", "--no-progress"], env=env,
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not standby.marker_path(home).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # into the work on the standby
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert still_running, "the build finished before it could be killed"
    assert home.db.stat().st_ino == inode and _count(home.db) == before  # untouched
    assert standby.marker_path(home).exists()
    stats = build(home, progress=False)
    assert stats.target == "copy of archive.db (the standby's last build was interrupted)"
    assert _count(home.db) == before + 40
    add_run(home, "fuzhou", 30, 28)
    assert build(home, progress=False).target == "standby updated in place"
    assert _count(home.db) == before + 40


def test_report_agencies_follow_new_changed_and_removed_reports(tmp_path, monkeypatch):
    from archive.build import agencies
    home = Home.from_env(tmp_path)
    make_scenario(home)
    build(home, progress=False)
    new_report_run(home, 5)
    build(home, progress=False)

    def rows() -> dict[str, tuple]:
        con = sqlite3.connect(home.db)
        try:
            assert {r[0] for r in con.execute("select report_id from reports")} == \
                {r[0] for r in con.execute("select report_id from report_agencies")}
            return {r[0]: r[1:] for r in con.execute("select report_id, agency_printed, agency_canonical "
                                                     "from report_agencies")}
        finally:
            con.close()

    assert len(rows()) == 7
    shutil.rmtree(home.records / "fuzhou")  # its reports go, and their rows with them
    build(home, progress=False)
    assert len(rows()) == 5
    # new lineage rules: every row is looked up again
    seen = []
    monkeypatch.setattr(agencies, "canonical_agency", lambda name: seen.append(name))
    monkeypatch.setattr(agencies, "rules", lambda: ())
    new_report_run(home, 6, n=1)
    build(home, progress=False)
    assert len(seen) == 6 and all(v[1] is None for v in rows().values())


def _bookkeeping(path: Path, fingerprints: dict[str, str], completed: bool = True) -> None:
    con = sqlite3.connect(path)
    con.execute("create table build_meta (key text primary key, value text)")
    con.execute("create table build_sites (site_id text primary key, fingerprint text)")
    con.execute("insert into build_meta values ('schema_version', '9')")
    if completed:
        con.execute("insert into build_meta values ('input_fingerprint', 'x')")
    con.executemany("insert into build_sites values (?, ?)", fingerprints.items())
    con.commit()
    con.close()


def test_a_standby_far_behind_or_never_completed_is_copied_over(tmp_path):
    """A standby that would refold many more sites than archive.db (a file bulk-loaded before a
    full build, say) costs more than a copy."""
    home = Home.from_env(tmp_path).ensure()
    sites = {f"s{i:02d}": f"fp{i}" for i in range(20)}
    _bookkeeping(home.db, sites)
    _bookkeeping(standby.standby_path(home), {s: fp for s, fp in list(sites.items())[:18]})
    assert standby.choose(home, False, "9", sites).in_place  # 2 sites behind: within 10 %
    standby.marker_path(home).unlink()
    standby.standby_path(home).unlink()
    _bookkeeping(standby.standby_path(home), {s: fp for s, fp in list(sites.items())[:10]})
    target = standby.choose(home, False, "9", sites)
    assert target.reason == "copy of archive.db (the standby is 10 sites behind)" and not target.in_place
    standby.standby_path(home).unlink()
    _bookkeeping(standby.standby_path(home), sites, completed=False)
    assert standby.choose(home, False, "9", sites).reason == \
        "copy of archive.db (the standby was never completed by a build)"
