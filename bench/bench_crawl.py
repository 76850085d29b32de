"""Crawl throughput: the capture pipeline next to a bare Scrapy fetch of the same pages, in one run.

    .venv/bin/python bench/bench_crawl.py [--scale 55] [--concurrency 16]

Starts the replica portals (scale N: ~100 reports per site) in this process, then runs,
each in its own child process:
  bare     plain Scrapy GETs every report page; no middleware of ours, nothing stored
  capture  the same pages through the project's settings: capture middleware, raw store
           (its helper process), records, charset repair, detail-page parsing into report
           records (run by the store helper, crawler/store_parse_helper.py)
  full     `xxgk crawl`-style run of every site with the platform spiders: discovery, list
           pages, report pages and attachments
and prints pages/s, CPU seconds (the child's with its store helper, per page, and the replica
server's in this process meanwhile) and peak memory (RSS of the child and its helpers) for each.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def child_bare(urls: list[str], concurrency: int) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[no-untyped-def]
            for u in urls:
                yield scrapy.Request(u, callback=self.parse)

        def parse(self, response):  # type: ignore[no-untyped-def]
            return None

    process = CrawlerProcess({"LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": concurrency,
                              "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "DOWNLOAD_DELAY": 0,
                              "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False})
    process.crawl(Bare)
    process.start()


def child_capture(urls: list[str], concurrency: int) -> None:
    os.environ["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.platforms.base import PortalSpider
    from crawler.platforms.gkmlpt import GkmlptSpider
    from crawler.platforms.jcms import JcmsSpider
    from crawler.platforms.trs import TrsSpider

    from scrapy import Request

    families = (TrsSpider, GkmlptSpider, JcmsSpider)

    class CaptureBench(PortalSpider):
        """The platform spiders' detail handling over a fixed URL list (no discovery, no lists).

        Every replica portal is one of this spider's hosts (without that, the off-site guard
        drops all but the first portal's pages); the wrong-page check uses the three
        platforms' report markers. Attachment links are parsed into the report records but
        not followed, so capture fetches exactly the pages bare fetches.
        """
        name = "capture_bench"
        extra_hosts = sorted({urlsplit(u).netloc for u in urls})
        detail_markers = tuple(dict.fromkeys(m for f in families for m in f.detail_markers))

        async def start(self):  # type: ignore[no-untyped-def]
            for u in urls:
                yield self.request(u, self.parse_detail, "detail")

        def parse_detail(self, response):  # type: ignore[no-untyped-def]
            return (x for x in super().parse_detail(response) if not isinstance(x, Request))

        def parse_detail_page(self, response):  # type: ignore[no-untyped-def]
            return self.family(response.url).parse_detail_page(self, response)

        def detail_parser_for(self, url):  # type: ignore[no-untyped-def]
            return self.family(url).detail_parser

        @staticmethod
        def family(url):  # type: ignore[no-untyped-def]
            path = url.split("?")[0]
            return next(f for f in families if f.detail_url_re.search(path))

    settings = get_project_settings()
    settings.setdict({"LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": concurrency,
                      "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "DOWNLOAD_DELAY": 0,
                      "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False}, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(CaptureBench, start_url=urls[0], site_id="bench")
    process.start()


def child_full(jobs: list[dict[str, str]], concurrency: int) -> None:
    from crawler.jobs import CrawlJob
    from crawler.run import run_jobs

    run_jobs([CrawlJob(j["site_id"], j["platform"], {"start_url": j["start_url"], "site_id": j["site_id"],
                                                     "run_id": f"bench-{j['site_id']}"}) for j in jobs],
             {"LOG_LEVEL": "WARNING", "CONCURRENT_REQUESTS": concurrency,
              "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "DOWNLOAD_DELAY": 0,
              "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": False})


def measure(mode: str, payload: Path, concurrency: int, home: Path) -> dict[str, float]:
    """Wall time, CPU seconds (the child's, from its rusage once reaped; and this process's,
    i.e. the replica server's, meanwhile) and peak RSS of one child run."""
    env = {**os.environ, "XXGK_HOME": str(home)}
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    log = open(home.parent / f"{mode}.log", "w")
    proc = psutil.Popen([sys.executable, __file__, "--child", mode, "--payload", str(payload),
                         "--concurrency", str(concurrency)], cwd=REPO, env=env, stdout=log, stderr=log)
    peak = 0
    while proc.poll() is None:
        try:
            rss = proc.memory_info().rss
            for helper in proc.children(recursive=True):  # the store helper counts too
                try:
                    rss += helper.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            peak = max(peak, rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server1 = resource.getrusage(resource.RUSAGE_SELF)
    log.close()
    if proc.returncode != 0:
        raise SystemExit(f"{mode} run failed ({proc.returncode}): see {log.name}")
    problems = [line for line in open(log.name, encoding="utf-8", errors="replace") if "Error" in line]
    if problems:
        print(f"{mode}: {len(problems)} error lines in its log, first: {problems[0].strip()[:200]}")
    return {"wall": wall, "peak_mb": peak / 2**20,
            "cpu": children1.ru_utime + children1.ru_stime - children0.ru_utime - children0.ru_stime,
            "server_cpu": server1.ru_utime + server1.ru_stime - server0.ru_utime - server0.ru_stime}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=55)  # >= 5,000 report pages
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--child")
    ap.add_argument("--payload")
    args = ap.parse_args()
    if args.child:
        data = json.loads(Path(args.payload).read_text())
        {"bare": child_bare, "capture": child_capture, "full": child_full}[args.child](data, args.concurrency)
        return

    from replica.server import ReplicaServer

    with ReplicaServer(scale=args.scale) as srv, tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
        sites = {k: v for k, v in srv.manifest.items() if v.get("entry_url") and "-" in k}
        urls = [r["url"] for v in sites.values() for r in v["reports"] if r.get("in_column", True)]
        print(f"replica: {len(sites)} scaled sites, {len(urls)} report pages")
        # Render every report page once before timing: the replica memoises rendered pages, so
        # otherwise the first child (bare) would share the CPU with a cold server and the rest not.
        for sid, v in sites.items():
            for r in v["reports"]:
                srv.sites[sid].get("GET", urlsplit(r["url"]).path, {}, {})
        payloads = {}
        for name, data in (("bare", urls), ("capture", urls),
                           ("full", [{"site_id": k, "platform": v["platform"], "start_url": v["entry_url"]}
                                     for k, v in sites.items()])):
            p = Path(tmp) / f"{name}.json"
            p.write_text(json.dumps(data))
            payloads[name] = p
        results = {}
        for mode in ("bare", "capture"):
            results[mode] = measure(mode, payloads[mode], args.concurrency, Path(tmp) / f"home-{mode}")
            results[mode]["pages"] = len(urls)
        from archive.store.home import Home
        from archive.store.records import iter_records
        # the capture child must really have fetched, stored and parsed every page (an earlier
        # version dropped all but one portal's pages as off-site and timed the drops)
        kinds = Counter(r["type"] for r in iter_records(Home(Path(tmp) / "home-capture")))
        distinct = len(set(urls))
        print(f"capture: {kinds['capture']} bodies stored, {kinds['report']} report records, "
              f"{kinds['error']} error records for {distinct} distinct pages")
        if kinds["capture"] < distinct or kinds["report"] < distinct:
            raise SystemExit("capture run did not archive every page: its figures would not be comparable")
        results["full"] = measure("full", payloads["full"], args.concurrency, Path(tmp) / "home-full")
        ends = [r for r in iter_records(Home(Path(tmp) / "home-full"), types={"run_end"})]
        results["full"]["pages"] = sum(r["stats"]["requests"] for r in ends)
        results["full"]["reports"] = sum(r["stats"]["reports"] for r in ends)

    print(f"\n{'run':10s}{'pages':>8s}{'wall s':>9s}{'pages/s':>9s}{'CPU s':>8s}{'CPU ms/page':>12s}"
          f"{'server CPU s':>13s}{'peak MB':>9s}")
    for mode, r in results.items():
        print(f"{mode:10s}{r['pages']:8.0f}{r['wall']:9.1f}{r['pages'] / r['wall']:9.0f}{r['cpu']:8.1f}"
              f"{1000 * r['cpu'] / r['pages']:12.2f}{r['server_cpu']:13.1f}{r['peak_mb']:9.0f}")
    print(f"(load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")
    ratio = (results["capture"]["pages"] / results["capture"]["wall"]) / (results["bare"]["pages"] / results["bare"]["wall"])
    print(f"\ncapture pipeline at {ratio:.0%} of bare Scrapy (goal: >= 75%)")
    print(f"full crawl: {results['full'].get('reports', 0)} reports archived across {len(sites)} sites")


if __name__ == "__main__":
    main()
