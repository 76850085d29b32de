"""Shared by the crawl tests: run `xxgk crawl` against a replica in a child process, read the records."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.store.home import Home
from archive.store.records import iter_records

REPO = Path(__file__).resolve().parents[1]


def run_crawl(home: Path, base_urls: dict[str, str], sites: list[str] | None = None,
              extra: list[str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "archive.cli", "crawl"]
    chosen = sites or sorted(base_urls)
    cmd += chosen  # positionals before options: argparse does not intermix them under sub-commands
    for site in chosen:
        cmd += ["--base-url", f"{site}={base_urls[site]}"]
    cmd += ["--delay", "0", *(extra or [])]
    env = {**os.environ, "XXGK_HOME": str(home), "XXGK_LOG_LEVEL": "INFO"}
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def to_real(url: str, base_url: str, real_origin: str) -> str:
    """A replica URL -> the same path on the real portal."""
    b = urlsplit(base_url)
    u = urlsplit(url)
    if u.netloc != b.netloc:
        return url
    q = f"?{u.query}" if u.query else ""
    return f"{real_origin}{u.path}{q}"


def records_by_type(home: Path, site_id: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in iter_records(Home(home), site_id):
        out[rec["type"]].append(rec)
    return out
