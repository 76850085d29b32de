"""A host that is down: connection failures with no answer between.

Every transport failure of a request to a host (refused, reset, DNS, timeout: the kinds of
`crawler.middlewares.exception_kind`) counts; any HTTP answer from the host, whatever its
status, resets the count (the host is up, it may just be unhappy). The host is down for this
run, and its site stops (crawler/sitestop.py, reason `host_down`, run_end `failed`), when

* `XXGK_HOST_DOWN_AFTER` (default 10) failures came in a row, retries included, or at least
  two of them were refusals, resets or DNS failures (not mere timeouts), and
* the host has not answered for `XXGK_HOST_DOWN_SILENCE` seconds (default 30): a process
  starved of CPU sees many requests time out in one instant, which says nothing of the host.
  A host that AutoThrottle has slowed to one request every 40-60 s (it answered slowly before
  it died) would need ten minutes for ten failures; this sees it within two paces.

The odd timeout or reset of a live portal never adds up: one answer clears the count, and a
timeout after the response headers came (a body trickling in too slowly) is an answer.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CONNECTION_FAILURES = frozenset({"refused", "connection_reset", "connect_failed", "dns", "timeout"})
HARD_FAILURES = frozenset({"refused", "connection_reset", "connect_failed", "dns"})  # the host is not there at all
DEFAULT_AFTER, DEFAULT_SILENCE = 10, 30.0


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class HostFailures:
    """Per-site count of consecutive connection failures by host."""

    after: int = field(default_factory=lambda: max(1, int(_env("XXGK_HOST_DOWN_AFTER", DEFAULT_AFTER))))
    silence: float = field(default_factory=lambda: _env("XXGK_HOST_DOWN_SILENCE", DEFAULT_SILENCE))
    kinds: dict[str, list[str]] = field(default_factory=dict)   # host -> failure kinds since its last answer
    quiet_since: dict[str, float] = field(default_factory=dict)  # host -> last answer (or first failure)
    down: set[str] = field(default_factory=set)

    @staticmethod
    def host(url: str) -> str:
        return urlsplit(url).netloc.lower()

    def answered(self, url: str) -> None:
        host = self.host(url)
        self.kinds.pop(host, None)
        self.quiet_since[host] = time.monotonic()

    def failed(self, url: str, kind: str) -> bool:
        """Note a failure; True when this one makes the host down (once per run)."""
        if kind not in CONNECTION_FAILURES:
            return False
        host = self.host(url)
        now = time.monotonic()
        kinds = self.kinds.setdefault(host, [])
        if not kinds:
            self.quiet_since.setdefault(host, now)
        kinds.append(kind)
        hard = sum(k in HARD_FAILURES for k in kinds)
        # and always a silent spell: a starved event loop times out many requests in one instant
        is_down = (len(kinds) >= self.after or hard >= 2) and now - self.quiet_since[host] >= self.silence
        if is_down and host not in self.down:
            self.down.add(host)
            return True
        return False

    def describe(self, url: str) -> str:
        host = self.host(url)
        kinds = self.kinds.get(host, [])
        counts = ", ".join(f"{k} ×{kinds.count(k)}" for k in sorted(set(kinds)))
        quiet = time.monotonic() - self.quiet_since.get(host, time.monotonic())
        return (f"host {host} down: {len(kinds)} connection failures in a row ({counts}), no answer for "
                f"{quiet:.0f}s (XXGK_HOST_DOWN_AFTER={self.after}, XXGK_HOST_DOWN_SILENCE={self.silence:.0f}s)")
