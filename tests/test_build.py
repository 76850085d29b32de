"""`xxgk build`: tables, report history, search, incrementality and parse wiring."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml

from archive.build.builder import build
from archive.build import text
from archive.store.home import Home
from archive.store.search_index import register_functions
from fixtures.archive.factory import CL_COL, _run, add_run, make_scenario, report_page, text_to_html

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = Home.from_env(tmp_path_factory.mktemp("home"))
    ids = make_scenario(home)
    stats = build(home, progress=False)
    return home, ids, stats


def q(home: Home, sql: str, params=()) -> list[sqlite3.Row]:
    con = sqlite3.connect(home.db)
    register_functions(con)  # xxgk_text: report_texts / attachment_texts decompress the text
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def report(home: Home, rid: str) -> sqlite3.Row:
    """The reports row with its text (stored once in `texts`, read through report_texts)."""
    return q(home, "select r.*, t.body_text from reports r join report_texts t on t.report_rowid = r.rowid "
                   "where r.report_id = ?", [rid])[0]


def test_tables_hold_every_capture_version(built):
    home, ids, stats = built
    assert stats.reports == 4 and stats.parsed == 4
    assert {r["site_id"] for r in q(home, "select site_id from sites")} == {"changle", "fuzhou"}
    changle = q(home, "select * from sites where site_id = 'changle'")[0]
    assert json.loads(changle["column_urls"]) == [CL_COL]
    # names and regions come from the records (run_start.site_info), never from the crawler
    assert (changle["name"], changle["region_code"], changle["county"]) == ("福州市长乐区人民政府", "350112", "长乐区")
    assert (changle["platform"], changle["home_url"]) == ("trs", "https://www.fzcl.gov.cn/")
    # its runs wrote no site_info: the shipped registry's data (registry/sites.csv) fills the gaps
    fuzhou = q(home, "select * from sites where site_id = 'fuzhou'")[0]
    assert (fuzhou["name"], fuzhou["region_code"], fuzhou["platform"]) == ("福州市人民政府", "350100", "trs")
    a_caps = q(home, "select sha256 from captures where report_id = ? and kind = 'detail'", [ids["a"]])
    assert len({c[0] for c in a_caps}) == 2  # the changed page kept both versions
    assert report(home, ids["a"])["versions"] == 2
    att = q(home, "select * from attachments")
    assert len(att) == 1 and att[0]["report_id"] == ids["d"] and att[0]["filename"] == "nb2020.docx"
    assert att[0]["link_text"] == "海盐县应急管理局2020年报.docx"


def test_report_history(built):
    home, ids, _ = built
    a, b, d = report(home, ids["a"]), report(home, ids["b"]), report(home, ids["d"])
    assert a["first_seen"].startswith("2024-03-01") and a["last_changed"].startswith("2024-03-02")
    assert a["removed_at"] is None and a["last_seen"].startswith("2024-03-02")
    assert b["removed_at"].startswith("2024-03-02")  # the complete day-2 run no longer listed it
    assert b["last_seen"].startswith("2024-03-01")
    assert d["removed_at"] is None and d["last_seen"].startswith("2024-03-03")  # 404, then back
    events = [r["event"] for r in q(home, "select event from report_history where report_id = ? order by at",
                                    [ids["d"]])]
    assert events == ["first_seen", "removed", "returned"]
    assert [r["event"] for r in q(home, "select event from report_history where report_id = ? order by at",
                                  [ids["a"]])] == ["first_seen", "changed"]


def test_crawl_runs_and_errors(built):
    home, _, _ = built
    runs = {r["run_id"]: r for r in q(home, "select * from crawl_runs")}
    assert len(runs) == 5
    day1 = runs["20240301T020000Z-test-changle-1"]
    assert (day1["status"], day1["new_reports"], day1["requests"]) == ("ok", 2, 5)
    day2 = runs["20240302T020000Z-test-changle-2"]
    assert (day2["changed_reports"], day2["removed_reports"], day2["errors"]) == (1, 1, 1)
    assert runs["20240301T020000Z-test-fuzhou-1"]["new_attachments"] == 1
    assert runs["20240302T020000Z-test-fuzhou-2"]["status"] == "degraded"
    kinds = {(r["stage"], r["kind"]) for r in q(home, "select * from errors where origin = 'crawl'")}
    assert kinds == {("fetch", "http_500"), ("fetch", "http_404")}


def test_body_text_from_page_or_attachment(built):
    home, ids, _ = built
    a, c, d = report(home, ids["a"]), report(home, ids["c"]), report(home, ids["d"])
    assert "长应急〔2021〕2号" in a["body_text"] and a["body_source"] == "page"
    assert "附：本报告于2021年1月15日更正" in a["body_text"]  # the latest version's text
    assert "document.title" not in c["body_text"]  # scripts are not text
    assert d["body_source"].startswith("attachment:") and "海盐县应急管理局" in d["body_text"]
    # the attachment's text is the report's text: one row of `texts`, shared
    att = q(home, "select text_id from attachments where attachment_id = ?", [d["body_source"].split(":")[1]])[0]
    assert att["text_id"] == d["text_id"]
    assert q(home, "select count(*) from texts where xxgk_text(text_zlib) = ?", [d["body_text"]])[0][0] == 1
    assert q(home, "select text_method from attachments")[0][0] == "docx"


def test_search_any_length_canned_query(built):
    home, ids, _ = built
    fts = {r[0] for r in q(home, "select r.report_id from reports r join reports_fts f on f.rowid = r.rowid "
                                 "where reports_fts match ?", ['"长乐区应急"'])}
    assert fts == {ids["a"]}
    # trigram answers a 2-character query with nothing, silently: the bigram index answers it
    assert q(home, "select rowid from reports_fts where reports_fts match ?", ['"附件"']) == []
    assert len(q(home, "select rowid from reports_bigram_fts where reports_bigram_fts match ?", ['"附件"'])) >= 1
    meta = yaml.safe_load((REPO / "datasette-metadata.yml").read_text(encoding="utf-8"))
    sql = meta["databases"]["archive"]["queries"]["search"]["sql"]
    hits = {r["report_id"]: r["matched_in"] for r in q(home, sql, {"q": "附件"})}
    assert ids["b"] in hits  # "报告全文见附件" in the page text
    long_hits = {r["report_id"] for r in q(home, sql, {"q": "长乐区应急"})}
    assert long_hits == {ids["a"]}
    for term in ("海盐县应急管理局", "海盐"):  # trigram and bigram branches both reach attachment text
        found = {(r["report_id"], r["matched_in"]) for r in q(home, sql, {"q": term})}
        assert found == {(ids["d"], "report"), (ids["d"], "attachment: nb2020.docx")}, term
    assert q(home, sql, {"q": ""}) == []


def test_full_text_indexes_are_built_once_after_a_full_build(built):
    home, ids, stats = built
    # a full build loads first and indexes once at the end: one segment, nothing to merge
    assert stats.fts_optimized == ()
    for fts in ("reports_fts", "attachments_fts", "reports_bigram_fts", "attachments_bigram_fts",
                "reports_char_fts", "attachments_char_fts"):
        assert len(q(home, f"select distinct segid from {fts}_idx")) <= 1
        q(home, f"insert into {fts} ({fts}) values ('integrity-check')")
    hits = q(home, "select r.report_id from reports r join reports_fts f on f.rowid = r.rowid "
                   "where reports_fts match ?", ['"海盐县应急管理局"'])
    assert [h[0] for h in hits] == [ids["d"]]


def test_canned_queries_execute(built):
    home, _, _ = built
    meta = yaml.safe_load((REPO / "datasette-metadata.yml").read_text(encoding="utf-8"))
    queries = meta["databases"]["archive"]["queries"]
    assert len(queries) >= 10
    params = {"q": "应急", "agency": "应急", "year": "", "site": "", "rule": "", "report_id": "",
              "province": "", "code": "350112"}
    for name, query in queries.items():
        rows = q(home, query["sql"], params)
        assert isinstance(rows, list), name
    health = {r["site_id"]: r for r in q(home, queries["site_health"]["sql"])}
    assert health["fuzhou"]["run_id"] == "20240303T020000Z-test-fuzhou-3"
    assert health["changle"]["live_reports"] == 1
    agency = q(home, queries["agency_reports"]["sql"], {"agency": "海盐县"})
    assert len(agency) == 1 and agency[0]["attachments"] == "nb2020.docx" and len(agency[0]["archived_page"]) == 64


def test_second_build_changes_nothing(built, tmp_path):
    home = Home.from_env(tmp_path)
    shutil.copytree(built[0].root, tmp_path, dirs_exist_ok=True)
    before = home.db.stat().st_mtime_ns
    again = build(home, progress=False)
    assert again.skipped and again.parsed == 0 and home.db.stat().st_mtime_ns == before
    add_run(home, "fuzhou", 4, 4)  # new records, no new content: nothing is re-parsed
    third = build(home, progress=False)
    assert not third.skipped and third.parsed == 0 and third.reused == 4
    assert len(q(home, "select * from crawl_runs")) == 6


def test_changed_capture_reparses_only_its_report(built, tmp_path, monkeypatch):
    home = Home.from_env(tmp_path)
    shutil.copytree(built[0].root, tmp_path, dirs_exist_ok=True)
    ids = built[1]
    r = _run(home, "changle", 5, 5)
    r.start("http://www.fzcl.gov.cn")
    r.w("listing", column_url=CL_COL, page_url=CL_COL, report_urls=[ids["a_url"]])
    r.report(ids["a_url"], report_page("t", text_to_html("福州市长乐区应急管理局 第三版 2020 年度报告"), {}),
             CL_COL, "福州市长乐区应急管理局2020年度政府信息公开工作年度报告", "福州市长乐区应急管理局",
             "FZCL-2021-00002", "2021-01-15")
    r.end()
    stats = build(home, progress=False)
    assert stats.parsed == 1 and stats.reused == 3
    assert report(home, ids["a"])["versions"] == 3
    hits = q(home, "select rowid from reports_fts where reports_fts match ?", ['"第三版"'])
    assert len(hits) == 1  # the full-text index follows the new text
    for fts in ("reports_fts", "reports_bigram_fts", "attachments_fts", "attachments_bigram_fts",
                "reports_char_fts", "attachments_char_fts"):
        q(home, f"insert into {fts} ({fts}) values ('integrity-check')")
    # the bigram index follows too; the old text is gone from both
    assert len(q(home, "select rowid from reports_bigram_fts where reports_bigram_fts match ?", ['"三版"'])) == 1
    old = q(home, "select count(*) from texts where xxgk_text(text_zlib) like '%长应急〔2021〕2号%'")[0][0]
    assert old == 0
    assert [e[0] for e in q(home, "select event from report_history where report_id = ? order by at",
                            [ids["a"]])][-1] == "changed"
    # a new parser version re-parses everything
    monkeypatch.setattr(text, "VERSION", text.VERSION + "-next")
    stats = build(home, progress=False)
    assert stats.parsed == 4


class _FakeResult:
    def __init__(self, data):
        self.data = data

    def to_json(self):
        return self.data


def test_parse_results_and_failures_become_rows(built, tmp_path, monkeypatch):
    """The wiring from parse_text().to_json() into the cell tables, and a parser crash."""
    home = Home.from_env(tmp_path)
    shutil.copytree(built[0].root, tmp_path, dirs_exist_ok=True)
    ids = built[1]

    def fake_parse(text, tables=None, hints=None):
        if "海盐" in (hints or {}).get("title", ""):
            raise ValueError("parser bug")
        return _FakeResult({
            "agency": hints["agency"], "report_year": 2020, "template": "G1", "parse_status": "partial",
            "disclosure_items": [{"article": "20.5", "row_key": "licensing", "col_key": "change",
                                  "raw": "-7", "value": -7, "unit": None, "flags": []}],
            "application_counts": [{"row_key": "new", "applicant": "total", "raw": "3", "value": 3,
                                    "flags": ["blank"]}],
            "review_litigation_counts": [{"group_key": "review", "result_key": "total", "raw": "1",
                                          "value": 1, "flags": []}],
            "legacy_indicators": [], "consistency_checks": [{"rule": "R1", "ok": False,
                                                             "severity": "E", "detail": "3 != 0"}]})

    monkeypatch.setattr(text, "parse_text", fake_parse)
    monkeypatch.setattr(text, "VERSION", "fake-1")
    stats = build(home, progress=False)
    assert stats.parsed == 4 and stats.errors >= 1
    a, d = report(home, ids["a"]), report(home, ids["d"])
    assert (a["template"], a["report_year"], a["parse_status"]) == ("G1", 2020, "partial")
    assert d["parse_status"] == "failed" and "parser bug" in d["parse_notes"]
    err = q(home, "select * from errors where origin = 'build' and report_id = ?", [ids["d"]])
    assert [(e["stage"], e["kind"]) for e in err] == [("parse", "ValueError")]
    cells = q(home, "select * from application_counts where report_id = ?", [ids["a"]])
    assert [(c["template"], c["value"], json.loads(c["flags"])) for c in cells] == [("G1", 3, ["blank"])]
    summary = q(home, "select * from report_summary where report_id = ?", [ids["a"]])[0]
    assert (summary["applications_received"], summary["reviews_total"], summary["checks_failed"]) == (3, 1, 1)
    assert q(home, "select value from disclosure_items where report_id = ?", [ids["a"]])[0][0] == -7
    # fixing the parser (new version) clears the failure and its error row
    monkeypatch.setattr(text, "parse_text", lambda t, tables=None, hints=None: _FakeResult({"template": "G1"}))
    monkeypatch.setattr(text, "VERSION", "fake-2")
    build(home, progress=False)
    assert report(home, ids["d"])["parse_status"] == "ok"
    assert q(home, "select * from errors where origin = 'build'") == []
    assert q(home, "select * from application_counts") == []


def test_no_parse_build_keeps_reports_pending_and_invents_no_numbers(tmp_path):
    home = Home.from_env(tmp_path)
    make_scenario(home)
    stats = build(home, progress=False, parse=False)
    assert stats.reports == 4 and stats.parser_version == text.NO_PARSE_VERSION
    assert {r[0] for r in q(home, "select parse_status from reports")} == {"pending"}
    assert q(home, "select count(*) from application_counts")[0][0] == 0
    assert q(home, "select count(*) from reports where text_id is not null")[0][0] == 0
    stats = build(home, progress=False)  # a parsing build afterwards parses every report
    assert stats.parsed == 4 and "pending" not in {r[0] for r in q(home, "select parse_status from reports")}


def test_a_broken_parser_fails_the_build_loudly(tmp_path):
    """A syntax error in archive/parse/ stops `xxgk build`: no archive.db where every report is pending."""
    import os
    import subprocess
    import sys
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "archive", tree / "archive", ignore=shutil.ignore_patterns("__pycache__"))
    broken = tree / "archive" / "parse" / "checks.py"
    broken.write_text(broken.read_text() + "\ndef oops(:\n")
    home = Home.from_env(tmp_path / "home")
    make_scenario(home)
    env = {**os.environ, "PYTHONPATH": str(tree), "XXGK_HOME": str(home.root)}
    res = subprocess.run([sys.executable, "-m", "archive.cli", "build", "--no-progress"], cwd=tree, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode != 0
    assert "SyntaxError" in res.stderr and "checks.py" in res.stderr
    assert not home.db.exists()


def test_real_parser_figures(built):
    home, ids, _ = built
    a = report(home, ids["a"])
    assert (a["report_year"], a["template"]) == (2020, "G1")
    change = q(home, "select value from disclosure_items where report_id = ? and row_key = 'licensing' "
                     "and col_key = 'change'", [ids["a"]])
    assert [r[0] for r in change] == [-7]  # 30 | -7 | 23 in the 长乐 seed
    new = q(home, "select value from application_counts where report_id = ? and row_key = 'new' "
                  "and applicant = 'total'", [ids["a"]])
    assert [r[0] for r in new] == [0]  # 本年新收: 0 in every column of the 长乐 seed


def test_doc_attachments_are_converted_in_one_batch(tmp_path, monkeypatch):
    from fixtures.archive.factory import FUZHOU, FZ_COL, docx_bytes, seed_text
    home = Home.from_env(tmp_path)
    r = _run(home, "fuzhou", 1, 1)
    r.start(FUZHOU)
    for i in range(2):
        url = f"{FZ_COL}2021/t{i}.htm"
        rep = r.report(url, report_page("年报", "<p>详见附件</p>", {}), FZ_COL, f"第{i}局2020年政府信息公开工作年度报告",
                       f"第{i}局", f"IDX-{i}", "2021-01-20",
                       attachments=[{"url": url + ".doc", "filename": f"{i}.doc", "link_text": "附件"}])
        r.attachment(rep["report_id"], url + ".doc", docx_bytes(seed_text("004") + f"\n第{i}局"), "doc",
                     f"{i}.doc", "application/msword")
    r.end()
    calls = []

    def fake_convert(paths, filenames=None):
        """extract_office_files' contract; the "old" files are DOCX bytes already."""
        from dataclasses import replace as with_
        from archive.extract import extract
        calls.append(list(paths))
        return {p: with_(extract(Path(p).read_bytes(), ext="docx"), method="doc_converted") for p in paths}

    monkeypatch.setattr(text, "extract_office_files", fake_convert)
    stats = build(home, progress=False)
    assert stats.parsed == 2 and len(calls) == 1 and len(calls[0]) == 2
    rows = q(home, "select a.text_method, t.text from attachments a join attachment_texts t "
                   "on t.attachment_rowid = a.rowid order by a.url")
    assert [r["text_method"] for r in rows] == ["doc_converted", "doc_converted"]
    assert "第1局" in rows[1]["text"]


