"""Latency of the reader's pages (issue #14) on an archive kept by bench_archive.py.

    .venv/bin/python bench/bench_archive.py --keep --out /tmp/a   # build the 100k archive once
    .venv/bin/python bench/bench_reader.py --out /tmp/a           # then time the HTML pages

Times, as a browser gets them (full HTML): report pages (--reports distinct random reports,
each requested once, so nothing is cached), the search page for broad, rare, several-word
and short-word queries, the pivot, and an archived page with its banner. Prints p50/p95.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.store.home import Home  # noqa: E402
from archive.serve.app import serve_app  # noqa: E402

SEARCHES = ["应急管理", "政府信息公开", "防汛防台", "应急管理 行政复议", "政府信息公开工作年度报告",
            "水利局长", "应急 管理", "年报", "公开 应急管理",
            # narrow enough to rank by bm25 (archive.serve.search_page.RANK_LIMIT) on the synthetic archive:
            "第499局", "第19市", "第19市 2018年", "2018年"]


def get_ms(url: str) -> tuple[float, int]:
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as resp:
        resp.read()
        status = resp.status
    return (time.perf_counter() - t) * 1000, status


def pct(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "archive")
    ap.add_argument("--reports", type=int, default=60, help="distinct report pages, each requested once")
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    home = Home.from_env(args.out)
    con = sqlite3.connect(f"file:{home.db}?mode=ro", uri=True)
    n = con.execute("select count(*) from reports").fetchone()[0]
    rng = random.Random(3)
    rowids = rng.sample(range(1, n + 1), min(args.reports, n))
    ids = [r for (r,) in con.execute(f"select report_id from reports where rowid in ({','.join(map(str, rowids))})")]
    sha = con.execute("select sha256 from captures where kind = 'detail' limit 1").fetchone()[0]
    site = con.execute("select site_id from sites limit 1").fetchone()[0]
    con.close()
    srv = serve_app(home)
    worst = 0.0
    try:
        base = srv.url.rstrip("/")
        get_ms(f"{base}/archive/reports/{ids[0]}")  # warm-up
        print(f"{'page (HTML)':52s} {'p50 ms':>8s} {'p95 ms':>8s}   reports: {n}")

        def show(name: str, times: list[float]) -> None:
            nonlocal worst
            p50, p95 = pct(times)
            worst = max(worst, p95)
            print(f"{name:52s} {p50:8.1f} {p95:8.1f}", flush=True)

        show(f"report page, {len(ids)} distinct reports", [get_ms(f"{base}/archive/reports/{r}")[0] for r in ids])
        for q in SEARCHES:
            url = f"{base}/-/search?" + urllib.parse.urlencode({"q": q})
            show(f"search page: {q}", [get_ms(url)[0] for _ in range(args.repeat)])
        show("pivot (one region, all agencies)",
             [get_ms(f"{base}/-/pivot?region={site}")[0] for _ in range(args.repeat)])
        show("archived page (banner)", [get_ms(f"{base}/-/archived/{sha}")[0] for _ in range(args.repeat)])
        print(f"\nworst p95: {worst:.0f} ms (goal < 300 ms)")
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
