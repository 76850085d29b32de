"""A host that is down: consecutive connection failures with no answer between.

Every transport failure of a request to a host (refused, reset, DNS, timeout: the kinds of
`crawler.middlewares.exception_kind`) counts; any HTTP answer from the host, whatever its
status, resets the count (the host is up, it may just be unhappy). At
`XXGK_HOST_DOWN_AFTER` (default 10) failures in a row the host is down for this run: its
site stops (crawler/sitestop.py, reason `host_down`, run_end `failed`). Retries count too,
so a host refusing every connection is given up after about ten attempts (a few seconds
of back-off), while the odd timeout or reset of a live portal never adds up.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CONNECTION_FAILURES = frozenset({"refused", "connection_reset", "dns", "timeout"})
DEFAULT_AFTER = 10


def down_after() -> int:
    try:
        return max(1, int(os.environ.get("XXGK_HOST_DOWN_AFTER", DEFAULT_AFTER)))
    except ValueError:
        return DEFAULT_AFTER


@dataclass
class HostFailures:
    """Per-site count of consecutive connection failures by host."""

    after: int = field(default_factory=down_after)
    streak: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, list[str]] = field(default_factory=dict)

    @staticmethod
    def host(url: str) -> str:
        return urlsplit(url).netloc.lower()

    def answered(self, url: str) -> None:
        host = self.host(url)
        self.streak.pop(host, None)
        self.kinds.pop(host, None)

    def failed(self, url: str, kind: str) -> bool:
        """Note a failure; True when this one makes the host down (once per streak)."""
        if kind not in CONNECTION_FAILURES:
            return False
        host = self.host(url)
        self.streak[host] = self.streak.get(host, 0) + 1
        self.kinds.setdefault(host, []).append(kind)
        return self.streak[host] == self.after

    def describe(self, url: str) -> str:
        host = self.host(url)
        kinds = self.kinds.get(host, [])
        counts = ", ".join(f"{k} ×{kinds.count(k)}" for k in sorted(set(kinds)))
        return (f"host {host} down: {self.streak.get(host, 0)} connection failures in a row ({counts}) "
                f"with no answer between (XXGK_HOST_DOWN_AFTER={self.after})")
