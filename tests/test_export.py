"""`xxgk export warc|wacz|dataset` on a real crawl of a replica portal and on the archive
scenario: WARC files that `warcio check` accepts and whose payloads are the stored bytes,
a WACZ that pywb replays byte for byte, and a dataset release that loads with its types."""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.build.builder import build
from archive.export.dataset import export_dataset, validate_package
from archive.export.warc import response_headers, select_captures, write_warc
from archive.store.home import Home
from archive.store.records import iter_records
from crawl_helpers import REPO, records_by_type, run_crawl
from fixtures.archive.factory import make_scenario
from replica.server import ReplicaServer

WAYBACK = REPO / ".tools" / "pywb" / "bin" / "wayback"
WB_MANAGER = REPO / ".tools" / "pywb" / "bin" / "wb-manager"


def xxgk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XXGK_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "archive.cli", "export", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    """One real crawl of the haiyan replica (report pages, attachments, robots.txt)."""
    home = tmp_path_factory.mktemp("export-crawl")
    srv = ReplicaServer(day=1)
    srv.start()
    try:
        proc = run_crawl(home, srv.base_urls, ["haiyan"])
    finally:
        srv.stop()
    assert proc.returncode == 0, proc.stderr[-3000:]
    return home


def stored(home: Path, rec: dict) -> bytes:
    return (home / rec["raw_path"]).read_bytes()


def test_capture_records_keep_status_line_and_headers(crawled: Path) -> None:
    caps = records_by_type(crawled, "haiyan")["capture"]
    assert caps
    for cap in caps:
        assert cap["http_version"] == "HTTP/1.1" and cap["http_reason"] == "OK"
        names = [k.lower() for k, _ in cap["response_headers"]]
        assert "content-type" in names and "date" in names
        sent = {k.lower(): v for k, v in cap["request_headers"]}
        assert "xxgk" in sent["user-agent"].lower()
        if cap["request_method"] == "POST":  # JCMS dataproxy.jsp lists: the form is kept for replay
            assert "columnid=" in cap["request_body"]
        else:
            assert cap["request_method"] == "GET" and "request_body" not in cap


def test_warc_export_passes_warcio_check_and_holds_the_stored_bytes(crawled: Path, tmp_path: Path) -> None:
    proc = xxgk(crawled, "warc", "--site", "haiyan", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) == 1 and str(files[0]) in proc.stdout
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(files[0])],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()

    caps = {(c["url"], c["at"]): c for c in select_captures(Home(crawled), "haiyan")}
    types: dict[str, int] = {}
    written_uris: set[str] = set()
    with open(files[0], "rb") as fh:
        for rec in ArchiveIterator(fh):
            kind = rec.rec_type
            types[kind] = types.get(kind, 0) + 1
            if kind == "warcinfo":
                info = rec.content_stream().read().decode()
                assert "software: xxgk-archive/" in info
                continue
            uri, date = rec.rec_headers.get_header("WARC-Target-URI"), rec.rec_headers.get_header("WARC-Date")
            cap = caps[(uri, date)]  # WARC-Date is the capture time of that very capture
            if kind == "response":
                body = rec.content_stream().read()
                assert body == stored(crawled, cap)
                assert hashlib.sha256(body).hexdigest() == rec.rec_headers.get_header("XXGK-Sha256")
                assert rec.http_headers.get_header("Content-Length") == str(len(body))
                assert rec.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
                assert rec.rec_headers.get_header("WARC-Block-Digest").startswith("sha1:")
                written_uris.add(uri)
            elif kind == "revisit":
                assert rec.rec_headers.get_header("WARC-Profile").endswith("/1.1/revisit/identical-payload-digest")
                assert rec.rec_headers.get_header("WARC-Refers-To-Target-URI") in written_uris
            elif kind == "request":
                method = rec.http_headers.protocol.split(" ")[0]
                assert method == cap["request_method"]
                assert rec.content_stream().read() == (cap.get("request_body") or "").encode("latin-1")
                assert rec.rec_headers.get_header("WARC-Concurrent-To")
    assert types["warcinfo"] == 1
    assert types["response"] + types.get("revisit", 0) == types["request"] == len(caps)


