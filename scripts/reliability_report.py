"""Regenerate docs/reliability.md from the reliability tests' own results.

    .venv/bin/python scripts/reliability_report.py                 # run the tests, write the doc
    .venv/bin/python scripts/reliability_report.py --from out.jsonl  # render saved outcomes only

The tests (tests/test_hostile*.py, tests/test_crash.py) describe each fault, what the system
does and what they measured through the `case` fixture (tests/fixtures/reliability/outcomes.py);
with `$XXGK_RELIABILITY_OUT` set they append one JSON line per test, plus the fault-injection
figures. Nothing in the table is written by hand: a failing test shows as FAILED.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTS = ["tests/test_hostile.py", "tests/test_hostile_units.py", "tests/test_crash.py", "tests/test_bounded_runs.py",
         "tests/test_chaos_first_crawl.py"]
OUT_ENV = "XXGK_RELIABILITY_OUT"
GROUPS = ["network", "anti-bot", "pagination", "content", "guarantee", "crash safety", "every run ends"]
KNOBS = [
    ("XXGK_MAX_BYTES (DOWNLOAD_MAXSIZE)", "100 MB", "a response larger than this is not read (`too_large`)"),
    ("XXGK_MAX_LIST_PAGES", "200", "list/API pages per column (`too_many_pages`)"),
    ("XXGK_MAX_REQUESTS", "20000", "requests per site and run, retries included (`too_many_requests`)"),
    ("DOWNLOAD_TIMEOUT", "60 s", "whole response, however slowly it trickles (`timeout`)"),
    ("RETRY_TIMES / XXGK_RETRY_BACKOFF", "3 / 2 s", "retries of 5xx, 408, 429 and transport failures, "
     "exponential backoff with jitter"),
    ("XXGK_BLOCK_PAUSE / XXGK_BLOCK_INTERVAL", "60 s / 0.5 s", "host paused after a temporary block (doubling), "
     "then requests spaced"),
    ("XXGK_CHALLENGE_TIMEOUT", "30 s", "time Chromium gets to pass a JS challenge"),
    ("XXGK_WRONG_PAGE_RETRIES", "2", "retries of a report URL answering another page"),
    ("XXGK_SHUTDOWN_GRACE", "5 s", "after the first SIGTERM/SIGINT, time in-flight downloads get before they are cut"),
    ("XXGK_HOST_DOWN_AFTER / XXGK_HOST_DOWN_SILENCE", "10 / 30 s", "a host is down after 10 connection failures "
     "in a row (refused, reset, DNS, timeout; retries count) or 2 refusals/resets, once it has not answered for 30 "
     "s; its site's run ends (`host_down`, `failed`)"),
    ("XXGK_SITE_BUDGET", "600 s + 3 × expected requests × max(DOWNLOAD_DELAY, 0.5 s)", "wall clock per site and "
     "run (`budget_exhausted`, `degraded`); expected requests = the site's last finished run, else "
     "XXGK_EXPECTED_REQUESTS (2000): 1 h 50 min for a first run at the default delay"),
    ("XXGK_NIGHT_DEADLINE", "23 h", "a whole `xxgk nightly`; its crawl ends by the deadline less the build's "
     "reserve (1 h, at most a quarter), so a night never overlaps the next"),
    ("XXGK_STALL_SECONDS", "180 s", "no answer for a site while requests are pending: logged as stalled"),
    ("XXGK_PROGRESS_SECONDS", "30 s", "per-site progress line on the console (0: none)"),
]
BOUNDS = """\
Every run ends by itself or on the first signal, with the defaults:

- **by itself**: a site's run ends when its requests are done, at its budget (`XXGK_SITE_BUDGET`, formula
  below), or when its host is down (`XXGK_HOST_DOWN_AFTER` connection failures in a row, or a host pause
  longer than the budget left). A crawl of several sites therefore ends within the largest site budget plus
  `XXGK_SHUTDOWN_GRACE`: 1 h 50 min for a first run at the default delay, 600 s + 3 s × the last run's
  requests after that (about 25 min for a replica site). A nightly ends within `XXGK_NIGHT_DEADLINE` (23 h).
- **on the first SIGTERM/SIGINT**: within `XXGK_SHUTDOWN_GRACE` (5 s) plus the time to write the records;
  every site's `run_end` says `interrupted`, the exit status is 128 + the signal (143 for SIGTERM).

