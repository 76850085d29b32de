"""Hostile and broken portals: every fault ends in an error row, the crawl goes on, good reports are archived.

One module fixture crawls the five replica portals, each from its own replica server with its
own set of chaos modes (replica/families/chaos.py), plus faults the replica has no mode for
(zip bomb, oversized file, NUL / absolute / 500-character / mixed-encoding filenames,
malformed HTML, an attachment on another host of the same government), patched into the
fuzhou server here. Every site is a separate `scrapy crawl` process, all in parallel, so
the whole module costs about one slow site. Each test checks one case against the records.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from archive.store.records import iter_records
from archive.store.home import Home
from crawler.sites import site_spiders
from tests.crawl_helpers import REPO, records_by_type, to_real
from tests.fixtures.reliability.outcomes import Case, case  # noqa: F401 - fixture

MODES: dict[str, set[str]] = {
    "haiyan": {"reset", "timeout", "redirect_loop", "offsite_redirect", "listed_404", "home_instead",
               "duplicate_listing", "endless_pagination", "hostile_filename"},
    "fuzhou": {"js_challenge_412", "endless_pagination", "truncated_attachment", "zero_byte_attachment",
               "html_as_pdf", "encrypted_attachment"},
    "changle": {"cookie_521", "gbk_no_charset", "http_500_burst", "duplicate_listing"},
    "jinjiang": {"ip_block"},
    "chaoyang": {"charset_mismatch", "endless_pagination", "duplicate_listing"},
}
# faults after which the report cannot be archived (the rest must be archived anyway)
LOST_REPORT = ("redirect_loop", "offsite_redirect", "listed_404", "home_instead")
LOST_ATTACHMENT = ("truncated_attachment", "zero_byte_attachment", "html_as_pdf", "encrypted_attachment")
TRICKLE_TIMEOUT, TRICKLE_BUDGET = 8, 45  # 2 KB/s: report pages of 7-30 KB take 3.5-15 s
MAX_BYTES = 2_000_000  # fuzhou's download cap in this test (the default is 100 MB)
OTHER_HOST = "files.fuzhou.gov.cn"
BOMB = REPO / "tests" / "fixtures" / "bad" / "bomb.docx"
HOSTILE_NAMES = {
    "absolute": "attachment; filename=\"/etc/cron.d/xxgk.pdf\"",
    "nul": "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5%00..%2F..%2Fowned.pdf",
    "long": "attachment; filename*=UTF-8''" + "%E5%B9%B4" * 500 + ".pdf",
    # GBK bytes of 年度报告 then UTF-8 bytes of 年度报告, declared UTF-8
    "mixed": "attachment; filename*=UTF-8''%C4%EA%B6%C8%B1%A8%B8%E6" + "%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf",
    "html": 'attachment; filename="<img src=x onerror=alert(1)>.pdf"',  # markup: shown escaped, never run
}
MARKUP = "<img src=x onerror=alert(1)>"


def real_origin(site: str) -> str:
    entry = site_spiders()[site].entry_urls[0]
    return "/".join(entry.split("/", 3)[:3])


# -- the crawl ---------------------------------------------------------------------------------
def pick_extras(man: dict[str, Any]) -> dict[str, Any]:
    """Reports/attachments of fuzhou that no chaos mode touches, to carry the patched faults."""
    hit = {u for m in man["chaos"].values() for u in m["urls"]}
    free = [r for r in man["reports"] if r["in_column"] and not r["seed"] and r["url"] not in hit
            and not any(a["url"] in hit for a in r["attachments"])]
    with_att = [r for r in free if r["attachments"] and not any(a.get("js_only") for a in r["attachments"])]
    docx = next(r for r in with_att if r["attachments"][0]["ext"] == "docx")
    rest = [r for r in with_att if r is not docx]
    n = len(HOSTILE_NAMES)
    return {"bomb": docx, "too_large": rest[0], "names": rest[1:1 + n], "other_host": rest[1 + n],
            "malformed": next(r for r in free if not r["attachments"] and r not in rest)}


def patch_fuzhou(srv: Any, extras: dict[str, Any]) -> None:
    """Serve the faults the replica has no mode for, on top of fuzhou's chaos modes."""
    path = lambda url: urlsplit(url).path  # noqa: E731
    patches: dict[str, Callable[[web.Response], web.Response]] = {}

    def body(data: bytes, ctype: str, cd: str | None = None) -> Callable[[web.Response], web.Response]:
        return lambda r: web.Response(body=data, headers={"Content-Type": ctype, **({"Content-Disposition": cd} if cd else {})})

    patches[path(extras["bomb"]["attachments"][0]["url"])] = body(
        BOMB.read_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    big = b"%PDF-1.4\n" + os.urandom(MAX_BYTES + 500_000) + b"\n%%EOF\n"
    patches[path(extras["too_large"]["attachments"][0]["url"])] = body(big, "application/pdf")
    for (label, cd), rep in zip(HOSTILE_NAMES.items(), extras["names"]):
        att = rep["attachments"][0]

        def named(r: web.Response, cd: str = cd) -> web.Response:
            return web.Response(body=r.body, headers={"Content-Type": r.headers["Content-Type"],
                                                      "Content-Disposition": cd})
        patches[path(att["url"])] = named
    other = extras["other_host"]
    tail = other["attachments"][0]["url"].rsplit("/", 1)[-1]
    moved = f"http://{OTHER_HOST}{path(other['attachments'][0]['url'])}"

    def rehost(r: web.Response) -> web.Response:
        html = r.body.decode("utf-8")
        html = html.replace(f'href="./{tail}"', f'href="{moved}"', 1)
        html = html.replace("</body>", '<div class="article_attachment"><a href="http://evil.example.com/steal.pdf" '
                            'appendix="true">附件.pdf</a></div></body>')
        return web.Response(body=html.encode("utf-8"), headers={"Content-Type": r.headers["Content-Type"]})
    patches[path(other["url"])] = rehost

    def malformed(r: web.Response) -> web.Response:
        html = r.body.decode("utf-8")
        cut = html.index("</head>") + 7
        broken = html[:cut] + "<body><div><table><tr><td><p>\x00\x1b<b><i>" + html[cut:].replace("</div>", "", 3)
        broken = broken.replace("</body>", "<div><span>").replace("</html>", "")
        return web.Response(body=broken.encode("utf-8") + b"\xff\xfe<p", headers={"Content-Type": r.headers["Content-Type"]})
    patches[path(extras["malformed"]["url"])] = malformed

    chaos = srv.chaos
    after = chaos.after

    async def patched(site: Any, request: web.Request, res: Any, response: web.StreamResponse) -> web.StreamResponse:
        response = await after(site, request, res, response)
        fix = patches.get(request.path)
        if fix is not None and response.status == 200 and isinstance(response, web.Response):
            return fix(response)
        return response
    chaos.after = patched  # type: ignore[method-assign]


def count_403(srv: Any) -> list[float]:
    """Times at which the server answered 403 (a temporary block): wraps chaos.before."""
    seen: list[float] = []
    chaos = srv.chaos
    before = chaos.before

    async def counted(site: Any, request: web.Request) -> web.StreamResponse | None:
        early = await before(site, request)
        if early is not None and early.status == 403:
            seen.append(time.monotonic())
        return early
    chaos.before = counted  # type: ignore[method-assign]
    return seen


def scrapy_crawl(home: Path, site: str, base_url: str, log: Path, settings: dict[str, Any] | None = None,
                 env: dict[str, str] | None = None, args: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", site, "-a", f"base_url={base_url}"]
    for k, v in (args or {}).items():
        cmd += ["-a", f"{k}={v}"]
    opts = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_TIMEOUT": 4, "LOG_LEVEL": "DEBUG",
            "CONCURRENT_REQUESTS_PER_DOMAIN": 4, **(settings or {})}
    for k, v in opts.items():
        cmd += ["-s", f"{k}={v}"]
    full_env = {**os.environ, "XXGK_HOME": str(home), "XXGK_RETRY_BACKOFF": "0.05", **(env or {})}
    return subprocess.Popen(cmd, cwd=REPO, env=full_env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from replica.server import ReplicaServer

    root = tmp_path_factory.mktemp("hostile")
    home, trickle_home = root / "home", root / "trickle-home"
    old_hang = os.environ.get("XXGK_CHAOS_HANG")
    os.environ["XXGK_CHAOS_HANG"] = "7"  # > DOWNLOAD_TIMEOUT: the first answer is never waited for
    servers = {site: ReplicaServer(chaos=modes).start() for site, modes in MODES.items()}
    trickle_srv = ReplicaServer(chaos={"slow_trickle"}).start()
    try:
        manifests = {site: srv.manifest[site] for site, srv in servers.items()}
        extras = pick_extras(manifests["fuzhou"])
        patch_fuzhou(servers["fuzhou"], extras)
        blocked = count_403(servers["jinjiang"])
        procs, t0 = {}, time.monotonic()
        for site, srv in servers.items():
            settings: dict[str, Any] = {}
            env: dict[str, str] = {}
            args: dict[str, str] = {}
            if site == "fuzhou":
                settings["DOWNLOAD_MAXSIZE"] = MAX_BYTES
                # the other host is the same replica under another name (its own origin for the spider)
                args["host_map"] = json.dumps({OTHER_HOST: srv.base_urls["fuzhou"].replace("127.0.0.1", "localhost")})
            if site == "jinjiang":  # the replica blocks for 20 s after >40 requests in 10 s
                env = {"XXGK_BLOCK_PAUSE": "21", "XXGK_BLOCK_INTERVAL": "0.27"}
            procs[site] = scrapy_crawl(home, site, srv.base_urls[site], root / f"{site}.log", settings, env, args)
        procs["trickle"] = scrapy_crawl(
            trickle_home, "haiyan", trickle_srv.base_urls["haiyan"], root / "trickle.log",
            {"DOWNLOAD_TIMEOUT": TRICKLE_TIMEOUT, "RETRY_TIMES": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 32},
            {"XXGK_MAX_REQUESTS": str(TRICKLE_BUDGET)})
        seconds: dict[str, float] = {}
        while len(seconds) < len(procs) and time.monotonic() - t0 < 240:
            for name, proc in procs.items():
                if name not in seconds and proc.poll() is not None:
                    seconds[name] = round(time.monotonic() - t0, 1)
            time.sleep(0.2)
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        trickle_man = trickle_srv.manifest["haiyan"]
    finally:
        for srv in [*servers.values(), trickle_srv]:
            srv.stop()
        if old_hang is None:
            os.environ.pop("XXGK_CHAOS_HANG", None)
        else:
            os.environ["XXGK_CHAOS_HANG"] = old_hang
    for name, proc in procs.items():
        assert proc.returncode == 0, (name, (root / f"{name}.log").read_text(errors="replace")[-4000:])
    return {"root": root, "home": home, "trickle_home": trickle_home, "manifest": manifests, "extras": extras,
            "trickle_manifest": trickle_man, "blocked": blocked, "seconds": seconds,
            "recs": {s: records_by_type(home, s) for s in MODES},
            "trickle_recs": records_by_type(trickle_home, "haiyan")}


# -- helpers -----------------------------------------------------------------------------------
def real(h: dict[str, Any], site: str, url: str) -> str:
    return to_real(url, h["manifest"][site]["base_url"], real_origin(site))


def victims(h: dict[str, Any], site: str, mode: str) -> list[str]:
    urls = h["manifest"][site]["chaos"][mode]["urls"]
    assert urls, f"{site}: the replica names no target for {mode}"
    return urls


def errors(h: dict[str, Any], site: str, kind: str, url: str | None = None) -> list[dict[str, Any]]:
    out = [e for e in h["recs"][site]["error"] if e["kind"] == kind]
    if url is not None:
        out = [e for e in out if e["url"] in (url, real(h, site, url))]
    for e in out:  # a clear row: stage, kind, message, URL
        assert e["stage"] and e["message"] and e["url"], e
    return out


def reports_by_url(h: dict[str, Any], site: str) -> dict[str, dict[str, Any]]:
    return {r["url"]: r for r in h["recs"][site]["report"]}


def archived(h: dict[str, Any], site: str, report: dict[str, Any]) -> bool:
    got = reports_by_url(h, site)
    return any(real(h, site, u) in got for u in [report["url"], *report.get("alt_urls", [])])


def report_at(h: dict[str, Any], site: str, url: str) -> dict[str, Any]:
    return next(r for r in h["manifest"][site]["reports"] if r["url"] == url)


def attachment_shas(h: dict[str, Any], site: str) -> set[str]:
    return {a["sha256"] for a in h["recs"][site]["attachment"]}


def run_end(recs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    assert len(recs["run_end"]) == 1, "the crawl must end normally and say so"
    return recs["run_end"][0]


# -- guarantees over every site ------------------------------------------------------------------
@pytest.mark.parametrize("site", sorted(MODES))
def test_good_reports_on_a_hostile_site_are_all_archived(hostile: dict[str, Any], site: str, case: Case) -> None:
    case.describe("guarantee", f"all faults of {site}: {', '.join(sorted(MODES[site]))}",
                  "every report and attachment no fault destroyed is archived, byte-exact, with its true title")
    man, recs = hostile["manifest"][site], hostile["recs"][site]
    lost = {u for m in LOST_REPORT if m in man["chaos"] for u in man["chaos"][m]["urls"]}
    bad_atts = {u for m in LOST_ATTACHMENT if m in man["chaos"] for u in man["chaos"][m]["urls"]}
    if site == "fuzhou":
        ex = hostile["extras"]
        bad_atts |= {ex["bomb"]["attachments"][0]["url"], ex["too_large"]["attachments"][0]["url"]}
    good = [r for r in man["reports"] if r["in_column"] and r["url"] not in lost]
    # first the verdict: a run cut short (host_down, budget_exhausted, a signal) explains missing reports
    end = run_end(recs)
    assert end["status"] == "degraded", (site, end["status"], end["stats"].get("finish_reason"),
                                         [e["message"] for e in recs["error"]
                                          if e["kind"] in ("host_down", "budget_exhausted")])
    by_url = reports_by_url(hostile, site)
    missing = [r["title"] for r in good if not archived(hostile, site, r)]
    assert not missing, f"{site}: good reports not archived: {missing}"
    for r in good:
        got = next(by_url[real(hostile, site, u)] for u in [r["url"], *r.get("alt_urls", [])]
                   if real(hostile, site, u) in by_url)
        assert got["title"] == r["title"], (got["title"], r["title"])
    shas = attachment_shas(hostile, site)
    atts = [a for r in good for a in r["attachments"] if a["url"] not in bad_atts]
    assert all(a["sha256"] in shas for a in atts), [a["url"] for a in atts if a["sha256"] not in shas]
    for cap in recs["capture"]:
        data = (hostile["home"] / cap["raw_path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == cap["sha256"]
    assert not any(r["url"] in {real(hostile, site, u) for u in lost} for r in recs["report"])
    case.saw(f"{len(good)}/{len(good)} good reports and {len(atts)} attachments archived; "
             f"{len(recs['error'])} error rows; run_end degraded; crawl took {hostile['seconds'][site]} s")


def test_nothing_written_outside_the_archive(hostile: dict[str, Any], case: Case) -> None:
    case.describe("guarantee", "hostile filenames (../, \\, absolute, NUL, control characters, 300/500 chars)",
                  "nothing is written outside $XXGK_HOME; raw files are named by their hash and a whitelisted "
                  "extension; the server's name is data only")
    root: Path = hostile["root"]
    outside = [p for p in root.rglob("*") if p.is_file() and not p.suffix == ".log"
               and not any(parent in (hostile["home"], hostile["trickle_home"]) for parent in p.parents)]
    assert not outside, outside
    name_re = re.compile(r"^[0-9a-f]{64}\.[a-z0-9]{1,4}$")
    raw = [p for home in (hostile["home"], hostile["trickle_home"]) for p in (home / "raw").rglob("*") if p.is_file()]
    assert raw and all(name_re.match(p.name) for p in raw), [p for p in raw if not name_re.match(p.name)][:5]
    assert not Path("/etc/cron.d/xxgk.pdf").exists() and not (REPO / "owned.pdf").exists()
    case.saw(f"{len(raw)} raw files, all `<sha256>.<ext>`; no file outside the two archive homes")


# -- network faults --------------------------------------------------------------------------------
def test_http_500_burst_is_retried_with_backoff(hostile: dict[str, Any], case: Case) -> None:
    case.describe("network", "bursts of 503/502/500 (three per URL, then 200)",
                  "retried with exponential backoff and jitter (RETRY_TIMES=3); each failed attempt is an "
                  "error row (`http_503`…, 'retry n of 3'); the page is archived by the 4th attempt")
    kinds = Counter(e["kind"] for e in hostile["recs"]["changle"]["error"])
    assert kinds["http_503"] and kinds["http_502"] and kinds["http_500"]
    # three failed attempts per URL (the entry's first 503 may go to Chromium passing the 521 page)
    assert abs(kinds["http_503"] - kinds["http_500"]) <= 1 and kinds["http_502"] == kinds["http_500"]
    assert all("retry" in e["message"] for e in errors(hostile, "changle", "http_500"))
    case.saw(f"{kinds['http_503']} URLs × 3 retry rows (503, 502, 500); all reports archived")


@pytest.mark.parametrize("mode,kind", [("timeout", "timeout"), ("reset", "connection_reset")])
def test_transient_transport_failure_is_retried(hostile: dict[str, Any], mode: str, kind: str, case: Case) -> None:
    what = {"timeout": "a report's first request hangs longer than DOWNLOAD_TIMEOUT",
            "reset": "a report's first answer is cut mid-body (connection reset)"}[mode]
    case.describe("network", what, f"error row `{kind}` with the retry; retried after backoff; report archived "
                  "from the complete second answer (a partial body is never stored)")
    url = victims(hostile, "haiyan", mode)[0]
    assert errors(hostile, "haiyan", kind, url), hostile["recs"]["haiyan"]["error"]
    rep = report_at(hostile, "haiyan", url)
    assert archived(hostile, "haiyan", rep)
    case.saw(f"`{kind}` row for {url.split('/', 3)[-1]}; report archived")


def test_slow_trickle_is_cut_at_the_timeout_and_requests_are_capped(hostile: dict[str, Any], case: Case) -> None:
    case.describe("network", f"responses trickling 512 bytes every 0.25 s; a request budget "
                  f"(XXGK_MAX_REQUESTS={TRICKLE_BUDGET})",
                  "pages that finish within DOWNLOAD_TIMEOUT are archived complete, slower ones end in `timeout` "
                  "rows (never a partial file); the per-site request budget drops every further request with "
                  "one `too_many_requests` row")
    recs, home = hostile["trickle_recs"], hostile["trickle_home"]
    timeouts = [e for e in recs["error"] if e["kind"] == "timeout"]
    budget = [e for e in recs["error"] if e["kind"] == "too_many_requests"]
    assert timeouts, "report pages trickling for longer than the timeout must end in timeout rows"
    assert len(budget) == 1
    end = run_end(recs)
    assert end["stats"]["requests"] <= TRICKLE_BUDGET
    details = [c for c in recs["capture"] if c["kind"] == "detail"]
    assert details, "pages that trickle in under the timeout are archived"
    for cap in recs["capture"]:
        data = (home / cap["raw_path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == cap["sha256"]
        if cap["kind"] == "detail":
            assert data.rstrip().endswith(b"</html>"), "complete pages only"
    # the crawl's own span (its run_start to its run_end): the cap ends it; the process's wall clock
    # also counts interpreter and Scrapy start-up, which a machine shared by several suites stretches
    crawl_seconds = (_at(end["at"]) - _at(recs["run_start"][0]["at"]))
    assert crawl_seconds < 60, (crawl_seconds, hostile["seconds"]["trickle"])
    case.saw(f"{len(timeouts)} timeout rows, {len(details)} report pages complete, {end['stats']['requests']} "
             f"requests ≤ {TRICKLE_BUDGET}, crawl took {crawl_seconds:.0f} s "
             f"(process {hostile['seconds']['trickle']} s)")


def _at(stamp: str) -> float:
    """A record's `at` (UTC, ISO 8601 with Z) as Unix seconds."""
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("mode,kind", [("redirect_loop", "redirect_loop"), ("offsite_redirect", "offsite"),
                                       ("listed_404", "http_404")])
def test_report_that_cannot_be_fetched_is_an_error_row(hostile: dict[str, Any], mode: str, kind: str,
                                                       case: Case) -> None:
    what = {"redirect_loop": "a report redirects to ?loop=1 and back, forever",
            "offsite_redirect": "a report redirects to an off-site host",
            "listed_404": "a listed report answers 404"}[mode]
    does = {"redirect_loop": "the loop is seen on the second return to a URL: `redirect_loop` row with the hops",
            "offsite_redirect": "the off-site request is never sent: `offsite` row",
            "listed_404": "`http_404` row; nothing stored"}[mode]
    case.describe("network", what, does + "; no report record; the crawl goes on")
    url = victims(hostile, "haiyan", mode)[0]
    rows = errors(hostile, "haiyan", kind) if mode == "offsite_redirect" else errors(hostile, "haiyan", kind, url)
    assert rows
    if mode == "offsite_redirect":
        assert any(url.rsplit("/", 1)[-1] in e["url"] and "example.invalid" in e["url"] for e in rows)
    assert not archived(hostile, "haiyan", report_at(hostile, "haiyan", url))
    case.saw(f"{kind}: {rows[0]['message'][:90]}")


def test_ip_block_ends_in_backing_off(hostile: dict[str, Any], case: Case) -> None:
    case.describe("network", "temporary IP block: >40 requests in 10 s → 403 for 20 s",
                  "a 403 saying 访问过于频繁 (or 429, or 403s for several URLs of a host that answered before) "
                  "pauses the whole host (XXGK_BLOCK_PAUSE, doubling), then spaces its requests "
                  "(XXGK_BLOCK_INTERVAL); one `ip_block` row per block; every report archived")
    rows = errors(hostile, "jinjiang", "ip_block")
    blocked = hostile["blocked"]
    assert rows and blocked, "the crawl should have been blocked once"
    # backing off: the 403s are the requests already queued when the block began, then silence
    # until the pause is over (the replica keeps answering 403 for 20 s: hammering would show)
    assert len(blocked) <= 32, len(blocked)  # CONCURRENT_REQUESTS: what can be queued at once
    assert max(blocked) - min(blocked) < 6, [round(t - blocked[0], 1) for t in blocked]
    case.saw(f"{len(blocked)} requests answered 403 in total, {len(rows)} block row(s); "
             f"site archived in {hostile['seconds']['jinjiang']} s")


# -- anti-bot --------------------------------------------------------------------------------------
@pytest.mark.parametrize("site,label", [("fuzhou", "瑞数 412 $_ts JS challenge"), ("changle", "加速乐 521 cookie page")])
def test_js_challenge_passed_once_in_chromium_then_plain_http(hostile: dict[str, Any], site: str, label: str,
                                                             case: Case) -> None:
    case.describe("anti-bot", f"{label} on every URL without the JS-computed cookie",
                  "met on the first request: the page is opened once in Chromium, its cookies are replayed over "
                  "plain HTTP for the rest of the run; one `challenge_passed` row; no challenge page stored")
    recs = hostile["recs"][site]
    rows = errors(hostile, site, "challenge_passed")
    hosts = Counter(urlsplit(e["url"]).netloc for e in rows)
    assert hosts and max(hosts.values()) == 1, rows  # once per host (fuzhou also fetches from a second host)
    assert not errors(hostile, site, "challenge")
    caps = recs["capture"]
    assert caps and all(c["fetched_with"] == "http" for c in caps)
    assert not any(c["http_status"] in (412, 521, 202) for c in caps)
    for cap in caps:
        if cap["kind"] in ("entry", "list", "detail"):
            assert b"$_ts" not in (hostile["home"] / cap["raw_path"]).read_bytes()[:4000]
    case.saw(f"{len(rows)} browser pass(es) ({len(hosts)} host(s)), then {len(caps)} captures over plain HTTP")


def test_throttling_by_wrong_page_is_not_archived(hostile: dict[str, Any], case: Case) -> None:
    case.describe("anti-bot", "throttling: a report URL answers 200 with the home page",
                  "detail answers are checked (copy of an entry/list page, or no report markup): retried "
                  "later (XXGK_WRONG_PAGE_RETRIES), then a `wrong_page` row; the home page is never archived "
                  "as the report")
    url = victims(hostile, "haiyan", "home_instead")[0]
    assert errors(hostile, "haiyan", "wrong_page", url)
    assert not archived(hostile, "haiyan", report_at(hostile, "haiyan", url))
    caps = [c for c in hostile["recs"]["haiyan"]["capture"] if c["url"] == url]
    assert not caps
    case.saw("`wrong_page` row after 3 tries; no capture and no report for that URL")


@pytest.mark.parametrize("site", ["fuzhou", "haiyan", "chaoyang"])
def test_endless_pagination_stops(hostile: dict[str, Any], site: str, case: Case) -> None:
    platform = {"fuzhou": "TRS createPageHTML claims 9999 pages", "haiyan": "JCMS jpage claims 99999 records",
                "chaoyang": "gkmlpt API claims 99999 records"}[site]
    case.describe("pagination", f"pagination that never ends ({platform}; page N+1 = page N)",
                  "list pages are followed one at a time; a page that brings no new report stops its column "
                  "with an `endless_pagination` row; never more than XXGK_MAX_LIST_PAGES per column")
    recs = hostile["recs"][site]
    rows = errors(hostile, site, "endless_pagination")
    assert rows
    pages = Counter(page["column_url"] for page in recs["listing"])
    assert max(pages.values()) <= 12, pages.most_common(3)
    case.saw(f"{len(rows)} column(s) stopped; at most {max(pages.values())} list pages for one column")


@pytest.mark.parametrize("site", ["changle", "haiyan", "chaoyang"])
def test_report_listed_twice_is_fetched_once(hostile: dict[str, Any], site: str, case: Case) -> None:
    case.describe("pagination", "the same report listed twice on every list/API page",
                  "`duplicate_listing` row per page; each report requested and recorded once")
    assert errors(hostile, site, "duplicate_listing")
    recs = hostile["recs"][site]
    per_url = Counter(r["url"] for r in recs["report"])
    assert per_url and max(per_url.values()) == 1, per_url.most_common(2)
    details = Counter(c["url"] for c in recs["capture"] if c["kind"] == "detail")
    assert max(details.values()) == 1
    case.saw(f"{len(per_url)} reports, each recorded once")


# -- content faults ----------------------------------------------------------------------------------
@pytest.mark.parametrize("site,mode", [("changle", "gbk_no_charset"), ("chaoyang", "charset_mismatch")])
def test_wrong_charset_is_read_right(hostile: dict[str, Any], site: str, mode: str, case: Case) -> None:
    what = {"gbk_no_charset": "GBK body, no charset in Content-Type (only <meta charset=gb2312>)",
            "charset_mismatch": "Content-Type says utf-8 over a GBK body"}[mode]
    does = {"gbk_no_charset": "decoded by the page's <meta>; titles right (valid HTML: no error row)",
            "charset_mismatch": "the declared charset fails to decode, the body's <meta>/detection decides; "
                                "one `bad_charset` row per host; titles right; raw bytes kept as served"}[mode]
    case.describe("content", what, does)
    man = hostile["manifest"][site]
    got = {r["url"]: r["title"] for r in hostile["recs"][site]["report"]}
    titles = [(got.get(real(hostile, site, r["url"])), r["title"]) for r in man["reports"] if r["in_column"]]
    assert titles and all(g == t for g, t in titles if g is not None)
    details = [c for c in hostile["recs"][site]["capture"] if c["kind"] == "detail"]
    assert details and all(c["charset"] in ("gb18030", "gbk", "gb2312") for c in details)
    if mode == "charset_mismatch":
        assert errors(hostile, site, "bad_charset")
    case.saw(f"{len(titles)} titles equal the replica's; detail pages read as {details[0]['charset']}")


def test_malformed_html_still_yields_the_report(hostile: dict[str, Any], case: Case) -> None:
    case.describe("content", "malformed HTML (unclosed tags, NUL/ESC bytes, truncated tail, invalid UTF-8)",
                  "parsed leniently (lxml); the report is archived with its metadata")
    rep = hostile["extras"]["malformed"]
    got = reports_by_url(hostile, "fuzhou").get(real(hostile, "fuzhou", rep["url"]))
    assert got is not None and got["title"] == rep["title"] and got["index_no"] == rep["index_no"]
    case.saw("title and 索引号 read from the broken page")


@pytest.mark.parametrize("mode,kind", [("truncated_attachment", "truncated"), ("encrypted_attachment", "encrypted"),
                                       ("zero_byte_attachment", "empty"), ("html_as_pdf", "wrong_type")])
def test_broken_attachment_is_kept_and_reported(hostile: dict[str, Any], mode: str, kind: str, case: Case) -> None:
    what = {"truncated_attachment": "attachment cut to half its size",
            "encrypted_attachment": "password-encrypted PDF", "zero_byte_attachment": "zero-byte attachment",
            "html_as_pdf": "an HTML error page served as application/pdf"}[mode]
    case.describe("content", what, f"stored as served (evidence) with a `{kind}` error row; its extension comes "
                  "from the bytes" + (" (.html, not .pdf)" if mode == "html_as_pdf" else "") +
                  "; the build reports the extraction failure, never crashes")
    url = victims(hostile, "fuzhou", mode)[0]
    rows = errors(hostile, "fuzhou", kind, url)
    assert rows, [e for e in hostile["recs"]["fuzhou"]["error"] if e["url"].endswith(url.rsplit("/", 1)[-1])]
    atts = [a for a in hostile["recs"]["fuzhou"]["attachment"] if a["url"] == real(hostile, "fuzhou", url)]
    assert atts, "the broken file is archived as served"
    if mode == "html_as_pdf":
        assert atts[0]["ext"] == "html"
    case.saw(f"`{kind}`: {rows[0]['message'][:80]}")


def test_docx_zip_bomb_is_flagged_not_expanded(hostile: dict[str, Any], case: Case) -> None:
    case.describe("content", "DOCX zip bomb (64 KB declaring 66 MB)",
                  "the crawler reads only the zip directory: `zip_bomb` row, file kept; extraction refuses it "
                  "(archive.extract zip_bomb)")
    url = hostile["extras"]["bomb"]["attachments"][0]["url"]
    rows = errors(hostile, "fuzhou", "zip_bomb", url)
    assert rows
    from archive.extract import ExtractError, extract
    with pytest.raises(ExtractError) as exc:
        extract(BOMB.read_bytes(), "docx")
    assert exc.value.kind == "zip_bomb"
    case.saw(rows[0]["message"][:100])


def test_attachment_over_the_size_cap_is_not_read(hostile: dict[str, Any], case: Case) -> None:
    case.describe("content", f"attachment larger than the cap (DOWNLOAD_MAXSIZE = XXGK_MAX_BYTES, default 100 MB; "
                  f"{MAX_BYTES // 10**6} MB here)",
                  "download cancelled at the Content-Length (or when the cap is reached): `too_large` row; "
                  "nothing stored; memory bounded")
    url = hostile["extras"]["too_large"]["attachments"][0]["url"]
    assert errors(hostile, "fuzhou", "too_large", url)
    assert all(c["size"] <= MAX_BYTES for c in hostile["recs"]["fuzhou"]["capture"])
    case.saw("`too_large` row; largest capture ≤ cap")


def test_hostile_filenames_are_data_only(hostile: dict[str, Any], case: Case) -> None:
    case.describe("content", "Content-Disposition names: ../, ..\\, absolute path, NUL, CR/LF, 300 and 500 "
                  "characters, mixed GBK/UTF-8 bytes",
                  "`bad_filename` row with the name as sent; the stored name keeps no directory part, no "
                  "control character, ≤ 200 characters; the file's path is its hash")
    rows = errors(hostile, "haiyan", "bad_filename") + errors(hostile, "fuzhou", "bad_filename")
    assert len(rows) >= 8
    names = [a["filename"] for s in ("haiyan", "fuzhou") for a in hostile["recs"][s]["attachment"]]
    for name in names:
        assert "/" not in name and "\\" not in name and not re.search(r"[\x00-\x1f\x7f]", name)
        assert len(name) <= 200 and not name.startswith(".")
    fz = {a["url"]: a["filename"] for a in hostile["recs"]["fuzhou"]["attachment"]}
    for (label, _), rep in zip(HOSTILE_NAMES.items(), hostile["extras"]["names"]):
        name = fz[real(hostile, "fuzhou", rep["attachments"][0]["url"])]
        assert name.endswith(".pdf"), (label, name)
    case.saw(f"{len(rows)} `bad_filename` rows; {len(names)} stored names all clean")


def test_attachment_on_another_government_host(hostile: dict[str, Any], case: Case) -> None:
    case.describe("content", f"attachment linked on another host of the same government ({OTHER_HOST}), "
                  "and one on a non-government host",
                  "the *.gov.cn host is fetched and archived under its real URL; the foreign host is never "
                  "contacted (`offsite` row)")
    rep = hostile["extras"]["other_host"]
    att = rep["attachments"][0]
    got = [a for a in hostile["recs"]["fuzhou"]["attachment"] if OTHER_HOST in a["url"]]
    assert got and got[0]["sha256"] == att["sha256"]
    assert any("evil.example.com" in e["url"] for e in errors(hostile, "fuzhou", "offsite"))
    case.saw(f"archived from {got[0]['url'][:70]}")


BROKEN_KINDS = ("truncated", "encrypted", "empty", "wrong_type", "zip_bomb")


def focused_home(h: dict[str, Any]) -> Path:
    """A copy of the archive with every error record but only the reports that own a broken file
    (or a file whose name carries markup).

    Building it exercises what this module is about (error rows, broken attachments) without
    extracting the hundreds of good documents the other tests already checked.
    """
    dst = h["root"] / "build-home"
    for site in MODES:
        recs = h["recs"][site]
        broken = {e["url"] for e in recs["error"] if e["kind"] in BROKEN_KINDS
                  or (site == "fuzhou" and e["kind"] == "bad_filename")}
        caps = {c["capture_id"]: c for c in recs["capture"]}
        atts = [a for a in recs["attachment"] if caps.get(a["capture_id"], {}).get("url") in broken
                or "<" in (a.get("filename") or "")]
        owners = {a["report_id"] for a in atts}
        reports = [r for r in recs["report"] if r["report_id"] in owners]
        keep = {a["capture_id"] for a in atts} | {r["capture_id"] for r in reports}
        rows = [*recs["run_start"], *recs["error"], *recs["column"], *[c for c in recs["capture"] if c["capture_id"] in keep],
                *reports, *atts, *recs["run_end"]]
        out = dst / "records" / site / f"{recs['run_start'][0]['run_id']}.jsonl"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        for cap_id in keep:
            src = h["home"] / caps[cap_id]["raw_path"]
            target = dst / caps[cap_id]["raw_path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes())
    return dst


def built_home(h: dict[str, Any]) -> Path:
    """`xxgk build` over the focused copy (once per module)."""
    if "built" not in h:
        home = focused_home(h)
        env = {**os.environ, "XXGK_HOME": str(home)}
        proc = subprocess.run([sys.executable, "-m", "archive.cli", "build", "--no-progress"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        h["built"] = home
    return h["built"]


def test_errors_reach_the_archive_database(hostile: dict[str, Any], case: Case) -> None:
    case.describe("guarantee", "every fault row reaches `archive.db`; broken files go through the build",
                  "`xxgk build` folds the error records into the `errors` table (stage, kind, message, URL) and "
                  "records the extraction failure of each broken attachment instead of crashing")
    home = built_home(hostile)
    import sqlite3
    con = sqlite3.connect(f"file:{Home(home).db}?mode=ro", uri=True)
    try:
        rows = con.execute("select stage, kind, message, url from errors").fetchall()
        att_errors = [e for (e,) in con.execute("select error from attachments where error is not null")]
    finally:
        con.close()
    kinds = {k for _, k, _, _ in rows}
    assert all(stage and kind and message and url for stage, kind, message, url in rows)
    expected = {"timeout", "connection_reset", "redirect_loop", "offsite", "http_404", "wrong_page",
                "endless_pagination", "duplicate_listing", "challenge_passed", "ip_block", "bad_charset",
                "truncated", "encrypted", "empty", "wrong_type", "zip_bomb", "too_large", "bad_filename", "http_503"}
    assert expected <= kinds, expected - kinds
    crawl_rows = len({(e["url"], e["kind"], e["message"]) for s in MODES for e in hostile["recs"][s]["error"]})
    assert len(rows) >= crawl_rows
    case.saw(f"{crawl_rows} distinct crawl error records → {len(rows)} rows in `errors` ({len(kinds)} kinds); "
             f"{len(att_errors)} attachments carry their extraction error")


def test_archive_readers_are_safe(hostile: dict[str, Any], case: Case) -> None:
    case.describe("guarantee", f"archived text with HTML in it (a Content-Disposition name `{MARKUP}`) and "
                  "write attempts through Datasette",
                  "Datasette serves archive.db immutable: SQL writes are refused and the file is unchanged; the "
                  "hostile name is shown escaped on the attachments page")
    from archive.serve.app import serve_app

    home = built_home(hostile)
    db = Home(home).db
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    srv = serve_app(Home(home))
    try:
        import urllib.error
        import urllib.parse
        import urllib.request

        def fetch(path: str, data: bytes | None = None) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(srv.url.rstrip("/") + path, data=data, timeout=20) as resp:
                    return resp.status, resp.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode("utf-8", "replace")

        for sql in ("delete from errors", "update reports set title = 'x'", "drop table attachments",
                    "insert into errors (error_id) values ('x')"):
            status, body = fetch("/archive.json?" + urllib.parse.urlencode({"sql": sql}))
            assert status >= 400 or '"ok": false' in body.replace('":false', '": false'), (sql, status, body[:200])
        status, _ = fetch("/archive/errors/-/insert", data=b'{"row": {"error_id": "x"}}')
        assert status >= 400
        status, page = fetch("/archive/attachments?" + urllib.parse.urlencode({"filename__contains": "onerror"}))
        assert status == 200 and "onerror" in page
        assert MARKUP not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    finally:
        srv.stop()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    case.saw("4 SQL writes and 1 insert API call refused; archive.db byte-identical; name shown as &lt;img …&gt;")


def test_records_of_every_run_are_readable(hostile: dict[str, Any]) -> None:
    recs = list(iter_records(Home(hostile["home"])))
    assert recs and {r["type"] for r in recs} >= {"run_start", "capture", "report", "error", "run_end"}
