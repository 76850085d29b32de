"""Benchmark `xxgk nightly`: night 1 (empty archive) against night 2 (nothing changed).

    .venv/bin/python bench/bench_nightly.py               # 5 seed + 50 scaled replica sites (~5,100 reports)
    .venv/bin/python bench/bench_nightly.py --delay 0     # no politeness delay: CPU-bound, ~25 s a night 1
    .venv/bin/python bench/bench_nightly.py --scale 10    # quick
    .venv/bin/python bench/bench_nightly.py --parse       # include text extraction + parsing in the build

The replica portals run in this process (`ReplicaServer(scale=N)`); each night is the real
`xxgk nightly` (its crawl in a child process, then the build and the health report). Figures
come from the nightly's JSON summary and the capture records of each night's runs:
requests, 304 answers, detail pages and attachments downloaded, crawl / build / total time.
Nights run with the production politeness delay (1 s per portal) unless `--delay` says otherwise.

By default the build runs without text extraction and parsing: the parse stage is
incremental (night 2 parses nothing new either way) and parsing ~5,000 reports on night 1
takes most of an hour on two cores, which would say nothing about incrementality.

Goal (issue "Nightly crawls"): night 2 downloads no detail page and no attachment (304s
allowed) and takes under 10 % of night 1's time.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pytest  # noqa: E402  (MonkeyPatch: XXGK_HOME for the in-process nightly)

from archive.cli import main as xxgk  # noqa: E402
from archive.store.home import Home  # noqa: E402
from archive.store.records import iter_records  # noqa: E402


def nightly_argv(manifest: dict[str, Any], seeds: set[str], extra: list[str], delay: float = 0.0) -> list[str]:
    argv = ["nightly", "--json", "--delay", str(delay), "--sites", ",".join(sorted(manifest)), *extra]
    for site, m in sorted(manifest.items()):
        if site in seeds:
            argv += ["--base-url", f"{site}={m['base_url']}"]
        else:
            argv += ["--platform-site", f"{site}={m['platform']}:{m['entry_url']}"]
    return argv


def run_night(home: Path, argv: list[str]) -> tuple[int, dict[str, Any], float]:
    out = io.StringIO()
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("XXGK_HOME", str(home))
        rc = xxgk(argv)
    return rc, json.loads(out.getvalue()), time.monotonic() - started


def downloads(home: Path, batch: str) -> Counter[str]:
    """Bodies downloaded (2xx captures) per kind, and 304s, over one nightly's runs."""
    counts: Counter[str] = Counter()
    for rec in iter_records(Home(home), types={"capture", "not_modified", "run_end"}):
        if not rec["run_id"].startswith(batch + "-"):
            continue
        if rec["type"] == "capture":
            counts[rec.get("kind") or "other"] += 1
        elif rec["type"] == "not_modified":
            counts["304"] += 1
        else:
            counts["requests"] += rec["stats"].get("requests", 0)
            counts["attachments_skipped"] += rec["stats"].get("attachments_skipped", 0)
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=50, help="scaled replica sites (default 50)")
    ap.add_argument("--no-seeds", action="store_true", help="only the scaled sites")
    ap.add_argument("--parse", action="store_true", help="build with text extraction and parsing")
    ap.add_argument("--home", help="archive home (default: a temporary directory, removed after)")
    ap.add_argument("--delay", type=float, default=1.0,
                    help="seconds between requests to one portal (default 1.0, the production default; "
                         "0 makes the crawl CPU-bound: night 1 then lasts seconds and fixed costs set the ratio)")
    ap.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                    help="extra Scrapy setting for both nights")
    args = ap.parse_args()
    from replica.server import ReplicaServer

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="bench-nightly-"))
    extra = [x for s in args.set for x in ("-s", s)]
    try:
        with ReplicaServer(scale=args.scale) as srv:
            manifest = {k: v for k, v in srv.manifest.items() if not (args.no_seeds and "-" not in k)}
            seeds = {k for k in manifest if "-" not in k}
            reports = sum(len(m["reports"]) for m in manifest.values())
            atts = sum(len(r["attachments"]) for m in manifest.values() for r in m["reports"])
            print(f"replica: {len(manifest)} sites, {reports} reports, {atts} attachments; "
                  f"delay {args.delay}s per portal; home {home}")
            argv = nightly_argv(manifest, seeds, extra if args.parse else [*extra, "--no-parse"], args.delay)
            nights = []
            for n in (1, 2):
                rc, summary, wall = run_night(home, argv)
                nights.append((rc, summary, wall, downloads(home, summary["run_id"])))
                print(f"night {n}: exit {rc}, {wall:.1f}s, unhealthy: {summary['unhealthy'] or '-'}", flush=True)
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)
    print_table(nights)
    return 0


def print_table(nights: list[tuple[int, dict[str, Any], float, Counter[str]]]) -> None:
    rows = [
        ("requests", lambda s, w, c: c["requests"]),
        ("304 not modified", lambda s, w, c: c["304"]),
        ("detail pages downloaded", lambda s, w, c: c["detail"]),
        ("attachments downloaded", lambda s, w, c: c["attachment"]),
        ("attachments skipped (304 page)", lambda s, w, c: c["attachments_skipped"]),
        ("list/api/entry pages downloaded", lambda s, w, c: c["list"] + c["api"] + c["entry"]),
        ("new reports", lambda s, w, c: sum(x.get("new_reports") or 0 for x in s["sites"])),
        ("changed reports", lambda s, w, c: sum(x.get("changed_reports") or 0 for x in s["sites"])),
        ("crawl seconds", lambda s, w, c: s["build"].get("crawl_seconds")),
        ("build seconds", lambda s, w, c: round(s["build"].get("seconds") or 0, 2)),
        ("nightly wall seconds", lambda s, w, c: round(w, 1)),
    ]
    print(f"{'':34s}{'night 1':>12s}{'night 2':>12s}{'2 / 1':>9s}")
    for label, get in rows:
        a, b = (get(s, w, c) for _, s, w, c in nights)
        ratio = f"{b / a:.0%}" if isinstance(a, (int, float)) and a else "-"
        print(f"{label:34s}{a!s:>12s}{b!s:>12s}{ratio:>9s}")


if __name__ == "__main__":
    sys.exit(main())
