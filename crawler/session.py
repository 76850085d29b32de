"""Per-spider archive session: where a crawl writes, and what earlier runs already hold."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from archive.home import Home
from archive.records import RecordWriter, iter_records, new_run_id
from archive.store import RawStore


@dataclass
class PreviousCapture:
    url: str
    sha256: str
    raw_path: str
    etag: str | None
    last_modified: str | None
    content_type: str | None
    charset: str | None


@dataclass
class SiteState:
    """What earlier runs captured for one site: the latest version of every URL."""

    captures: dict[str, PreviousCapture] = field(default_factory=dict)

    @classmethod
    def load(cls, home: Home, site_id: str) -> "SiteState":
        state = cls()
        for rec in iter_records(home, site_id, types={"capture"}):
            if not (200 <= int(rec.get("http_status") or 0) < 300):
                continue
            prev = PreviousCapture(rec["url"], rec["sha256"], rec["raw_path"], rec.get("etag"),
                                   rec.get("last_modified"), rec.get("content_type"), rec.get("charset"))
            state.captures[rec["url"]] = prev
            if rec.get("request_url"):
                state.captures.setdefault(rec["request_url"], prev)
        return state

    def get(self, url: str) -> PreviousCapture | None:
        return self.captures.get(url)


class ArchiveSession:
    """Opened when a spider starts; middlewares and pipelines write through it."""

    def __init__(self, site_id: str, home: Home | None = None, run_id: str | None = None,
                 worker: str | None = None, incremental: bool = True):
        self.home = (home or Home.from_env()).ensure()
        self.site_id = site_id
        self.run_id = run_id or new_run_id()
        self.store = RawStore(self.home)
        self.writer = RecordWriter(self.home, site_id, self.run_id, worker=worker)
        self.state = SiteState.load(self.home, site_id) if incremental else SiteState()
        self.stats: Counter[str] = Counter()

    def record(self, type_: str, **fields: Any) -> dict[str, Any]:
        self.stats[f"records_{type_}"] += 1
        return self.writer.write(type_, **fields)

    def error(self, url: str | None, stage: str, kind: str, message: str) -> None:
        self.stats["errors"] += 1
        self.record("error", url=url, stage=stage, kind=kind, message=str(message)[:2000])

    def close(self) -> None:
        self.writer.close()
