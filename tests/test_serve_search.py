"""`?_search=` through Datasette returns exactly what the FTS index matches (archive.serve.search).

The plugin replaces Datasette's search clause with one that reads a cached match; these tests
compare rows, counts and facet counts with plain SQL on the same archive, for terms found in
every report, in some, in a few and in none, so both replacement clauses and the untouched
fallbacks are exercised.
"""
from __future__ import annotations

import json
import random
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlite_utils
from datasette.utils import escape_fts

from archive.build.schema import ensure_schema
from archive.build.search import store_text
from archive.store.home import Home
from archive.store.search_index import register_functions
from archive.serve.app import serve_app
from archive.serve.search import CACHE

SEEDS = Path(__file__).parent / "fixtures" / "archive" / "seeds"
N_REPORTS = 400
FACETS = ["site_id", "agency", "report_year", "template", "parse_status"]


def _corpus() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """400 reports over 4 sites, text from the seed reports; 40 attachments with text."""
    home = Home.from_env(tmp_path_factory.mktemp("search")).ensure()
    rng, text = random.Random(3), _corpus()
    db = sqlite_utils.Database(home.db)
    ensure_schema(db)
    db["sites"].insert_all([{"site_id": f"s{i}", "name": f"站点{i}"} for i in range(4)])
    reports, attachments = [], []
    for i in range(N_REPORTS):
        site, year = f"s{i % 4}", 2014 + i % 10
        agency = f"第{i % 4}市第{i // 40}局"
        start = rng.randrange(0, len(text) - 800)
        reports.append({
            "report_id": f"{i:016x}", "site_id": site, "agency": agency, "report_year": year,
            "title": f"{agency}{year}年政府信息公开工作年度报告",
            "template": "G0" if year <= 2018 else "G2", "parse_status": rng.choice(["ok", "ok", "partial"]),
            "published_date": f"{year + 1}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}",
            "text_id": store_text(db.conn, text[start:start + 800], None)})
        if i % 10 == 0:
            attachments.append({"attachment_id": f"a{i:015x}", "report_id": f"{i:016x}", "ext": "pdf",
                                "text_id": store_text(db.conn, text[start + 100:start + 600], None),
                                "text_method": "pdf_text"})
    db["reports"].insert_all(reports)
    db["attachments"].insert_all(attachments)
    db.conn.commit()
    db.close()
    CACHE.clear()
    srv = serve_app(home)
    yield srv, home
    srv.stop()


def fetch(srv, path: str) -> dict:
    with urllib.request.urlopen(srv.url.rstrip("/") + path, timeout=30) as resp:
        return json.loads(resp.read())


def expected(home: Home, table: str, match: str, where: str = "", params=()) -> list[sqlite3.Row]:
    con = sqlite3.connect(home.db)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(f"select * from {table} where rowid in (select rowid from {table}_fts "
                           f"where {table}_fts match ?) {where}", [match, *params]).fetchall()
    finally:
        con.close()


def search_url(term: str, extra: str = "", table: str = "reports") -> str:
    return f"/archive/{table}.json?_shape=objects&_size=1000&_search={urllib.parse.quote(term)}{extra}"


# term -> which clause serves it: ~all rows / ~half / a few (<= 1/20 of the rows) / none
TERMS = {"政府信息公开": "xxgk_fts_bitmap", "第2市": "xxgk_fts_bitmap", "第1市第3局": "xxgk_fts_rowids",
         "没有这个词语": "xxgk_fts_rowids"}


@pytest.mark.parametrize("term", list(TERMS))
def test_search_rows_count_and_facets_match_the_index(archive, term):
    srv, home = archive
    data = fetch(srv, search_url(term))
    want = expected(home, "reports", escape_fts(term))
    assert TERMS[term] in data["query"]["sql"]
    assert sorted(r["report_id"] for r in data["rows"]) == sorted(r["report_id"] for r in want)
    assert data["filtered_table_rows_count"] == len(want)
    for col in FACETS:
        counts: dict = {}
        for r in want:
            counts[r[col]] = counts.get(r[col], 0) + 1
        facet = data["facet_results"][col]
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        assert [(f["value"], f["count"]) for f in facet["results"]] == top[:30], col
        assert facet["truncated"] == (len(top) > 30)
    dates = [r["published_date"] for r in data["rows"]]
    assert dates == sorted(dates, reverse=True)  # the table's sort_desc still applies