def test_same_report_at_two_urls_is_not_a_change(tmp_path):
    """A city column and a department column both list one report (same 索引号)."""
    from fixtures.archive.factory import FUZHOU, FZ_COL
    home = Home.from_env(tmp_path)
    city, dept = FZ_COL + "2025/t1.htm", FUZHOU + "/zgfzzt/ndbg/2025/t1.htm"
    title = "福州市防震减灾中心2024年政府信息公开工作年度报告"
    for n, day, body in ((1, 1, "正文"), (2, 2, "正文"), (3, 3, "正文（修订）")):
        r = _run(home, "fuzhou", n, day)
        r.start(FUZHOU)
        for url, chrome in ((city, "市政府门户"), (dept, "部门网站")):
            rid = r.report(url, report_page(title, f"<p>{chrome}</p><p>{body}</p>", {}), FZ_COL, title,
                           "福州市防震减灾中心", "FZ00517-0320-2025-00033", "2025-01-14")["report_id"]
        r.end()
        build(home, progress=False)
        events = [e[0] for e in q(home, "select event from report_history where report_id = ? order by at", [rid])]
        assert events == (["first_seen"] if n < 3 else ["first_seen", "changed", "changed"]), n
    assert report(home, rid)["versions"] == 4 and report(home, rid)["last_changed"].startswith("2024-03-03")


