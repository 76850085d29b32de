"""Recall, false reports and requests per report of the family spiders on generated portals.

    .venv/bin/python bench/bench_variants.py [--portals 200] [--seed-start N] [--batch 25]

Seeds come from a fresh random range each run (printed, so a miss replays with
`--seed-start`); portals are spread over trs, gkmlpt, jcms and jpaas. Goal (issue #13 §5):
recall >= 99 % and 0 false reports. Misses are printed with the seed and the features drawn.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replica.variants import generate  # noqa: E402
from replica.variants.server import VariantServer  # noqa: E402
from tests.variant_helpers import crawl, score  # noqa: E402

FAMILIES = ("trs", "gkmlpt", "jcms", "jpaas")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--portals", type=int, default=200)
    ap.add_argument("--seed-start", type=int, default=None)
    ap.add_argument("--batch", type=int, default=40, help="portals crawled by one child process")
    args = ap.parse_args()
    start = args.seed_start if args.seed_start is not None else random.SystemRandom().randrange(10**6, 10**9)
    seeds = [(start + i // len(FAMILIES), FAMILIES[i % len(FAMILIES)]) for i in range(args.portals)]
    print(f"seeds {start}..{start + (args.portals - 1) // len(FAMILIES)} (replay: --seed-start {start}); "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    totals = {f: {"expected": 0, "found": 0, "false": 0, "twice": 0, "wrong": 0, "requests": 0, "portals": 0}
              for f in FAMILIES}
    t0 = time.monotonic()
    for b in range(0, len(seeds), args.batch):
        portals = [generate(s, f) for s, f in seeds[b:b + args.batch]]
        home = Path(tempfile.mkdtemp(prefix="bench-variants-"))
        with VariantServer(portals) as srv:
            manifest = srv.manifest
            proc = crawl(home, manifest, timeout=1800)
            requests = dict(srv.requests)
        if proc.returncode:
            print(proc.stderr[-2000:])
        for sid, man in manifest.items():
            s = score(home, sid, man)
            t = totals[man["family"]]
            t["portals"] += 1
            t["expected"] += s["expected"]
            t["found"] += s["found"]
            t["false"] += len(s["false"])
            t["twice"] += len(s["twice"])
            t["wrong"] += len(s["wrong"])
            t["requests"] += requests.get(sid, 0)
            if s["missed"] or s["false"] or s["twice"] or s["wrong"]:
                print(f"  MISS seed={man['seed']} family={man['family']} found {s['found']}/{s['expected']} "
                      f"false={s['false'][:2]} twice={s['twice'][:2]} wrong={s['wrong'][:2]} missed={s['missed'][:2]}"
                      f"\n       features={man['features']} status={s['status']} errors={s['errors'][:3]}", flush=True)
        print(f"  {min(b + args.batch, len(seeds))}/{len(seeds)} portals, {time.monotonic() - t0:.0f} s", flush=True)
    print(f"{'family':8} {'portals':>7} {'reports':>7} {'recall':>8} {'false':>5} {'twice':>5} {'wrong':>5} {'req/report':>10}")
    for f, t in totals.items():
        recall = t["found"] / t["expected"] if t["expected"] else 0
        print(f"{f:8} {t['portals']:7} {t['expected']:7} {recall:8.2%} {t['false']:5} {t['twice']:5} {t['wrong']:5} "
              f"{t['requests'] / max(t['found'], 1):10.2f}")
    all_exp = sum(t["expected"] for t in totals.values())
    all_found = sum(t["found"] for t in totals.values())
    print(f"all: recall {all_found}/{all_exp} = {all_found / max(all_exp, 1):.2%}, false reports "
          f"{sum(t['false'] for t in totals.values())}, {time.monotonic() - t0:.0f} s, load {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
