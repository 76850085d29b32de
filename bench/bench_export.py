"""Benchmark the exports: time, size and peak memory of

1. `xxgk export warc` and `xxgk export wacz` over the demo archive's raw store (a crawl of the
   five seed replica portals, --delay 0), against the size of `raw/`;
2. `xxgk export dataset` over the synthetic benchmark archive of bench/bench_archive.py
   (default 100,000 reports; `--archive DIR` reuses one kept with `bench_archive.py --keep`).

    .venv/bin/python bench/bench_export.py                      # both, 100,000 reports
    .venv/bin/python bench/bench_export.py --reports 10000      # quicker
    .venv/bin/python bench/bench_export.py --archive /tmp/a     # dataset of a kept archive

Each export runs as its own process; peak memory is that process's max RSS.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def timed_export(home: Path, *args: str) -> tuple[float, float]:
    """(seconds, peak MB) of one `xxgk export ...` child (its own rusage, via wait4)."""
    env = {**os.environ, "XXGK_HOME": str(home)}
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "export", *args], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"export {args} failed:\n{err.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def bench_demo_raw_store(work: Path) -> None:
    from crawl_helpers import run_crawl
    from replica.server import ReplicaServer

    home = work / "demo"
    srv = ReplicaServer(day=1)
    srv.start()
    try:
        started = time.monotonic()
        proc = run_crawl(home, srv.base_urls, timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-2000:])
        print(f"demo crawl of {len(srv.base_urls)} replica portals: {time.monotonic() - started:.1f} s")
    finally:
        srv.stop()
    raw = du(home / "raw")
    files = sum(1 for p in (home / "raw").rglob("*") if p.is_file())
    print(f"raw store: {files} bodies, {raw / 1e6:.1f} MB")
    s, mb = timed_export(home, "warc", "--out", str(work / "warc"))
    size = du(work / "warc")
    print(f"export warc: {s:.1f} s, {size / 1e6:.1f} MB ({size / raw:.0%} of raw/, gzip per record), peak {mb:.0f} MB")
    s, mb = timed_export(home, "wacz", "--out", str(work / "demo.wacz"))
    size = (work / "demo.wacz").stat().st_size
    print(f"export wacz: {s:.1f} s, {size / 1e6:.1f} MB ({size / raw:.0%} of raw/), peak {mb:.0f} MB")


def bench_dataset(work: Path, archive: Path | None, reports: int) -> None:
    if archive is None:
        archive = work / "archive"
        print(f"generating the {reports:,}-report benchmark archive (bench_archive.py --keep) …", flush=True)
        subprocess.run([sys.executable, str(REPO / "bench" / "bench_archive.py"), "--reports", str(reports),
                        "--keep", "--out", str(archive), "--repeat", "1", "--cold-terms", "1"],
                       check=True, stdout=subprocess.DEVNULL)
    db = next(archive.rglob("archive.db"))
    home = db.parent
    out = work / "releases"
    s, mb = timed_export(home, "dataset", "--out", str(out))
    release = next(out.iterdir())
    csv = sum(p.stat().st_size for p in release.glob("*.csv"))
    parquet = sum(p.stat().st_size for p in release.glob("*.parquet"))
    print(f"export dataset of {db} ({db.stat().st_size / 1e9:.2f} GB): {s:.1f} s, peak {mb:.0f} MB")
    print(f"  CSV {csv / 1e6:.0f} MB, Parquet {parquet / 1e6:.0f} MB, {len(list(release.iterdir()))} files")
    s, mb = timed_export(home, "dataset", "--out", str(work / "releases-novalidate"), "--no-validate")
    print(f"  without frictionless validation: {s:.1f} s, peak {mb:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--archive", type=Path, help="a benchmark archive kept by bench_archive.py --keep")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--skip-dataset", action="store_true")
    args = ap.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        if not args.skip_demo:
            bench_demo_raw_store(work)
        if not args.skip_dataset:
            bench_dataset(work, args.archive, args.reports)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
