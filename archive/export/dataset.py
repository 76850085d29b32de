"""A versioned bulk release of archive.db: for every public table or view one CSV (UTF-8
with BOM, so Excel shows Chinese) and one Parquet file, a Frictionless `datapackage.json`
(field types, descriptions from datasette-metadata.yml, row counts, sha256 and size of every
file) and a README with the licence note, the build time and how to cite.

Rows stream from SQLite in batches of a few MB straight into both writers, so memory stays flat in the
number of rows. The release is written to `<name>.part/` and renamed when complete; a
release that already exists is never overwritten.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from archive.store.raw import sha256_stream

from archive.store.search_index import register_functions

BATCH_ROWS = 5000
BATCH_BYTES = 8 << 20  # a batch of long texts (reports.body_text) stays near this size
ARROW = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string()}
REPO = Path(__file__).resolve().parents[2]
METADATA = REPO / "datasette-metadata.yml"


@dataclass
class TableSpec:
    name: str
    description: str
    columns: list[tuple[str, str, str]]  # (name, frictionless type, description)


@dataclass
class Release:
    path: Path
    version: str
    tables: dict[str, int] = field(default_factory=dict)  # name -> rows
    bytes: int = 0


def load_metadata(path: Path = METADATA) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def public_tables(conn: sqlite3.Connection, metadata: dict[str, Any]) -> list[str]:
    """The tables and views datasette-metadata.yml describes and does not hide, in its order."""
    present = {r[0] for r in conn.execute("select name from sqlite_master where type in ('table','view')")}
    tables = (metadata.get("databases", {}).get("archive", {}).get("tables") or {})
    return [name for name, meta in tables.items() if name in present and not (meta or {}).get("hidden")]


def column_types(conn: sqlite3.Connection, table: str, columns: list[str]) -> dict[str, str]:
    """Frictionless type of each column from the storage classes its values really have
    (one scan): only integers → integer, integers and reals → number, anything else → string."""
    if not columns:
        return {}
    parts = []
    for c in columns:
        q = _quote(c)
        parts += [f"max(typeof({q}) = 'integer')", f"max(typeof({q}) = 'real')",
                  f"max(typeof({q}) in ('text', 'blob'))"]
    row = conn.execute(f"select {', '.join(parts)} from {_quote(table)}").fetchone()
    out: dict[str, str] = {}
    for i, c in enumerate(columns):
        has_int, has_real, has_text = (row[3 * i + k] or 0 for k in range(3))
        out[c] = "string" if has_text or not (has_int or has_real) else ("number" if has_real else "integer")
    return out


def table_spec(conn: sqlite3.Connection, table: str, metadata: dict[str, Any]) -> TableSpec:
    meta = (metadata.get("databases", {}).get("archive", {}).get("tables") or {}).get(table) or {}
    names = [r[1] for r in conn.execute(f"pragma table_info({_quote(table)})")]
    types = column_types(conn, table, names)
    described = meta.get("columns") or {}
    desc = meta.get("description") or _strip_html(meta.get("description_html", ""))
    return TableSpec(table, desc, [(c, types[c], str(described.get(c, ""))) for c in names])


def export_dataset(db_path: Path, out_root: Path, metadata_path: Path = METADATA,
                   validate: bool = True) -> Release:
    metadata = load_metadata(metadata_path)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    register_functions(conn)  # report_texts / attachment_texts decompress the stored texts
    try:
        built = _build_time(conn)
        version = built.replace("-", "").replace(":", "")[:15] or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        final = out_root / f"xxgk-archive-{version}"
        if final.exists():
            return _existing(final, version)
        work = out_root / f"xxgk-archive-{version}.part"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        release = Release(final, version)
        resources = []
        for table in public_tables(conn, metadata):
            spec = table_spec(conn, table, metadata)
            rows = _write_table(conn, spec, work)
            release.tables[table] = rows
            resources += _resources(spec, rows, work)
    finally:
        conn.close()
    package = _package(metadata, version, built, resources)
    (work / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    (work / "README.md").write_text(_readme(metadata, version, built, release.tables, resources), encoding="utf-8")
    if validate:
        validate_package(work / "datapackage.json")
    os.replace(work, final)
    release.bytes = sum(p.stat().st_size for p in final.iterdir())
    return release


def validate_package(path: Path) -> None:
    """Frictionless validation of the CSV resources (schema, types, row counts, hashes)."""
    from frictionless import Resource, system

    package = json.loads(path.read_text(encoding="utf-8"))
    errors: list[str] = []
    with system.use_context(trusted=True):
        for desc in package["resources"]:
            if desc["format"] != "csv":
                continue
            resource = Resource({k: v for k, v in desc.items() if k not in ("hash", "bytes", "rows")},
                                basepath=str(path.parent))
            report = resource.validate()
            errors += [f"{desc['path']}: {e.message}" for t in report.tasks for e in t.errors]
    if errors:
        raise ValueError("dataset release does not validate:\n" + "\n".join(errors[:10]))


def _write_table(conn: sqlite3.Connection, spec: TableSpec, work: Path) -> int:
    names = [c for c, _, _ in spec.columns]
    schema = pa.schema([(c, ARROW[t]) for c, t, _ in spec.columns])
    rows = 0
    with open(work / f"{spec.name}.csv", "w", encoding="utf-8-sig", newline="") as fh, \
            pq.ParquetWriter(work / f"{spec.name}.parquet", schema, compression="zstd") as pw:
        writer = csv.writer(fh)
        writer.writerow(names)
        for batch in _batches(conn, spec.name, names):
            writer.writerows(batch)
            cols = list(zip(*batch))
            pw.write_batch(pa.record_batch([pa.array(list(col), type=schema.field(i).type)
                                            for i, col in enumerate(cols)], schema=schema))
            rows += len(batch)
    return rows


def _batches(conn: sqlite3.Connection, table: str, names: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in batches of about BATCH_BYTES (at most BATCH_ROWS): the batch size follows the
    size of the rows just read, so memory stays flat whatever the table holds."""
    cur = conn.execute(f"select {', '.join(map(_quote, names))} from {_quote(table)}")
    size = 100
    while batch := cur.fetchmany(size):
        yield batch
        per_row = sum(len(v) if isinstance(v, (str, bytes)) else 8 for row in batch for v in row) / len(batch)
        size = max(10, min(BATCH_ROWS, int(BATCH_BYTES / max(per_row, 1))))


