"""The capture's store writer: bodies stored by a helper process, durable before the answer."""
from __future__ import annotations

import asyncio
import hashlib
import os
import signal
from pathlib import Path

import pytest

from archive.store.home import Home
from archive.store.raw import RawStore
from crawler.store_parse_helper import Page, StoreWriter

PAGES = [f"<html><body><h1>第{i}号报告</h1>{'表格' * (i * 50)}</body></html>".encode() for i in range(60)]
BIG = os.urandom(3 * 2**20)  # larger than the socket's buffers: sent in pieces from the loop


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_bodies_from_many_concurrent_puts_land_byte_exact_in_their_own_archives(tmp_path: Path) -> None:
    homes = [Home(tmp_path / name).ensure() for name in ("a", "b")]
    stores = [RawStore(h) for h in homes]
    writer = StoreWriter()

    async def crawl():  # type: ignore[no-untyped-def]
        jobs = [writer.put(stores[i % 2], ("fuzhou", "haiyan")[i % 3 == 0], body, "html")
                for i, body in enumerate(PAGES)]
        jobs.append(writer.put(stores[0], "chaoyang", BIG, "pdf"))
        return [stored for stored, _ in await asyncio.gather(*jobs)]

    try:
        results = run(crawl())
        helper = writer._connection.process  # type: ignore[union-attr]
    finally:
        writer.close()
    assert helper.returncode == 0  # it read end-of-file and finished
    for i, (body, stored) in enumerate(zip(PAGES + [BIG], results)):
        sha = hashlib.sha256(body).hexdigest()
        site = "chaoyang" if body is BIG else ("fuzhou", "haiyan")[i % 3 == 0]
        ext = "pdf" if body is BIG else "html"
        assert (stored.sha256, stored.size) == (sha, len(body))
        assert stored.raw_path == f"raw/{site}/{sha[:2]}/{sha}.{ext}"
        home = homes[0] if body is BIG else homes[i % 2]
        assert (home.root / stored.raw_path).read_bytes() == body
    again, _ = run(StoreWriter().put(stores[0], "chaoyang", BIG, "pdf"))
    assert again.created is False and again.raw_path == results[-1].raw_path
    assert [p for h in homes for p in h.root.rglob(".tmp-*") if p.is_file()] == []


