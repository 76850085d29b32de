"""The nightly's crawl starts Playwright only for the one list that needs a browser, and the
next night opens that list in the browser straight away (no plain-HTTP try per page)."""
from __future__ import annotations

from collections import Counter

import pytest

from archive.store.home import Home
from archive.store.records import iter_records
from tests.nightly_helpers import by_site, fast_build, nightly

JS_COLUMN = "/cy/zwgk/zfxxgknb/"


@pytest.mark.browser
def test_playwright_started_once_and_only_on_demand(tmp_path) -> None:
    from replica.server import ReplicaServer

    home = tmp_path / "home"
    with ReplicaServer() as srv, pytest.MonkeyPatch.context() as mp:
        fast_build(mp)
        rc, summary = nightly(home, srv.base_urls, ["chaoyang", "haiyan"])
        rc2, summary2 = nightly(home, srv.base_urls, ["chaoyang"])
        js_listed = [r["title"] for r in srv.manifest["chaoyang"]["reports"] if r.get("listed_by_js")]
    assert rc == 0 and {s: r["health"] for s, r in by_site(summary).items()} == \
        {"chaoyang": "healthy", "haiyan": "healthy"}, summary
    log = (home / "runs" / f"{summary['run_id']}.log").read_text(encoding="utf-8")
    # scrapy-playwright would start a driver per scheme per site (4 here) at engine start
    assert log.count("Starting download handler") == 1 and log.count("Launching browser") == 1
    night1 = by_site(summary)["chaoyang"]["run_id"]
    caps = [r for r in iter_records(Home(home), types={"capture"}) if r["run_id"].split("-")[0] == night1.split("-")[0]]
    browser = [r for r in caps if r["fetched_with"] == "browser"]
    assert browser and {r["site_id"] for r in browser} == {"chaoyang"}
    titles = {r["title"] for r in iter_records(Home(home), "chaoyang", types={"report"})}
    assert js_listed and set(js_listed) <= titles
    # night 1: the column's first page is tried over HTTP (it shows nothing), later pages go
    # straight to the browser: one plain fetch, then every page once in Chromium
    js_pages = [r for r in caps if r["site_id"] == "chaoyang" and JS_COLUMN in r["url"] and r["kind"] == "list"]
    by_how = Counter(r["fetched_with"] for r in js_pages)
    assert by_how["http"] == 1 and by_how["browser"] >= 2, by_how
    assert len({r["url"] for r in js_pages if r["fetched_with"] == "browser"}) == by_how["browser"]

    # night 2 reopens the known column in Chromium at once, every page of it, and is healthy
    assert rc2 == 0 and by_site(summary2)["chaoyang"]["health"] == "healthy", summary2
    run2 = by_site(summary2)["chaoyang"]["run_id"]
    caps2 = [r for r in iter_records(Home(home), "chaoyang", types={"capture"}) if r["run_id"] == run2]
    js_pages2 = [r for r in caps2 if JS_COLUMN in r["url"] and r["kind"] == "list"]
    assert {r["fetched_with"] for r in js_pages2} == {"browser"}
    assert {r["url"] for r in js_pages2} == {r["url"] for r in js_pages if r["fetched_with"] == "browser"}
    listings = [r for r in iter_records(Home(home), "chaoyang", types={"listing"})
                if r["run_id"] == run2 and JS_COLUMN in r["page_url"]]
    assert listings and all(r["rendered"] and r["unchanged"] for r in listings)
