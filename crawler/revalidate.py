"""When to ask a known report page again although its list page shows nothing new.

A nightly crawl re-reads every list page. When a list page shows exactly what it showed last
time (same report URLs, titles and dates), its report pages are not requested at all, except
the ones due for revalidation: each page is asked again (conditionally, so usually a 304)
once its last reading is older than `days` × (1 + a stable per-URL fraction), i.e. between
`days` and 2 × `days` days. The spread keeps a site's pages from all coming due on the same
night. An in-place edit that leaves the list untouched is therefore seen within 2 × `days`
days; one that changes the list (a new title or date, a new report on the page) the same night.
`days = 0` asks every known page every night (conditional requests: the pre-0.2 behaviour).
"""
from __future__ import annotations

from datetime import datetime, timezone

from archive.store.records import short_hash

DEFAULT_DAYS = 7.0


def spread(url: str) -> float:
    """A fraction in [0, 1), the same for a URL on every run and machine."""
    return int(short_hash(url, n=8), 16) / 16**8


def is_due(url: str, last_read: str, days: float, now: datetime | None = None) -> bool:
    """Whether the page at `url`, last read at `last_read` (records' UTC stamp), is due."""
    if days <= 0:
        return True
    try:
        read_at = datetime.strptime(last_read, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return True
    age_days = ((now or datetime.now(timezone.utc)) - read_at).total_seconds() / 86400
    return age_days >= days * (1 + spread(url))