def test_the_build_goes_site_by_site_and_forgets_a_site_whose_records_are_gone(built, tmp_path):
    """Each site is folded and synced on its own (memory of one site, not of the archive);
    rows of a site are compared with that site's records only."""
    home = Home.from_env(tmp_path)
    shutil.copytree(built[0].root, tmp_path, dirs_exist_ok=True)
    ids = built[1]
    sites = {r[0]: r[1] for r in q(home, "select site, count(*) from build_row_hashes group by site")}
    assert set(sites) == {"changle", "fuzhou"}
    before = {r[0] for r in q(home, "select report_id from reports where site_id = 'fuzhou'")}
    shutil.rmtree(home.records / "changle")
    stats = build(home, progress=False)
    assert stats.parsed == 0
    assert {r[0] for r in q(home, "select distinct site_id from reports")} == {"fuzhou"}
    assert {r[0] for r in q(home, "select report_id from reports")} == before
    assert q(home, "select count(*) from build_row_hashes where site = 'changle'")[0][0] == 0
    gone = [ids["a"], ids["b"]]
    assert q(home, "select count(*) from application_counts where report_id in (?, ?)", gone)[0][0] == 0
    assert q(home, "select count(*) from report_texts where report_id in (?, ?)", gone)[0][0] == 0
    n_texts = q(home, "select count(*) from texts")[0][0]
    assert n_texts == q(home, "select count(distinct text_id) from (select text_id from reports union all "
                              "select text_id from attachments) where text_id is not null")[0][0]
    for fts in ("reports_fts", "reports_bigram_fts", "reports_char_fts"):
        q(home, f"insert into {fts} ({fts}) values ('integrity-check')")


