"""Generic spider on generated portals of no known family: recall, false reports, requests per report.

    .venv/bin/python bench/bench_generic.py [--portals 200] [--start SEED] [--family none]

A fresh random seed range each run (printed: `--start` replays it). Portals are crawled in
batches by one `xxgk crawl --url SITE=URL …` process each, against loopback `VariantServer`s.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from generic_helpers import crawl_urls, records, score  # noqa: E402
from replica.variants import generate  # noqa: E402
from replica.variants.server import VariantServer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--portals", type=int, default=200)
    ap.add_argument("--start", type=int, help="first seed (default: random, printed)")
    ap.add_argument("--family", default="none", help="none | trs | gkmlpt | jcms | jpaas (crawled by the generic spider)")
    ap.add_argument("--batch", type=int, default=25)
    args = ap.parse_args()
    start = args.start if args.start is not None else random.SystemRandom().randrange(10_000, 10_000_000)
    print(f"bench_generic: family={args.family} seeds {start}..{start + args.portals - 1} "
          f"(replay: --start {start}); load {os.getloadavg()[0]:.2f}", flush=True)
    totals = {"reports": 0, "found": 0, "false": 0, "twice": 0, "wrong": 0, "requests": 0,
              "attachments": 0, "attachments_found": 0}
    bad: list[str] = []
    t0 = time.time()
    for b in range(start, start + args.portals, args.batch):
        seeds = range(b, min(b + args.batch, start + args.portals))
        portals = [generate(s, args.family) for s in seeds]
        with VariantServer(portals) as srv, tempfile.TemporaryDirectory() as tmp:
            man = srv.manifest
            crawl_urls(Path(tmp), {p.site_id: man[p.site_id]["entry_url"] for p in portals}, timeout=1800)
            for p in portals:
                sc = score(man[p.site_id], records(Path(tmp), p.site_id))
                totals["reports"] += sc["reports"]
                totals["found"] += sc["found"]
                for k in ("false", "twice", "wrong"):
                    totals[k] += len(sc[k])
                totals["attachments"] += sc["attachments"]
                totals["attachments_found"] += sc["attachments_found"]
                if sc["missed"] or sc["false"] or sc["twice"]:
                    bad.append(f"  seed {p.seed}: missed {len(sc['missed'])}/{sc['reports']} false {len(sc['false'])} "
                               f"twice {len(sc['twice'])} {p.features}")
            totals["requests"] += sum(srv.requests.values())
        print(f"  ... {seeds.stop - start} portals, {time.time() - t0:.0f} s", flush=True)
    recall = totals["found"] / max(1, totals["reports"])
    print(f"portals {args.portals}  reports {totals['reports']}  found {totals['found']}  recall {recall:.1%}  "
          f"false {totals['false']}  twice {totals['twice']}  metadata mismatches {totals['wrong']}")
    print(f"attachments {totals['attachments_found']}/{totals['attachments']}  requests {totals['requests']}  "
          f"requests/report {totals['requests'] / max(1, totals['found']):.2f}  time {time.time() - t0:.0f} s  "
          f"load {os.getloadavg()[0]:.2f}")
    print("portals with a miss or a false report:" if bad else "every portal complete")
    print("\n".join(bad[:40]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
