"""One nightly run at a time per archive home: `$XXGK_HOME/nightly.lock`.

The lock is an exclusive `flock` on the lock file, held by an open file descriptor for the
whole run (and passed to the crawl child process, so the lock lives as long as any process
of the run does). The kernel drops a flock when its last descriptor closes, so a run that
is killed — even with SIGKILL — never leaves a lock that blocks the next one.

The file also holds who took the lock (pid, host, run id, start time). A run that finds the
file non-empty but the flock free knows the previous holder died without cleaning up: that
is the *stale* lock it reports and clears. A run that cannot take the flock gets
`LockHeld` with the holder's details.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.store.records import utcnow

LOCK_NAME = "nightly.lock"


class LockHeld(RuntimeError):
    """Another run holds the lock."""

    def __init__(self, path: Path, holder: dict[str, Any]):
        self.path, self.holder = path, holder
        who = ", ".join(f"{k}={v}" for k, v in holder.items()) or "unknown holder"
        super().__init__(f"{path} is held by a running nightly ({who})")


@dataclass
class RunLock:
    """`with RunLock(path, run_id) as lock:` — `lock.stale` describes a cleared stale lock."""

    path: Path
    run_id: str = ""
    fd: int | None = None
    stale: dict[str, Any] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def acquire(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_info(fd)
            os.close(fd)
            raise LockHeld(self.path, holder) from None
        previous = _read_info(fd)
        self.stale = previous or None  # content left behind = its holder never released it
        self.info = {"pid": os.getpid(), "host": socket.gethostname(), "run_id": self.run_id,
                     "started_at": utcnow()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(self.info) + "\n").encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        os.ftruncate(self.fd, 0)  # an empty file = released cleanly
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_held(path: Path) -> bool:
    """Does a live process hold the lock? (a probe: takes nothing, changes nothing)"""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's shared lock
    return False


def _read_info(fd: int) -> dict[str, Any]:
    raw = os.pread(fd, 4096, 0)
    if not raw.strip():
        return {}
    try:
        info = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {"unreadable": raw[:200].decode("utf-8", "replace")}
    return info if isinstance(info, dict) else {"unreadable": str(info)[:200]}


def lock_path(home_root: Path) -> Path:
    return home_root / LOCK_NAME
