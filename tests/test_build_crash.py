"""A build SIGKILLed mid-way leaves the previous archive.db usable; the next build completes."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from archive.build.builder import build
from archive.store.home import Home
from fixtures.archive.factory import CL_COL, _run, make_scenario, report_page, seed_text, text_to_html

REPO = Path(__file__).resolve().parent.parent
EXTRA = 24


def _count(db: Path) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        return con.execute("select count(*) from reports").fetchone()[0]
    finally:
        con.close()


def _add_many(home: Home) -> None:
    body = text_to_html(seed_text("001"))
    r = _run(home, "changle", 9, 9)
    r.start("http://www.fzcl.gov.cn")
    urls = [f"{CL_COL}202201/t2022012{i:03d}.htm" for i in range(EXTRA)]
    r.w("listing", column_url=CL_COL, page_url=CL_COL, report_urls=urls)
    for i, url in enumerate(urls):
        page = report_page(f"长乐区第{i}单位2021年政府信息公开工作年度报告", body + f"<p>单位编号 {i}</p>", {})
        r.report(url, page, CL_COL, f"长乐区第{i}单位2021年政府信息公开工作年度报告", f"长乐区第{i}单位",
                 f"CL-2022-{i:05d}", "2022-01-20")
    r.end()


def test_sigkill_mid_build_keeps_old_database(tmp_path):
    home = Home.from_env(tmp_path)
    make_scenario(home)
    build(home, progress=False)
    inode = home.db.stat().st_ino
    _add_many(home)
    env = {**os.environ, "XXGK_HOME": str(home.root), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "build", "--no-progress"], env=env,
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmp = home.root / "archive.db.tmp"
    deadline = time.monotonic() + 30
    while not (tmp.exists() and tmp.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.4)  # well into the work on the copy
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert still_running, "the build finished before it could be killed"
    assert home.db.stat().st_ino == inode  # never written in place
    assert _count(home.db) == 4  # the old database answers as before
    stats = build(home, progress=False)  # the next build starts again from it and completes
    assert not stats.skipped and stats.reports == 4 + EXTRA
    assert _count(home.db) == 4 + EXTRA and not tmp.exists()
