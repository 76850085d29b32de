"""The canned queries that read summary tables (archive.build.summaries) answer exactly what
their earlier SQL over report_headlines answered, for every parameter, after a full refresh
and after refreshing only the sites that changed."""
from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
import sqlite_utils
import yaml

from archive.build import summaries
from archive.build.schema import ensure_schema

REPO = Path(__file__).resolve().parent.parent
BEFORE = json.loads((Path(__file__).parent / "fixtures" / "canned" / "before_summaries.json").read_text("utf-8"))
NOW = yaml.safe_load((REPO / "datasette-metadata.yml").read_text("utf-8"))["databases"]["archive"]["queries"]
SITES = [f"s{i}" for i in range(6)]
AGENCIES = ["应急管理局", "水利局", "人民政府办公室", "市场监督管理局", "Bureau", None]
RULES = ["R1", "R2", "R3", "R5"]


def fill(db: sqlite_utils.Database, rng: random.Random, sites: list[str], start: int) -> None:
    """Reports with headline figures (NULLs included, one agency twice in a year) and checks."""
    reports, headlines, attachments = [], [], []
    for i in range(start, start + 600):
        site, year = sites[i % len(sites)], 2014 + rng.randrange(10)
        agency = rng.choice(AGENCIES)
        if agency:
            agency = f"{site}{agency}" if rng.random() < 0.7 else agency  # some names on several sites
        rid = f"{i:016x}"
        reports.append({"report_id": rid, "site_id": site, "agency": agency, "report_year": year,
                        "sha256": f"{i:064x}", "url": f"http://{site}/{i}.htm"})
        maybe = lambda: None if rng.random() < 0.15 else rng.randrange(0, 300)  # noqa: E731
        headlines.append({
            "report_id": rid, "site_id": site, "agency": agency, "report_year": year,
            "applications_received": maybe(), "granted": maybe(), "partial": maybe(), "denied": maybe(),
            "unable": maybe(), "not_processed": maybe(), "other_handling": maybe(), "results_total": maybe(),
            "reviews_total": maybe(), "reviews_corrected": maybe(), "suits_direct": maybe(),
            "suits_after_review": maybe(), "suits_total": maybe(), "suits_corrected": maybe()})
        if i % 3 == 0:
            attachments.append({"attachment_id": f"a{i:015x}", "report_id": rid, "filename": f"{i}.pdf",
                                "ext": "pdf", "size": i, "sha256": f"{i:064x}", "url": f"http://{site}/{i}.pdf"})
    db["reports"].insert_all(reports)
    db["report_headlines"].insert_all(headlines)
    db["attachments"].insert_all(attachments)
    rowids = dict(db.execute("select report_id, rowid from reports"))
    db.conn.executemany("insert into check_results values (?, ?, ?, ?, ?, ?)",
                        [(rowids[r["report_id"]], seq, rule, int(rng.random() > 0.2), "error", f"{rule} on {r['report_id']}")
                         for r in reports for seq, rule in enumerate(RULES)])


@pytest.fixture()
def db(tmp_path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(tmp_path / "archive.db")
    ensure_schema(db)
    fill(db, random.Random(5), SITES, 0)
    summaries.refresh(db)
    db.conn.commit()
    return db


PARAMS = {
    "requests_by_agency_year": [{"agency": "", "year": ""}, {"agency": "应急", "year": ""},
                                {"agency": "s3水利", "year": "2020"}, {"agency": "", "year": "2016"},
                                {"agency": "没有", "year": ""}],
    "outcome_mix": [{"site": ""}, {"site": "s2"}, {"site": "nowhere"}],
    "review_litigation_by_year": [{"site": ""}, {"site": "s4"}],
    "failed_checks": [{"rule": "", "site": ""}, {"rule": "R2", "site": ""}, {"rule": "R1", "site": "s0"}],
    "agency_attachments": [{"agency": "Bureau"}, {"agency": "s1"}, {"agency": ""}],
    "agency_reports": [{"agency": "办公室"}, {"agency": "s5应急管理局"}, {"agency": ""}],
}


def run(db: sqlite_utils.Database, sql: str, params: dict) -> list[tuple]:
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


def same_answers(db: sqlite_utils.Database) -> None:
    for name, cases in PARAMS.items():
        for params in cases:
            before, now = run(db, BEFORE[name], params), run(db, NOW[name]["sql"], params)
            assert Counter(now) == Counter(before), (name, params)
            assert now == before or _ties_only(name, now, before), (name, params)


def _ties_only(name: str, now: list[tuple], before: list[tuple]) -> bool:
    """Rows that tie on the ORDER BY keys may come in any order, in both SQL forms."""
    keys = {"requests_by_agency_year": lambda r: (-r[2], -r[3]), "failed_checks": lambda r: (-r[3], r[1], r[2] or "", r[4]),
            "agency_attachments": lambda r: -r[0], "agency_reports": lambda r: (-r[0], r[3] or "")}[name]
    return [keys(r) for r in now] == [keys(r) for r in before]


def test_the_canned_queries_answer_as_before(db) -> None:
    assert db["failed_check_rows"].count < 1000  # no cut at the limit: the whole answers compare
    assert db["agency_year_requests"].count > 100 and db["site_year_outcomes"].count > 30
    same_answers(db)


def test_refreshing_the_changed_sites_only_keeps_the_answers(db) -> None:
    rng = random.Random(9)
    db.execute("delete from report_headlines where site_id = 's1' and report_year = 2019")
    db.execute("update report_headlines set applications_received = 7, results_total = null where site_id = 's2'")
    db.execute("delete from check_results where report_rowid in (select rowid from reports where site_id = 's2') "
               "and seq = 0")
    fill(db, rng, ["s1", "s6"], 10_000)  # s6: a new site
    summaries.refresh(db, {"s1", "s2", "s6"})
    same_answers(db)
    summaries.refresh(db, set())  # nothing changed: nothing to do
    same_answers(db)


def test_a_changed_definition_recomputes_the_whole_summary(db, monkeypatch) -> None:
    db.execute("delete from agency_sites")
    changed = [s if s.name != "agency_sites" else summaries.Summary(s.name, s.create, s.select + " ", s.indexes)
               for s in summaries.SUMMARIES]
    monkeypatch.setattr(summaries, "SUMMARIES", tuple(changed))
    summaries.refresh(db, {"s0"})
    assert {r[0] for r in db.execute("select distinct site_id from agency_sites")} == set(SITES)
