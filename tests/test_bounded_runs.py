"""Every run ends (issue 19), with the DEFAULT settings, against the replica with every chaos mode on.

One module fixture starts, at the same moment, against one `xxgk replica --chaos` server:
a plain `xxgk crawl` of the five seed sites, an `xxgk nightly` of them and a distributed worker
(after a seed), and sends each the first SIGTERM 60 s in. Beside them a fourth crawl runs with a
short `XXGK_SITE_BUDGET` (the one patched limit here: it is the budget being tested). Then the
interrupted crawl's archive is crawled again to its end, and a second replica is killed under a
fresh crawl. Sharing the 60 s between the runs keeps the module to a few minutes.
"""
from __future__ import annotations

import calendar
import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from archive.nightly.lock import is_held, lock_path
from archive.store.home import Home
from archive.store.records import iter_records, read_file, record_files
from crawler.shutdown import descendants
from crawler.sites import default_sites, site_spiders
from replica.families.chaos import MODES
from replica.server import ReplicaServer
from tests.crawl_helpers import REPO, to_real
from tests.distributed_local import LocalRedis
from tests.fixtures.reliability.outcomes import Case, case  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

SIGTERM_AT = 60.0      # seconds into the run (issue 19)
EXIT_BOUND = 15.0      # the process is gone this long after the signal (issue 19)
# A crawl whose replica died ends within this (issue 19). A refusal or reset brings the host's
# AutoThrottle pacing down to the politeness minimum (crawler/middlewares.py `_unpace`), so the
# failures that show it down come seconds apart, not a minute.
KILLED_BOUND = 120.0
ENDS_BY_ITSELF = 400.0  # bound for the next run, stated in docs/reliability.md (measured: about 2 min)
TEST_BUDGET = 30       # XXGK_SITE_BUDGET of the budget run
GRACE = 5              # XXGK_SHUTDOWN_GRACE's default
PAUSE_BUDGET, PAUSED_SITE = 45, "jinjiang"  # a blocked site whose first pause (60 s) outlasts its budget
KILL_SPARED = {"ip_block", "js_challenge_412", "cookie_521", "http_500_burst"}
KILL_AFTER_REPORTS = 5  # per site, before the replica is killed
LOST_REPORT = ("redirect_loop", "offsite_redirect", "listed_404", "home_instead")


def sites() -> list[str]:
    return sorted(default_sites())  # the registry's active portals: the five the replica serves


def base_args(base_urls: dict[str, str]) -> list[str]:
    return [a for s in sites() for a in ("--base-url", f"{s}={base_urls[s]}")]


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XXGK_")}  # the defaults, nothing patched
    return {**env, "XXGK_HOME": str(home), "PYTHONPATH": str(REPO), "XXGK_PROGRESS_SECONDS": "15", **extra}


