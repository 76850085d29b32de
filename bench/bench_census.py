"""Benchmark the coverage census (registry/census.py): the time `xxgk build` spends on it.

    .venv/bin/python bench/bench_census.py                    # 100,000 reports over the registry's sites
    .venv/bin/python bench/bench_census.py --reports 10000

Makes an archive.db with the build's schema, N reports spread over every registry site
(years 2008-2025, 30 agencies a site, with their report_headlines rows) and one crawl run
for every other site, then times
`census.write` (divisions x registry x reports -> coverage tables) and the
coverage_by_province view. Prints one line per figure.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    import sqlite_utils

    from archive.build.schema import ensure_schema
    from registry import census, divisions
    from registry import sites as registry

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=100_000)
    args = ap.parse_args()
    sites = registry.load()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite_utils.Database(Path(tmp) / "archive.db")
        ensure_schema(db)
        rows = []
        for i in range(args.reports):
            site = sites[i % len(sites)]
            rows.append({"report_id": f"r{i}", "site_id": site.site_id, "url": f"{site.home_url}r{i}.htm",
                         "title": "年度报告", "agency": f"{site.name}第{rng.randrange(30)}局",
                         "report_year": rng.randrange(2008, 2026), "parse_status": "ok"})
        db["reports"].insert_all(rows, batch_size=5000)
        db["report_headlines"].insert_all(({k: r[k] for k in ("report_id", "site_id", "agency", "report_year")}
                                           for r in rows), batch_size=5000)
        db["crawl_runs"].insert_all([{"run_id": f"run-{s.site_id}", "site_id": s.site_id,
                                      "started_at": "2026-12-01T02:00:00Z", "finished_at": "2026-12-01T03:00:00Z",
                                      "status": "ok", "requests": 100, "responses": 100,
                                      "stats": '{"reports": 10, "captures": 100, "finish_reason": "finished"}'}
                                     for s in sites[::2]], pk="run_id")
        db.conn.commit()
        started = time.perf_counter()
        counts = census.write(db, sites)
        db.conn.commit()
        took = time.perf_counter() - started
        started = time.perf_counter()
        provinces = list(db.query("select * from coverage_by_province"))
        view = time.perf_counter() - started
        print(f"census: {len(divisions.all_divisions())} divisions, {len(sites)} registry sites, "
              f"{args.reports} reports")
        print(f"census.write: {took:.2f} s ({counts['coverage']} coverage rows, {counts['coverage_years']} year rows)")
        print(f"coverage_by_province view: {1000 * view:.1f} ms ({len(provinces)} rows)")


if __name__ == "__main__":
    main()
