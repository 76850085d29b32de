"""Write only what changed: rows are compared by a hash kept in `build_row_hashes`.

A rebuild recomputes every crawl-derived row from the records, but rewriting unchanged
rows would churn the FTS triggers and the file; `sync_rows` upserts new/changed rows (only
the columns given, so parse-owned columns such as `body_text` survive) and deletes rows
whose key no longer appears.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

BATCH = 2000


@dataclass
class SyncCount:
    written: int = 0
    deleted: int = 0


def synced_sites(db: sqlite_utils.Database) -> set[str]:
    return {r[0] for r in db.execute("select distinct site from build_row_hashes")}


def row_hash(row: dict[str, Any]) -> str:
    blob = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(blob.encode("utf-8"), digest_size=16).hexdigest()


def sync_rows(db: sqlite_utils.Database, table: str, pk: str, rows: Iterable[dict[str, Any]],
              delete_missing: bool = True, site: str = "") -> SyncCount:
    """Sync the rows folded from one site's records (`site`): rows of that site whose key is
    no longer among `rows` are deleted, other sites' rows are not looked at."""
    old = dict(db.execute("select key, hash from build_row_hashes where tbl = ? and site = ?",
                          [table, site]).fetchall())
    seen: set[str] = set()
    changed: list[dict[str, Any]] = []
    hashes: list[dict[str, Any]] = []
    count = SyncCount()

    def flush() -> None:
        if changed:
            db[table].upsert_all(changed, pk=pk, batch_size=500)
            db["build_row_hashes"].upsert_all(hashes, pk=("tbl", "key"), batch_size=500)
            count.written += len(changed)
            changed.clear()
            hashes.clear()

    for row in rows:
        key = str(row[pk])
        seen.add(key)
        h = row_hash(row)
        if old.get(key) != h:
            changed.append(row)
            hashes.append({"tbl": table, "key": key, "hash": h, "site": site})
            if len(changed) >= BATCH:
                flush()
    flush()
    if delete_missing:
        gone = [k for k in old if k not in seen]
        for i in range(0, len(gone), 500):
            chunk = gone[i:i + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(f"delete from [{table}] where [{pk}] in ({marks})", chunk)
            db.execute(f"delete from build_row_hashes where tbl = ? and key in ({marks})",
                       [table, *chunk])
        count.deleted = len(gone)
    return count