def test_warc_headers_say_the_payload_was_decoded() -> None:
    rec = {"http_status": 200, "http_reason": "OK", "http_version": "HTTP/1.1",
           "response_headers": [["Content-Type", "text/html"], ["Content-Encoding", "gzip"],
                                ["Transfer-Encoding", "chunked"], ["Content-Length", "812"], ["Set-Cookie", "a=1"],
                                ["Set-Cookie", "b=2"]]}
    http, decoded, rebuilt = response_headers(rec, 2048)
    assert decoded and not rebuilt
    assert http.get_header("Content-Length") == "2048"
    assert http.get_header("Content-Encoding") is None and http.get_header("Transfer-Encoding") is None
    assert http.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert http.get_header("X-Archive-Orig-Content-Length") == "812"
    assert [v for k, v in http.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    http, decoded, rebuilt = response_headers({"http_status": 200, "content_type": "application/pdf"}, 10)
    assert rebuilt and not decoded and http.get_header("Content-Type") == "application/pdf"


def test_warc_export_of_older_records_skips_a_missing_body_and_goes_on(tmp_path: Path) -> None:
    """The scenario's records predate kept headers; one body is deleted: it is skipped and
    named, every other capture is exported, nothing in the archive changes."""
    home = Home.from_env(tmp_path / "home")
    make_scenario(home)
    caps = list(select_captures(home))
    victim = caps[1]
    (home.root / victim["raw_path"]).unlink()
    before = sorted(p.name for p in home.raw.rglob("*"))
    stats = write_warc(home, tmp_path / "out", caps)
    assert [u for u, _ in stats.skipped] == [victim["url"]]
    assert stats.responses + stats.revisits == len(caps) - 1
    assert sorted(p.name for p in home.raw.rglob("*")) == before
    with open(stats.files[0], "rb") as fh:
        rebuilt = [r for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert rebuilt and all(r.rec_headers.get_header("XXGK-Headers") == "reconstructed" for r in rebuilt)
    since = max(c["at"] for c in caps)
    later = list(select_captures(home, since=since))
    assert later and all(c["at"] >= since for c in later) and len(later) < len(caps)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wacz_replays_in_pywb_byte_for_byte(crawled: Path, tmp_path: Path) -> None:
    assert WAYBACK.exists(), "pywb is installed by scripts/setup.sh into .tools/pywb"
    out = tmp_path / "haiyan.wacz"
    proc = xxgk(crawled, "wacz", "--site", "haiyan", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    recs = records_by_type(crawled, "haiyan")
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"datapackage.json", "pages/pages.jsonl", "indexes/index.cdx.gz"} <= names
        package = json.loads(z.read("datapackage.json"))
        for res in package["resources"]:
            assert res["hash"] == "sha256:" + hashlib.sha256(z.read(res["path"])).hexdigest()
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()[1:]]
        cdx = gzip.decompress(z.read("indexes/index.cdx.gz")).decode()
    assert len(pages) == len({r["report_id"] for r in recs["report"]})
    assert all(p["title"] for p in pages) and all(p["url"] in cdx for p in pages)

    coll = tmp_path / "pywb"
    coll.mkdir()
    subprocess.run([str(WB_MANAGER), "init", "xxgk"], cwd=coll, check=True, capture_output=True)
    subprocess.run([str(WB_MANAGER), "add", "--unpack-wacz", "xxgk", str(out)], cwd=coll, check=True,
                   capture_output=True)
    port = _free_port()
    server = subprocess.Popen([str(WAYBACK), "-p", str(port), "-b", "127.0.0.1"], cwd=coll,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        report = next(c for c in recs["capture"] if c["kind"] == "detail")
        attachment = next(c for c in recs["capture"] if c["kind"] == "attachment")
        for cap in (report, attachment):
            body = _replayed(port, cap["url"])
            assert body == stored(crawled, cap), cap["url"]
    finally:
        server.terminate()
        server.wait(10)


def _replayed(port: int, url: str, timeout: float = 30) -> bytes:
    """The payload pywb serves for `url` unchanged (`id_`), once pywb answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/xxgk/2026id_/{url}", timeout=10) as resp:
                return resp.read()
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Home:
    home = Home.from_env(tmp_path_factory.mktemp("export-built"))
    make_scenario(home)
    build(home)
    return home


def test_dataset_release_loads_with_its_types_and_hashes(built: Home, tmp_path: Path) -> None:
    release = export_dataset(built.db, tmp_path)
    root = release.path
    assert root.name == f"xxgk-archive-{release.version}" and not list(tmp_path.glob("*.part"))
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in package["resources"]}
    import sqlite3
    con = sqlite3.connect(built.db)
    for table in ("reports", "attachments", "application_counts", "consistency_checks", "report_history"):
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        assert release.tables[table] == rows > 0
        for fmt in ("csv", "parquet"):
            res = by_name[f"{table}-{fmt}"]
            data = (root / res["path"]).read_bytes()
            assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and res["bytes"] == len(data)
            assert res["rows"] == rows
        raw = (root / f"{table}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese text as UTF-8
        with open(root / f"{table}.csv", encoding="utf-8-sig", newline="") as fh:
            assert sum(1 for _ in csv.reader(fh)) == rows + 1
    assert "description" in by_name["reports-csv"] and any(
        f.get("description") for f in by_name["reports-csv"]["schema"]["fields"])
    titles = {r[0] for r in con.execute("select title from reports")}
    with open(root / "reports.csv", encoding="utf-8-sig", newline="") as fh:
        assert {row["title"] for row in csv.DictReader(fh)} == titles

    schema = pq.read_schema(root / "reports.parquet")
    assert str(schema.field("report_year").type) == "int64" and str(schema.field("title").type) == "string"
    db = duckdb.connect()
    got = db.execute(f"select count(*), typeof(any_value(value)) from '{root / 'application_counts.parquet'}'").fetchone()
    assert got == (release.tables["application_counts"], "BIGINT")
    total = db.execute(f"select sum(value) from '{root / 'application_counts.parquet'}'").fetchone()[0]
    assert total == con.execute("select sum(value) from application_counts").fetchone()[0]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "How to cite" in readme and "Licence" in readme and hashlib.sha256(
        (root / "reports.csv").read_bytes()).hexdigest() in readme

    again = export_dataset(built.db, tmp_path)  # same build: the release exists, nothing rewritten
    assert again.path == root and again.tables == release.tables


def test_dataset_validation_catches_a_changed_file(built: Home, tmp_path: Path) -> None:
    root = export_dataset(built.db, tmp_path).path
    path = root / "reports.csv"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match="reports.csv"):
        validate_package(root / "datapackage.json")


def test_export_cli_errors_are_clear(tmp_path: Path) -> None:
    proc = xxgk(tmp_path, "dataset")
    assert proc.returncode == 1 and "run `xxgk build` first" in proc.stderr
    proc = xxgk(tmp_path, "warc", "--site", "../etc")
    assert proc.returncode == 1 and "invalid site_id" in proc.stderr
    proc = xxgk(tmp_path, "wacz")
    assert proc.returncode == 1 and "nothing to export" in proc.stderr


@pytest.mark.browser
def test_releases_are_reachable_from_the_front_page_in_a_browser(built: Home) -> None:
    """Front page → Bulk downloads → a release's files, in Chromium; a file downloads with
    the bytes and hash the datapackage names."""
    from playwright.sync_api import sync_playwright

    from archive.serve.app import serve_app

    release = export_dataset(built.db, built.root / "releases")
    srv = serve_app(built)
    artifacts = REPO / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                               "--disable-component-update", "--no-first-run", "--disable-sync"])
            page = browser.new_page()
            page.goto(srv.url)
            page.click("text=批量下载 Bulk downloads")
            page.wait_for_load_state("load")
            assert page.url.endswith("/-/releases")
            page.screenshot(path=str(artifacts / "releases.png"), full_page=True)
            body = page.inner_text("body")
            assert release.path.name in body and "reports.csv" in body and "reports.parquet" in body
            with page.expect_download() as info:
                page.click(f"a[href='/-/releases/{release.path.name}/reports.csv']")
            download = info.value
            assert download.suggested_filename == "reports.csv"
            got = Path(download.path()).read_bytes()
            assert got == (release.path / "reports.csv").read_bytes()
            assert hashlib.sha256(got).hexdigest() in body
            browser.close()
        for hostile in (f"{release.path.name}/archive.db", "xxgk-archive-1/reports.csv",
                        f"{release.path.name}/..%2F..%2Farchive.db", f"..%2F{release.path.name}/reports.csv"):
            try:
                with urllib.request.urlopen(srv.url + "-/releases/" + hostile) as resp:
                    raise AssertionError(f"{hostile} was served: {resp.status}")
            except urllib.error.HTTPError as exc:  # from the route, or Datasette's own 404 page
                assert exc.code == 404, hostile
    finally:
        srv.stop()