def test_search_pages_through_every_match_once(archive):
    srv, home = archive
    seen, path = [], search_url("第2市").replace("_size=1000", "_size=7")
    while path:
        data = fetch(srv, path)
        seen += [r["report_id"] for r in data["rows"]]
        path = urllib.parse.urlsplit(data["next_url"])._replace(scheme="", netloc="").geturl() \
            if data.get("next_url") else None
    assert sorted(seen) == sorted(r["report_id"] for r in expected(home, "reports", '"第2市"'))


def test_search_combines_with_filters_sort_and_other_facets(archive):
    srv, home = archive
    data = fetch(srv, search_url("政府信息公开", "&site_id=s3&_sort=title&_facet=body_source"))
    want = expected(home, "reports", '"政府信息公开"', "and site_id = ?", ["s3"])
    assert sorted(r["report_id"] for r in data["rows"]) == sorted(r["report_id"] for r in want)
    assert [r["title"] for r in data["rows"]] == sorted(r["title"] for r in want)
    assert data["filtered_table_rows_count"] == len(want)


def test_raw_search_mode_and_attachments(archive):
    srv, home = archive
    raw = '"第1市第3局" OR "第2市第5局"'
    data = fetch(srv, search_url(raw, "&_searchmode=raw"))
    assert sorted(r["report_id"] for r in data["rows"]) == sorted(
        r["report_id"] for r in expected(home, "reports", raw))
    assert "xxgk_fts_" in data["query"]["sql"] and ", 0)" in data["query"]["sql"]
    term = "政府信息"
    data = fetch(srv, search_url(term, table="attachments"))
    want = expected(home, "attachments", escape_fts(term))
    assert want and sorted(r["attachment_id"] for r in data["rows"]) == sorted(r["attachment_id"] for r in want)


def containing(home: Home, words: list[str]) -> set[str]:
    """Reports whose title, agency or text holds every word: the plain-SQL truth."""
    con = sqlite3.connect(home.db)
    register_functions(con)
    try:
        cond = " and ".join("instr(coalesce(title, '') || ' ' || coalesce(agency, '') || ' ' || "
                            "coalesce(body_text, ''), ?) > 0" for _ in words)
        return {r[0] for r in con.execute(f"select report_id from report_texts where {cond}", words)}
    finally:
        con.close()


@pytest.mark.parametrize("query", ["公开", "复议", "税", "局", "条例", "诉讼 公开", "政府信息 局", "没有"])
def test_words_of_any_length_match_exactly_what_contains_them(archive, query):
    """1-2 character words come from the bigram index, 3+ from the trigram index; every
    word must occur. The result is exactly the reports a substring test selects."""
    srv, home = archive
    data = fetch(srv, search_url(query))
    assert "xxgk_fts_" in data["query"]["sql"]
    got = {r["report_id"] for r in data["rows"]}
    want = containing(home, query.split())
    assert data["filtered_table_rows_count"] == len(want)
    assert got == want or (len(want) > 1000 and got <= want)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the UDF's own error
def test_invalid_raw_query_is_reported_by_datasette_as_before(archive):
    srv, _ = archive
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(srv, search_url('"unbalanced', "&_searchmode=raw"))
    assert err.value.code == 400


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the UDF's own error
def test_sql_functions_only_read_configured_fts_tables(archive):
    srv, _ = archive
    ok = fetch(srv, "/archive.json?_shape=array&sql=" + urllib.parse.quote(
        "select xxgk_fts_count('reports_fts', '第1市第3局', 1) as n"))
    assert ok == [{"n": len(expected(archive[1], "reports", '"第1市第3局"'))}]
    with pytest.raises(urllib.error.HTTPError):
        fetch(srv, "/archive.json?sql=" + urllib.parse.quote(
            "select xxgk_fts_count('sqlite_master', 'x', 1)"))
