"""`xxgk build`: capture records + raw store -> `$XXGK_HOME/archive.db`, incrementally.

Steps: fold every record into rows (archive.build.history), write only changed rows
(archive.build.sync), then extract + parse the reports whose input changed
(archive.build.text). A report is re-parsed only when its key in `build_state`,
(input sha256, parser version), is new: the input sha256 is the detail page's, combined
with its attachments' when it has any.

Crash safety: the build works on a copy, `archive.db.tmp`, and `os.replace`s it over
`archive.db` at the end. The served database is opened immutable by Datasette, so it must
never change in place; a SIGKILL at any point leaves the old file intact and the next build
starts again from it. When no record file changed (same paths, sizes, mtimes) and the
parser version is the same, the build returns at once without touching the database.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.build.headlines import headline
from archive.build.history import Folded, fold
from archive.build.schema import CELL_TABLES, SCHEMA_VERSION, ensure_schema, optimize_fts, views_digest
from archive.build.sync import sync_rows
from archive.build import text
from archive.build.text import Outcome, TextResult, extract_bytes, parse_report
from archive.store.fsutil import db_lock, fsync_path
from archive.store.home import Home
from archive.store.records import iter_records, record_files, short_hash, utcnow
from archive.store.raw import RawStore
from registry import census

COMMIT_EVERY = 200
OFFICE_EXTS = {"doc", "wps"}
CRAWL_TABLES = (("sites", "site_id"), ("captures", "capture_id"), ("attachments", "attachment_id"),
                ("crawl_runs", "run_id"), ("errors", "error_id"), ("report_history", "event_id"),
                ("reports", "report_id"))


@dataclass
class BuildStats:
    skipped: bool = False
    reports: int = 0
    parsed: int = 0
    reused: int = 0
    rows_written: int = 0
    errors: int = 0
    parser_version: str = ""
    seconds: float = 0.0
    fts_optimized: tuple[str, ...] = ()

    def line(self) -> str:
        if self.skipped:
            return f"archive.db up to date ({self.reports} reports, nothing new), {self.seconds:.2f}s"
        return (f"archive.db: {self.reports} reports, {self.parsed} parsed, {self.reused} unchanged, "
                f"{self.rows_written} rows written, {self.errors} build errors, "
                f"parser {self.parser_version}, {self.seconds:.2f}s")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="re-parse every report")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: only on a terminal)")
    p.add_argument("--json", action="store_true", help="print the build figures as JSON")
    p.add_argument("--no-parse", dest="parse", action="store_false",
                   help="crawl tables only: no text extraction or parsing (reports stay pending)")


def run(args: argparse.Namespace) -> int:
    stats = build(Home.from_env(), force=args.force, progress=args.progress, parse=args.parse)
    if args.json:
        import json
        print(json.dumps(asdict(stats)))
    else:
        print(stats.line())
    return 0


def input_fingerprint(home: Home, version: str) -> str:
    h = hashlib.sha256(f"schema{SCHEMA_VERSION}|{views_digest()}|{version}|{census.input_key()}".encode())
    for p in record_files(home):
        st = p.stat()
        h.update(f"|{p.relative_to(home.root)}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _meta(db_path: Path, key: str) -> str | None:
    if not db_path.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            row = con.execute("select value from build_meta where key = ?", [key]).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _count(db_path: Path) -> int:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return con.execute("select count(*) from reports").fetchone()[0]
    finally:
        con.close()


def build(home: Home, force: bool = False, progress: bool | None = None, parse: bool = True) -> BuildStats:
    started = time.monotonic()
    version = text.version(parse)
    with db_lock(home):
        fingerprint = input_fingerprint(home, version)
        if not force and _meta(home.db, "input_fingerprint") == fingerprint:
            return BuildStats(skipped=True, reports=_count(home.db), parser_version=version,
                              seconds=time.monotonic() - started)
        tmp = home.root / "archive.db.tmp"
        for stale in (tmp, tmp.with_name(tmp.name + "-journal")):
            stale.unlink(missing_ok=True)
        if home.db.exists():
            shutil.copyfile(home.db, tmp)
        db = sqlite_utils.Database(tmp)
        db.execute("pragma journal_mode = memory")  # the tmp copy is disposable
        db.execute("pragma synchronous = off")
        db.execute("pragma cache_size = -262144")  # 256 MB: random-id index inserts stay in memory
        stats = _build_into(db, home, version, parse, force, progress)
        db["build_meta"].upsert_all([
            {"key": "input_fingerprint", "value": fingerprint},
            {"key": "parser_version", "value": version},
            {"key": "built_at", "value": utcnow()}], pk="key")
        db.conn.commit()
        db.execute("pragma journal_mode = delete")
        db.close()
        fsync_path(tmp)
        os.replace(tmp, home.db)
        fsync_path(home.root)
    stats.seconds = time.monotonic() - started
    return stats


def _build_into(db: sqlite_utils.Database, home: Home, version: str, parse: bool, force: bool,
                progress: bool | None) -> BuildStats:
    ensure_schema(db)
    folded = fold(iter_records(home))
    stats = BuildStats(reports=len(folded.reports), parser_version=version)
    rows = {"sites": folded.sites, "captures": folded.captures, "attachments": folded.attachments,
            "crawl_runs": folded.runs, "errors": folded.errors, "report_history": folded.history,
            "reports": folded.reports}
    deleted_reports = 0
    for table, pk in CRAWL_TABLES:
        count = sync_rows(db, table, pk, rows[table].values())
        stats.rows_written += count.written
        if table == "reports":
            deleted_reports = count.deleted
    if deleted_reports:
        for table in (*CELL_TABLES, "report_headlines"):
            db.execute(f"delete from {table} where report_id not in (select report_id from reports)")
    db.conn.commit()
    _parse_stage(db, home, version, parse, folded, force, progress, stats)
    census_error = census.write_from_registry(db)  # divisions x registry x reports (registry/census.py)
    if census_error:
        print(f"xxgk build: coverage census not updated: {census_error}", file=sys.stderr)
    stats.fts_optimized = tuple(optimize_fts(db))
    db.conn.commit()
    return stats


def input_key(page_sha: str | None, attachment_shas: list[str]) -> str:
    """The parse key's sha256: the page's, or page + attachments when it links files."""
    if not attachment_shas:
        return page_sha or ""
    return hashlib.sha256("\x1f".join([page_sha or "", *sorted(attachment_shas)]).encode()).hexdigest()


def _parse_stage(db: sqlite_utils.Database, home: Home, version: str, parse: bool, folded: Folded,
                 force: bool, progress: bool | None, stats: BuildStats) -> None:
    done = set() if force else {
        (sha, rid) for sha, rid in db.execute(
            "select sha256, report_id from build_state where parser_version = ?", [version])}
    todo = [rid for rid in folded.reports
            if (input_key(folded.reports[rid].get("sha256"), folded.report_attachments.get(rid, [])),
                rid) not in done]
    stats.reused = len(folded.reports) - len(todo)
    if not todo:
        return
    from tqdm import tqdm
    show = sys.stderr.isatty() if progress is None else progress
    store = RawStore(home)
    atts_of: dict[str, list[dict[str, Any]]] = {}
    for att in folded.attachments.values():
        atts_of.setdefault(att["report_id"], []).append(att)
    converted = _convert_office(store, [a for rid in todo for a in atts_of.get(rid, [])]) if parse else {}
    for i, rid in enumerate(tqdm(todo, desc="parse", unit="report", disable=not show)):
        _parse_one(db, version, parse, store, folded, rid, atts_of.get(rid, []), converted, stats)
        if i % COMMIT_EVERY == COMMIT_EVERY - 1:
            db.conn.commit()
    db.conn.commit()


def _convert_office(store: RawStore, atts: list[dict[str, Any]]) -> dict[str, TextResult]:
    """DOC/WPS attachments extracted through batched LibreOffice calls (with extract's antiword
    cross-check, which rescues tables a round-trip flattens): {attachment_id: TextResult}."""
    old = [a for a in atts if (a.get("ext") or "").lower() in OFFICE_EXTS and a.get("raw_path")]
    if not old:
        return {}
    paths: dict[str, dict[str, Any]] = {}
    for a in old:
        try:
            paths[str(store.path(a["raw_path"]))] = a
        except ValueError:
            continue
    try:
        done = text.convert_office(list(paths), {p: a.get("filename") or "" for p, a in paths.items()})
    except Exception:  # LibreOffice failing on the batch: the per-file extractor converts on its own
        return {}
    return {paths[src]["attachment_id"]: res for src, res in done.items() if src in paths}


def _parse_one(db: sqlite_utils.Database, version: str, parse: bool, store: RawStore, folded: Folded,
               rid: str, atts: list[dict[str, Any]], converted: dict[str, TextResult],
               stats: BuildStats) -> None:
    report = folded.reports[rid]
    if parse:
        page = _read_extract(store, folded.page_capture.get(rid) or {}, "html")
        attachments = [(att, converted[att["attachment_id"]] if att["attachment_id"] in converted
                        else _read_extract(store, att, att.get("ext"))) for att in atts]
    else:
        page, attachments = TextResult(), [(att, TextResult()) for att in atts]
    outcome = parse_report(report, page, attachments, parse)
    key = input_key(report.get("sha256"), folded.report_attachments.get(rid, []))
    stats.errors += _write_outcome(db, report, outcome, key, version)
    stats.parsed += 1


def _read_extract(store: RawStore, row: dict[str, Any], ext: str | None) -> TextResult:
    raw_path = row.get("raw_path")
    if not raw_path:
        return TextResult(error=("missing_raw", "no capture with a raw body"))
    try:
        data = store.read(raw_path)
    except (OSError, ValueError) as exc:
        return TextResult(error=("missing_raw", str(exc)[:300]))
    return extract_bytes(data, ext or "bin", row.get("content_type") or row.get("mime"),
                         row.get("filename"))


def _write_outcome(db: sqlite_utils.Database, report: dict[str, Any], outcome: Outcome,
                   key: str, version: str) -> int:
    rid, conn = report["report_id"], db.conn
    conn.execute("update reports set " + ", ".join(f"[{k}] = ?" for k in outcome.fields)
                 + " where report_id = ?", [*outcome.fields.values(), rid])
    for table in CELL_TABLES:
        conn.execute(f"delete from {table} where report_id = ?", [rid])
        if outcome.cells[table]:
            db[table].insert_all(outcome.cells[table], batch_size=500)
    db["report_headlines"].upsert(headline({**report, **outcome.fields}, outcome.cells), pk="report_id")
    for aid, res in outcome.attachment_texts.items():
        conn.execute("update attachments set text = ?, text_method = ?, error = ? where attachment_id = ?",
                     [res.text, res.method, ": ".join(res.error) if res.error else None, aid])
    conn.execute("delete from errors where origin = 'build' and report_id = ?", [rid])
    now = utcnow()
    rows = [{"error_id": short_hash("build", rid, e["stage"], e["kind"], e["url"] or ""),
             "run_id": None, "site_id": report["site_id"], "url": e["url"], "stage": e["stage"],
             "kind": e["kind"], "message": e["message"], "at": now, "report_id": rid,
             "origin": "build"} for e in outcome.errors]
    if rows:
        db["errors"].upsert_all(rows, pk="error_id")
    conn.execute("delete from build_state where report_id = ?", [rid])
    conn.execute("insert into build_state (sha256, parser_version, report_id, parse_status, built_at) "
                 "values (?, ?, ?, ?, ?)", [key, version, rid, outcome.fields["parse_status"], now])
    return len(rows)