def test_a_changed_view_definition_rebuilds_archive_db(tmp_path, monkeypatch):
    """archive.db built before a view changed gets the new view from the next build (no other writer)."""
    from archive.build import health, schema
    home = Home.from_env(tmp_path)
    make_scenario(home)
    build(home, progress=False, parse=False)
    assert build(home, progress=False, parse=False).skipped
    wanted = health.view_sql(max_error_rate=0.5)
    monkeypatch.setitem(schema.VIEWS, "crawl_health", wanted)
    assert not build(home, progress=False, parse=False).skipped
    installed = q(home, "select sql from sqlite_master where type = 'view' and name = 'crawl_health'")[0][0]
    assert installed == wanted


def test_site_info_from_the_records_wins_and_the_registry_fills_the_gaps():
    """`run_start.site_info` is what the crawl said; the shipped registry (data) fills only what it left out."""
    from archive.build.history import fold
    records = [{"type": "run_start", "site_id": "s1", "run_id": "r1", "at": "2024-03-01T00:00:00Z",
                "platform": "trs", "base_url": "http://s1.gov.cn/",
                "site_info": {"name": "甲县人民政府", "region_code": None}},
               {"type": "run_start", "site_id": "s2", "run_id": "r2", "at": "2024-03-01T00:00:00Z",
                "platform": "trs", "base_url": "http://s2.gov.cn/"}]
    registry = {"s1": {"name": "甲县政府（旧名）", "region_code": "350100", "county": "甲县"},
                "s2": {"name": "乙县人民政府", "region_code": "350200"}}
    sites = fold(records, registry.get).sites
    assert (sites["s1"]["name"], sites["s1"]["region_code"], sites["s1"]["county"]) == ("甲县人民政府", "350100", "甲县")
    assert (sites["s2"]["name"], sites["s2"]["region_code"]) == ("乙县人民政府", "350200")
    assert fold(records).sites["s2"]["name"] is None  # without a registry: the records alone


