"""A whole distributed crawl on one machine: a private redis-server, a seed, N worker processes.

Used by the tests and the benchmark, and handy for an operator trying the setup:

    with LocalRedis(tmpdir) as redis_url:
        env = crawl_env(home, redis_url, XXGK_HOST_INTERVAL="0.05")
        seed(env, site_list)
        workers = [start_worker(env, f"w{i}") for i in range(3)]
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRedis:
    """`redis-server` on loopback with its own port and directory, no persistence."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.workdir, self.port = Path(workdir), port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> str:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=open(self.workdir / "redis.log", "wb"), stderr=subprocess.STDOUT)
        import redis

        deadline = time.monotonic() + 15
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return self.url
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def crawl_env(home: Path, redis_url: str, **settings: str) -> dict[str, str]:
    return {**os.environ, "XXGK_HOME": str(home), "REDIS_URL": redis_url, "XXGK_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(REPO), **settings}


def xxgk(*args: str) -> list[str]:
    return [sys.executable, "-m", "archive.cli", "crawl", *args]


def seed(env: dict[str, str], site_list: Path, timeout: float = 120) -> str:
    """Seeds a new crawl; returns the seed's output line."""
    out = subprocess.run(xxgk("--distributed", "--seed", "--site-list", str(site_list)), cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode:
        raise RuntimeError(f"seed failed: {out.stderr[-2000:]}")
    return out.stdout.strip()


def start_worker(env: dict[str, str], name: str, *extra: str) -> subprocess.Popen[str]:
    Path(env["XXGK_HOME"]).mkdir(parents=True, exist_ok=True)
    log = open(Path(env["XXGK_HOME"]) / f"worker-{name}.stderr", "w")
    return subprocess.Popen(xxgk("--distributed", "--worker", name, "--delay", "0", *extra), cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=log, text=True)


def wait_all(workers: list[subprocess.Popen[str]], timeout: float) -> list[int | None]:
    """Wait for the workers; any still running at the deadline is terminated (its code: None)."""
    deadline = time.monotonic() + timeout
    codes: list[int | None] = []
    for w in workers:
        try:
            codes.append(w.wait(max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            w.send_signal(signal.SIGTERM)
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:
                w.kill()
            codes.append(None)
    return codes


def kill(worker: subprocess.Popen[Any]) -> None:
    """SIGKILL: no clean-up, no run_end, leases left to expire."""
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
