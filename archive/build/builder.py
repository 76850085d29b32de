"""`xxgk build`: capture records + raw store -> `$XXGK_HOME/archive.db`, incrementally.

Steps: fold every record into rows (archive.build.history), write only changed rows
(archive.build.sync), then extract + parse the reports whose input changed
(archive.build.text). A report is re-parsed only when its key in `build_state`,
(input sha256, parser version), is new: the input sha256 is the detail page's, combined
with its attachments' when it has any.

Crash safety: the build works on another file, the previous build's (`archive.db.standby`,
archive.build.standby) or a copy (`archive.db.tmp`), and `os.replace`s it over `archive.db`
at the end. The served database is opened immutable by Datasette, so it must never change in
place; a SIGKILL at any point leaves the old file intact and the next build starts again. When no record file changed (same paths, sizes, mtimes) and the
parser version is the same, the build returns at once without touching the database.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.build.agencies import write_agency_tables
from archive.build.headlines import headline
from archive.build.history import Folded, fold
from archive.build import side_index, standby, summaries, text
from archive.build.dense import Labels, delete_orphans, write_cells
from archive.build.schema import SCHEMA_VERSION, ensure_schema, read_meta, finish_schema, optimize_fts, search_ready, views_digest
from archive.build.search import delete_orphan_texts, store_text
from archive.build.sync import sync_rows, synced_sites
from archive.build.text import Outcome, TextResult, extract_bytes, parse_report
from archive.store.fsutil import db_lock
from archive.store.home import Home
from archive.store.records import iter_records, record_files, short_hash, utcnow
from archive.store.raw import RawStore
from registry import census
from registry import sites as registry

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
    sites_unchanged: int = 0
    target: str = ""  # which file the build wrote (archive.build.standby)
    parser_version: str = ""
    seconds: float = 0.0
    fts_optimized: tuple[str, ...] = ()

    def line(self) -> str:
        if self.skipped:
            return f"archive.db up to date ({self.reports} reports, nothing new), {self.seconds:.2f}s"
        return (f"archive.db: {self.reports} reports, {self.parsed} parsed, {self.reused} unchanged "
                f"({self.sites_unchanged} sites without new records), "
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


FOLD_SOURCES = ("archive/build/history.py", "archive/build/sync.py", "archive/store/records.py",
                "archive/store/urlnorm.py")


def fold_code_digest() -> str:
    """The fold's own code: a change to how records become rows refolds every site."""
    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for rel in FOLD_SOURCES:
        h.update((root / rel).read_bytes())
    return h.hexdigest()[:16]


