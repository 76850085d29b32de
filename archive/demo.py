"""`xxgk demo`: the bundled replica portals -> crawl -> build -> the Datasette archive.

The crawl runs in a child process (Scrapy's reactor is not restartable) while the
replicas serve from this one; the archive then opens in Datasette and the URL is printed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys

from archive.store.home import Home


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8001, help="Datasette port (default 8001)")
    parser.add_argument("--no-serve", action="store_true", help="stop after the build")
    parser.add_argument("--delay", type=float, default=0.05,
                        help="seconds between requests to one replica portal (default 0.05)")


def run(args: argparse.Namespace) -> int:
    from replica.server import ReplicaServer

    home = Home.from_env().ensure()
    print(f"xxgk demo: archive home {home.root}")
    with ReplicaServer() as srv:
        print("replica portals:")
        for site, url in sorted(srv.base_urls.items()):
            print(f"  {site:10s} {url}")
        cmd = [sys.executable, "-m", "archive.cli", "crawl", "--delay", str(args.delay)]
        for site, url in sorted(srv.base_urls.items()):
            cmd += ["--base-url", f"{site}={url}"]
        crawl_rc = subprocess.call(cmd)
    build_rc = subprocess.call([sys.executable, "-m", "archive.cli", "build"])
    if build_rc != 0:
        print("xxgk demo: build failed", file=sys.stderr)
        return build_rc
    if crawl_rc != 0:
        print("xxgk demo: some sites reported problems (see the errors table)", file=sys.stderr)
    if args.no_serve:
        return 0
    return subprocess.call([sys.executable, "-m", "archive.cli", "serve", "--port", str(args.port)])
