"""Bounded loopback load on the served archive: many readers at once, one process and several.

    .venv/bin/python bench/bench_archive.py --reports 10000 --keep --out /tmp/a   # an archive
    .venv/bin/python bench/bench_load.py --out /tmp/a --readers 20 --seconds 30 --processes 1 4

For each entry of --processes it starts that many `xxgk serve` processes on the archive in
--out (an existing `archive.db`); with more than one, Debian's nginx runs the deployed
config (deploy/nginx-xxgk.conf, rendered by archive.serve.nginx) in front of them, with
its page cache on (`--cache-ttl`) or off (`--no-cache`: every request reaches Datasette),
and one more process for arbitrary SQL as deployed (nice 15, one SQL thread), unless
`--no-sql-process`.
--readers threads then send requests for --seconds (each request at most --timeout s), a mix
like a public archive's readers:

- searches (35 %): a random word of 1, 2, 3 or 4-6 characters from the report corpus (one of
  `--words`, 400 by default: more words, fewer answers that nginx has already kept);
- table pages (25 %): reports and report_headlines with their facets, filtered by a random
  site and year, or paged;
- canned queries (30 %): each canned query with random parameters;
- hostile SQL (10 %): cross joins of the biggest tables through `?sql=`; Datasette cuts them
  at its time limit (HTTP 400), nginx may refuse them first (429).

`--warmup S` runs the same load for S seconds first, uncounted: the figures of a server that
has been up a while (its caches filled), beside those of a cold start (the default, 0).
It prints, per configuration, the throughput and p50/p95 per kind of request, and errors
(5xx or no answer; the expected 400/429 of hostile queries are not errors). Every run ends:
readers stop at the deadline, servers and nginx are stopped in `finally`.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from archive.serve.app import METADATA  # noqa: E402
from archive.serve.nginx import PrivateNginx, nginx_binary  # noqa: E402
from archive.store.home import Home  # noqa: E402

SEEDS = REPO / "tests" / "fixtures" / "archive" / "seeds"
MIX = (("search", 35), ("table", 25), ("canned", 30), ("hostile", 10))
HOSTILE = ["select count(*) from captures a, captures b, captures c",
           "select count(*) from application_counts a, reports r where a.value > r.report_year",
           "select count(*) from texts a, texts b where a.text_zlib > b.text_zlib",
           "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus_words(rng: random.Random, n: int = 400) -> list[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    words: list[str] = []
    while len(words) < n:
        size = rng.choice((1, 2, 2, 3, 4, 5, 6))
        start = rng.randrange(0, len(text) - size)
        w = text[start:start + size]
        if all("\u4e00" <= ch <= "\u9fff" for ch in w):
            words.append(w)
    return words


class Mix:
    """Random request paths of each kind, from the archive's own values."""

    def __init__(self, db: Path, rng: random.Random, words: int = 400) -> None:
        import sqlite3
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            self.sites = [r[0] for r in con.execute("select site_id from sites")] or ["site000"]
            self.years = [r[0] for r in con.execute("select distinct report_year from report_headlines "
                                                    "where report_year is not null")] or [2020]
            self.agencies = [r[0] for r in con.execute("select agency from report_headlines "
                                                       "where agency is not null limit 200")] or ["局"]
            self.report_ids = [r[0] for r in con.execute("select report_id from reports limit 500")]
        finally:
            con.close()
        self.words = corpus_words(rng, words)
        self.queries = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["archive"]["queries"]

    def path(self, kind: str, rng: random.Random) -> str:
        q = urllib.parse.quote
        if kind == "search":
            return f"/archive/reports.json?_shape=objects&_search={q(rng.choice(self.words))}"
        if kind == "table":
            return rng.choice([
                f"/archive/reports.json?_shape=objects&site_id={rng.choice(self.sites)}"
                f"&report_year={rng.choice(self.years)}",
                f"/archive/report_headlines.json?_shape=objects&report_year={rng.choice(self.years)}",
                f"/archive/reports?site_id={rng.choice(self.sites)}",
                f"/archive/reports/{rng.choice(self.report_ids)}" if self.report_ids else "/archive/reports",
            ])
        if kind == "canned":
            name = rng.choice(list(self.queries))
            params = {"agency": rng.choice(self.agencies)[:4], "year": str(rng.choice(self.years)),
                      "site": rng.choice(self.sites), "rule": rng.choice(["R1", "R2", ""]),
                      "q": rng.choice(self.words),
                      "report_id": rng.choice(self.report_ids) if self.report_ids else ""}
            # only the query's own parameters, as its form in Datasette sends them: a URL with
            # the others too would be a new URL (for nginx's cache) on every request
            own = set(re.findall(r":(\w+)", self.queries[name]["sql"]))
            return f"/archive/{name}.json?_shape=objects&" + urllib.parse.urlencode(
                {k: v for k, v in params.items() if k in own})
        return "/archive.json?sql=" + q(rng.choice(HOSTILE))


