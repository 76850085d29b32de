"""The nightly's crawl starts Playwright only for the one list that needs a browser."""
from __future__ import annotations

import pytest

from archive.home import Home
from archive.records import iter_records
from tests.nightly_helpers import by_site, fast_build, nightly


@pytest.mark.browser
def test_playwright_started_once_and_only_on_demand(tmp_path) -> None:
    from replica.server import ReplicaServer

    home = tmp_path / "home"
    with ReplicaServer() as srv, pytest.MonkeyPatch.context() as mp:
        fast_build(mp)
        rc, summary = nightly(home, srv.base_urls, ["chaoyang", "haiyan"])
        js_listed = [r["title"] for r in srv.manifest["chaoyang"]["reports"] if r.get("listed_by_js")]
    assert rc == 0 and {s: r["health"] for s, r in by_site(summary).items()} == \
        {"chaoyang": "healthy", "haiyan": "healthy"}, summary
    log = (home / "runs" / f"{summary['run_id']}.log").read_text(encoding="utf-8")
    # scrapy-playwright would start a driver per scheme per site (4 here) at engine start
    assert log.count("Starting download handler") == 1 and log.count("Launching browser") == 1
    browser = [r for r in iter_records(Home(home), types={"capture"}) if r["fetched_with"] == "browser"]
    assert browser and {r["site_id"] for r in browser} == {"chaoyang"}
    titles = {r["title"] for r in iter_records(Home(home), "chaoyang", types={"report"})}
    assert js_listed and set(js_listed) <= titles
