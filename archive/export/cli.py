"""`xxgk export warc|wacz|dataset` — archival and bulk outputs (docs/archive.md, "Exports")."""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
from datetime import datetime, timezone
from pathlib import Path

from archive.store.home import Home


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="what", required=True)
    for name, help_ in (("warc", "WARC 1.1 files of the captured bodies (request/response/revisit)"),
                        ("wacz", "one WACZ package (WARC + CDXJ + pages.jsonl + datapackage.json)")):
        q = sub.add_parser(name, help=help_)
        q.add_argument("--site", help="one site_id (default: every site)")
        q.add_argument("--since", help="captures at or after this UTC date/time (ISO, e.g. 2026-12-01)")
        q.add_argument("--out", help="output directory (warc) or file (wacz); default under $XXGK_HOME/exports/")
    d = sub.add_parser("dataset", help="versioned CSV + Parquet release of archive.db with datapackage.json")
    d.add_argument("--out", help="directory that receives the release folder (default $XXGK_HOME/releases)")
    d.add_argument("--no-validate", action="store_true", help="skip the frictionless validation of the CSVs")


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def run(args: argparse.Namespace) -> int:
    home = Home.from_env()
    try:
        if args.what == "dataset":
            return _dataset(home, args)
        if args.site:
            from archive.store.home import check_site_id
            check_site_id(args.site)
        label = args.site or "all"
        if args.what == "warc":
            return _warc(home, args, label)
        return _wacz(home, args, label)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"xxgk export {args.what}: {exc}", file=sys.stderr)
        return 1


def _warc(home: Home, args: argparse.Namespace, label: str) -> int:
    from archive.export.warc import select_captures, write_warc

    out = Path(args.out) if args.out else home.root / "exports" / "warc"
    stats = write_warc(home, out, select_captures(home, args.site, args.since), prefix=f"xxgk-{label}-{_stamp()}")
    for path in stats.files:
        print(path)
    _summary(stats)
    return 0 if stats.files else 1


def _wacz(home: Home, args: argparse.Namespace, label: str) -> int:
    from archive.export.wacz import write_wacz

    out = Path(args.out) if args.out else home.root / "exports" / f"xxgk-{label}-{_stamp()}.wacz"
    out.parent.mkdir(parents=True, exist_ok=True)
    log = io.StringIO()
    with contextlib.redirect_stdout(log):  # the wacz tool narrates every step on stdout
        stats, pages = write_wacz(home, out, args.site, args.since, title=f"xxgk-archive {label}")
    print(out)
    _summary(stats)
    print(f"{pages} report pages in pages.jsonl")
    return 0


def _summary(stats) -> None:
    print(f"{stats.responses} responses, {stats.revisits} revisits, {len(stats.files)} WARC file(s), "
          f"{stats.bytes} bytes", file=sys.stderr)
    for url, why in stats.skipped:
        print(f"skipped {url}: {why}", file=sys.stderr)


def _dataset(home: Home, args: argparse.Namespace) -> int:
    from archive.export.dataset import export_dataset

    if not home.db.exists():
        print(f"xxgk export dataset: {home.db} does not exist: run `xxgk build` first", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else home.root / "releases"
    release = export_dataset(home.db, out, validate=not args.no_validate)
    print(release.path)
    for name, rows in release.tables.items():
        print(f"  {name}: {rows} rows", file=sys.stderr)
    return 0