def _resources(spec: TableSpec, rows: int, work: Path) -> list[dict[str, Any]]:
    fields = [{"name": c, "type": t, **({"description": d} if d else {})} for c, t, d in spec.columns]
    out = []
    for fmt, mediatype in (("csv", "text/csv"), ("parquet", "application/vnd.apache.parquet")):
        path = work / f"{spec.name}.{fmt}"
        size, digest = path.stat().st_size, _sha256(path)
        res: dict[str, Any] = {"name": f"{spec.name}-{fmt}", "path": path.name, "format": fmt,
                               "mediatype": mediatype, "description": spec.description,
                               "bytes": size, "hash": f"sha256:{digest}", "rows": rows,
                               "schema": {"fields": fields}}
        if fmt == "csv":  # what frictionless checks when it validates the file
            res.update(profile="tabular-data-resource", encoding="utf-8-sig",
                       stats={"sha256": digest, "bytes": size, "rows": rows})
        out.append(res)
    return out


def _package(metadata: dict[str, Any], version: str, built: str, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "profile": "data-package",
        "name": "xxgk-archive",
        "title": metadata.get("title") or "xxgk-archive",
        "description": _strip_html(metadata.get("description_html", "")),
        "version": version,
        "created": built,
        "licenses": [{"name": metadata.get("license") or "see README", "path": metadata.get("license_url") or ""}],
        "sources": [{"title": metadata.get("source") or "county and city government portals"}],
        "resources": resources,
    }


def _readme(metadata: dict[str, Any], version: str, built: str, tables: dict[str, int],
            resources: list[dict[str, Any]]) -> str:
    lines = [
        f"# xxgk-archive dataset release {version}", "",
        "政府信息公开工作年度报告 (annual government-information-disclosure reports) of Chinese county- and",
        "city-level portals, as archived and parsed by xxgk-archive.", "",
        f"- Built from archive.db at {built or 'unknown time'}.",
        f"- Licence: {metadata.get('license') or 'see the project'} {metadata.get('license_url') or ''}".rstrip(),
        "  The reports are official documents of the publishing agencies; the archive's own work",
        "  (parsing, tables) is released under the licence above.",
        "- Each table comes twice: `.csv` (UTF-8 with BOM, opens in Excel) and `.parquet` (typed).",
        "- `datapackage.json` (Frictionless Data Package) gives field types and descriptions,",
        "  row counts and the sha256 of every file.", "",
        "## How to cite", "",
        f"xxgk-archive, dataset release {version} (built {built}). Cite the file names and their",
        "sha256 below so others can check they hold the same bytes.", "",
        "## Files", "", "| file | rows | bytes | sha256 |", "|---|---:|---:|---|",
    ]
    for r in resources:
        lines.append(f"| {r['path']} | {r['rows']} | {r['bytes']} | {r['hash'].split(':', 1)[1]} |")
    return "\n".join(lines) + "\n"


def _existing(final: Path, version: str) -> Release:
    package = json.loads((final / "datapackage.json").read_text(encoding="utf-8"))
    tables = {r["name"].rsplit("-", 1)[0]: r.get("rows", 0) for r in package["resources"]}
    return Release(final, version, tables, sum(p.stat().st_size for p in final.iterdir()))


def _build_time(conn: sqlite3.Connection) -> str:
    try:
        row = conn.execute("select value from build_meta where key = 'built_at'").fetchone()
    except sqlite3.Error:
        row = None
    return str(row[0]) if row and row[0] else ""


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return sha256_stream(fh)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _strip_html(text: str) -> str:
    import re
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text or "")).strip()
