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
    for directive in ("proxy_cache xxgk;", "proxy_cache_lock on;", "limit_req zone=xxgk_sql",
                      "least_conn;", "keepalive 32;"):
        assert directive in shipped and directive in text


def test_systemd_units_start_serve_with_a_cache_ttl():
    unit = (REPO / "deploy" / "xxgk-serve@.service").read_text(encoding="utf-8")
    assert "xxgk serve --host 127.0.0.1 --port %i --cache-ttl" in unit
    path = (REPO / "deploy" / "xxgk-serve-reload.path").read_text(encoding="utf-8")
    assert "PathChanged=/srv/xxgk/archive.db" in path


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
    ports = [int(urllib.parse.urlsplit(s.url).port) for s in servers]
    nginx = PrivateNginx(tmp_path_factory.mktemp("nginx"), ports, free_port()).start()
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
def test_arbitrary_sql_is_rate_limited_per_client_and_pages_are_not(behind_nginx):
    nginx, _ = behind_nginx
    statuses = [get(f"{nginx.url}/archive.json?sql=" + urllib.parse.quote(f"select {i}"))[0] for i in range(30)]
    assert 200 in statuses and 429 in statuses
    assert all(get(f"{nginx.url}/archive/sites.json?_x={i}")[0] == 200 for i in range(30))
