"""Configured site spiders in distributed mode: the seed rebases them onto the replica
(`--base-url`), the worker's spiders start nothing themselves, and the JavaScript-built list of
chaoyang still gets its browser (started lazily, only in the crawler that needs it)."""
from __future__ import annotations

import subprocess
from typing import Any

import pytest

from archive.store.home import Home
from archive.store.records import iter_records
from tests.distributed_local import LocalRedis, crawl_env, start_worker, wait_all, xxgk, REPO
from replica.server import ReplicaServer

SITES = ["chaoyang", "haiyan"]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("distributed-sites")
    home = tmp / "home"
    with ReplicaServer() as srv, LocalRedis(tmp / "redis") as url:
        env = crawl_env(home, url, XXGK_HOST_INTERVAL="0.02")
        cmd = xxgk("--distributed", "--seed", *SITES)
        for site in SITES:
            cmd += ["--base-url", f"{site}={srv.base_urls[site]}"]
        seeded = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert seeded.returncode == 0, seeded.stderr[-2000:]
        worker = start_worker(env, "solo")
        codes = wait_all([worker], timeout=400)
        return {"home": home, "manifest": srv.manifest, "codes": codes,
                "stdout": worker.stdout.read() if worker.stdout else ""}


def test_worker_finishes(crawl: dict[str, Any]) -> None:
    assert crawl["codes"] == [0], crawl["stdout"]
    for site in SITES:
        assert site in crawl["stdout"]


@pytest.mark.parametrize("site", SITES)
def test_every_report_captured(crawl: dict[str, Any], site: str) -> None:
    reports = [r for r in iter_records(Home(crawl["home"]), site, types={"report"})]
    assert reports and all(r["run_id"].endswith(f"-{site}") for r in reports)
    # the spider maps replica URLs back to the real portal; compare paths
    got = {r["url"].split("/", 3)[3] for r in reports}
    expected = {r["url"].split("/", 3)[3] for r in crawl["manifest"][site]["reports"]}
    assert expected <= got, sorted(expected - got)[:3]


def test_js_list_rendered_in_the_browser(crawl: dict[str, Any]) -> None:
    caps = list(iter_records(Home(crawl["home"]), "chaoyang", types={"capture"}))
    assert any(c["fetched_with"] == "browser" for c in caps)
    assert any(r["listed_by_js"] for r in crawl["manifest"]["chaoyang"]["reports"])
