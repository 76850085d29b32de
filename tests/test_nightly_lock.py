"""The nightly lock, and a nightly SIGKILLed mid-crawl: the next run resumes cleanly."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from archive.cli import main as xxgk
from archive.store.home import Home
from archive.nightly.lock import LockHeld, RunLock, is_held, lock_path
from archive.store.records import iter_records
from tests.nightly_helpers import by_site, fast_build, nightly, q

REPO = Path(__file__).resolve().parents[1]


def test_second_holder_refused_and_clean_release(tmp_path: Path) -> None:
    path = lock_path(tmp_path)
    with RunLock(path, "run-a") as first:
        assert first.stale is None
        with pytest.raises(LockHeld) as exc:
            RunLock(path, "run-b").acquire()
        assert exc.value.holder["run_id"] == "run-a" and exc.value.holder["pid"] == os.getpid()
    with RunLock(path, "run-c") as again:  # released cleanly: nothing stale
        assert again.stale is None


def test_stale_lock_of_a_killed_holder_is_cleared(tmp_path: Path) -> None:
    path = lock_path(tmp_path)
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from archive.nightly.lock import RunLock
        RunLock(__import__("pathlib").Path({str(path)!r}), "doomed").acquire()
        print("held", flush=True)
        time.sleep(60)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert is_held(path)
        with pytest.raises(LockHeld):
            RunLock(path, "too-early").acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    assert not is_held(path)
    with RunLock(path, "next") as lock:
        assert lock.stale is not None and lock.stale["pid"] == holder.pid and lock.stale["run_id"] == "doomed"


def test_nightly_refuses_to_overlap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as mp, RunLock(lock_path(tmp_path), "running"):
        mp.setenv("XXGK_HOME", str(tmp_path))
        assert xxgk(["nightly", "--sites", "haiyan"]) == 75
    err = capsys.readouterr().err
    assert "held by a running nightly" in err and "run_id=running" in err


def _captures(home: Path, run_prefix: str) -> list[dict]:
    return [r for r in iter_records(Home(home), "haiyan", types={"capture"}) if r["run_id"].startswith(run_prefix)]


def test_sigkill_mid_crawl_then_resume(tmp_path: Path) -> None:
    from replica.server import ReplicaServer

    home = tmp_path / "home"
    with ReplicaServer() as srv, pytest.MonkeyPatch.context() as mp:
        base = srv.base_urls["haiyan"]
        cmd = [sys.executable, "-m", "archive.cli", "nightly", "--delay", "0", "--sites", "haiyan",
               "--base-url", f"haiyan={base}"]
        proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "XXGK_HOME": str(home)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if len([c for c in _captures(home, "") if c["kind"] in ("detail", "attachment")]) >= 25:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the nightly ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the nightly and its crawl child, mid-crawl
        proc.wait(10)
        deadline = time.monotonic() + 20  # the crawl child dies a moment after its parent
        while is_held(lock_path(home)) and time.monotonic() < deadline:
            time.sleep(0.1)
        killed = _captures(home, "")
        assert lock_path(home).read_text().strip(), "a killed run leaves its lock file behind"

        fast_build(mp)
        rc, summary = nightly(home, srv.base_urls, ["haiyan"])
        manifest = srv.manifest["haiyan"]
    assert rc == 0, summary
    assert summary["stale_lock"]["pid"] == proc.pid
    assert by_site(summary)["haiyan"]["health"] == "healthy"
    resumed = _captures(home, summary["run_id"])
    # nothing captured before the kill is downloaded again; everything else is fetched now
    done_before = {c["url"] for c in killed if c["kind"] in ("detail", "attachment")}
    again = {c["url"] for c in resumed if c["kind"] in ("detail", "attachment")}
    assert done_before and again and not (done_before & again)
    db = home / "archive.db"
    con = sqlite3.connect(db)
    assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
    con.close()
    titles = {r["title"] for r in q(db, "select title from reports")}
    assert {r["title"] for r in manifest["reports"] if r.get("in_column", True)} <= titles
    assert {a["sha256"] for r in manifest["reports"] for a in r["attachments"]} <= \
        {r["sha256"] for r in q(db, "select sha256 from attachments")}
    dup = q(db, "select url, count(*) n from captures where kind = 'detail' group by url having n > 1")
    assert dup == [], dup  # one capture per unchanged page, however often it was fetched
    runs = {r["run_id"]: r for r in q(db, "select * from crawl_runs")}
    assert len(runs) == 2 and sum(r["finished_at"] is None for r in runs.values()) == 1
