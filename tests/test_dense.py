"""Dense cell storage: what the parser emits comes back unchanged through the long-form views,
while the stored form is one row per printed row; the search index layer routes words by length."""
from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils

from archive.build.dense import APPLICANTS, Labels, write_cells
from archive.build.schema import ensure_schema
from archive.build.search import store_text
from archive.store.search_index import bigram_text, char_text, match_sql, plan_search

S3_ROWS = ["new", "carried_over", "granted", "denied.state_secret", "results_total"]


def _cells() -> dict[str, list[dict]]:
    s3 = []
    for i, row in enumerate(S3_ROWS):
        for j, app in enumerate(APPLICANTS):
            s3.append({"row_key": row, "applicant": app, "raw": str(i * j), "value": i * j, "flags": []})
    s3[0].update(raw="－", value=0, flags=["dash"])             # printed as a dash, normalised to 0
    s3[1].update(raw="", value=None, flags=["blank"])          # printed blank: no number
    s3.append({"row_key": "other.new_kind", "applicant": "total", "raw": "3件", "value": 3.0,
               "flags": ["unit_stripped"], "row_label": "（八）新的一行", "template": "G2"})
    s4 = [{"group_key": g, "result_key": r, "raw": "1", "value": 1, "flags": []}
          for g in ("review", "litigation_direct") for r in ("upheld", "total")]
    s2 = [{"article": "20.1", "row_key": "regulations", "col_key": "issued", "row_label": "规章",
           "col_label": "本年制发件数", "raw": "5", "value": 5.0, "unit": None, "flags": []},
          {"article": "20.8", "row_key": "fees", "col_key": "amount_wan", "row_label": "行政事业性收费",
           "col_label": "本年收费金额（单位：万元）", "raw": "1.5万元", "value": 1.5, "unit": "万元",
           "flags": ["unit_stripped"]}]
    checks = [{"rule": "R1", "ok": True, "severity": "E", "detail": "a"},
              {"rule": "R1", "ok": False, "severity": "E", "detail": "b"}]
    return {"application_counts": s3, "review_litigation_counts": s4, "disclosure_items": s2,
            "consistency_checks": checks}


@pytest.fixture()
def db(tmp_path):
    db = sqlite_utils.Database(tmp_path / "a.db")
    ensure_schema(db)
    db["reports"].insert_all([{"report_id": "r1", "template": "G1", "text_id": store_text(db.conn, "正文", None)},
                              {"report_id": "r2", "template": "G2"}])
    rowid = db.execute("select rowid from reports where report_id = 'r1'").fetchone()[0]
    write_cells(db.conn, Labels(db.conn), rowid, "G1", _cells())
    db.conn.commit()
    db.conn.row_factory = sqlite3.Row
    return db


def _long(db, view: str) -> list[dict]:
    return [dict(r) for r in db.conn.execute(f"select * from {view} where report_id = 'r1'")]


def test_section_three_is_one_row_per_printed_row(db):
    rows = db.conn.execute("select * from application_rows").fetchall()
    assert len(rows) == len(S3_ROWS) + 1  # 5 printed rows + the unknown one, not 36 cells
    assert all(r["extra"] is None for r in rows[2:len(S3_ROWS)])  # ordinary rows carry nothing else
    new = db.conn.execute("select a.*, l.label from application_rows a join application_row_labels l "
                          "using (row_id) where l.row_key = 'new'").fetchone()
    assert new["label"] == "一、本年新收政府信息公开申请数量"  # the official label, from the lookup table
    assert [new[a] for a in APPLICANTS] == [0, None, 0, 0, 0, 0, 0]
    assert db.conn.execute("select typeof(total) from application_rows a join application_row_labels l "
                           "using (row_id) where l.row_key = 'other.new_kind'").fetchone()[0] == "integer"


def test_long_form_views_give_back_what_the_parser_emitted(db):
    got = {(r["row_key"], r["applicant"]): r for r in _long(db, "application_counts")}
    emitted = _cells()["application_counts"]
    assert len(got) == len(emitted)
    for cell in emitted:
        row = got[(cell["row_key"], cell["applicant"])]
        assert row["raw"] == cell["raw"] and json.loads(row["flags"]) == cell["flags"]
        assert row["value"] == cell["value"]
        assert row["template"] == cell.get("template", "G1")
    assert got[("other.new_kind", "total")]["row_label"] == "（八）新的一行"
    assert got[("granted", "total")]["row_label"] == "（一）予以公开"
    s4 = _long(db, "review_litigation_counts")
    assert sorted((r["group_key"], r["result_key"], r["raw"], r["value"]) for r in s4) == sorted(
        (c["group_key"], c["result_key"], c["raw"], c["value"]) for c in _cells()["review_litigation_counts"])
    s2 = {r["col_key"]: r for r in _long(db, "disclosure_items")}
    assert (s2["issued"]["value"], s2["issued"]["raw"], s2["issued"]["unit"], s2["issued"]["article"]) == (5, "5", None, "20.1")
    assert (s2["amount_wan"]["value"], s2["amount_wan"]["raw"], s2["amount_wan"]["unit"]) == (1.5, "1.5万元", "万元")
    assert s2["amount_wan"]["col_label"] == "本年收费金额（单位：万元）"
    assert [(r["rule"], r["ok"], r["detail"]) for r in _long(db, "consistency_checks")] == [
        ("R1", 1, "a"), ("R1", 0, "b")]


def test_rewriting_a_report_replaces_its_rows_and_deleting_it_removes_them(db):
    rowid = db.conn.execute("select rowid from reports where report_id = 'r1'").fetchone()[0]
    write_cells(db.conn, Labels(db.conn), rowid, "G1", {"application_counts": [
        {"row_key": "new", "applicant": "total", "raw": "9", "value": 9, "flags": []}]})
    assert [(r["row_key"], r["value"]) for r in _long(db, "application_counts")] == [("new", 9)]
    assert _long(db, "consistency_checks") == []
    from archive.build.dense import delete_orphans
    db.conn.execute("delete from reports where report_id = 'r1'")
    delete_orphans(db.conn)
    assert db.conn.execute("select count(*) from application_rows").fetchone()[0] == 0


def test_the_report_text_is_indexed_by_both_indexes(db):
    assert db.conn.execute("select body_text from report_texts where report_id = 'r1'").fetchone()[0] == "正文"
    for index, query in (("reports_bigram_fts", '"正文"'), ("reports_bigram_fts", '"文"*'),
                         ("reports_char_fts", '"文"')):
        assert len(db.conn.execute(f"select rowid from {index} where {index} match ?", [query]).fetchall()) == 1


def test_bigram_text():
    assert bigram_text("政府信息，公开 2021年R1") == "政府 府信 信息 息 公开 开 2021 年 R1"
    assert bigram_text("") == "" and bigram_text(None) is None


def test_words_are_routed_by_length():
    plan = plan_search("税  公开 行政复议 R1")
    assert [(w.text, w.index, w.match) for w in plan] == [
        ("税", "char", '"税"'), ("公开", "bigram", '"公开"'),
        ("行政复议", "trigram", '"行政复议"'), ("R1", "bigram", '"r1"*')]
    sql, params = match_sql("reports", "公开 行政复议 税 局")
    assert sql.count(" match ?") == 3 and sql.count(" intersect ") == 2
    assert params == ['"行政复议"', '"公开"', '"税" AND "局"']
    assert char_text("政府 政务", None, "R1") == "1 r 务 府 政"
    assert match_sql("reports", " ，。 ") is None
