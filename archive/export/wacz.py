"""WACZ 1.1.1 packages (a WARC, its CDXJ index, `pages.jsonl`, `datapackage.json` with every
file's hash) made by the `wacz` tool from an export's WARC files.

`pages.jsonl` lists one page per archived report: the report page's URL as captured, the
capture time and the title the archive gives it (archive.db when built, else the crawler's
`report` record), so ReplayWeb.page opens on the reports, not on list pages.
"""
from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from archive.export.warc import WarcStats, select_captures, warc_date, write_warc
from archive.store.home import Home
from archive.store.records import iter_records


def report_pages(home: Home, captures: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """One page per report whose page capture is in `captures`: {url, ts, title}."""
    by_id = {c["capture_id"]: c for c in captures if c.get("kind") == "detail"}
    titles = _db_titles(home)
    pages: dict[str, dict[str, str]] = {}
    for rec in iter_records(home, types={"report"}):
        cap = by_id.get(rec.get("capture_id", ""))
        if cap is None:
            continue
        title = titles.get(rec.get("report_id", "")) or rec.get("title") or rec.get("listed_title") or cap["url"]
        pages[rec["report_id"]] = {"id": rec["report_id"], "url": cap["url"],
                                   "ts": warc_date(str(cap.get("at", ""))), "title": title}
    return sorted(pages.values(), key=lambda p: (p["url"], p["ts"]))


def _db_titles(home: Home) -> dict[str, str]:
    if not home.db.exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{home.db}?mode=ro", uri=True)
        try:
            return {rid: t for rid, t in conn.execute("select report_id, title from reports") if t}
        finally:
            conn.close()
    except sqlite3.Error:
        return {}


def write_pages(path: Path, pages: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Reports"}) + "\n")
        for page in pages:
            fh.write(json.dumps(page, ensure_ascii=False) + "\n")


def write_wacz(home: Home, out: Path, site: str | None = None, since: str | None = None,
               title: str = "xxgk-archive") -> tuple[WarcStats, int]:
    """Export the selected captures as one WACZ file at `out`; returns (warc stats, pages)."""
    from wacz.main import main as wacz_main

    captures = list(select_captures(home, site, since))
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        work = Path(tmp)
        stats = write_warc(home, work / "archive", captures, prefix="data")
        if not stats.files:
            raise ValueError("nothing to export: no capture matched")
        pages = report_pages(home, captures)
        pages_path = work / "pages.jsonl"
        write_pages(pages_path, pages)
        part = out.with_name(out.name + ".part")
        rc = wacz_main(["create", "-o", str(part), "-p", str(pages_path), "--hash-type", "sha256",
                        "--title", title, "--desc", f"{len(pages)} reports, {stats.responses} bodies",
                        *map(str, stats.files)])
        if rc not in (0, None) or not part.exists():
            part.unlink(missing_ok=True)
            raise RuntimeError(f"wacz create failed ({rc})")
        part.replace(out)
    return stats, len(pages)
