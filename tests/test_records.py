"""The record log: every line written and flushed at once, the periodic fsync off the
writing thread, the last one on close."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from archive.store import records
from archive.store.home import Home
from archive.store.records import RecordWriter, iter_records


def test_periodic_fsync_runs_in_the_background_and_close_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced_by: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced_by.append(threading.current_thread().name)
        real_fsync(fd)

    monkeypatch.setattr(records.os, "fsync", spy)
    home = Home(tmp_path).ensure()
    writer = RecordWriter(home, "fuzhou", "20260201T000000000000Z-h-1", fsync_every=10)
    for i in range(35):
        writer.write("error", url=f"https://example.gov.cn/{i}", stage="fetch", kind="http_500", message="x")
        # each line is in the file (flushed to the OS) as soon as write() returns
        assert writer.path.read_text(encoding="utf-8").count("\n") == i + 1
    writer.close()
    assert synced_by and synced_by[-1] == threading.current_thread().name  # the last fsync: on close
    background = synced_by[:-1]
    assert 1 <= len(background) <= 3 and all(n.startswith("xxgk-records-sync") for n in background)
    lines = [json.loads(x) for x in writer.path.read_text(encoding="utf-8").splitlines()]
    assert [r["url"][-2:].lstrip("/") for r in lines] == [str(i) for i in range(35)]
    assert len(list(iter_records(home, "fuzhou"))) == 35


def test_a_failed_background_fsync_is_raised_not_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    home = Home(tmp_path).ensure()
    writer = RecordWriter(home, "fuzhou", "20260201T000000000000Z-h-2", fsync_every=2)
    monkeypatch.setattr(records.os, "fsync", broken)
    writer.write("error", url="u1", stage="fetch", kind="k", message="m")
    writer.write("error", url="u2", stage="fetch", kind="k", message="m")  # starts the failing fsync
    with pytest.raises(OSError, match="Input/output error"):
        writer.close()
    assert writer._fh.closed  # closed all the same
    assert writer.path.read_text(encoding="utf-8").count("\n") == 2  # the lines themselves are kept
