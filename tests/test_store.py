"""The raw store: byte-exact, content-addressed bodies, made durable under a temporary name
in one staging directory and renamed into place."""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archive.home import Home
from archive.store import RawStore

BODIES = [f"<html><body>第{i}号报告 {'数据' * i}</body></html>".encode() for i in range(40)]


def temps(root: Path) -> list[Path]:
    return [p for p in root.rglob(".tmp-*") if p.is_file()]


def test_batch_stored_byte_exact_via_the_staging_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = Home(tmp_path / "home").ensure()
    made_in: list[str] = []
    real_mkstemp = tempfile.mkstemp

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        made_in.append(str(kwargs["dir"]))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    store = RawStore(home)
    with ThreadPoolExecutor(4) as pool:
        results = store.put_many([("fuzhou", b, "html") for b in BODIES], pool)
    for body, stored in zip(BODIES, results):
        assert not isinstance(stored, Exception)
        sha = hashlib.sha256(body).hexdigest()
        assert stored.sha256 == sha and stored.raw_path == f"raw/fuzhou/{sha[:2]}/{sha}.html"
        assert (home.root / stored.raw_path).read_bytes() == body
    assert set(made_in) == {str(home.tmp / "raw")}  # every temporary file in one directory
    assert temps(home.root) == []
    again = store.put_many([("fuzhou", BODIES[0], "html")])[0]
    assert not isinstance(again, Exception) and again.created is False and again.raw_path == results[0].raw_path


def test_staging_on_another_filesystem_falls_back_to_the_final_directory(tmp_path: Path) -> None:
    other = Path("/dev/shm")
    if not other.is_dir() or os.stat(other).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on a filesystem of its own")
    home = Home(tmp_path / "home").ensure()
    home.tmp.rmdir()
    elsewhere = Path(tempfile.mkdtemp(dir=other))
    home.tmp.symlink_to(elsewhere)  # a rename from there into raw/ would not be atomic (EXDEV)
    try:
        store = RawStore(home)
        assert store.staging is None
        stored = store.put("fuzhou", BODIES[1], "html")
        assert (home.root / stored.raw_path).read_bytes() == BODIES[1]
        assert temps(home.root / "raw") == [] and [p for p in elsewhere.rglob("*") if p.is_file()] == []
    finally:
        for p in elsewhere.rglob("*"):
            p.unlink() if p.is_file() else None
        for p in sorted(elsewhere.rglob("*"), reverse=True):
            p.rmdir()
        elsewhere.rmdir()


def test_a_killed_runs_temporary_files_are_swept_after_a_day(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    staging = home.tmp / "raw"
    staging.mkdir(parents=True)
    old, fresh, other = staging / ".tmp-old.part", staging / ".tmp-fresh.part", staging / "keep.txt"
    for p in (old, fresh, other):
        p.write_bytes(b"half a body")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(other, (two_days_ago, two_days_ago))
    store = RawStore(home)
    store.put("fuzhou", BODIES[2], "html")  # the first put decides on staging and sweeps it
    assert not old.exists() and fresh.exists() and other.exists()
