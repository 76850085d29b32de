"""Crawl generated portals with the family spiders and score the result against their manifests.

Used by tests/test_crawl_variants.py and bench/bench_variants.py. The crawl runs in a child
process (as `xxgk crawl` does): `python -m tests.variant_helpers JOBS.json`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.crawl_helpers import REPO, records_by_type

SPIDER = {"trs": "trs", "gkmlpt": "gkmlpt", "jcms": "jcms", "jpaas": "jcms"}
CHECKED = ("title", "index_no", "published_date", "agency", "doc_no")


def crawl(home: Path, manifest: dict[str, dict[str, Any]], footholds: bool | set[str] = False,
          timeout: float = 900, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Crawl every portal of `manifest` (site_id -> manifest) in one child process."""
    jobs = []
    for sid, man in manifest.items():
        kw = {"start_url": man["entry_url"], "site_id": sid, "home_url": man["home_url"], "run_id": f"v-{sid}"}
        if (footholds is True or (footholds and sid in footholds)) and man.get("footholds"):
            kw["footholds"] = json.dumps(man["footholds"])
        jobs.append({"site_id": sid, "spider": SPIDER[man["family"]], "kwargs": kw})
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(jobs, fh)
    env = {**os.environ, "XXGK_HOME": str(home), "XXGK_LOG_LEVEL": "INFO", **(extra_env or {})}
    try:
        return subprocess.run([sys.executable, "-m", "tests.variant_helpers", fh.name], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=timeout)
    finally:
        os.unlink(fh.name)


def _norm(url: str) -> str:
    from archive.store import urlnorm

    return urlnorm.normalize(url)


def score(home: Path, sid: str, man: dict[str, Any]) -> dict[str, Any]:
    """found / missed / twice / false reports and wrong metadata of one crawled portal."""
    recs = records_by_type(home, sid)
    by_url: dict[str, dict[str, Any]] = {}
    for r in man["reports"]:
        for u in [r["url"], *r["alt_urls"]]:
            by_url[_norm(u)] = r
    ids_of: dict[str, set[str]] = defaultdict(set)
    got: dict[str, dict[str, Any]] = {}
    false: list[str] = []
    for rec in recs["report"]:
        expected = by_url.get(_norm(rec["url"]))
        if expected is None:
            false.append(rec["url"])
            continue
        ids_of[expected["url"]].add(rec["report_id"])
        got[expected["url"]] = rec
    missed = [r["url"] for r in man["reports"] if r["url"] not in got]
    twice = [u for u, ids in ids_of.items() if len(ids) > 1]
    wrong = []
    for r in man["reports"]:
        rec = got.get(r["url"])
        if rec is None:
            continue
        for f in CHECKED:
            if (f == "title" or f in r["shown"]) and r.get(f) and rec.get(f) != r[f]:
                wrong.append((r["url"], f, rec.get(f), r[f]))
    atts = {a["sha256"] for a in recs["attachment"]}
    missing_atts = [a["url"] for r in man["reports"] if r["url"] in got for a in r["attachments"]
                    if a["sha256"] not in atts]
    run_end = next((e for e in recs["run_end"]), {})
    errors = [(e["kind"], e.get("url")) for e in recs["error"]]
    return {"site_id": sid, "seed": man["seed"], "family": man["family"], "expected": len(man["reports"]),
            "found": len(got), "missed": missed, "twice": twice, "false": false, "wrong": wrong,
            "missing_attachments": missing_atts, "status": run_end.get("status"),
            "stats": run_end.get("stats") or {}, "errors": errors, "features": man["features"]}


def main(path: str) -> int:
    from crawler.run import CrawlJob, run_jobs

    jobs = [CrawlJob(j["site_id"], j["spider"], j["kwargs"]) for j in json.loads(Path(path).read_text())]
    run_jobs(jobs, {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "XXGK_STORE_HELPER": False,
                    "LOG_LEVEL": os.environ.get("XXGK_LOG_LEVEL", "INFO")})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
