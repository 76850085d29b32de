"""Measuring a distributed crawl from the server's side: what each portal actually received.

`TimedReplica` is the replica server with an access log (site, start, end of every request,
monotonic seconds); `politeness(log)` folds it into per-site figures: requests, the most
requests in flight at once, the smallest gap between two request starts, and the most
requests started within any window of `window` seconds. The test and the benchmark compare
those figures with the limits the workers were given.
"""
from __future__ import annotations

import time
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replica.server import ReplicaServer


class TimedReplica(ReplicaServer):
    """ReplicaServer that records (site_id, started, finished, path?query) for every request."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.access: list[tuple[str, float, float, str]] = []

    def _handler(self, site_id: str) -> Any:
        inner = super()._handler(site_id)

        async def handle(request: Any) -> Any:
            started = time.monotonic()
            try:
                return await inner(request)
            finally:
                self.access.append((site_id, started, time.monotonic(), request.path_qs))
        return handle

    def write_site_list(self, path: Path, sites: list[str] | None = None, args: str = "") -> list[str]:
        """`site_id spider start_url [args]` lines for `xxgk crawl --distributed --seed --site-list`
        (default: the scaled sites, which the generic platform spiders crawl)."""
        manifest = self.manifest
        chosen = sites or [s for s in manifest if manifest[s].get("platform") and "-" in s]
        path.write_text("".join(f"{s} {manifest[s]['platform']} {manifest[s]['entry_url']} {args}\n"
                                for s in chosen), encoding="utf-8")
        return chosen


@dataclass
class SitePoliteness:
    site_id: str
    requests: int
    max_in_flight: int
    min_gap: float           # seconds between the two closest request starts
    max_in_window: int       # most request starts within any `window` seconds
    window: float

    def peak_rate(self) -> float:
        return self.max_in_window / self.window


def politeness(access: list[tuple[str, float, float, str]], window: float = 1.0) -> dict[str, SitePoliteness]:
    by_site: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for site, start, end, _ in access:
        by_site[site].append((start, end))
    out = {}
    for site, spans in by_site.items():
        starts = sorted(s for s, _ in spans)
        events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
        live = peak = 0
        for _, delta in events:
            live += delta
            peak = max(peak, live)
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        in_window = max((bisect_left(starts, t + window) - i for i, t in enumerate(starts)), default=0)
        out[site] = SitePoliteness(site, len(starts), peak, min(gaps, default=float("inf")), in_window, window)
    return out
