"""Small filesystem helpers: the archive.db writer lock and fsync by path (used by the build)."""
from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from archive.store.home import Home


@contextlib.contextmanager
def db_lock(home: Home) -> Iterator[None]:
    """One writer of archive.db at a time per home (a second one waits)."""
    home.root.mkdir(parents=True, exist_ok=True)
    with open(home.root / "archive.db.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fsync_path(path: Path) -> None:
    """fsync a file or directory by path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
