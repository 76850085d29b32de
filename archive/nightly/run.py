"""`xxgk nightly`: crawl every site, build the archive, report per-site health.

    lock ──> crawl (child process, all sites at once) ──> xxgk build ──> health ──> summary

* One run at a time: `archive.nightly.lock.RunLock` on `$XXGK_HOME/nightly.lock`; the lock's file
  descriptor is passed to the crawl child, so a killed nightly whose crawl still runs keeps
  the lock, and a dead one never blocks the next (a stale lock is reported and cleared).
* The crawl runs in child processes (Scrapy's reactor runs once per process, a crawler
  crash must not prevent the build and the report, and one process is CPU-bound: the sites
  are split over `--processes` of them). Each site gets run id
  `<nightly run id>-<site>`; its records, `runs/<run id>.log` and `crawl_runs` row follow.
* Incremental by the crawler's design: list pages re-read, detail pages and attachments
  asked with If-None-Match/If-Modified-Since from earlier captures. Killed at any moment,
  the next run starts over from the records and the raw store (both append-only and
  idempotent) and the build replaces archive.db atomically, so nothing is lost or doubled.
* Health rules: `archive.build.health` (SQL over archive.db, also the Datasette view
  `crawl_health`).

Exit status: 0 all sites healthy, 1 some site unhealthy, 2 the nightly itself failed
(build error, bad arguments), 75 another nightly holds the lock.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archive.build import health
from archive.store.home import Home
from archive.nightly.lock import LockHeld, RunLock, lock_path
from archive.store.records import new_run_id, utcnow

EXIT_OK, EXIT_UNHEALTHY, EXIT_FAILED, EXIT_LOCKED = 0, 1, 2, 75
SUMMARY_COLUMNS = ("new_reports", "changed_reports", "removed_reports", "new_attachments",
                   "requests", "not_modified", "errors")
SHORT = {"new_reports": "new", "changed_reports": "changed", "removed_reports": "removed",
         "new_attachments": "new_att", "requests": "requests", "not_modified": "304",
         "errors": "errors"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sites", action="append", metavar="SITE[,SITE...]",
                   help="crawl only these sites (repeatable; default: every active registry site "
                        "plus every --platform-site)")
    p.add_argument("--base-url", action="append", metavar="SITE=URL",
                   help="rebase a site onto a replica (repeatable)")
    p.add_argument("--platform-site", action="append", metavar="SITE=PLATFORM:START_URL",
                   help="a portal without a site spider, crawled by its platform's generic spider")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--delay", type=float, help="seconds between requests to one portal (default 1.0)")
    p.add_argument("--full", action="store_true", help="no conditional requests (re-download everything)")
    p.add_argument("--no-parse", dest="parse", action="store_false",
                   help="build the crawl tables only (no text extraction or parsing; reports stay pending)")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="extra Scrapy setting")
    p.add_argument("--max-error-rate", type=float, default=health.DEFAULT_MAX_ERROR_RATE,
                   help="fetch errors per request above which a site is unhealthy (default 0.10)")
    p.add_argument("--processes", type=int, default=min(4, os.cpu_count() or 1),
                   help="crawl processes the sites are split over (default: CPUs, at most 4)")
    p.add_argument("--crawl-timeout", type=float, default=6 * 3600,
                   help="seconds before the crawl is stopped (graceful, then killed; default 6 h)")
    p.add_argument("--deadline", default=None, metavar="DURATION",
                   help="the whole night's deadline, e.g. 8h (default $XXGK_NIGHT_DEADLINE or 23h): the crawl "
                        "ends in time for the build, so a night never overlaps the next")


# -- planning ----------------------------------------------------------------------------------
def _split_sites(values: list[str] | None) -> list[str]:
    return [s.strip() for v in values or [] for s in v.split(",") if s.strip()]


def plan_jobs(args: argparse.Namespace, batch: str) -> list[dict[str, Any]]:
    """The crawl jobs as plain dicts (they cross into the child process as JSON)."""
    from crawler.jobs import jobs_for, parse_mapping
    from crawler.sites import default_sites, platform_spiders

    base_urls = parse_mapping(args.base_url, "--base-url")
    generic: dict[str, tuple[str, str]] = {}
    platforms = sorted(platform_spiders())
    for site, spec in parse_mapping(args.platform_site, "--platform-site").items():
        platform, sep, url = spec.partition(":")
        if not sep or platform not in platforms or not url:
            raise SystemExit(f"--platform-site must look like SITE=PLATFORM:URL with PLATFORM one of "
                             f"{', '.join(platforms)}; got {site}={spec}")
        generic[site] = (platform, url)
    wanted = _split_sites(args.sites) or default_sites() + sorted(generic)
    known = [s for s in wanted if s not in generic]
    jobs = [asdict(j) for j in jobs_for(known, base_urls, batch, args.full)] if known else []
    for site in (s for s in wanted if s in generic):
        platform, url = generic[site]
        kw = {"run_id": f"{batch}-{site}", "site_id": site, "start_url": url}
        if args.full:
            kw["incremental"] = "0"
        jobs.append({"site_id": site, "spider": platform, "kwargs": kw})
    return jobs


# -- crawl (child process) -----------------------------------------------------------------------
def crawl_child(spec: dict[str, Any]) -> int:
    """Runs in the child: `python -m archive.nightly.run < spec.json`."""
    from crawler.jobs import CrawlJob
    from crawler.run import run_jobs
    from crawler.shutdown import SHUTDOWN

    run_jobs([CrawlJob(**j) for j in spec["jobs"]], spec.get("settings") or {})
    return SHUTDOWN.exit_code if SHUTDOWN.requested else 0


def run_crawl(home: Home, jobs: list[dict[str, Any]], settings: dict[str, Any], lock_fd: int,
              log: Path, timeout: float, processes: int = 1) -> int:
    """Crawl in child processes that inherit the lock; SIGTERM is forwarded (graceful Scrapy stop).

    One Scrapy process is CPU-bound at a few dozen responses a second (it parses every page,
    304s included), so many sites are split round-robin over `processes` children. Each site's
    budget ends by `timeout` (XXGK_RUN_DEADLINE), so the children end by themselves in time.
    """
    env = {**os.environ, "XXGK_HOME": str(home.root), "XXGK_RUN_DEADLINE": str(time.time() + timeout)}
    groups = [jobs[i::processes] for i in range(max(1, min(processes, len(jobs))))]
    procs: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _: Any) -> None:
        INTERRUPTED.append(signum)
        for p in procs:
            p.send_signal(signum)  # the child ends its sites `interrupted` (crawler/shutdown.py)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with open(log, "ab") as out:
            for group in groups:
                proc = subprocess.Popen([sys.executable, "-m", "archive.nightly.run"], stdin=subprocess.PIPE,
                                        stdout=out, stderr=subprocess.STDOUT, env=env, pass_fds=(lock_fd,),
                                        cwd=Path(__file__).resolve().parents[2])
                procs.append(proc)
                assert proc.stdin is not None
                proc.stdin.write(json.dumps({"jobs": group, "settings": settings}).encode())
                proc.stdin.close()
            deadline = time.monotonic() + timeout + 60  # the sites' budgets end them by `timeout`
            return max(_wait(p, deadline) for p in procs)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


INTERRUPTED: list[int] = []  # signals the nightly received (its crawl children got them too)


def _wait(proc: subprocess.Popen[bytes], deadline: float) -> int:
    try:
        return proc.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # every site ends `interrupted` (crawler/shutdown.py)
        try:
            return proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


# -- summary -------------------------------------------------------------------------------------
@dataclass
class Summary:
    run_id: str
    started_at: str
    finished_at: str = ""
    exit_status: int = EXIT_OK
    crawl_exit: int | None = None
    build: dict[str, Any] = field(default_factory=dict)
    stale_lock: dict[str, Any] | None = None
    sites: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unhealthy(self) -> list[dict[str, Any]]:
        return [s for s in self.sites if s["health"] != "healthy"]

    def text(self) -> str:
        lines = [f"xxgk nightly {self.run_id}: {len(self.sites)} sites, {len(self.unhealthy)} unhealthy"]
        if self.stale_lock:
            lines.append(f"cleared a stale lock left by {json.dumps(self.stale_lock, ensure_ascii=False)}")
        if self.build.get("line"):
            lines.append(f"build: {self.build['line']}")
        width = max([12, *(len(s["site_id"]) + 2 for s in self.sites)])
        lines.append("site".ljust(width) + "health".ljust(11)
                     + "".join(SHORT[c].rjust(9) for c in SUMMARY_COLUMNS) + "  reasons")
        for s in self.sites:
            lines.append(s["site_id"].ljust(width) + s["health"].ljust(11)
                         + "".join(str(s.get(c) if s.get(c) is not None else "-").rjust(9)
                                   for c in SUMMARY_COLUMNS)
                         + ("  " + s["reasons"] if s.get("reasons") else ""))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "unhealthy": [s["site_id"] for s in self.unhealthy]}


def site_rows(home: Home, jobs: list[dict[str, Any]], max_error_rate: float) -> list[dict[str, Any]]:
    """Health rows of this run's sites; a site whose crawl left no record at all is unhealthy."""
    run_ids = [j["kwargs"]["run_id"] for j in jobs]
    rows = {r["run_id"]: r for r in (health.evaluate(home.db, run_ids, max_error_rate)
                                     if home.db.exists() else [])}
    out = []
    for job in jobs:
        rid = job["kwargs"]["run_id"]
        out.append(rows.get(rid) or {
            "site_id": job["site_id"], "run_id": rid, "health": "unhealthy",
            "reasons": "no crawl record: the crawl process failed before this site started",
            "failed_rules": ["unfinished"]})
    return out


