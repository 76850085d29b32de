"""Spider registry, generic family spiders and the robots.txt policy, against the replica."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.crawl_helpers import REPO, records_by_type


def scrapy(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XXGK_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "scrapy", *args, "-s", "DOWNLOAD_DELAY=0",
                           "-s", "AUTOTHROTTLE_ENABLED=False"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def replica() -> Any:
    from replica.server import ReplicaServer

    with ReplicaServer() as srv:
        yield srv


def test_scrapy_list_shows_sites_and_families(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "XXGK_HOME": str(tmp_path)}, timeout=60)
    from crawler.sites import platform_spiders
    from spiders import SITE_SPIDERS

    listed = out.stdout.split()
    # one spider per registry line (registry/sites.csv) and one per platform family
    assert listed == sorted([*SITE_SPIDERS, *platform_spiders()])
    assert {"changle", "chaoyang", "fuzhou", "haiyan", "jinjiang", "generic", "gkmlpt", "jcms", "trs"} <= set(listed)


def test_generic_family_spider_crawls_a_portal_without_code(tmp_path: Path, replica: Any) -> None:
    man = replica.manifest["haiyan"]
    proc = scrapy(tmp_path, "crawl", "jcms", "-a", f"start_url={man['base_url']}/col/col1229000001/index.html",
                  "-a", "site_id=haiyan-generic")
    assert proc.returncode == 0, proc.stderr[-3000:]
    recs = records_by_type(tmp_path, "haiyan-generic")
    titles = {r["title"] for r in recs["report"]}
    assert {r["title"] for r in man["reports"] if r.get("in_column", True)} <= titles
    assert recs["run_end"][0]["status"] in ("ok", "degraded")


def test_spider_without_configuration_refuses_clearly(tmp_path: Path) -> None:
    proc = scrapy(tmp_path, "crawl", "trs")
    assert "needs site_id and start URLs" in proc.stderr


def test_robots_disallow_is_obeyed_and_recorded(tmp_path: Path, replica: Any) -> None:
    base = replica.manifest["jinjiang"]["base_url"]
    proc = scrapy(tmp_path, "crawl", "trs", "-a", f"start_url={base}/xxgk/zjxx/", "-a", "site_id=robots-check")
    assert proc.returncode == 0, proc.stderr[-2000:]
    recs = records_by_type(tmp_path, "robots-check")
    assert not [c for c in recs["capture"] if "/xxgk/zjxx/" in c["url"]]
    assert [e for e in recs["error"] if e["kind"] == "robots_disallowed" and "/xxgk/zjxx/" in e["url"]]
    assert recs["run_end"][0]["status"] == "failed"  # nothing archived: the run says so


def test_missing_robots_txt_allows_everything(tmp_path: Path, replica: Any) -> None:
    base = replica.manifest["changle"]["base_url"]  # the changle replica answers 404 for robots.txt
    proc = scrapy(tmp_path, "crawl", "changle", "-a", f"base_url={base}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    recs = records_by_type(tmp_path, "changle")
    assert len(recs["report"]) >= 10
    assert not [e for e in recs["error"] if e["kind"] == "robots_disallowed"]
