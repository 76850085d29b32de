"""deploy/nginx-xxgk.conf for another set of ports and paths, and a private nginx to run it.

The shipped file is what a server installs; tests and `bench/bench_load.py` render it with
their own upstream ports, listen port and cache directory (`render`) and run it in a
foreground nginx under a temporary prefix (`PrivateNginx`), so what is tested is the file
that is deployed.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "deploy" / "nginx-xxgk.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (str(Path("/usr/sbin/nginx")) if Path("/usr/sbin/nginx").exists() else None)


def render(upstream_ports: list[int], listen: int, cache_dir: Path, conf: str | None = None,
           sql_ports: list[int] | None = None) -> str:
    """The deployed server block with these upstreams, this port and this cache directory.

    `sql_ports`: the processes for arbitrary SQL (default: the page processes themselves)."""
    text = conf if conf is not None else CONF.read_text(encoding="utf-8")
    for name, ports in (("xxgk_datasette", upstream_ports), ("xxgk_sql", sql_ports or upstream_ports)):
        servers = "".join(f"    server 127.0.0.1:{p} max_fails=0;\n" for p in ports)
        text, n = re.subn(rf"(upstream {name} \{{\n(?:    least_conn;[^\n]*\n)?)(?:    server [^\n]*\n)+",
                          lambda m: m.group(1) + servers, text)
        if n != 1:
            raise ValueError(f"upstream {name} not found in nginx-xxgk.conf")
    text = text.replace("/var/cache/nginx/xxgk", str(cache_dir))
    text = re.sub(r"listen 80;", f"listen 127.0.0.1:{listen};", text)
    return re.sub(r"\n    listen \[::\]:80;", "", text)


def wrapper(site_conf: Path, prefix: Path, as_root: bool) -> str:
    """A complete nginx.conf around the site file (what Debian's /etc/nginx/nginx.conf does)."""
    mime = f"    include {MIME_TYPES};\n" if MIME_TYPES.exists() else ""
    return (("user root;\n" if as_root else "") +
            f"worker_processes 2;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n{mime}    access_log off;\n    client_body_temp_path {prefix}/body;\n"
            f"    proxy_temp_path {prefix}/proxy;\n    include {site_conf};\n}}\n")


@dataclass
class PrivateNginx:
    """nginx in the foreground with the rendered deployed config; `.url`, `.stop()`."""
    prefix: Path
    upstream_ports: list[int]
    listen: int
    sql_ports: list[int] | None = None
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen}"

    def write(self) -> Path:
        import os
        self.prefix.mkdir(parents=True, exist_ok=True)
        site = self.prefix / "xxgk.conf"
        site.write_text(render(self.upstream_ports, self.listen, self.prefix / "cache",
                                     sql_ports=self.sql_ports), encoding="utf-8")
        main = self.prefix / "nginx.conf"
        main.write_text(wrapper(site, self.prefix, os.geteuid() == 0), encoding="utf-8")
        return main

    def test(self) -> subprocess.CompletedProcess:
        """`nginx -t` on the rendered config."""
        main = self.write()
        return subprocess.run([nginx_binary() or "nginx", "-t", "-p", str(self.prefix), "-c", str(main)],
                              capture_output=True, text=True, timeout=30)

    def start(self, timeout: float = 15) -> "PrivateNginx":
        main = self.write()
        self.proc = subprocess.Popen([nginx_binary() or "nginx", "-p", str(self.prefix), "-c", str(main),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + self.proc.stderr.read().decode()[-500:])
            try:
                urllib.request.urlopen(self.url + "/-/versions.json", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
