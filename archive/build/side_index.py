"""A full build's search indexes, built by two processes at once and moved into the archive.

Indexing a loaded archive is the longest step of a full build (26 of 58 minutes at a million
reports), and one core did all of it. The bigram index is ~60 % of that work (its text is
rewritten in Python, `xxgk_bigrams`), the trigram, character and attachment indexes the rest.
So a full build of a large archive splits them:

- a worker process (`python -m archive.build.side_index`) builds `reports_bigram_fts` into a
  file of its own, reading the build's file read-only;
- this process builds the others into a second file, the same way, at the same time;
- then both files' FTS5 shadow tables (`_data`, `_idx`, `_docsize`, `_config`) are copied into
  the build's file, under index tables created there with the same statement. An FTS5 index is
  nothing but those tables: the copy is the index, byte for byte what building it in place
  would give (tests/test_side_index.py compares them).

Neither process writes the build's file while both read it, so the rollback journal needs no
change and nothing waits on a lock. A worker that fails (or is killed) costs time, not
correctness: its indexes are then built here, one after the other, as before. The side files
sit next to the build's file (`<file>.fts-side-*.db`) and are deleted when copied, or at the
next build's start if a crash left them.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from archive.build.search import index_ddl, populate, register_functions
from archive.store.search_index import INDEX_TABLE

WORKER_SHARE = ("reports_bigram_fts",)  # the second process's share: ~60 % of the work
PARALLEL_MIN_ROWS = 20_000  # below this the indexes take seconds: one process, no side files
SHADOWS = ("data", "idx", "docsize", "config")
ALL_INDEXES = tuple(INDEX_TABLE)  # all six, reports' then attachments'


def main_file(conn: sqlite3.Connection) -> Path | None:
    """The file of a connection's main database; None in memory."""
    for _, name, file in conn.execute("pragma database_list"):
        if name == "main":
            return Path(file) if file else None
    return None


def side_path(db_path: Path, who: str) -> Path:
    return db_path.with_name(f"{db_path.name}.fts-side-{who}.db")


def remove_side_files(directory: Path) -> None:
    """Side files of any build file in `directory` (one build runs at a time, under the home's
    lock): after copying them, or what a killed full build left."""
    for p in directory.glob("*.fts-side-*.db"):
        p.unlink(missing_ok=True)


def build_side(source: Path, side: Path, names: list[str], parent: int | None = None) -> None:
    """Build `names` into a new file `side` from the rows of `source` (opened read-only).

    `parent`: stop (an error) when that process is gone, so a killed build leaves no worker
    behind indexing for nobody."""
    side.unlink(missing_ok=True)
    conn = sqlite3.connect(side)
    try:
        register_functions(conn)
        conn.execute("pragma journal_mode = off")  # a new file: a crash discards it
        conn.execute("pragma synchronous = off")
        conn.execute("attach database ? as src", [f"file:{source}?mode=ro"])
        if parent is not None:
            conn.set_progress_handler(lambda: int(os.getppid() != parent), 100_000)
        for name in names:
            if parent is not None and os.getppid() != parent:
                raise sqlite3.OperationalError("interrupted: the build process is gone")
            conn.execute(index_ddl(name))
            populate(conn, name)
            conn.commit()
    finally:
        conn.close()


def adopt(db_path: Path, side: Path, names: list[str]) -> None:
    """Copy the indexes `names` of `side` into the empty indexes of the same name in `db_path`.

    A connection of its own does it: the build's connection sees the commit as another
    connection's and re-reads the index structure (FTS5 caches it per connection)."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("pragma journal_mode = off")  # the build's file is disposable until published
        conn.execute("pragma synchronous = off")
        conn.execute("attach database ? as side", [str(side)])
        for name in names:
            for shadow in SHADOWS:
                table = f"{name}_{shadow}"
                if conn.execute("select 1 from side.sqlite_master where name = ?", [table]).fetchone():
                    conn.execute(f"delete from main.[{table}]")
                    conn.execute(f"insert into main.[{table}] select * from side.[{table}]")
        conn.commit()
    finally:
        conn.close()


def release_memory(conn: sqlite3.Connection) -> None:
    """Give back what the load phase held and no longer needs: the connection's page cache
    (256 MB, clean after the commit) and the C heap's free pages (the folded sites' rows)."""
    import ctypes
    import gc
    conn.execute("pragma shrink_memory")
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused, not returned
        pass


def start_worker(db_path: Path, names: list[str]) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "archive.build.side_index", str(db_path),
                             str(side_path(db_path, "worker")), *names, "--parent", str(os.getpid())],
                            env=env, stdin=subprocess.DEVNULL)


def populate_all(conn: sqlite3.Connection, names: list[str], min_rows: int | None = None) -> None:
    """Fill the new, empty indexes `names` (already created on `conn`) from the loaded rows."""
    db_path = main_file(conn)
    rows = conn.execute("select coalesce(max(rowid), 0) from reports").fetchone()[0]
    worker_names = [n for n in names if n in WORKER_SHARE]
    if db_path is None or rows < (PARALLEL_MIN_ROWS if min_rows is None else min_rows) or not worker_names:
        for name in names:
            populate(conn, name)
        return
    own = [n for n in names if n not in worker_names]
    conn.commit()  # the worker and the side connection read what is committed
    release_memory(conn)  # two processes index at once: the build's 2 GB hold both
    remove_side_files(db_path.parent)
    started = time.monotonic()
    worker = start_worker(db_path, worker_names)
    try:
        build_side(db_path, side_path(db_path, "main"), own)
        returncode = worker.wait()
    except BaseException:
        worker.kill()
        worker.wait()
        remove_side_files(db_path.parent)
        raise
    waited = time.monotonic() - started
    adopt(db_path, side_path(db_path, "main"), own)
    if returncode == 0:
        adopt(db_path, side_path(db_path, "worker"), worker_names)
    else:
        print(f"xxgk build: the index worker failed (exit {returncode}); building "
              f"{', '.join(worker_names)} here instead", file=sys.stderr)
        for name in worker_names:
            populate(conn, name)
    remove_side_files(db_path.parent)
    print(f"xxgk build: search indexes of {rows:,} reports in two processes, {waited:.0f}s "
          f"(+ {time.monotonic() - started - waited:.0f}s copying)", file=sys.stderr)


def cli() -> int:
    ap = argparse.ArgumentParser(description="build search indexes of a build's file into a side file")
    ap.add_argument("source", type=Path)
    ap.add_argument("side", type=Path)
    ap.add_argument("names", nargs="+", choices=ALL_INDEXES)
    ap.add_argument("--parent", type=int, help="stop when this process is gone")
    args = ap.parse_args()
    try:
        build_side(args.source, args.side, args.names, args.parent)
    except sqlite3.Error as exc:
        print(f"side index: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli())
