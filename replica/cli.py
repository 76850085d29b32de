"""`xxgk replica`: serve the replica portals on loopback until Ctrl-C / SIGTERM."""
from __future__ import annotations

import argparse
import signal
import threading


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", type=int, default=0, help="extra synthetic sites (round-robin over the families)")
    p.add_argument("--day", type=int, default=1, help="world day: 1 initial, 2 changes, 3 removed report back, 4 quiet in-place edit")
    p.add_argument("--chaos", nargs="?", const="all", default=None,
                   help="enable faults: 'all' (default when given bare) or a comma list of mode names")
    p.add_argument("--port", type=int, default=0, help="base port: site i listens on BASE+i (default: ephemeral)")
    p.add_argument("--host", default="127.0.0.1")


def chaos_modes(value: str | None) -> set[str]:
    from replica.families.chaos import MODES
    if not value:
        return set()
    if value == "all":
        return set(MODES)
    modes = {m.strip() for m in value.split(",") if m.strip()}
    unknown = modes - set(MODES)
    if unknown:
        raise SystemExit(f"unknown chaos modes: {', '.join(sorted(unknown))} (known: {', '.join(sorted(MODES))})")
    return modes


def run(args: argparse.Namespace) -> int:
    from replica.server import ReplicaServer

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    srv = ReplicaServer(day=args.day, scale=args.scale, chaos=chaos_modes(args.chaos), host=args.host, port=args.port)
    srv.start()
    try:
        for site_id, url in srv.base_urls.items():
            print(site_id, url, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        srv.stop()
    return 0
