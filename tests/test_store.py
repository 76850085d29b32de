"""The raw store: byte-exact, content-addressed bodies, made durable under a temporary name
in one staging directory and renamed into place."""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import pytest

from archive.store.home import Home
from archive.store.raw import RawStore, durable

BODIES = [f"<html><body>第{i}号报告 {'数据' * i}</body></html>".encode() for i in range(40)]


def temps(root: Path) -> list[Path]:
    return [p for p in root.rglob(".tmp-*") if p.is_file()]


def test_batch_stored_byte_exact_via_the_staging_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = Home(tmp_path / "home").ensure()
    made_in: list[str] = []
    real_temp = RawStore._temp

    def spy(self: RawStore, directory: Path) -> tuple[int, str, int]:
        fd, path, device = real_temp(self, directory)
        made_in.append(os.path.dirname(path))
        return fd, path, device

    monkeypatch.setattr(RawStore, "_temp", spy)
    store = RawStore(home)
    results = store.put_many([("fuzhou", b, "html") for b in BODIES])
    for body, stored in zip(BODIES, results):
        assert not isinstance(stored, Exception)
        sha = hashlib.sha256(body).hexdigest()
        assert stored.sha256 == sha and stored.raw_path == f"raw/fuzhou/{sha[:2]}/{sha}.html"
        assert (home.root / stored.raw_path).read_bytes() == body
    assert set(made_in) == {str(home.tmp / "raw")}  # every temporary file in one directory
    assert len(made_in) == len(BODIES)
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


def test_a_batch_is_made_durable_together_and_a_failure_fails_its_whole_filesystem(tmp_path: Path) -> None:
    fds = [os.open(tmp_path / f"body-{i}", os.O_WRONLY | os.O_CREAT, 0o600) for i in range(3)]
    try:
        for fd in fds:
            os.write(fd, BODIES[5])
        device = os.fstat(fds[0]).st_dev
        assert durable(fds, [device] * 3) == [None, None, None]
        closed = os.open(tmp_path / "closed", os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(closed)  # a descriptor that cannot be synced stands for a failed write-back
        errors = durable([closed, fds[1], fds[2]], [device + 1, device + 1, device])
        assert [type(e) for e in errors] == [OSError, OSError, type(None)]
        assert "syncfs" in str(errors[0]) or "Bad file descriptor" in str(errors[0])
    finally:
        for fd in fds:
            os.close(fd)


def test_a_clashing_temporary_name_is_skipped_not_overwritten(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    store = RawStore(home)
    assert store.staging is not None
    taken = store.staging / next(store._temp_names)
    store._temp_names = iter([taken.name, ".tmp-free-1.part"])
    taken.write_bytes(b"another writer's half body")
    stored = store.put("fuzhou", BODIES[3], "html")
    assert (home.root / stored.raw_path).read_bytes() == BODIES[3]
    assert taken.read_bytes() == b"another writer's half body"
