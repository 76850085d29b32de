"""Shared by the generic-spider tests and bench: crawl generated portals with `xxgk crawl --url`, score the records."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from archive.store.home import Home
from archive.store.records import iter_records

REPO = Path(__file__).resolve().parents[1]


def crawl_urls(home: Path, urls: dict[str, str], timeout: float = 900,
               extra: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """One `xxgk crawl` process running the generic spider on every {site_id: start URL}."""
    cmd = [sys.executable, "-m", "archive.cli", "crawl"]
    for site, url in urls.items():
        cmd += ["--url", f"{site}={url}"]
    cmd += ["--delay", "0", *(extra or [])]
    env = {**os.environ, "XXGK_HOME": str(home), "XXGK_LOG_LEVEL": "INFO"}
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def records(home: Path, site_id: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in iter_records(Home(home), site_id):
        out.setdefault(rec["type"], []).append(rec)
    return out


def score(manifest: dict[str, Any], recs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """found / missed / false / twice reports of one portal, and metadata fields that disagree."""
    by_url: dict[str, dict[str, Any]] = {}
    for r in manifest["reports"]:
        for u in [r["url"], *r.get("alt_urls", [])]:
            by_url[u] = r
    got = Counter()
    false, wrong = [], []
    for rec in recs.get("report", []):
        want = by_url.get(rec["url"])
        if want is None:
            false.append((rec["url"], rec.get("title")))
            continue
        got[want["url"]] += 1
        for f in ("index_no", "published_date", "doc_no", "written_date", "agency"):
            if f in want.get("shown", ()) and want.get(f) and rec.get(f) != want[f] \
                    and not (f == "agency" and rec.get(f) and want[f].endswith(rec[f])):
                wrong.append((rec["url"], f, rec.get(f), want[f]))
        if rec.get("title") != want["title"]:
            wrong.append((rec["url"], "title", rec.get("title"), want["title"]))
    missed = [r["url"] for r in manifest["reports"] if not got[r["url"]]]
    twice = [u for u, n in got.items() if n > 1]
    atts_want = {a["sha256"] for r in manifest["reports"] for a in r.get("attachments", [])}
    atts_got = {a["sha256"] for a in recs.get("attachment", [])}
    return {"reports": len(manifest["reports"]), "found": len(manifest["reports"]) - len(missed),
            "missed": missed, "false": false, "twice": twice, "wrong": wrong,
            "attachments": len(atts_want), "attachments_found": len(atts_want & atts_got),
            "structure_errors": [e for e in recs.get("error", []) if e.get("kind") == "structure"]}