def site_fingerprint(home: Home, site: str, version: str, fold_code: str) -> str:
    """What a site's rows are made from: its record files (path, size, mtime), the registry's
    facts about it, the schema, the parser version and the fold's code. Unchanged: the build
    leaves the site's rows as they are, so a nightly build's work follows what changed."""
    info = json.dumps(registry_site_info(site), sort_keys=True, ensure_ascii=False, default=str)
    h = hashlib.sha256(f"schema{SCHEMA_VERSION}|{version}|{fold_code}|{info}".encode())
    for p in record_files(home, site):
        st = p.stat()
        h.update(f"|{p.name}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()


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
        if not force and read_meta(home.db, "input_fingerprint") == fingerprint:
            return BuildStats(skipped=True, reports=_count(home.db), parser_version=version,
                              seconds=time.monotonic() - started)
        # an older schema is not migrated in place: the archive is rebuilt from the raw store
        full = not home.db.exists() or read_meta(home.db, "schema_version") != str(SCHEMA_VERSION)
        fold_code = fold_code_digest()
        current = {site: site_fingerprint(home, site, version, fold_code) for site in site_dirs(home)}
        target = standby.choose(home, full, str(SCHEMA_VERSION), current)
        side_index.remove_side_files(home.db.parent)  # a killed full build's half-built indexes
        db = sqlite_utils.Database(target.path)
        db.execute("pragma journal_mode = memory")  # disposable: a crash leaves archive.db as it was
        db.execute("pragma synchronous = off")
        db.execute("pragma cache_size = -262144")  # 256 MB: random-id index inserts stay in memory
        stats = _build_into(db, home, version, parse, force or full, progress, full, current)
        stats.target = target.reason
        db["build_meta"].upsert_all([
            {"key": "input_fingerprint", "value": fingerprint},
            {"key": "parser_version", "value": version},
            {"key": "built_at", "value": utcnow()}], pk="key")
        db.conn.commit()
        db.execute("pragma journal_mode = delete")
        db.close()
        standby.publish(home, target)
    stats.seconds = time.monotonic() - started
    return stats


def registry_site_info(site_id: str) -> dict[str, Any] | None:
    """The shipped registry's facts about a site (data, not the crawler): they fill the names
    and regions a site's runs did not write in `run_start.site_info`. A registry that does not
    load leaves them empty; the census reports that problem (`census.write_from_registry`)."""
    try:
        return registry.site_info(site_id)
    except (registry.RegistryError, OSError):
        return None


def site_dirs(home: Home) -> list[str]:
    """The sites that have records, in order: the build folds and syncs one at a time."""
    base = home.records
    return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.exists() else []


def _build_into(db: sqlite_utils.Database, home: Home, version: str, parse: bool,
                force: bool, progress: bool | None, full: bool = False,
                current: dict[str, str] | None = None) -> BuildStats:
    """Site by site: fold its records, sync its rows, parse its changed reports, commit.

    Memory is that of the largest site, not of the archive; `full`: an empty database
    (load everything, then build indexes and search once)."""
    # search indexes are kept up to date by triggers only once they exist; otherwise (a full
    # build, or a database bulk-loaded without them) they are built in one pass at the end
    ensure_schema(db, search=not full and search_ready(db))
    stats = BuildStats(parser_version=version)
    labels = Labels(db.conn)
    sites = site_dirs(home)
    deleted_reports = 0
    known = {} if force else dict(db.execute("select site_id, fingerprint from build_sites"))
    refolded: set[str] = set()
    if current is None:
        fold_code = fold_code_digest()
        current = {site: site_fingerprint(home, site, version, fold_code) for site in sites}
    from tqdm import tqdm
    show = sys.stderr.isatty() if progress is None else progress
    for site in tqdm(sites, desc="build", unit="site", disable=not show):
        fingerprint = current.get(site) or site_fingerprint(home, site, version, fold_code_digest())
        if known.get(site) == fingerprint:  # nothing new for this site since its last build
            unchanged = db.execute("select count(*) from reports where site_id = ?", [site]).fetchone()[0]
            stats.reports += unchanged
            stats.reused += unchanged
            stats.sites_unchanged += 1
            continue
        refolded.add(site)
        folded = fold(iter_records(home, site), registry_site_info)
        deleted_reports += _sync_site(db, site, folded, stats)
        _parse_stage(db, home, version, parse, folded, force, stats, labels)
        db["build_sites"].upsert({"site_id": site, "fingerprint": fingerprint}, pk="site_id")
        db.conn.commit()
    for gone in synced_sites(db) - set(sites):  # a site whose records were removed
        refolded.add(gone)
        deleted_reports += _sync_site(db, gone, Folded(), stats)
    db.execute(f"delete from build_sites where site_id not in ({','.join('?' * len(sites))})", sites)
    if stats.parsed or deleted_reports:
        delete_orphan_texts(db.conn)
    write_agency_tables(db)
    summaries.refresh(db, None if force else refolded)
    census_error = census.write_from_registry(db)  # divisions x registry x reports (registry/census.py)
    if census_error:
        print(f"xxgk build: coverage census not updated: {census_error}", file=sys.stderr)
    db.conn.commit()
    fresh = not search_ready(db)
    if fresh:
        finish_schema(db)
    stats.fts_optimized = tuple(optimize_fts(db, fresh))
    db.conn.commit()
    return stats


def _sync_site(db: sqlite_utils.Database, site: str, folded: Folded, stats: BuildStats) -> int:
    """Write the site's changed rows; returns how many of its reports were deleted."""
    stats.reports += len(folded.reports)
    rows = {"sites": folded.sites, "captures": folded.captures, "attachments": folded.attachments,
            "crawl_runs": folded.runs, "errors": folded.errors, "report_history": folded.history,
            "reports": folded.reports}
    deleted = 0
    for table, pk in CRAWL_TABLES:
        count = sync_rows(db, table, pk, rows[table].values(), site=site)
        stats.rows_written += count.written
        if table == "reports":
            deleted = count.deleted
    if deleted:  # at once: a later report may get a deleted report's rowid
        delete_orphans(db.conn)
        for table in ("legacy_indicators", "report_headlines"):
            db.execute(f"delete from {table} where report_id not in (select report_id from reports)")
    return deleted


def input_key(page_sha: str | None, attachment_shas: list[str]) -> str:
    """The parse key's sha256: the page's, or page + attachments when it links files."""
    if not attachment_shas:
        return page_sha or ""
    return hashlib.sha256("\x1f".join([page_sha or "", *sorted(attachment_shas)]).encode()).hexdigest()


def _parsed(db: sqlite_utils.Database, version: str, rids: list[str]) -> set[tuple[str, str]]:
    """(input sha256, report_id) already parsed with this version, for these reports."""
    done: set[tuple[str, str]] = set()
    for i in range(0, len(rids), 500):
        chunk = rids[i:i + 500]
        done.update(db.execute(f"select sha256, report_id from build_state where parser_version = ? "
                               f"and report_id in ({','.join('?' * len(chunk))})", [version, *chunk]))
    return done


def _parse_stage(db: sqlite_utils.Database, home: Home, version: str, parse: bool,
                 folded: Folded, force: bool, stats: BuildStats, labels: Labels) -> None:
    done = set() if force else _parsed(db, version, list(folded.reports))
    todo = [rid for rid in folded.reports
            if (input_key(folded.reports[rid].get("sha256"), folded.report_attachments.get(rid, [])),
                rid) not in done]
    stats.reused += len(folded.reports) - len(todo)
    if not todo:
        return
    store = RawStore(home)
    atts_of: dict[str, list[dict[str, Any]]] = {}
    for att in folded.attachments.values():
        atts_of.setdefault(att["report_id"], []).append(att)
    converted = _convert_office(store, [a for rid in todo for a in atts_of.get(rid, [])]) if parse else {}
    for i, rid in enumerate(todo):
        _parse_one(db, version, parse, store, folded, rid, atts_of.get(rid, []), converted, stats, labels)
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
               rid: str, atts: list[dict[str, Any]], converted: dict[str, TextResult], stats: BuildStats,
               labels: Labels) -> None:
    report = folded.reports[rid]
    if parse:
        page = _read_extract(store, folded.page_capture.get(rid) or {}, "html")
        attachments = [(att, converted[att["attachment_id"]] if att["attachment_id"] in converted
                        else _read_extract(store, att, att.get("ext"))) for att in atts]
    else:
        page, attachments = TextResult(), [(att, TextResult()) for att in atts]
    outcome = parse_report(report, page, attachments, parse)
    key = input_key(report.get("sha256"), folded.report_attachments.get(rid, []))
    stats.errors += _write_outcome(db, report, outcome, key, version, labels)
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
                   key: str, version: str, labels: Labels) -> int:
    rid, conn = report["report_id"], db.conn
    text_ids: dict[str, int | None] = {}
    for aid, res in outcome.attachment_texts.items():
        old = conn.execute("select text_id from attachments where attachment_id = ?", [aid]).fetchone()
        text_ids[aid] = store_text(conn, res.text, old[0] if old else None)
        conn.execute("update attachments set text_id = ?, text_method = ?, error = ? where attachment_id = ?",
                     [text_ids[aid], res.method, ": ".join(res.error) if res.error else None, aid])
    fields = dict(outcome.fields)
    body = fields.pop("body_text", None)
    report_rowid, old_text = conn.execute("select rowid, text_id from reports where report_id = ?",
                                          [rid]).fetchone()
    source = fields.get("body_source") or ""
    if source.startswith("attachment:") and text_ids.get(source.split(":", 1)[1]) is not None:
        fields["text_id"] = text_ids[source.split(":", 1)[1]]  # the text is stored once
    else:
        fields["text_id"] = store_text(conn, body, old_text)
    conn.execute("update reports set " + ", ".join(f"[{k}] = ?" for k in fields)
                 + " where report_id = ?", [*fields.values(), rid])
    write_cells(conn, labels, report_rowid, fields.get("template"), outcome.cells)
    conn.execute("delete from legacy_indicators where report_id = ?", [rid])
    if outcome.cells.get("legacy_indicators"):
        db["legacy_indicators"].insert_all(outcome.cells["legacy_indicators"], batch_size=500)
    db["report_headlines"].upsert(headline({**report, **outcome.fields}, outcome.cells), pk="report_id")
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
