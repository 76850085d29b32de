"""Three worker processes share one crawl through Redis; one is SIGKILLed midway.

Checks: every report of every replica site captured, merged to one report per id by the
build's fold; raw files intact; what the killed worker had in flight was fetched by the
others; per-site politeness held across the workers (measured at the replica server);
no site or request left behind in Redis.
"""
from __future__ import annotations

import json
import os
import signal
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from scrapy_redis import picklecompat

from archive.build.history import fold
from archive.store.home import Home
from archive.store.records import iter_records
from archive.store.raw import RawStore
from tests.distributed_local import LocalRedis, crawl_env, kill, seed, start_worker, wait_all
from tests.distributed_probe import TimedReplica, politeness
from crawler.distributed.leases import Keys

# 200 portals, each small (2 agencies from 2022: ~8 reports, ~3,500 requests in all), so the
# test covers the 200 sites within minutes; bench/bench_distributed.py runs 200 full sites.
N_SITES = int(os.environ.get("XXGK_DIST_TEST_SITES", "200"))
INTERVAL, CONCURRENCY, LEASE = 0.05, 1, 6.0

pytestmark = pytest.mark.slow


def _leased_urls(server: redis.Redis, keys: Keys, sites: list[str], pid: int) -> set[str]:
    """URLs of the requests a worker process holds leases on (lease ids carry host:pid)."""
    urls = set()
    for site in sites:
        for lease, data in server.hgetall(keys.site(site, "leases")).items():
            if lease.decode().split(":")[1] == str(pid):
                urls.add(picklecompat.loads(data)["url"])
    return urls


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("distributed")
    home = tmp / "home"
    home.mkdir()
    t0 = time.monotonic()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XXGK_REPLICA_SITE_SIZE", "small")  # read when the replica builds its world
        return _crawl_200(tmp, home, t0)


def _crawl_200(tmp: Path, home: Path, t0: float) -> dict[str, Any]:
    with TimedReplica(scale=N_SITES) as srv, LocalRedis(tmp / "redis") as url:
        sites = srv.write_site_list(tmp / "sites.txt")
        startup = time.monotonic() - t0
        env = crawl_env(home, url, XXGK_HOST_INTERVAL=str(INTERVAL), XXGK_HOST_CONCURRENCY=str(CONCURRENCY),
                        XXGK_LEASE_SECONDS=str(LEASE), XXGK_SITE_IDLE_GRACE="2")
        seed(env, tmp / "sites.txt")
        server = redis.Redis.from_url(url)
        keys = Keys("xxgk", server.get("xxgk:current").decode())
        workers = {name: start_worker(env, name) for name in ("w1", "w2", "w3")}
        victim = workers["w2"]
        # kill w2 once it has done real work and holds leases. A fetch from the loopback replica
        # holds its lease for milliseconds, so the leases are looked at often, and once some are
        # seen w2 is frozen (SIGSTOP) and looked at again, so it cannot finish them before the kill
        deadline = time.monotonic() + 120
        looks, done_by_victim = 0, 0
        while time.monotonic() < deadline:
            if done_by_victim <= 200:
                time.sleep(0.2)
                done_by_victim = sum(1 for p in (home / "records").glob("*/*.w2.jsonl") for _ in open(p))
                continue
            looks += 1
            if not _leased_urls(server, keys, sites, victim.pid):
                time.sleep(0.01)
                continue
            victim.send_signal(signal.SIGSTOP)
            if _leased_urls(server, keys, sites, victim.pid):
                break
            victim.send_signal(signal.SIGCONT)
        victim_alive = victim.poll() is None
        kill(victim)
        killed_at = time.monotonic()
        in_flight = _leased_urls(server, keys, sites, victim.pid)  # what it lost (leases expire after LEASE s)
        codes = wait_all([workers["w1"], workers["w3"]], timeout=300)
        out = {"home": home, "manifest": srv.manifest, "sites": sites, "access": list(srv.access),
               "codes": codes, "in_flight": in_flight, "looks": looks, "done_by_victim": done_by_victim,
               "victim_alive_at_kill": victim_alive, "killed_at": killed_at, "startup": startup,
               "base_urls": dict(srv.base_urls),
               "done": {m.decode() for m in server.smembers(keys.crawl_key("done"))},
               "dead": server.llen(keys.crawl_key("dead")),
               "leftover": {s: (server.llen(keys.site(s, "queue")), server.hlen(keys.site(s, "leases")))
                            for s in sites},
               "stdout": [w.stdout.read() if w.stdout else "" for w in (workers["w1"], workers["w3"])]}
    return out