def write_logs(home: Home, summary: Summary) -> None:
    """The summary goes to the nightly's log; each site's line also to the site run's log."""
    with open(home.runs / f"{summary.run_id}.log", "a", encoding="utf-8") as fh:
        fh.write("\n" + summary.text() + "\n" + json.dumps(summary.to_json(), ensure_ascii=False) + "\n")
    for s in summary.sites:
        path = home.runs / f"{s['run_id']}.log"
        with open(path, "a", encoding="utf-8") as fh:
            counts = ", ".join(f"{SHORT[c]}={s.get(c)}" for c in SUMMARY_COLUMNS)
            fh.write(f"{utcnow()} [nightly] health: {s['health']} ({counts})"
                     + (f": {s['reasons']}" if s.get("reasons") else "") + "\n")


# -- the command ---------------------------------------------------------------------------------
def crawl_settings(args: argparse.Namespace) -> dict[str, Any]:
    """`xxgk crawl`'s settings from the same options (Playwright starts only on demand:
    crawler/browser.py is the default download handler)."""
    from crawler.run import settings_from_args

    return settings_from_args(args)


def run(args: argparse.Namespace) -> int:
    home = Home.from_env().ensure()
    batch = new_run_id()
    try:
        lock = RunLock(lock_path(home.root), batch).acquire()
    except LockHeld as exc:
        print(f"xxgk nightly: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    summary = Summary(run_id=batch, started_at=utcnow(), stale_lock=lock.stale)
    log = home.runs / f"{batch}.log"
    try:
        if lock.stale:
            print(f"xxgk nightly: cleared a stale lock: {lock.stale}", file=sys.stderr)
        from crawler.budget import crawl_share, night_deadline, parse_duration

        jobs = plan_jobs(args, batch)
        started = time.monotonic()
        night = parse_duration(args.deadline) if args.deadline else night_deadline()
        summary.crawl_exit = run_crawl(home, jobs, crawl_settings(args), lock.fd or -1, log,
                                       min(args.crawl_timeout, crawl_share(night)), args.processes)
        summary.build["crawl_seconds"] = round(time.monotonic() - started, 2)
        if INTERRUPTED:  # stop now: the records are safe, the next night builds them
            print(f"xxgk nightly: {signal.Signals(INTERRUPTED[0]).name} received: crawl ended, build skipped, "
                  "lock released", file=sys.stderr)
            return 128 + INTERRUPTED[0]
        summary.exit_status = _build_and_judge(home, jobs, args.max_error_rate, summary, args.parse)
    except (SystemExit, ValueError) as exc:  # argument errors from the planners
        print(f"xxgk nightly: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        summary.finished_at = utcnow()
        lock.release()
    if summary.sites:
        write_logs(home, summary)
    print(json.dumps(summary.to_json(), ensure_ascii=False, indent=1) if args.json else summary.text())
    return summary.exit_status


def _build_and_judge(home: Home, jobs: list[dict[str, Any]], max_error_rate: float,
                     summary: Summary, parse: bool = True) -> int:
    from archive.build.builder import build

    try:
        stats = build(home, progress=False, parse=parse)
    except Exception as exc:  # the crawl is safe in the records; report and fail loudly
        summary.build["error"] = f"{type(exc).__name__}: {exc}"
        print(f"xxgk nightly: build failed: {summary.build['error']}", file=sys.stderr)
        summary.sites = site_rows(home, jobs, max_error_rate)
        return EXIT_FAILED
    summary.build.update({**asdict(stats), "line": stats.line()})
    summary.sites = site_rows(home, jobs, max_error_rate)
    return EXIT_UNHEALTHY if summary.unhealthy else EXIT_OK


if __name__ == "__main__":
    sys.exit(crawl_child(json.load(sys.stdin)))
