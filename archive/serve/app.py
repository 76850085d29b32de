"""`xxgk serve`: the archive in Datasette, read-only, with its archived originals.

Datasette opens `archive.db` immutable (`-i`), loads `datasette-metadata.yml` (canned
queries, facets, dashboards, feed) and the local plugin in `datasette_plugins/` (the
`/-/original/<sha256>` route and the short-query search redirect). datasette-block-robots
answers `/robots.txt` with `Disallow: /` unless `--allow-robots`.

`serve_app()` starts the same server in a background thread on a free port (for tests
and `xxgk demo`) and returns a handle with `.url` and `.stop()`.
"""
from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from archive.store.home import Home

REPO = Path(__file__).resolve().parents[2]
METADATA = REPO / "datasette-metadata.yml"
PLUGINS_DIR = REPO / "datasette_plugins"
TEMPLATES_DIR = REPO / "datasette_templates"  # the report page's frame, the front page
# Facet suggestions run a GROUP BY per column on every table page: too costly on 100k reports.
SETTINGS = {"sql_time_limit_ms": 3000, "facet_time_limit_ms": 500, "max_returned_rows": 1000,
            "default_page_size": 50, "suggest_facets": False,
            "truncate_cells_html": 0}  # report_texts shows a whole text


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    p.add_argument("--allow-robots", action="store_true", help="do not block crawlers via robots.txt")
    p.add_argument("--cache-ttl", type=int, default=None, metavar="SECONDS",
                   help="Cache-Control max-age of pages (default: Datasette's 5 s). The database "
                        "is immutable while served, so a cache in front (deploy/nginx-xxgk.conf) "
                        "may keep pages until the next build restarts the server")
    p.add_argument("--sql-threads", type=int, default=None, metavar="N",
                   help="threads running SQL (Datasette's num_sql_threads, default 3); the process "
                        "that takes arbitrary ?sql= behind nginx runs 1 (deploy/xxgk-serve-sql@.service)")


def load_metadata(home: Home, allow_robots: bool = False) -> dict[str, Any]:
    """The shipped metadata plus what is known only at run time (the archive home)."""
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    plugins = meta.setdefault("plugins", {})
    plugins.setdefault("xxgk-archive", {})["home"] = str(home.root)
    if allow_robots:
        plugins["datasette-block-robots"] = {"literal": "User-agent: *\nAllow: /"}
    return meta


def make_datasette(home: Home, allow_robots: bool = False, cache_ttl: int | None = None,
                   sql_threads: int | None = None):
    from datasette.app import Datasette
    if not home.db.exists():
        raise FileNotFoundError(f"{home.db} does not exist: run `xxgk build` first")
    settings = SETTINGS if cache_ttl is None else {**SETTINGS, "default_cache_ttl": cache_ttl}
    if sql_threads is not None:
        settings = {**settings, "num_sql_threads": sql_threads}
    return Datasette(immutables=[str(home.db)], metadata=load_metadata(home, allow_robots),
                     plugins_dir=str(PLUGINS_DIR), template_dir=str(TEMPLATES_DIR), settings=settings)


@dataclass
class Served:
    url: str
    server: Any
    thread: threading.Thread

    def stop(self, timeout: float = 10) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def serve_app(home: Home | None = None, host: str = "127.0.0.1", port: int = 0,
              allow_robots: bool = False, timeout: float = 20, cache_ttl: int | None = None,
              sql_threads: int | None = None) -> Served:
    """Serve in a background thread; port 0 picks a free port. Returns once it answers."""
    import uvicorn
    home = home or Home.from_env()
    ds = make_datasette(home, allow_robots, cache_ttl, sql_threads)
    asyncio.run(ds.invoke_startup())
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(ds.app(), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="xxgk-serve")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("datasette did not start")
        time.sleep(0.02)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return Served(f"http://{shown}:{bound}/", server, thread)


def run(args: argparse.Namespace) -> int:
    home = Home.from_env()
    try:
        served = serve_app(home, args.host, args.port, args.allow_robots, cache_ttl=args.cache_ttl,
                           sql_threads=args.sql_threads)
    except (FileNotFoundError, OSError, RuntimeError) as exc:
        print(f"xxgk serve: {exc}", file=sys.stderr)
        return 1
    print(f"Serving {home.db} at {served.url}", flush=True)
    try:
        while served.thread.is_alive():
            served.thread.join(0.5)
    except KeyboardInterrupt:
        served.stop()
    return 0
