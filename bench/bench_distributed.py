"""Distributed crawl throughput: pages/s with 1, 2 and 3 worker processes, and politeness.

One replica (`--sites` scaled sites, default 200) and one private redis-server serve every
phase. Each phase seeds a fresh crawl of all sites into a fresh $XXGK_HOME, starts k workers,
and counts the requests the replica answered in a measuring window (after a warm-up), so the
figure is steady-state throughput, not start-up. Per site it reports the most requests in
flight and the peak request rate (1 s windows) seen by the server against the limits the
workers were given (`--interval`, `--concurrency`).

    .venv/bin/python bench/bench_distributed.py [--sites 200] [--workers 1,2,3] [--window 60]

Prints a table and writes bench/out/bench_distributed.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.distributed_local import LocalRedis, crawl_env, seed, start_worker, wait_all  # noqa: E402
from tests.distributed_probe import TimedReplica, politeness  # noqa: E402


def phase(srv: TimedReplica, redis_url: str, tmp: Path, k: int, args: argparse.Namespace) -> dict:
    home = tmp / f"home-{k}"
    home.mkdir()
    env = crawl_env(home, redis_url, XXGK_HOST_INTERVAL=str(args.interval),
                    XXGK_HOST_CONCURRENCY=str(args.concurrency), XXGK_WORKER_MAX_SITES=str(args.max_sites),
                    XXGK_LOG_LEVEL="WARNING")
    seed(env, tmp / "sites.txt")
    workers = [start_worker(env, f"b{k}w{i}") for i in range(k)]
    t0 = time.monotonic()
    time.sleep(args.warmup)
    start = time.monotonic()
    n0 = len(srv.access)
    rss = 0
    while time.monotonic() < start + args.window:
        time.sleep(2)
        rss = max(rss, max(_rss(w.pid) for w in workers))
    end = time.monotonic()
    window = [a for a in srv.access[n0:] if start <= a[1] < end]
    finished_early = sum(w.poll() is not None for w in workers)
    for w in workers:
        w.terminate()
    wait_all(workers, timeout=60)
    figures = politeness(window, window=1.0)
    busiest = max(figures.values(), key=lambda f: f.requests, default=None)
    return {
        "workers": k, "pages": len(window), "seconds": round(end - start, 1),
        "pages_per_s": round(len(window) / (end - start), 1), "sites_active": len(figures),
        "max_in_flight_any_site": max((f.max_in_flight for f in figures.values()), default=0),
        "peak_rate_any_site": max((f.peak_rate() for f in figures.values()), default=0.0),
        "busiest_site": busiest.site_id if busiest else None,
        "busiest_site_pages_per_s": round(busiest.requests / (end - start), 1) if busiest else 0.0,
        "workers_finished_before_window_end": finished_early, "warmup_s": round(start - t0, 1),
        "max_worker_rss_mb": round(rss / 2**20),
    }


def _rss(pid: int) -> int:
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--workers", default="1,2,3")
    ap.add_argument("--window", type=float, default=60.0, help="measuring window per phase (s)")
    ap.add_argument("--warmup", type=float, default=15.0)
    ap.add_argument("--interval", type=float, default=0.1, help="per-host seconds between request starts")
    ap.add_argument("--concurrency", type=int, default=2, help="per-host requests in flight (all workers)")
    ap.add_argument("--max-sites", type=int, default=100, help="site crawlers per worker")
    ap.add_argument("--site-args", default="", help="spider args for every site, e.g. max_list_pages=2")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-dist-") as d:
        tmp = Path(d)
        t0 = time.monotonic()
        with TimedReplica(scale=args.sites) as srv, LocalRedis(tmp / "redis") as url:
            startup = time.monotonic() - t0
            sites = srv.write_site_list(tmp / "sites.txt", args=args.site_args)
            print(f"replica: {len(sites)} scaled sites up in {startup:.1f}s; limits per site: "
                  f"{args.concurrency} in flight, {1 / args.interval:.0f} req/s; {os.cpu_count()} CPUs, "
                  f"load {os.getloadavg()[0]:.1f}")
            rows = [phase(srv, url, tmp, int(k), args) for k in args.workers.split(",")]
    print(f"{'workers':>7} {'pages/s':>8} {'pages':>7} {'sites':>6} {'max in flight/site':>19} "
          f"{'peak req/s/site':>16} {'worker RSS MB':>14}")
    for r in rows:
        print(f"{r['workers']:>7} {r['pages_per_s']:>8} {r['pages']:>7} {r['sites_active']:>6} "
              f"{r['max_in_flight_any_site']:>19} {r['peak_rate_any_site']:>16.0f} {r['max_worker_rss_mb']:>14}")
    out = Path(__file__).resolve().parent / "out" / "bench_distributed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"sites": args.sites, "replica_startup_s": round(startup, 1),
                               "limits": {"interval": args.interval, "concurrency": args.concurrency},
                               "load_avg": os.getloadavg(), "phases": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