def test_errors_come_back_as_the_exceptions_the_store_raised(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    (home.raw / "fuzhou").parent.mkdir(parents=True, exist_ok=True)
    (home.raw / "fuzhou").write_bytes(b"a file where a site directory belongs")
    store, writer = RawStore(home), StoreWriter()

    async def crawl():  # type: ignore[no-untyped-def]
        return await asyncio.gather(writer.put(store, "../escape", PAGES[1], "html"),
                                    writer.put(store, "fuzhou", PAGES[2], "html"),
                                    writer.put(store, "haiyan", PAGES[3], "html"),
                                    return_exceptions=True)

    try:
        bad_site, blocked, fine = run(crawl())
    finally:
        writer.close()
    assert isinstance(bad_site, ValueError) and "escape" in str(bad_site)
    assert isinstance(blocked, OSError) and blocked.errno is not None and "fuzhou" in str(blocked)
    assert (home.root / fine[0].raw_path).read_bytes() == PAGES[3]


def test_a_dead_helper_fails_the_bodies_in_flight_and_the_next_body_starts_a_new_one(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    store, writer = RawStore(home), StoreWriter()

    async def crawl():  # type: ignore[no-untyped-def]
        first, _ = await writer.put(store, "fuzhou", PAGES[4], "html")
        helper = writer._connection.process  # type: ignore[union-attr]
        os.kill(helper.pid, signal.SIGSTOP)  # frozen: the next body is sent but never answered
        in_flight = asyncio.ensure_future(writer.put(store, "fuzhou", PAGES[5], "html"))
        await asyncio.sleep(0.2)
        assert not in_flight.done()
        os.kill(helper.pid, signal.SIGKILL)
        with pytest.raises(OSError, match="store writer process ended"):
            await in_flight
        after, _ = await writer.put(store, "fuzhou", PAGES[6], "html")
        return first, after, helper, writer._connection.process  # type: ignore[union-attr]

    try:
        first, after, dead, replacement = run(crawl())
    finally:
        writer.close()
    assert dead.pid != replacement.pid and dead.returncode == -signal.SIGKILL
    assert (home.root / first.raw_path).read_bytes() == PAGES[4]
    assert (home.root / after.raw_path).read_bytes() == PAGES[6]


REPORT_PAGE = """<html><head><meta name="ArticleTitle" content="福州市统计局2023年政府信息公开工作年度报告">
<meta name="ContentSource" content="福州市统计局"></head><body>
<table class="xxgk_table"><tr><td>索 引 号：</td><td>FZ00108-0200-2024-00003</td><td>发文机关：</td><td>福州市统计局</td></tr>
<tr><td>发布日期：</td><td>2024-01-26</td><td>有 效 性：</td><td>有效</td></tr></table>
<div class="TRS_Editor"><p>一、总体情况</p></div>
<a href="./P020240126512345678901.pdf" appendix="true">附件：年度报告.pdf</a>
<script>var rel_appendix = '<a href="./P020240126512345678902.docx">附件2</a>';</script>
</body></html>"""


def test_a_report_page_is_parsed_by_the_helper_exactly_as_the_spider_would(tmp_path: Path) -> None:
    from crawler.pages import trs

    url = "http://www.fuzhou.gov.cn/zfxxgkzl/gkml/ndbg/202401/t20240126_4761234.htm"
    store, writer = RawStore(Home(tmp_path / "home").ensure()), StoreWriter()

    def broken(html: str, url: str):  # type: ignore[no-untyped-def]
        raise AssertionError("not a page parser: never run by the helper")

    async def crawl():  # type: ignore[no-untyped-def]
        body = REPORT_PAGE.encode("gb18030")
        return await asyncio.gather(
            writer.put(store, "fuzhou", body, "htm", Page(trs.parse_detail, REPORT_PAGE, url)),
            writer.put(store, "fuzhou", b"<html>x</html>", "htm", Page(broken, "<html>x</html>", url)))

    try:
        (stored, parsed), (other, unparsed) = run(crawl())
    finally:
        writer.close()
    assert (store.home.root / stored.raw_path).read_bytes() == REPORT_PAGE.encode("gb18030")
    here = trs.parse_detail(REPORT_PAGE, url)
    assert parsed is not None and repr(parsed) == repr(here)
    title, meta, links = parsed
    assert meta["index_no"] == "FZ00108-0200-2024-00003" and meta["published_date"] == "2024-01-26"
    assert [link.url.rsplit("/", 1)[1] for link in links] == ["P020240126512345678901.pdf", "P020240126512345678902.docx"]
    assert links[1].attrs == {"js_only": True}
    assert unparsed is None and (store.home.root / other.raw_path).exists()  # stored; the spider parses


def _cmdline(proc) -> str:  # type: ignore[no-untyped-def]
    """A child's command line; "" for one that has just ended (a zombie until the crawl reaps it)."""
    import psutil

    try:
        return " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return ""


def test_a_crawl_whose_store_helper_is_killed_goes_on_and_the_next_run_completes(tmp_path: Path) -> None:
    import hashlib as _hashlib
    import subprocess
    import sys
    import time

    import psutil

    from archive.store.records import iter_records
    from replica.server import ReplicaServer

    site, home = "fuzhou", tmp_path / "home"
    env = {**os.environ, "XXGK_HOME": str(home), "XXGK_LOG_LEVEL": "WARNING"}
    repo = Path(__file__).resolve().parents[1]
    with ReplicaServer() as srv:
        cmd = [sys.executable, "-m", "archive.cli", "crawl", site, "--base-url", f"{site}={srv.base_urls[site]}",
               "--delay", "0"]
        crawl = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed_at, deadline = None, time.monotonic() + 120
        while killed_at is None and crawl.poll() is None and time.monotonic() < deadline:
            helpers = [p for p in psutil.Process(crawl.pid).children(recursive=True)
                       if "crawler.store_parse_helper" in _cmdline(p)]
            if helpers:
                helpers[0].kill()
                killed_at = time.time()
            time.sleep(0.01)
        assert crawl.wait(300) is not None
        assert killed_at is not None, "the crawl ended before its store helper could be killed"
        first = list(iter_records(Home(home), site))
        second = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, timeout=300)
        assert second.returncode == 0, second.stderr[-2000:]
        listed = {r["url"] for r in srv.manifest[site]["reports"] if r.get("in_column", True)}
    ends = [r for r in first if r["type"] == "run_end"]
    assert len(ends) == 1  # the first run went on to its end
    lost = [r for r in first if r["type"] == "error" and r["stage"] == "store"]
    assert all("store writer process ended" in r["message"] for r in lost)
    # the helper died with at most the bodies in flight (16 requests at a time); a new one
    # stored the rest: the first run alone reported nearly every listed page
    assert len(lost) <= 32
    first_reports = {r["url"] for r in first if r["type"] == "report"}
    assert len(first_reports) >= len(listed) - len(lost) > 0
    everything = list(iter_records(Home(home), site))
    for cap in (r for r in everything if r["type"] == "capture"):  # every record points at its whole body
        assert _hashlib.sha256((home / cap["raw_path"]).read_bytes()).hexdigest() == cap["sha256"]
    reported = {r["url"] for r in everything if r["type"] == "report"}
    assert {srv_url.split("//", 1)[1].split("/", 1)[1] for srv_url in listed} <= {
        u.split("//", 1)[1].split("/", 1)[1] for u in reported}