def test_survivors_finish_every_site(crawl: dict[str, Any]) -> None:
    assert crawl["codes"] == [0, 0], crawl["stdout"]
    assert crawl["done"] == set(crawl["sites"])
    assert crawl["dead"] == 0
    assert all(v == (0, 0) for v in crawl["leftover"].values()), crawl["leftover"]


def test_every_report_captured_once_after_merge(crawl: dict[str, Any]) -> None:
    records = list(iter_records(Home(crawl["home"])))
    folded = fold(records)  # the merge step of `xxgk build`: records deduped by id
    ids_by_url: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r["type"] == "report":
            ids_by_url[r["url"]].add(r["report_id"])
            ids_by_url[r["canonical_url"]].add(r["report_id"])
    expected_ids: set[str] = set()
    for site in crawl["sites"]:
        for report in crawl["manifest"][site]["reports"]:
            ids = set().union(*(ids_by_url.get(u, set()) for u in (report["url"], *report.get("alt_urls", []))))
            assert len(ids) == 1, f"{site}: {report['url']} captured as {len(ids)} reports"
            expected_ids |= ids
    assert set(folded.reports) == expected_ids
    assert len({r["report_id"] for r in records if r["type"] == "report"}) == len(folded.reports)


def test_raw_files_intact(crawl: dict[str, Any]) -> None:
    home = Home(crawl["home"])
    store = RawStore(home)
    caps = {r["capture_id"]: r for r in iter_records(home, types={"capture"})}
    assert caps
    bad = [c["raw_path"] for c in caps.values() if not store.verify(c["raw_path"], c["sha256"])]
    assert not bad


def test_killed_workers_requests_fetched_by_others(crawl: dict[str, Any]) -> None:
    """Each request the victim held a lease on was asked of the replica again after the kill."""
    assert crawl["in_flight"], ("the victim held no leases when killed: the test did not exercise recovery "
                                f"({crawl['looks']} looks at its leases, {crawl['done_by_victim']} records by it, "
                                f"alive: {crawl['victim_alive_at_kill']}, w1/w3 exit codes {crawl['codes']})")
    site_of = {urlsplit(base).netloc: site for site, base in crawl["base_urls"].items()}
    after_kill = {(site, path) for site, start, _, path in crawl["access"] if start > crawl["killed_at"]}
    lost = {u for u in crawl["in_flight"]
            if (site_of[urlsplit(u).netloc], urlsplit(u)._replace(scheme="", netloc="").geturl()) not in after_kill}
    assert not lost, f"{len(lost)} of {len(crawl['in_flight'])} in-flight requests never refetched: {sorted(lost)[:3]}"


def test_politeness_held_across_workers(crawl: dict[str, Any]) -> None:
    figures = politeness(crawl["access"], window=1.0)
    assert set(crawl["sites"]) <= set(figures)
    for site in crawl["sites"]:
        f = figures[site]
        assert f.max_in_flight <= CONCURRENCY, f
        # starts are spaced INTERVAL apart at the workers; allow one of server-side jitter
        assert f.max_in_window <= 1.0 / INTERVAL + 2, f


def test_worker_shares_and_site_verdicts(crawl: dict[str, Any]) -> None:
    """Each worker's run_end covers its share; the drained site's verdict counts all workers."""
    records = list(iter_records(Home(crawl["home"])))
    runs = {r["site_id"]: r for r in fold(records).runs.values()}
    for site in crawl["sites"]:
        assert runs[site]["status"] in ("ok", "degraded"), runs[site]
        stats = json.loads(runs[site]["stats"])
        written = sum(1 for r in records if r["type"] == "report" and r["site_id"] == site)
        assert stats["reports_all_workers"] >= written > 0
        # shares of finished workers (the killed one wrote no run_end): the pages each read. (A
        # list page the victim had leased is read again after its lease expires; its reports,
        # read already, then count as skipped in a second share, so "reports", read + skipped,
        # may add up to more than was written.)
        assert stats["reports"] - stats.get("reports_skipped", 0) <= written