def reader(base: str, mix: Mix, deadline: float, timeout: float, seed: int,
           out: list[tuple[str, float, int]]) -> None:
    rng = random.Random(seed)
    parts = urllib.parse.urlsplit(base)
    kinds = [k for k, w in MIX for _ in range(w)]
    # each reader its own loopback address, as readers of a public archive have their own:
    # nginx limits connections and SQL per client address
    source = (f"127.0.{1 + seed // 250}.{2 + seed % 250}", 0) if parts.hostname == "127.0.0.1" else None
    con = None
    while time.monotonic() < deadline:
        kind = rng.choice(kinds)
        path = mix.path(kind, rng)
        t = time.perf_counter()
        try:
            if con is None:
                con = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                                 source_address=source)
            con.request("GET", path)
            resp = con.getresponse()
            resp.read()
            status = resp.status
            if resp.getheader("connection", "").lower() == "close":
                con.close()
                con = None
        except (OSError, http.client.HTTPException):
            status = 0
            if con is not None:
                con.close()
            con = None
        out.append((kind, (time.perf_counter() - t) * 1000, status))
    if con is not None:
        con.close()


def start_servers(home: Home, n: int, cache_ttl: int, sql_process: bool = False
                  ) -> tuple[list[subprocess.Popen], list[int]]:
    """n page processes; with `sql_process` one more, last, as deploy/xxgk-serve-sql@.service
    runs it (nice 15, one SQL thread)."""
    env = {**os.environ, "XXGK_HOME": str(home.root), "PYTHONPATH": str(REPO)}
    procs, ports = [], []
    for i in range(n + (1 if sql_process else 0)):
        port = free_port()
        extra, nice = (["--sql-threads", "1"], 15) if i == n else ([], 0)
        procs.append(subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", "--port", str(port),
                                       "--cache-ttl", str(cache_ttl), *extra], env=env, cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      preexec_fn=(lambda: os.nice(nice)) if nice else None))
        ports.append(port)
    deadline = time.monotonic() + 60
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("xxgk serve did not start")
                time.sleep(0.2)
    return procs, ports


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))] if values else 0.0


def run_readers(base: str, mix: Mix, args, seconds: float, seed: int) -> tuple[list[tuple[str, float, int]], float]:
    """--readers threads for `seconds`: every request's (kind, ms, status), and the time taken."""
    out: list[tuple[str, float, int]] = []
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=reader, args=(base, mix, deadline, args.timeout, seed + i, out))
               for i in range(args.readers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + args.timeout + 5)
    return out, time.monotonic() - started


def run_config(home: Home, mix: Mix, processes: int, args) -> dict:
    behind = processes > 1 or args.nginx_for_one
    sql = behind and not args.no_sql_process
    procs, ports = start_servers(home, processes, 0 if args.no_cache else args.cache_ttl, sql)
    nginx = None
    try:
        if behind:
            if nginx_binary() is None:
                raise SystemExit("nginx is not installed (scripts/setup.sh installs it)")
            prefix = Path(args.out) / f"nginx-{processes}"
            shutil.rmtree(prefix / "cache", ignore_errors=True)  # a cold start: nothing cached by an earlier run
            nginx = PrivateNginx(prefix, ports[:processes], free_port(), sql_ports=ports[processes:] or None).start()
            base = nginx.url
        else:
            base = f"http://127.0.0.1:{ports[0]}"
        # warm up: table counts of the immutable database are computed once per process
        for port in ports:
            http.client.HTTPConnection("127.0.0.1", port, timeout=60).request("GET", "/archive/reports.json")
        time.sleep(1)
        if args.warmup:  # the same readers first, not counted: a server that has been up a while
            run_readers(base, mix, args, args.warmup, seed=1000)
        out, elapsed = run_readers(base, mix, args, args.seconds, seed=0)
    finally:
        if nginx:
            nginx.stop()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    errors = [s for k, _, s in out if s == 0 or s >= 500 or (k != "hostile" and s >= 400)]
    row = {"processes": processes, "behind nginx": nginx is not None, "sql process": sql,
           "cache": "off" if args.no_cache else f"{args.cache_ttl}s", "readers": args.readers,
           "warm-up s": args.warmup,
           "requests": len(out), "req/s": round(len(out) / elapsed, 1), "errors": len(errors)}
    normal = [ms for k, ms, _ in out if k != "hostile"]
    row["p50 ms (all but hostile)"] = round(statistics.median(normal), 1) if normal else None
    row["p95 ms (all but hostile)"] = round(pct(normal, 0.95), 1)
    for kind, _ in MIX:
        ms = [m for k, m, _ in out if k == kind]
        statuses = sorted({s for k, _, s in out if k == kind})
        row[kind] = f"n={len(ms)} p50={statistics.median(ms) if ms else 0:.0f} p95={pct(ms, 0.95):.0f} " \
                    f"status={statuses}"
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "archive",
                    help="archive home holding archive.db (bench_archive.py --keep --out)")
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--timeout", type=float, default=30, help="per request")
    ap.add_argument("--warmup", type=float, default=0,
                    help="seconds of the same load before the measured --seconds (not counted)")
    ap.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--cache-ttl", type=int, default=3600)
    ap.add_argument("--no-cache", action="store_true", help="Cache-Control max-age=0: nginx caches nothing")
    ap.add_argument("--nginx-for-one", action="store_true", help="nginx in front of a single process too")
    ap.add_argument("--no-sql-process", action="store_true",
                    help="behind nginx, send ?sql= to the page processes too (no xxgk-serve-sql process)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--words", type=int, default=400,
                    help="distinct search words the readers draw from (more: fewer answers nginx has seen)")
    args = ap.parse_args()
    home = Home.from_env(args.out)
    if not home.db.exists():
        raise SystemExit(f"{home.db} missing: run bench/bench_archive.py --keep --out {args.out} first")
    mix = Mix(home.db, random.Random(args.seed), args.words)
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), cores: {os.cpu_count()}", flush=True)
    for n in args.processes:
        row = run_config(home, mix, n, args)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
