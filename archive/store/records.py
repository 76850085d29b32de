"""Capture records: the append-only log a crawl writes next to the raw store.

A crawl only captures. Everything it learns goes into JSON lines under
`records/<site_id>/<run_id>[.<worker>].jsonl`; `xxgk build` reads them all and builds
`archive.db`. Together with `raw/` they are the source of truth (the database can be
rebuilt from them alone).

Crash safety: a body is stored in `raw/` *before* the record that points at it is
written; each record is one `write()` of one line, flushed at once (a killed process
loses nothing the OS already has), fsynced every `fsync_every` lines — by a background
thread, so the crawl's event loop never waits for the disk — and on close. A reader skips
a torn last line. Ids are content-derived (`capture_id` = hash of URL and
body hash), so a record written twice by a re-run or by two workers merges into one.

Record kinds (field `type`) and their fields are defined in `archive.store.record_types`
(the contract between the crawler that writes and the stages that read):
  run_start, run_end, column, listing, capture, not_modified, report, attachment, error
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from archive.store.home import Home, check_site_id
from archive.store.record_types import RECORD_TYPES, check


_NOW: tuple[int, str] = (0, "")


def utcnow() -> str:
    """Second resolution, formatted once per second (every record carries it)."""
    global _NOW
    second = int(time.time())
    if _NOW[0] != second:
        _NOW = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _NOW[1]


def new_run_id() -> str:
    """Sortable, unique per process: 20261122T021500Z-<host>-<pid>."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    host = "".join(c for c in socket.gethostname().lower() if c.isalnum())[:12] or "host"
    return f"{stamp}-{host}-{os.getpid()}"


def short_hash(*parts: str, n: int = 16) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:n]


def capture_id_for(url: str, sha256: str) -> str:
    return short_hash(url, sha256)


def report_id_for(site_id: str, index_no: str | None, canonical_url: str) -> str:
    """Stable report id: site + 索引号 when present, else site + canonical URL."""
    key = (index_no or "").strip()
    return short_hash(site_id, "idx:" + key) if key else short_hash(site_id, "url:" + canonical_url)


class _Syncer:
    """One background thread per process for the writers' periodic fsyncs.

    An fsync here waits for the disk (milliseconds to tens of them): on the crawl's event
    loop, every 50th record would stall fetching and parsing. Lines are written and flushed
    at once either way; only the disk flush moves off the caller's thread.
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def submit(self, fd: int) -> Future[None]:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():  # new process (fork): a pool of its own
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="xxgk-records-sync")
                self._pid = os.getpid()
            return self._pool.submit(os.fsync, fd)


_SYNCER = _Syncer()


class RecordWriter:
    """Appends records for one site and one run (one file; thread-safe)."""

    def __init__(self, home: Home, site_id: str, run_id: str, worker: str | None = None,
                 fsync_every: int = 50):
        check_site_id(site_id)
        self.site_id, self.run_id = site_id, run_id
        name = f"{run_id}.{worker}.jsonl" if worker else f"{run_id}.jsonl"
        self.path = home.records / site_id / name
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")
        self._lock = threading.Lock()
        self._since_sync = 0
        self.fsync_every = fsync_every
        self._syncing: Future[None] | None = None

    def write(self, type_: str, **fields: Any) -> dict[str, Any]:
        """One record; a kind or a field `record_types` does not declare is refused (ValueError)."""
        check(type_, fields)
        rec = {"type": type_, "run_id": self.run_id, "site_id": self.site_id, "at": utcnow(), **fields}
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()
            self._since_sync += 1
            if self._since_sync >= self.fsync_every and not self._sync_pending():
                self._syncing = _SYNCER.submit(self._fh.fileno())
                self._since_sync = 0
        return rec

    def _sync_pending(self) -> bool:
        """Whether the last background fsync is still running (its error, if any, is raised)."""
        if self._syncing is None:
            return False
        if not self._syncing.done():
            return True
        done, self._syncing = self._syncing, None
        done.result()
        return False

    def close(self) -> None:
        with self._lock:
            if self._fh.closed:
                return
            pending, self._syncing = self._syncing, None
            try:
                if pending is not None:  # before the descriptor closes under it; its error is ours
                    pending.result()
                self._fh.flush()
                os.fsync(self._fh.fileno())
            finally:
                self._fh.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def record_files(home: Home, site_id: str | None = None) -> list[Path]:
    base = home.records
    if not base.exists():
        return []
    dirs = [base / site_id] if site_id else sorted(p for p in base.iterdir() if p.is_dir())
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files.extend(sorted(d.glob("*.jsonl")))
    return files


def read_file(path: Path) -> Iterator[dict[str, Any]]:
    """Records of one file; a torn or corrupt line (a crash mid-write) is skipped."""
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break  # torn last line
            try:
                rec = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(rec, dict) and rec.get("type") in RECORD_TYPES:
                yield rec


def iter_records(home: Home, site_id: str | None = None,
                 types: frozenset[str] | set[str] | None = None) -> Iterator[dict[str, Any]]:
    """All records, file by file in run order (run ids sort by time)."""
    for path in record_files(home, site_id):
        for rec in read_file(path):
            if types is None or rec["type"] in types:
                yield rec
