"""A first `xxgk crawl` of the five seed sites against `xxgk replica --chaos`, all defaults,
run in the background while the rest of the test session runs (tests/conftest.py starts it
when tests/test_chaos_first_crawl.py is selected; that module runs last and waits for it).

It takes 15-20 minutes with the defaults: every chaos mode at once makes every URL answer
503/502/500 before it answers (four requests per URL at the politeness delay of about 1 s),
a client that sends 40 requests in 10 s is blocked, two portals need Chromium for a JS
challenge. Run on its own it would double the suite's time; beside the suite it costs nothing.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITES = ["changle", "chaoyang", "fuzhou", "haiyan", "jinjiang"]


@dataclass
class ChaosCrawl:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="xxgk-chaos-crawl-")))
    replica: subprocess.Popen[bytes] | None = None
    crawl: subprocess.Popen[bytes] | None = None
    base_urls: dict[str, str] = field(default_factory=dict)
    started: float = 0.0
    ended: float | None = None
    code: int | None = None

    @property
    def home(self) -> Path:
        return self.root / "home"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XXGK_")}  # the defaults
        return {**env, "XXGK_HOME": str(self.home), "PYTHONPATH": str(REPO)}

    def start(self) -> None:
        self.home.mkdir(parents=True)
        self.replica = subprocess.Popen([sys.executable, "-m", "archive.cli", "replica", "--chaos"], cwd=REPO,
                                        env=self.env(), stdout=subprocess.PIPE,
                                        stderr=open(self.root / "replica.err", "wb"))
        assert self.replica.stdout is not None
        deadline = time.monotonic() + 300  # the first start renders the replicas' attachments
        while len(self.base_urls) < len(SITES) and time.monotonic() < deadline:
            line = self.replica.stdout.readline().decode().split()
            if not line and self.replica.poll() is not None:
                break
            if len(line) == 2 and line[0] in SITES:
                self.base_urls[line[0]] = line[1]
        if len(self.base_urls) < len(SITES):
            raise RuntimeError(f"replica did not start: {(self.root / 'replica.err').read_text()[-2000:]}")
        args = [a for s in SITES for a in ("--base-url", f"{s}={self.base_urls[s]}")]
        self.started = time.monotonic()
        self.crawl = subprocess.Popen([sys.executable, "-m", "archive.cli", "crawl", *SITES, *args], cwd=REPO,
                                      env=self.env(), stdout=open(self.root / "crawl.out", "wb"),
                                      stderr=subprocess.STDOUT)

    def wait(self, bound: float) -> None:
        """Wait until the crawl ends, at most until `bound` seconds after its start."""
        assert self.crawl is not None
        try:
            self.code = self.crawl.wait(max(1.0, self.started + bound - time.monotonic()))
            self.ended = time.monotonic() - self.started
        except subprocess.TimeoutExpired:
            self.code = None

    def stop(self) -> None:
        for proc in (self.crawl, self.replica):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
