"""Wall-clock budgets: per site and run (`XXGK_SITE_BUDGET`), per night (`XXGK_NIGHT_DEADLINE`).

Site budget, unless `XXGK_SITE_BUDGET` sets it (seconds, or 90m / 2h):

    budget = BASE + FACTOR × expected_requests × per_request
    per_request = max(DOWNLOAD_DELAY, MIN_PER_REQUEST)        (seconds)
    expected_requests = requests of the site's last finished run, else XXGK_EXPECTED_REQUESTS (2000)
    BASE = 600 s, FACTOR = 3, MIN_PER_REQUEST = 0.5 s

i.e. three times the time the site's requests take at the politeness delay, plus ten
minutes for challenges and pauses. With the default delay (1 s) a first run gets
600 + 3 × 2000 × 1 = 6,600 s (1 h 50 min); a replica site whose last run made 300
requests gets 600 + 900 = 1,500 s. A run that reaches its budget ends `degraded` with one
`budget_exhausted` row; the next run goes on from the records.

The crawl process may also be given an absolute end (`XXGK_RUN_DEADLINE`, Unix time): every
site's budget ends by then. `xxgk nightly` sets it from `XXGK_NIGHT_DEADLINE` (default
23 h after the night starts, less a reserve for the build) so a night never overlaps the next.
"""
from __future__ import annotations

import os
import re
import time

BASE_SECONDS = 600.0
FACTOR = 3.0
MIN_PER_REQUEST = 0.5
DEFAULT_EXPECTED_REQUESTS = 2000
DEFAULT_NIGHT_DEADLINE = 23 * 3600.0
BUILD_RESERVE = 3600.0  # of a night's deadline, kept for the build (at most a quarter of it)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h)?\s*$", re.I)


def parse_duration(text: str | float | None) -> float | None:
    """'5400', '90m', '1.5h' -> seconds; None/'' -> None; anything else -> ValueError."""
    if text is None or text == "":
        return None
    if isinstance(text, (int, float)):
        return float(text)
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"not a duration: {text!r} (seconds, or a number with s, m or h)")
    unit = (m.group(2) or "s").lower()
    return float(m.group(1)) * {"s": 1, "m": 60, "min": 60, "h": 3600}[unit]


def site_budget(delay: float, expected_requests: int | None) -> float:
    """The documented default budget (seconds) of one site's run."""
    configured = parse_duration(os.environ.get("XXGK_SITE_BUDGET"))
    if configured is not None:
        return configured
    expected = expected_requests or int(os.environ.get("XXGK_EXPECTED_REQUESTS", DEFAULT_EXPECTED_REQUESTS))
    return BASE_SECONDS + FACTOR * expected * max(delay, MIN_PER_REQUEST)


def run_deadline() -> float | None:
    """The crawl process's absolute end (Unix time) if one was given."""
    raw = os.environ.get("XXGK_RUN_DEADLINE")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def night_deadline() -> float:
    """Seconds a nightly may take in all (`XXGK_NIGHT_DEADLINE`, default 23 h)."""
    value = parse_duration(os.environ.get("XXGK_NIGHT_DEADLINE"))
    return value if value is not None else DEFAULT_NIGHT_DEADLINE


def crawl_share(night_seconds: float) -> float:
    """Of a night's deadline, the part the crawl may use (the rest is the build's reserve)."""
    return night_seconds - min(BUILD_RESERVE, night_seconds / 4)


def seconds_left(started: float, budget: float) -> float:
    """Monotonic budget left, capped by the process's run deadline."""
    left = started + budget - time.monotonic()
    deadline = run_deadline()
    if deadline is not None:
        left = min(left, deadline - time.time())
    return left
