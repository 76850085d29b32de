"""Fault injection: `xxgk crawl` and `xxgk build` SIGKILLed at random points lose nothing.

The crawl and the build of one replica portal are started and killed alternately, at random
moments (seeded, so a failure can be replayed), more than twenty times. After every kill:
the database (when there is one) opens and passes `PRAGMA integrity_check`; every capture
record points at a complete raw file with the recorded hash; nothing recorded or stored
before is gone or changed. Then one crawl and one build run to the end and the archive
holds every report and attachment the portal serves.
"""
from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from archive.store.home import Home
from archive.store.records import iter_records
from tests.crawl_helpers import REPO, to_real
from tests.fixtures.reliability.outcomes import Case, case, write  # noqa: F401 - fixture

SITE, REAL_ORIGIN = "changle", "https://www.fzcl.gov.cn"  # spiders/changle.py entry origin
KILLS = 22          # alternately crawl and build
SEED = int(os.environ.get("XXGK_CRASH_SEED", "20261122"))


def start(home: Path, args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "XXGK_HOME": str(home), "XXGK_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "archive.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def crawl_args(base_url: str, full: bool = False) -> list[str]:
    return ["crawl", SITE, "--base-url", f"{SITE}={base_url}", "--delay", "0", *(["--full"] if full else [])]


def kill_after(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL the process (and its children) after `seconds`; False if it had already ended."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        return True


class Invariants:
    """What must hold after every kill; counts what broke instead of stopping at the first."""

    def __init__(self, home: Path):
        self.home = home
        self.stored: dict[str, str] = {}      # raw_path -> sha256, for every capture ever recorded
        self.records = 0
        self.integrity_failures = 0
        self.captures_lost = 0
        self.bad_captures = 0
        self.db_checks = 0

    def check(self) -> None:
        db = Home(self.home).db
        if db.exists():
            self.db_checks += 1
            try:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
                try:
                    ok = con.execute("pragma integrity_check").fetchone()[0] == "ok"
                    con.execute("select count(*) from reports").fetchone()
                finally:
                    con.close()
            except sqlite3.Error:
                ok = False
            self.integrity_failures += not ok
        caps = [r for r in iter_records(Home(self.home), SITE) if r["type"] == "capture"]
        for cap in caps:
            path = self.home / cap["raw_path"]
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != cap["sha256"]:
                self.bad_captures += 1
            self.stored.setdefault(cap["raw_path"], cap["sha256"])
        for raw_path, sha in self.stored.items():
            path = self.home / raw_path
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                self.captures_lost += 1
        total = sum(1 for _ in iter_records(Home(self.home), SITE))
        self.captures_lost += max(0, self.records - total)  # records are append-only
        self.records = max(self.records, total)


def test_sigkill_at_random_points_loses_nothing(tmp_path: Path, case: Case) -> None:
    from replica.server import ReplicaServer

    case.describe("crash safety", f"SIGKILL of `xxgk crawl` and `xxgk build` at random points ({KILLS} runs, "
                  f"seed {SEED})",
                  "raw bodies are written to a temporary file, fsynced and renamed before their record; records "
                  "are append-only lines (a torn last line is skipped); the build works on a copy and renames "
                  "it: after every kill the database passes integrity_check, every capture points at a complete "
                  "file, nothing stored is lost, and the next run completes the archive")
    rng = random.Random(SEED)
    home = tmp_path / "home"
    inv = Invariants(home)
    kills = {"crawl": 0, "build": 0}
    runs = 0
    with ReplicaServer() as srv:
        base, man = srv.base_urls[SITE], srv.manifest[SITE]
        i, last_crawl_killed = 0, True
        while sum(kills.values()) < KILLS and runs < 2 * KILLS:
            what = "crawl" if i % 2 == 0 else "build"
            if what == "crawl":
                # --full (fetch everything again: re-storing must be harmless too) every other time,
                # and after a crawl that finished before its kill (an incremental one can be quick)
                args = crawl_args(base, full=i % 4 == 2 or not last_crawl_killed)
                wait = rng.uniform(1.0, 5.0)
            else:  # --force: re-parse everything, so the build is busy when the kill comes
                args, wait = ["build", "--no-progress", "--force"], rng.uniform(0.3, 4.0)
            if i == 3:  # one complete build, so later build kills have a database to protect
                args, wait = ["build", "--no-progress"], 600
            runs += 1
            killed = kill_after(start(home, args), wait)
            if i != 3:
                kills[what] += killed
            if what == "crawl":
                last_crawl_killed = killed
            inv.check()
            i += 1
        final_crawl = start(home, crawl_args(base))
        assert final_crawl.wait(240) == 0
    final_build = start(home, ["build", "--no-progress"])
    assert final_build.wait(400) == 0
    runs += 2
    inv.check()

    figures = {"runs": runs, "kills": sum(kills.values()), "crawl_kills": kills["crawl"],
               "build_kills": kills["build"], "db_checks": inv.db_checks,
               "integrity_failures": inv.integrity_failures, "captures_lost": inv.captures_lost,
               "bad_captures": inv.bad_captures, "captures": len(inv.stored), "seed": SEED}
    write({"type": "figures", "test": "tests/test_crash.py", **figures})
    case.figures.update(figures)
    assert sum(kills.values()) >= 20 and inv.db_checks >= KILLS // 2, (kills, inv.db_checks)
    assert inv.integrity_failures == 0 and inv.captures_lost == 0 and inv.bad_captures == 0, figures

    con = sqlite3.connect(f"file:{Home(home).db}?mode=ro", uri=True)
    try:
        urls = {u for (u,) in con.execute("select url from reports where site_id = ?", (SITE,))}
        shas = {s for (s,) in con.execute("select sha256 from attachments where site_id = ?", (SITE,))}
    finally:
        con.close()
    expected = [r for r in man["reports"] if r["in_column"]]
    missing = [r["title"] for r in expected if to_real(r["url"], base, REAL_ORIGIN) not in urls]
    assert not missing, missing
    atts = [a["sha256"] for r in expected for a in r["attachments"]]
    assert set(atts) <= shas
    case.saw(f"{figures['kills']} kills in {runs} runs ({kills['crawl']} crawl, {kills['build']} build), "
             f"{inv.db_checks} database checks: 0 integrity failures, 0 captures lost; final archive "
             f"{len(expected)}/{len(expected)} reports, {len(atts)} attachments")
