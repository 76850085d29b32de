"""Where an incremental build writes: the previous build's file, updated in place, not a copy.

`archive.db` is served immutable, so a build never writes it: it writes another file and
renames it over `archive.db` at the end. Copying `archive.db` for that costs time and disk
writes in proportion to the archive (15 GB at a million reports: about a minute to copy and
as long again to flush), not to what changed. So the file that was served before the last
build is kept as `archive.db.standby` (a hard link taken just before the rename), and the next
build brings that one up to date: its per-site fingerprints (`build_sites`) make it refold the
sites that changed since *it* was built, i.e. over the last two builds.

The standby is used only when it is safe to write in place:
- it has the current schema (otherwise the build starts from a copy, or from empty);
- no process has it open (a server that has not been restarted since the last build may still
  read it, immutable); Linux's /proc tells; without /proc it counts as open;
- no earlier build was interrupted while writing it: a marker file is created before the first
  write and removed only after the rename. A standby with a marker is discarded (copied over).
Otherwise the build copies `archive.db` as before. Either way a crash leaves `archive.db`
untouched. The price is disk: the archive keeps a second file the size of `archive.db`.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from archive.build.schema import read_meta
from archive.store.fsutil import fsync_path
from archive.store.home import Home


@dataclass
class Target:
    path: Path
    in_place: bool   # the standby, updated; False: a fresh copy or an empty file
    reason: str      # why, for the build's figures


def standby_path(home: Home) -> Path:
    return home.root / "archive.db.standby"


def marker_path(home: Home) -> Path:
    return home.root / "archive.db.standby.building"


def tmp_path(home: Home) -> Path:
    return home.root / "archive.db.tmp"


def choose(home: Home, full: bool, schema_version: str, sites: dict[str, str] | None = None) -> Target:
    """The file this build writes; the standby when it is safe, else a copy of archive.db.

    `sites`: each site's current fingerprint. A standby that would have to refold many more
    sites than archive.db (far behind: say a file bulk-loaded before a full build) is
    not worth it: a copy is cheaper than folding the archive again."""
    tmp, standby, marker = tmp_path(home), standby_path(home), marker_path(home)
    for stale in (tmp, tmp.with_name(tmp.name + "-journal"), standby.with_name(standby.name + "-journal")):
        stale.unlink(missing_ok=True)
    if full:
        return Target(tmp, False, "full build")
    reason = _unusable(home, standby, marker, schema_version) or _behind(home, standby, sites or {})
    if reason is None:
        marker.touch()
        fsync_path(home.root)
        return Target(standby, True, "standby updated in place")
    shutil.copyfile(home.db, tmp)
    return Target(tmp, False, f"copy of archive.db ({reason})")


def _unusable(home: Home, standby: Path, marker: Path, schema_version: str) -> str | None:
    if not standby.exists():
        return "no standby"
    if marker.exists():
        return "the standby's last build was interrupted"
    try:
        if os.path.samefile(standby, home.db):
            return "the standby is archive.db"
    except OSError:
        return "no archive.db"
    if read_meta(standby, "schema_version") != schema_version:
        return "the standby has another schema"
    if is_open(standby):
        return "the standby is still open in a process"
    return None


def _behind(home: Home, standby: Path, sites: dict[str, str]) -> str | None:
    if read_meta(standby, "input_fingerprint") is None:
        return "the standby was never completed by a build"
    extra = refolds(standby, sites) - refolds(home.db, sites)
    if extra > max(1, len(sites) // 10):
        return f"the standby is {extra} sites behind"
    return None


def refolds(db: Path, sites: dict[str, str]) -> int:
    """How many sites a build starting from `db` would fold (fingerprint missing or different)."""
    con = None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        known = dict(con.execute("select site_id, fingerprint from build_sites"))
    except sqlite3.Error:
        known = {}
    finally:
        if con is not None:
            con.close()
    return sum(1 for site, fp in sites.items() if known.get(site) != fp)


def is_open(path: Path, proc: Path = Path("/proc")) -> bool:
    """Whether any process has the file open (Linux /proc); True when that cannot be told."""
    if not proc.is_dir():
        return True
    st = path.stat()
    for pid in proc.iterdir():
        if not pid.name.isdigit():
            continue
        try:
            fds = list((pid / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                fst = os.stat(fd)
            except OSError:
                continue
            if (fst.st_dev, fst.st_ino) == (st.st_dev, st.st_ino):
                return True
    return False


def publish(home: Home, target: Target) -> None:
    """Make the built file archive.db; the file served until now becomes the next standby.

    Every step leaves a complete archive.db: link the old file under a new name, rename the
    built file over archive.db, rename the link to the standby's name, drop the marker."""
    fsync_path(target.path)
    spare = home.root / "archive.db.standby.next"
    spare.unlink(missing_ok=True)
    if home.db.exists():
        os.link(home.db, spare)
    os.replace(target.path, home.db)
    if spare.exists():
        os.replace(spare, standby_path(home))
    fsync_path(home.root)
    marker_path(home).unlink(missing_ok=True)
    fsync_path(home.root)
