"""`xxgk serve`: Datasette over the built archive, originals served safely."""
from __future__ import annotations

import http.client
import json
import sqlite3
import urllib.parse

import pytest
import yaml

from archive.build.builder import build
from archive.store.home import Home
from archive.serve.app import METADATA, load_metadata, serve_app
from fixtures.archive.factory import SCRIPT_MARKER, make_scenario


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = Home.from_env(tmp_path_factory.mktemp("serve"))
    ids = make_scenario(home)
    build(home, progress=False)
    srv = serve_app(home)
    yield srv, home, ids
    srv.stop()


def get(srv, path: str) -> tuple[int, dict[str, str], bytes]:
    """One GET without following redirects."""
    parts = urllib.parse.urlsplit(srv.url)
    con = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        con.request("GET", path)
        resp = con.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        con.close()


def sha_of(home: Home, sql: str, params=()) -> str:
    con = sqlite3.connect(home.db)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def test_serves_on_loopback_and_blocks_robots(served):
    srv, _, _ = served
    assert srv.url.startswith("http://127.0.0.1:")
    status, _, body = get(srv, "/robots.txt")
    assert status == 200 and b"Disallow: /" in body
    allowed = load_metadata(Home.from_env("/nonexistent"), allow_robots=True)
    assert "Allow: /" in allowed["plugins"]["datasette-block-robots"]["literal"]


def test_front_page_and_dashboards(served):
    srv, _, _ = served
    status, _, body = get(srv, "/")
    assert status == 200 and "/-/dashboards/overview" in body.decode()
    status, _, body = get(srv, "/-/dashboards/overview")
    assert status == 200 and "vega-lite" in body.decode()
    status, _, body = get(srv, "/archive/new_reports_feed.atom")
    assert status == 200 and "福州市应急管理局2018年政府信息公开工作年度报告" in body.decode()


def test_every_canned_query_runs_in_datasette(served):
    srv, _, _ = served
    queries = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["archive"]["queries"]
    for name in queries:
        status, _, body = get(srv, f"/archive/{name}.json?_shape=objects")
        data = json.loads(body)
        assert status == 200 and data.get("ok", True) is not False, (name, data)


def test_short_words_are_found_by_the_table_search(served):
    """1-2 character words are answered from the bigram index, on the table page itself."""
    srv, _, ids = served
    q = urllib.parse.quote("附件")
    status, _, body = get(srv, f"/archive/reports.json?_shape=objects&_search={q}")
    assert status == 200 and ids["b"] in {r["report_id"] for r in json.loads(body)["rows"]}
    status, headers, _ = get(srv, f"/archive/report_summary?_search={q}")  # a view: no index
    assert status == 302 and headers["location"] == f"/-/search?q={q}"
    status, _, body = get(srv, f"/archive/search.json?_shape=objects&q={q}")
    assert ids["b"] in {r["report_id"] for r in json.loads(body)["rows"]}
    long_q = urllib.parse.quote("长乐区应急")
    status, _, body = get(srv, f"/archive/reports.json?_shape=objects&_search={long_q}")
    assert status == 200 and {r["report_id"] for r in json.loads(body)["rows"]} == {ids["a"]}


def test_archived_html_is_sandboxed(served):
    srv, home, ids = served
    sha = sha_of(home, "select sha256 from reports where report_id = ?", [ids["c"]])
    status, headers, body = get(srv, f"/-/original/{sha}")
    assert status == 200 and SCRIPT_MARKER.encode() in body
    assert headers["content-security-policy"].startswith("sandbox")
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, _ = get(srv, f"/-/original/{sha}?as=text")
    assert headers["content-type"].startswith("text/plain")


def test_attachments_are_downloads(served):
    srv, home, _ = served
    sha = sha_of(home, "select sha256 from attachments")
    status, headers, body = get(srv, f"/-/original/{sha}")
    assert status == 200 and body[:2] == b"PK"
    assert headers["content-disposition"].startswith("attachment;")
    # the name the report page gave the file (its link text), else the server's
    assert ("filename*=UTF-8''" + urllib.parse.quote("海盐县应急管理局2020年报.docx")) in headers["content-disposition"]


@pytest.mark.parametrize("path", ["/-/original/" + "0" * 64, "/-/original/..%2f..%2fetc%2fpasswd",
                                  "/-/original/../../archive.db", "/-/original/ABC"])
def test_originals_only_by_known_hash(served, path):
    srv, _, _ = served
    status, headers, _ = get(srv, path)
    if status == 302:  # Datasette re-encodes %2f as ~2f first; the target must not resolve either
        status = get(srv, headers["location"])[0]
    assert status == 404


def test_report_page_links_to_original_and_escapes_html(served):
    srv, home, ids = served
    status, _, body = get(srv, f"/archive/reports/{ids['c']}")
    page = body.decode()
    sha = sha_of(home, "select sha256 from reports where report_id = ?", [ids["c"]])
    assert status == 200 and f'href="/-/archived/{sha}"' in page  # the archived page, with its banner
    assert "<script>document.title" not in page  # archived markup never reaches the page unescaped


def test_canned_query_results_link_to_reports(served):
    srv, _, ids = served
    status, _, body = get(srv, "/archive/agency_reports?agency=" + urllib.parse.quote("海盐县"))
    assert status == 200 and f'href="/archive/reports/{ids["d"]}"' in body.decode()