def start(cmd: list[str], home: Path, name: str, **extra: str) -> subprocess.Popen[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    out = open(home.parent / f"{name}.out", "wb")
    return subprocess.Popen([sys.executable, "-m", "archive.cli", *cmd], cwd=REPO, env=env_for(home, **extra),
                            stdout=out, stderr=subprocess.STDOUT)


def terminate_and_time(proc: subprocess.Popen[bytes], limit: float = 90.0) -> tuple[int | None, float, list[str]]:
    """SIGTERM once; (exit code, seconds until the process was gone, its child processes still
    running 20 s later). Never a second signal unless the limit passes (the test then fails)."""
    children = descendants(proc.pid)
    SIGNALLED[proc.pid] = time.time()
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code: int | None = proc.wait(limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = None
    took = time.monotonic() - sent
    deadline = time.monotonic() + 20
    while (alive := [c for c in children if _running(c)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return code, took, [_cmdline(c) for c in alive]


SIGNALLED: dict[int, float] = {}  # pid -> when it got its SIGTERM (Unix time)


def ended_at_the_signal(ends: dict[str, list[dict[str, Any]]], signalled: float) -> list[str]:
    """The sites still running at the signal; each must end `interrupted`. A site whose run ended
    on its own before the signal (a portal that shut the crawl out early) keeps its own verdict."""
    running = []
    for site, rs in ends.items():
        assert len(rs) == 1, (site, rs)
        if rs[0]["stats"]["finish_reason"] != "shutdown":
            assert at(rs[0]) <= signalled + 1, (site, rs[0])  # it had ended before the signal
            continue
        assert rs[0]["status"] == "interrupted", rs[0]
        running.append(site)
    assert running, ends
    return running


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"  # a zombie has ended
    except OSError:
        return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return str(pid)


def run_ends(home: Path, run_filter: str = "") -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in iter_records(Home(home), types={"run_end"}):
        if run_filter in rec["run_id"]:
            out.setdefault(rec["site_id"], []).append(rec)
    return out


def at(rec: dict[str, Any]) -> float:
    """A record's time (Unix seconds; records have second resolution)."""
    return float(calendar.timegm(time.strptime(rec["at"], "%Y-%m-%dT%H:%M:%SZ")))


def batch(rec: dict[str, Any]) -> str:
    """The crawl a site's run belongs to (run ids are `<crawl>-<site>`)."""
    return rec["run_id"][: -len(rec["site_id"]) - 1]


def records(home: Path, site: str | None = None) -> list[dict[str, Any]]:
    return list(iter_records(Home(home), site))


def bad_captures(home: Path) -> list[str]:
    """Capture records whose raw file is missing or not the body they name."""
    bad = []
    for rec in iter_records(Home(home), types={"capture"}):
        path = home / rec["raw_path"]
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != rec["sha256"]:
            bad.append(rec["url"])
    return bad


def torn_lines(home: Path) -> int:
    """Record lines that are not complete JSON records (a torn last line, a half-written one)."""
    torn = 0
    for path in record_files(Home(home)):
        lines = path.read_bytes().splitlines(keepends=True)
        torn += sum(1 for line in lines if not line.endswith(b"\n")) + (len(lines) - len(list(read_file(path))))
    return torn


def integrity(db: Path) -> str:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("pragma integrity_check").fetchone()[0]
    finally:
        con.close()


def build(home: Path) -> None:
    """`xxgk build` of the crawl tables (text extraction and parsing are tested elsewhere; minutes here)."""
    from archive.build.builder import build as build_archive
    from tests.nightly_helpers import fast_build

    with pytest.MonkeyPatch.context() as mp:
        fast_build(mp)
        build_archive(Home(home), progress=False)


class Blocker:
    """A portal that has blocked us: every page but robots.txt is a 403 saying 访问过于频繁."""

    def __enter__(self) -> "Blocker":
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = "<html><body>访问过于频繁，请稍后再试</body></html>".encode()
                self.send_response(404 if self.path.endswith("robots.txt") else 403)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the shared runs ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("bounded")
    out: dict[str, Any] = {"tmp": tmp}
    # the budget run gets a replica of its own without ip_block, whose pauses would end its sites as
    # host_down before the budget does (that case is the `pause` run: one site, the shared replica)
    no_block = set(MODES) - {"ip_block"}
    with ReplicaServer(chaos=True) as srv, ReplicaServer(chaos=no_block) as quiet, \
            LocalRedis(tmp / "redis") as redis_url, Blocker() as blocker:
        out["manifest"] = srv.manifest
        urls = dict(srv.base_urls)
        # the distributed crawl is seeded first (a separate short command), so the worker starts with the rest
        seed_env = env_for(tmp / "worker", REDIS_URL=redis_url)
        (tmp / "worker").mkdir()
        subprocess.run([sys.executable, "-m", "archive.cli", "crawl", *sites(), *base_args(urls),
                        "--distributed", "--seed"], cwd=REPO, env=seed_env, check=True, capture_output=True,
                       timeout=120)
        procs = {
            "crawl": start(["crawl", *sites(), *base_args(urls)], tmp / "crawl", "crawl"),
            "nightly": start(["nightly", "--sites", ",".join(sites()), *base_args(urls)], tmp / "nightly",
                             "nightly"),
            "worker": start(["crawl", "--distributed", "--worker", "w1"], tmp / "worker", "worker",
                            REDIS_URL=redis_url),
            "budget": start(["crawl", *sites(), *base_args(dict(quiet.base_urls))], tmp / "budget", "budget",
                            XXGK_SITE_BUDGET=str(TEST_BUDGET)),
            "pause": start(["crawl", PAUSED_SITE, "--base-url", f"{PAUSED_SITE}={blocker.url}"],
                           tmp / "pause", "pause", XXGK_SITE_BUDGET=str(PAUSE_BUDGET)),
        }
        started = time.monotonic()
        ended: dict[str, float] = {}
        while time.monotonic() - started < SIGTERM_AT:
            time.sleep(0.5)
            for name in ("budget", "pause"):
                if name not in ended and procs[name].poll() is not None:
                    ended[name] = time.monotonic() - started
        for name in ("crawl", "nightly", "worker"):
            alive = procs[name].poll() is None
            out[name] = dict(zip(("code", "seconds", "children_left"), terminate_and_time(procs[name])))
            out[name]["signalled"] = SIGNALLED[procs[name].pid]
            out[name]["alive_until_signal"] = alive
        for name in ("budget", "pause"):
            code = procs[name].wait(120)
            out[name] = {"code": code, "seconds": ended.get(name, time.monotonic() - started)}
        server = redis.Redis.from_url(redis_url)
        crawl_id = server.get("xxgk:current").decode()
        out["leases"] = {s: server.hlen(f"xxgk:{crawl_id}:site:{s}:leases") for s in sites()}
        out["queued"] = {s: server.llen(f"xxgk:{crawl_id}:site:{s}:queue") for s in sites()}
        out["interrupted_state"] = {
            "bad_captures": bad_captures(tmp / "crawl"), "torn": torn_lines(tmp / "crawl"),
            "reports": {r["url"] for r in iter_records(Home(tmp / "crawl"), types={"report"})}}
        # the next run of the interrupted archive, with the defaults, to its end. The portals are
        # well again: under every chaos mode at once a first crawl of these sites takes about
        # XXGK_BLOCK_PAUSE-doubling pauses plus 4 tries of every URL (docs/reliability.md gives the figure)
        srv.set_chaos(set())
        t0 = time.monotonic()
        again = start(["crawl", *sites(), *base_args(urls)], tmp / "crawl", "crawl-again")
        try:
            out["again_code"] = again.wait(ENDS_BY_ITSELF + 60)
        except subprocess.TimeoutExpired:
            terminate_and_time(again)
            out["again_code"] = None
        out["again_seconds"] = time.monotonic() - t0
        out["base_urls"] = urls
    return out


def test_sigterm_ends_a_crawl_promptly_and_the_next_run_completes_it(runs: dict[str, Any], case: Case) -> None:
    case.describe("every run ends", f"SIGTERM {SIGTERM_AT:.0f} s into `xxgk crawl` of the five seed sites "
                  "(defaults, replica with every chaos mode)",
                  "our back-off sleeps, host pauses and queued requests are cancelled, in-flight downloads get "
                  "XXGK_SHUTDOWN_GRACE (5 s) and are then cut; every site's run_end says `interrupted`; records "
                  "flushed and fsynced; exit 143; the next run picks up and completes the archive")
    home, crawl = runs["tmp"] / "crawl", runs["crawl"]
    assert crawl["alive_until_signal"] and crawl["code"] == 128 + signal.SIGTERM, crawl
    assert crawl["seconds"] <= EXIT_BOUND, crawl
    assert crawl["children_left"] == [], crawl  # the store helper, Playwright and Chromium ended too
    first_batch = min(batch(r) for ends in run_ends(home).values() for r in ends)
    ends = {s: [r for r in rs if batch(r) == first_batch] for s, rs in run_ends(home).items()}
    assert sorted(ends) == sites()
    interrupted = ended_at_the_signal(ends, crawl["signalled"])
    state = runs["interrupted_state"]
    assert state["bad_captures"] == [] and state["torn"] == 0, state
    # the next run, with the defaults, ends by itself and completes what the first one left
    assert runs["again_code"] in (0, 1), (runs["again_code"], (runs["tmp"] / "crawl-again.out").read_text()[-3000:])
    assert runs["again_seconds"] <= ENDS_BY_ITSELF
    second = {s: [r for r in rs if batch(r) != first_batch] for s, rs in run_ends(home).items()}
    assert all(len(rs) == 1 and rs[0]["stats"]["finish_reason"] == "finished" for rs in second.values()), second
    reports = {r["url"] for r in iter_records(Home(home), types={"report"})}
    missing = []
    for site in sites():
        man = runs["manifest"][site]
        lost = {u for m in LOST_REPORT if m in man["chaos"] for u in man["chaos"][m]["urls"]}
        for rep in man["reports"]:
            if rep["in_column"] and rep["url"] not in lost:
                if not {to_real(u, man["base_url"], _origin(site)) for u in [rep["url"], *rep.get("alt_urls", [])]} \
                        & reports:
                    missing.append(rep["url"])
    assert not missing, missing[:10]
    assert bad_captures(home) == []
    build(home)
    assert integrity(home / "archive.db") == "ok"
    case.saw(f"exit {crawl['code']} {crawl['seconds']:.1f} s after SIGTERM; {len(interrupted)}/5 run_end "
             f"`interrupted`{' (the others had ended before the signal)' if len(interrupted) < 5 else ''}; "
             f"{len(state['reports'])} reports then; 0 torn lines, 0 captures without their file; the next run "
             f"ended by itself in {runs['again_seconds']:.0f} s (bound {ENDS_BY_ITSELF:.0f} s) with every good "
             f"report ({len(reports)} report URLs); archive.db integrity_check ok")


def _origin(site: str) -> str:
    entry = site_spiders()[site].entry_urls[0]
    return "/".join(entry.split("/", 3)[:3])


def test_sigterm_ends_a_nightly_and_releases_its_lock(runs: dict[str, Any], case: Case) -> None:
    case.describe("every run ends", f"SIGTERM {SIGTERM_AT:.0f} s into `xxgk nightly` (defaults, chaos replica)",
                  "the signal is passed to the crawl children, which end as `xxgk crawl` does; the build is "
                  "skipped, the lock released, exit 143")
    home, nightly = runs["tmp"] / "nightly", runs["nightly"]
    assert nightly["alive_until_signal"] and nightly["code"] == 128 + signal.SIGTERM, nightly
    assert nightly["seconds"] <= EXIT_BOUND, nightly
    assert nightly["children_left"] == [], nightly  # the store helper, Playwright and Chromium ended too
    ends = run_ends(home)
    assert sorted(ends) == sites()
    interrupted = ended_at_the_signal(ends, nightly["signalled"])
    assert not is_held(lock_path(home)) and lock_path(home).read_text() == ""
    assert bad_captures(home) == [] and torn_lines(home) == 0
    case.saw(f"exit {nightly['code']} {nightly['seconds']:.1f} s after SIGTERM; {len(interrupted)}/5 run_end "
             f"`interrupted`{' (the others had ended before the signal)' if len(interrupted) < 5 else ''}; lock free "
             "and empty")


def test_sigterm_ends_a_distributed_worker_and_gives_its_leases_back(runs: dict[str, Any], case: Case) -> None:
    case.describe("every run ends", f"SIGTERM {SIGTERM_AT:.0f} s into a distributed worker (defaults, chaos replica)",
                  "no new site crawler is opened; each open one ends `interrupted`; the worker's leases go back to "
                  "the shared queue at once (not after XXGK_LEASE_SECONDS); exit 143")
    home, worker = runs["tmp"] / "worker", runs["worker"]
    assert worker["alive_until_signal"] and worker["code"] == 128 + signal.SIGTERM, worker
    assert worker["seconds"] <= EXIT_BOUND, worker
    assert worker["children_left"] == [], worker  # the store helper, Playwright and Chromium ended too
    ends = {s: [r for r in rs if r["stats"].get("finish_reason") != "drained"] for s, rs in run_ends(home).items()}
    interrupted = ended_at_the_signal(ends, worker["signalled"])
    assert sum(runs["leases"].values()) == 0, runs["leases"]
    assert sum(runs["queued"].values()) > 0  # the rest of the crawl waits for the next worker
    assert bad_captures(home) == [] and torn_lines(home) == 0
    case.saw(f"exit {worker['code']} {worker['seconds']:.1f} s after SIGTERM; {len(interrupted)} site run(s) "
             f"`interrupted`; 0 leases held, {sum(runs['queued'].values())} requests back in the queues")


def test_a_site_budget_ends_its_run_degraded(runs: dict[str, Any], case: Case) -> None:
    case.describe("every run ends", f"XXGK_SITE_BUDGET={TEST_BUDGET} s on the five seed sites (every chaos mode "
                  "but ip_block)",
                  "at the budget the site's waits are cut and its remaining requests dropped with one "
                  "`budget_exhausted` row naming how many (run_end `degraded`); the crawl ends by itself")
    home, run = runs["tmp"] / "budget", runs["budget"]
    assert run["code"] == 0, run
    ends = run_ends(home)
    assert sorted(ends) == sites()
    dropped, took = {}, {}
    for site in sites():
        (start_rec,) = [r for r in records(home, site) if r["type"] == "run_start"]
        took[site] = at(ends[site][0]) - at(start_rec)  # the site's run, not the process's start-up
        assert took[site] <= TEST_BUDGET + GRACE + 10, (site, took[site])
        rows = [r for r in records(home, site) if r["type"] == "error" and r["kind"] in ("budget_exhausted",
                                                                                         "host_down")]
        assert [r["kind"] for r in rows] == ["budget_exhausted"], (site, rows)
        assert "remaining request(s) of the site dropped" in rows[0]["message"]
        assert ends[site][0]["status"] == "degraded", ends[site]
        dropped[site] = ends[site][0]["stats"]["dropped_requests"]
    assert bad_captures(home) == [] and torn_lines(home) == 0
    case.saw(f"every site's run ended {min(took.values()):.0f}-{max(took.values()):.0f} s after its run_start "
             f"(budget {TEST_BUDGET} s + grace {GRACE} s); 5/5 sites one `budget_exhausted` row, run_end degraded; "
             f"requests dropped: {dropped}")


def test_a_host_pause_longer_than_the_budget_left_ends_the_site(runs: dict[str, Any], case: Case) -> None:
    case.describe("every run ends", f"a portal answering 403 访问过于频繁 (temporary IP block) with less than the "
                  f"first pause (XXGK_BLOCK_PAUSE, 60 s) left of the site's budget (XXGK_SITE_BUDGET={PAUSE_BUDGET} s)",
                  "the site is not paused past its budget: it ends at once with one `host_down` row (run_end "
                  "`failed`)")
    home, run = runs["tmp"] / "pause", runs["pause"]
    assert run["code"] == 1, run
    ends = run_ends(home)[PAUSED_SITE]
    (start_rec,) = [r for r in records(home, PAUSED_SITE) if r["type"] == "run_start"]
    assert at(ends[0]) - at(start_rec) < PAUSE_BUDGET - 10  # ended at the block, not at the budget
    rows = [r for r in records(home, PAUSED_SITE) if r["type"] == "error" and r["kind"] == "host_down"]
    assert len(rows) == 1 and "longer than the" in rows[0]["message"], rows
    assert run_ends(home)[PAUSED_SITE][0]["status"] == "failed"
    case.saw(f"{rows[0]['message'][:160]}; the site's run ended {at(ends[0]) - at(start_rec):.0f} s after its start")


# -- a replica that dies -----------------------------------------------------------------------------
class DeadHost:
    """Listens on a dead replica site's port: accepts, notes the time, resets the connection."""

    def __init__(self, port: int):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listening_since: float | None = None
        self.seen: list[float] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, args=(port,), daemon=True)
        self.thread.start()

    def _bind(self, port: int) -> None:
        deadline = time.monotonic() + 90
        while self.running:  # the dead server's last connections may hold the port a while: refused meanwhile
            try:
                self.sock.bind(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.1)
        else:
            return
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.listening_since = time.time()

    def _serve(self, port: int) -> None:
        import struct

        self._bind(port)
        while self.running and self.listening_since is not None:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.seen.append(time.time())
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("killed")
    # no ip_block (a paused host cannot be seen failing), no Chromium challenges and no 500 bursts
    # (minutes of browser start-ups and of four tries per URL on a loaded machine before sites are mid-crawl)
    srv = ReplicaServer(chaos=set(MODES) - KILL_SPARED).start()
    urls = dict(srv.base_urls)
    proc = start(["crawl", *sites(), *base_args(urls)], tmp / "home", "crawl")
    # killed mid-crawl: once every site has list pages and reports behind it and more queued
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(1)
        counts = [sum(1 for r in iter_records(Home(tmp / "home"), s, types={"report"})) for s in sites()]
        if min(counts) >= KILL_AFTER_REPORTS:
            break
    ports = {s: int(u.rsplit(":", 1)[1]) for s, u in urls.items()}
    srv.stop()
    killed_at = time.monotonic()
    dead = {}
    for site, port in ports.items():  # meanwhile the ports refuse connections: down as well
        dead[site] = DeadHost(port)
    try:
        code: int | None = proc.wait(KILLED_BOUND + 60)
    except subprocess.TimeoutExpired:
        code, _, _ = terminate_and_time(proc)
    seconds = time.monotonic() - killed_at
    for d in dead.values():
        d.close()
    return {"home": tmp / "home", "code": code, "seconds": seconds, "seen": {s: d.seen for s, d in dead.items()},
            "listening": {s: d.listening_since for s, d in dead.items()},
            "out": (tmp / "crawl.out").read_text(errors="replace")}


def test_a_dead_replica_ends_the_crawl_with_host_down(killed: dict[str, Any], case: Case) -> None:
    case.describe("every run ends", f"the replica (all five portals; chaos but {', '.join(sorted(KILL_SPARED))}) "
                  f"killed once every site has {KILL_AFTER_REPORTS} reports, mid-crawl (defaults); its ports then "
                  "reset every connection",
                  f"after XXGK_HOST_DOWN_AFTER (10) connection failures in a row, or two refusals/resets and no answer "
                  "for XXGK_HOST_DOWN_SILENCE (30 s; a host AutoThrottle paces at one request per 20-40 s), a host is "
                  "down: the site's "
                  "remaining requests are dropped with one `host_down` row naming how many; run_end `failed`; no "
                  "request to the host afterwards; the crawl ends by itself")
    home = killed["home"]
    assert killed["code"] == 1, killed["out"][-3000:]
    assert killed["seconds"] <= KILLED_BOUND, killed["seconds"]
    ends = run_ends(home)
    assert sorted(ends) == sites()
    late = {}
    for site in sites():
        rows = [r for r in records(home, site) if r["type"] == "error" and r["kind"] == "host_down"]
        assert len(rows) == 1, (site, rows)
        assert "connection failures in a row" in rows[0]["message"] and "dropped" in rows[0]["message"]
        assert ends[site][0]["stats"]["finish_reason"] == "host_down"
        assert ends[site][0]["status"] == "failed"
        down_at = at(rows[0])
        late[site] = [t for t in killed["seen"][site] if t > down_at + 1.0]  # `at` has second resolution
    assert not any(late.values()), late
    observed = [s for s, since in killed["listening"].items() if since]
    assert observed, "no dead port could be listened on: nothing shows the requests stopped"
    assert bad_captures(home) == []
    seen = sum(len(v) for v in killed["seen"].values())
    case.saw(f"crawl ended {killed['seconds']:.0f} s after the kill; 5/5 sites one `host_down` row, run_end "
             f"failed; {len(observed)}/5 dead ports listened on: {seen} connection(s) before host_down, 0 after")
