"""Worst case: the only worker is SIGKILLed and Redis loses the crawl. The next crawl (a new
seed) recovers: every report ends up in the archive, once after the merge, files intact."""
from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from archive.build.history import fold
from archive.store.home import Home
from archive.store.records import iter_records
from archive.store.raw import RawStore
from tests.distributed_local import LocalRedis, crawl_env, kill, seed, start_worker, wait_all
from tests.distributed_probe import TimedReplica

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("distributed-recovery")
    home = tmp / "home"
    with TimedReplica(scale=3) as srv, LocalRedis(tmp / "redis") as url:
        srv.write_site_list(tmp / "sites.txt")
        env = crawl_env(home, url, XXGK_HOST_INTERVAL="0.02")
        seed(env, tmp / "sites.txt")
        first = start_worker(env, "a")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.3)
            if sum(1 for p in (home / "records").glob("*/*.a.jsonl") for _ in open(p)) > 150:
                break
        kill(first)
        redis.Redis.from_url(url).flushall()  # the crawl's state is gone with it
        partial = sum(1 for _ in iter_records(Home(home), types={"report"}))
        seed(env, tmp / "sites.txt")
        second = start_worker(env, "b")
        codes = wait_all([second], timeout=300)
        return {"home": home, "manifest": srv.manifest, "codes": codes, "partial": partial,
                "sites": [s for s in srv.manifest if "-" in s]}


def test_second_crawl_completes_what_the_first_lost(crawl: dict[str, Any]) -> None:
    assert crawl["codes"] == [0]
    records = list(iter_records(Home(crawl["home"])))
    runs = {r["run_id"] for r in records}
    expected = sum(len(crawl["manifest"][s]["reports"]) for s in crawl["sites"])
    assert 0 < crawl["partial"] < expected  # the first crawl really was cut short
    assert len(runs) == 2 * len(crawl["sites"])
    urls = {r["url"] for r in records if r["type"] == "report"}
    for site in crawl["sites"]:
        for report in crawl["manifest"][site]["reports"]:
            assert {report["url"], *report.get("alt_urls", [])} & urls, report["url"]
    folded = fold(records)
    assert len(folded.reports) == len({r["report_id"] for r in records if r["type"] == "report"})


def test_raw_files_intact_after_the_kill(crawl: dict[str, Any]) -> None:
    home = Home(crawl["home"])
    store = RawStore(home)
    caps = list(iter_records(home, types={"capture"}))
    assert caps and all(store.verify(c["raw_path"], c["sha256"]) for c in caps)
