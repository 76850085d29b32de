"""The multi-reader deployment: deploy/nginx-xxgk.conf in front of several Datasette processes.

The nginx tests render the shipped config with their own ports (archive.serve.nginx) and run
Debian's nginx (installed by scripts/setup.sh) in the foreground against two real
`serve_app` servers of one built archive.
"""
from __future__ import annotations

import socket
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from archive.build.builder import build
from archive.serve.app import serve_app
from archive.serve.nginx import PrivateNginx, nginx_binary, render
from archive.store.home import Home
from fixtures.archive.factory import make_scenario

REPO = Path(__file__).resolve().parent.parent
needs_nginx = pytest.mark.skipif(nginx_binary() is None, reason="nginx not installed (scripts/setup.sh)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_render_keeps_the_deployed_file_but_ports_and_paths(tmp_path):
    text = render([9101, 9102], 9100, tmp_path / "cache")
    assert "server 127.0.0.1:9101 max_fails=0;\n    server 127.0.0.1:9102 max_fails=0;" in text
    assert "8001" not in text and "listen 127.0.0.1:9100;" in text and str(tmp_path / "cache") in text
    shipped = (REPO / "deploy" / "nginx-xxgk.conf").read_text(encoding="utf-8")
    assert "upstream xxgk_sql {\n    server 127.0.0.1:9101 max_fails=0;\n    server 127.0.0.1:9102" in text
    assert "upstream xxgk_sql {\n    server 127.0.0.1:9109 max_fails=0;\n    keepalive" in \
        render([9101, 9102], 9100, tmp_path / "cache", sql_ports=[9109])
    for directive in ("proxy_cache xxgk;", "proxy_cache_lock on;", "limit_req zone=xxgk_sql",
                      "least_conn;", "keepalive 32;", "proxy_pass http://$xxgk_pool;", "limit_conn xxgk_sql_all 4;"):
        assert directive in shipped and directive in text


def test_systemd_units_start_serve_with_a_cache_ttl():
    unit = (REPO / "deploy" / "xxgk-serve@.service").read_text(encoding="utf-8")
    assert "xxgk serve --host 127.0.0.1 --port %i --cache-ttl" in unit
    path = (REPO / "deploy" / "xxgk-serve-reload.path").read_text(encoding="utf-8")
    assert "PathChanged=/srv/xxgk/archive.db" in path
    sql = (REPO / "deploy" / "xxgk-serve-sql@.service").read_text(encoding="utf-8")
    assert "xxgk serve --host 127.0.0.1 --port %i --cache-ttl 3600 --sql-threads 1" in sql and "Nice=15" in sql
    assert "xxgk-serve-sql@*.service" in (REPO / "deploy" / "xxgk-serve-reload.sh").read_text(encoding="utf-8")


@needs_nginx
def test_nginx_accepts_the_deployed_config(tmp_path):
    res = PrivateNginx(tmp_path / "nginx", [free_port(), free_port()], free_port()).test()
    assert res.returncode == 0, res.stderr
    assert "syntax is ok" in res.stderr and "test is successful" in res.stderr


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory):
    home = Home.from_env(tmp_path_factory.mktemp("deploy"))
    ids = make_scenario(home)
    build(home, progress=False)
    servers = [serve_app(home, cache_ttl=600) for _ in range(2)]
    sql = serve_app(home, cache_ttl=7, sql_threads=1)  # the arbitrary-SQL process: told apart by its max-age
    servers.append(sql)
    ports = [int(urllib.parse.urlsplit(s.url).port) for s in servers]
    nginx = PrivateNginx(tmp_path_factory.mktemp("nginx"), ports[:2], free_port(), sql_ports=ports[2:]).start()
    yield nginx, ids
    nginx.stop()
    for s in servers:
        s.stop()


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@needs_nginx
def test_pages_are_cached_for_the_immutable_database(behind_nginx):
    nginx, ids = behind_nginx
    url = nginx.url + "/archive/reports.json?_search=" + urllib.parse.quote("公开")
    status, headers, first = get(url)
    assert status == 200 and headers["cache-control"] == "max-age=600"
    assert headers["x-cache-status"] == "MISS"
    status, headers, second = get(url)
    assert status == 200 and headers["x-cache-status"] == "HIT" and second == first
    status, headers, body = get(f"{nginx.url}/archive/reports/{ids['a']}")
    assert status == 200 and ids["a"] in body.decode()


@needs_nginx
def test_reader_pages_are_cached_too_and_errors_are_not(behind_nginx):
    """The reader's own pages (report page, /-/search, pivot) carry Datasette's max-age, so
    nginx answers a page again without the report's queries; a 404 is not kept."""
    nginx, ids = behind_nginx
    for path in (f"/archive/reports/{ids['a']}", "/-/search?q=" + urllib.parse.quote("公开"),
                 "/-/pivot?figure=applications_received"):
        status, headers, first = get(nginx.url + path)
        assert status == 200 and headers.get("cache-control") == "max-age=600", (path, headers)
        status, headers, again = get(nginx.url + path)
        assert headers["x-cache-status"] == "HIT" and again == first, path
    status, headers, _ = get(nginx.url + "/archive/reports/0000000000000000")
    assert status == 404 and "cache-control" not in headers


@needs_nginx
def test_arbitrary_sql_is_rate_limited_per_client_and_pages_are_not(behind_nginx):
    nginx, _ = behind_nginx
    statuses = [get(f"{nginx.url}/archive.json?sql=" + urllib.parse.quote(f"select {i}"))[0] for i in range(30)]
    assert 200 in statuses and 429 in statuses
    assert all(get(f"{nginx.url}/archive/sites.json?_x={i}")[0] == 200 for i in range(30))


@needs_nginx
def test_arbitrary_sql_goes_to_its_own_process_and_only_four_run_at_once(behind_nginx):
    from concurrent.futures import ThreadPoolExecutor
    nginx, ids = behind_nginx
    status, headers, _ = get(f"{nginx.url}/archive.json?sql=" + urllib.parse.quote("select 42"))
    assert status == 200 and headers["cache-control"] == "max-age=7"
    for path in ("/archive/reports.json", "/archive/sites", "/archive/search.json?q=" + urllib.parse.quote("公开")):
        status, headers, _ = get(nginx.url + path)
        assert status == 200 and headers.get("cache-control") == "max-age=600", (path, headers)
    slow = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 3000000) select count(*) from n"

    def from_new_client(i: int) -> int:
        """From 127.0.0.2: a client the per-client SQL rate (2/s, burst 10) has not seen."""
        import http.client
        port = int(urllib.parse.urlsplit(nginx.url).port)
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.2", 0))
        try:
            con.request("GET", "/archive.json?sql=" + urllib.parse.quote(slow + f" -- {i}"))
            return con.getresponse().status
        finally:
            con.close()

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(from_new_client, range(8)))
    assert statuses.count(429) >= 4 and 200 in statuses, statuses
