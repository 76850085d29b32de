"""`/-/search` without a browser: bm25 for narrow queries, newest first (found window by window)
for queries too broad to rank, and the same reports either way."""
from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from archive.build.schema import ensure_schema
from archive.build.search import store_text
from archive.serve.search_page import PAGE, render, search

AGENCIES = ["福州市长乐区应急管理局", "福州市长乐区水利局", "福州市长乐区人民政府办公室"]


@pytest.fixture
def conn(tmp_path) -> sqlite3.Connection:
    """A built archive's search tables with 300 reports: every one says 政府信息公开; one in
    three is an 应急管理 report; one in fifty mentions 防汛防台."""
    db = sqlite_utils.Database(tmp_path / "archive.db")
    ensure_schema(db)
    for i in range(300):
        agency = AGENCIES[i % 3]
        body = (f"{agency}2023年政府信息公开工作年度报告。一、总体情况。本年度共收到政府信息公开申请{i}件。"
                + ("汛期开展防汛防台演练三次。" if i % 50 == 0 else "") + "主动公开政府信息。" * (1 + i % 4))
        text_id = store_text(db.conn, body, None)
        db["reports"].insert({"report_id": f"r{i:04d}", "site_id": "changle", "title":
                              f"{agency}2023年政府信息公开工作年度报告", "agency": agency, "report_year": 2023,
                              "text_id": text_id})
    db.conn.commit()
    return db.conn


def ids(res) -> list[str]:
    return [h.report_id for h in res.hits]


def test_a_narrow_query_is_ranked_by_bm25_and_counted(conn) -> None:
    res = search(conn, "防汛防台")
    assert res.method.startswith("bm25") and res.total == 6
    assert sorted(ids(res)) == [f"r{i:04d}" for i in range(0, 300, 50)]
    assert all("<mark>防汛防台</mark>" in h.snippet for h in res.hits)


def test_a_broad_query_lists_newest_first_and_says_why(conn, monkeypatch) -> None:
    monkeypatch.setattr("archive.serve.search_page.FIRST_WINDOW", 16)  # windows of 201, 402 rowids here
    res = search(conn, "政府信息公开", rank_limit=100)
    assert res.method.startswith("newest archived first") and "more than 100 reports hold 政府信息公开" in res.method
    assert ids(res) == [f"r{i:04d}" for i in range(299, 299 - PAGE, -1)]
    assert res.total is None and res.more_than >= 100
    assert "下一页" in render(res, 0)
    # the second page follows on, and the last page is counted exactly
    assert ids(search(conn, "政府信息公开", page=1, rank_limit=100)) == [f"r{i:04d}" for i in range(249, 199, -1)]
    last = search(conn, "政府信息公开", page=5, rank_limit=100)
    assert ids(last) == [f"r{i:04d}" for i in range(49, -1, -1)] and last.total == 300
    assert "下一页" not in render(last, 5)


def test_broad_and_ranked_answers_hold_the_same_reports(conn, monkeypatch) -> None:
    monkeypatch.setattr("archive.serve.search_page.FIRST_WINDOW", 16)
    for q in ("应急管理 政府信息公开", "应急 管理", "公开 应急管理", "年度报告 公开"):
        ranked = [search(conn, q, page=p, rank_limit=10_000) for p in range(8)]
        broad = [search(conn, q, page=p, rank_limit=10) for p in range(8)]
        assert all(r.method.startswith("bm25") for r in ranked), q
        assert all(b.method.startswith("newest") for b in broad), q
        in_rank_order = [h.report_id for r in ranked for h in r.hits]
        newest_first = [h.report_id for b in broad for h in b.hits]
        assert len(in_rank_order) == ranked[0].total and sorted(in_rank_order) == sorted(newest_first), q
        assert newest_first == sorted(newest_first, reverse=True), q


def test_one_character_words_are_found_newest_first(conn) -> None:
    res = search(conn, "汛")
    assert res.method.startswith("newest archived first") and "1-character" in res.method
    assert ids(res) == [f"r{i:04d}" for i in range(250, -1, -50)] and res.total == 6