def test_nightly_merge_rule_leaves_a_full_builds_segments_and_merges_small_ones(tmp_path):
    """optimize(): the large segments of a fresh build are not 'recent writes' (merging them
    would rewrite the whole index on the first nightly build); small segments adding up to
    1/8 of the index are."""
    from archive.build import search as fts_build
    con = sqlite3.connect(tmp_path / "x.db")
    con.execute("create virtual table reports_fts using fts5(t)")
    for name in ("reports_bigram_fts", "reports_char_fts", "attachments_fts", "attachments_bigram_fts",
                 "attachments_char_fts"):
        con.execute(f"create virtual table {name} using fts5(t)")
    con.execute("insert into reports_fts(reports_fts, rank) values ('automerge', 0)")
    con.execute("insert into reports_fts(reports_fts, rank) values ('crisismerge', 64)")

    def segment(rows: int, start: int) -> None:
        con.executemany("insert into reports_fts(rowid, t) values (?, ?)",
                        [(start + i, " ".join(f"w{start + i}x{j}" for j in range(20))) for i in range(rows)])
        con.commit()

    def segments() -> int:
        return con.execute("select count(distinct segid) from reports_fts_idx").fetchone()[0]

    for k in range(3):  # a full build's hash flushes: several comparable segments
        segment(1500, 10_000 * k)
    built = segments()
    assert built >= 3
    assert fts_build.optimize(con, 8) == [] and segments() == built
    segment(60, 50_000)  # one night: a small segment
    assert fts_build.optimize(con, 8) == [] and segments() == built + 1
    for night in range(9):  # ten nights: small segments reach 1/8 of the index
        segment(60, 60_000 + 100 * night)
    assert segments() == built + 10
    assert fts_build.optimize(con, 8) == ["reports_fts"] and segments() == 1
    assert con.execute("pragma journal_mode").fetchone()[0] == "delete"  # restored
    con.execute("insert into reports_fts(reports_fts) values ('integrity-check')")