A **first** default `xxgk crawl` of the five seed sites against `xxgk replica --chaos` (every mode at
once: every URL answers 503, 502, 500 before it answers, a burst of requests to a portal blocks the
client for 20 s, two portals behind JS challenges, one report per portal hangs 40 s) ends by itself within **30 min**
(`tests/test_chaos_first_crawl.py`, which starts it with the test session and waits for it at the
end; the measured figure is in its row above). On a quiet 2-core machine it took 17.5 min
(2026-12-07). Two fixes made that bound possible: AutoThrottle is paced by the median of a host's
last five answer times (`crawler/throttle.py`), so the one report that hangs 40 s no longer sets
a whole portal to one request per 40 s (before: 0 pages/min for minutes, fuzhou still crawling at
45 min); and a JS challenge waits out its host's block pause before Chromium tries it (before, two
portals spent their one attempt on a 403 and were lost). A host that vanishes is seen within
seconds: a refusal or reset drops the host's AutoThrottle pace to the politeness minimum, and
Twisted's `ConnectError` and Chromium's `net::ERR_*` count as connection failures.
"""


def run_tests(out: Path, extra: list[str]) -> int:
    env = {**os.environ, OUT_ENV: str(out)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS, *extra]
    return subprocess.run(cmd, cwd=REPO, env=env).returncode


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(rows: list[dict[str, Any]], exit_code: int | None = None) -> str:
    cases = [r for r in rows if r.get("type") == "case" and r.get("fault")]
    figures = next((r for r in reversed(rows) if r.get("type") == "figures"), None)
    passed = sum(c["outcome"] == "passed" for c in cases)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Reliability: hostile and broken portals",
        "",
        f"Generated {stamp} by `scripts/reliability_report.py` from the outcomes of `{' '.join(TESTS)}` "
        f"— **{passed}/{len(cases)} cases passed**" + (f" (pytest exit {exit_code})" if exit_code is not None else "")
        + ". Do not edit by hand: re-run the script.",
        "",
        "Every fault ends in a row of `errors` (stage, kind, message, URL) and a crawl that goes on; good",
        "reports on the same site are archived. The replica's fault modes are `replica/families/chaos.py`;",
        "faults it has no mode for are patched into a replica server by `tests/test_hostile.py`.",
        "",
    ]
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in cases:
        by_group[c["group"]].append(c)
    for group in [*GROUPS, *sorted(set(by_group) - set(GROUPS))]:
        if group not in by_group:
            continue
        out += [f"## {group.capitalize()}", "", "| fault | what the system does | measured | result |",
                "|---|---|---|---|"]
        for c in by_group[group]:
            result = "passed" if c["outcome"] == "passed" else f"**{c['outcome'].upper()}**"
            test = c["test"].split("::", 1)[-1]
            out.append(f"| {cell(c['fault'])} | {cell(c['behaviour'])} | {cell('; '.join(c['evidence']) or '—')} "
                       f"| {result} (`{cell(test)}`) |")
        out.append("")
    out += ["## Fault injection (SIGKILL)", ""]
    if figures:
        out += ["| figure | value |", "|---|---|"]
        labels = [("runs", "runs (crawl and build processes started)"), ("kills", "SIGKILLs"),
                  ("crawl_kills", "… of a crawl"), ("build_kills", "… of a build"),
                  ("db_checks", "database checks after a kill"),
                  ("integrity_failures", "integrity failures (must be 0)"),
                  ("captures_lost", "captures lost or changed (must be 0)"),
                  ("bad_captures", "capture records without their complete raw file (must be 0)"),
                  ("captures", "distinct captures checked"), ("seed", "random seed (XXGK_CRASH_SEED)")]
        out += [f"| {label} | {figures.get(key, '—')} |" for key, label in labels]
    else:
        out.append("No figures: the fault-injection test did not run.")
    out += ["", "## Bounds on a run", "", BOUNDS]
    out += ["## Caps and knobs", "", "| setting | default | bounds |", "|---|---|---|"]
    out += [f"| `{cell(k)}` | {cell(d)} | {cell(b)} |" for k, d, b in KNOBS]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="source", type=Path, help="render these saved outcomes instead of running tests")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "reliability.md")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments")
    args = ap.parse_args(argv)
    code = None
    if args.source:
        rows = load(args.source)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "outcomes.jsonl"
            path.touch()
            code = run_tests(path, args.pytest_args)
            rows = load(path)
    args.out.write_text(render(rows, code), encoding="utf-8")
    print(f"wrote {args.out} ({sum(r.get('type') == 'case' for r in rows)} cases)")
    return 0 if code in (None, 0) else 1


if __name__ == "__main__":
    sys.exit(main())
