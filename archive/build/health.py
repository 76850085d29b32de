"""Per-site crawl health: rules over `crawl_runs`, `errors` and `reports` in archive.db.

The rules are one SQL query, so `xxgk nightly` (its summary and exit status) and Datasette
(the `crawl_health` view: the latest run of every site) give the same verdict from the same
data. Each rule is a column that is NULL when the rule passes and says why when it fails:

| rule | unhealthy when |
|---|---|
| `unfinished`  | the run has no `run_end` (killed, crashed, or still running) |
| `stopped`     | the crawl ended for another reason than `finished` (timeout, shutdown, ban) |
| `unreachable` | nothing could be fetched: no capture and no 304 (DNS, refused, 5xx, blocked) |
| `no_reports`  | the portal answered but no report page was found (says how many were archived before) |
| `structure`   | a list page no longer parses: `errors.kind = 'structure'` on a URL that parsed in an earlier run |
| `error_rate`  | fetch errors / requests above the threshold (default 10 %) |

Error-rate errors are stage `fetch` except `structure` (its own rule), `offsite` (dropped
before any request), `too_many_pages` (a pagination cap, not a failure) and
`duplicate_listing` (a list showing a report twice: a portal quirk, every report still fetched).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DEFAULT_MAX_ERROR_RATE = 0.10
VIEW_NAME = "crawl_health"
RULES = ("unfinished", "stopped", "unreachable", "no_reports", "structure", "error_rate")
NOT_FETCH_FAILURES = ("structure", "offsite", "too_many_pages", "duplicate_listing")

_RUN_FACTS = """
  select c.run_id, c.site_id, c.started_at, c.finished_at, c.status,
    c.requests, c.responses, c.not_modified, c.new_reports, c.changed_reports,
    c.removed_reports, c.new_attachments, c.errors,
    json_extract(c.stats, '$.reports') as reports_found,
    json_extract(c.stats, '$.captures') as captured,
    json_extract(c.stats, '$.finish_reason') as finish_reason,
    (select count(*) from errors e where e.site_id = c.site_id and e.run_id = c.run_id
       and e.kind = 'structure') as structure_errors,
    (select count(*) from ({broken})) as broken_lists,
    (select group_concat(u, ' ') from ({broken} limit 3)) as broken_urls,
    (select count(*) from errors e where e.site_id = c.site_id and e.run_id = c.run_id
       and e.stage = 'fetch' and e.kind not in ({skip})) as fetch_errors,
    (select group_concat(k, ',') from (select distinct e.kind as k from errors e
       where e.site_id = c.site_id and e.run_id = c.run_id and e.stage = 'fetch'
       and e.kind not in ({skip}) limit 5)) as error_kinds,
    (select count(*) from reports r where r.site_id = c.site_id and r.first_seen < c.started_at)
       as known_before
  from crawl_runs c
  where {where}"""

# URLs of this run's structure errors that parsed in an earlier run: fetched then (a capture
# of that run) without a structure error there. A page that never parsed (a decoy link the
# spider took for a list) is counted in structure_errors but is not "no longer parsing".
_BROKEN = """select distinct e.url as u from errors e
    where e.site_id = c.site_id and e.run_id = c.run_id and e.kind = 'structure'
      and exists (select 1 from captures p where p.url = e.url and p.site_id = c.site_id
                  and p.run_id != c.run_id and p.fetched_at < c.started_at
                  and not exists (select 1 from errors e2 where e2.site_id = c.site_id
                                  and e2.run_id = p.run_id and e2.url = e.url
                                  and e2.kind = 'structure'))"""

_RULES_SQL = """
  select f.*,
    case when f.finished_at is null
      then 'run did not finish (killed, crashed or still running)' end as rule_unfinished,
    case when f.finished_at is not null and coalesce(f.finish_reason, 'finished') != 'finished'
      then 'crawl stopped early: ' || f.finish_reason end as rule_stopped,
    case when f.finished_at is not null and coalesce(f.captured, 0) + coalesce(f.not_modified, 0) = 0
      then 'site unreachable: nothing fetched (' || coalesce(f.responses, 0) || ' responses'
           || coalesce('; errors: ' || f.error_kinds, '') || ')' end as rule_unreachable,
    case when f.finished_at is not null and coalesce(f.reports_found, 0) = 0
              and coalesce(f.captured, 0) + coalesce(f.not_modified, 0) > 0
      then 'zero reports found (' || f.known_before || ' archived before)' end as rule_no_reports,
    case when f.broken_lists > 0
      then f.broken_lists || ' list page(s) no longer parse: ' || f.broken_urls end
      as rule_structure,
    case when coalesce(f.requests, 0) > 0 and 1.0 * f.fetch_errors / f.requests > {max_rate}
      then printf('error rate %.1f%% (%d errors / %d requests; %s) over %.1f%%',
                  100.0 * f.fetch_errors / f.requests, f.fetch_errors, f.requests,
                  coalesce(f.error_kinds, ''), 100.0 * {max_rate}) end as rule_error_rate
  from facts f"""

_SELECT = """
with facts as ({facts}),
rules as ({rules})
select site_id, run_id, started_at, finished_at, status,
  case when coalesce({rule_cols}) is null then 'healthy' else 'unhealthy' end as health,
  {reasons} as reasons,
  new_reports, changed_reports, removed_reports, new_attachments, requests, responses,
  not_modified, errors, fetch_errors, structure_errors, broken_lists, reports_found, known_before,
  {rule_cols}
from rules
order by site_id, started_at"""


def _rule_cols() -> str:
    return ", ".join(f"rule_{r}" for r in RULES)


def health_sql(where: str, max_error_rate: float = DEFAULT_MAX_ERROR_RATE) -> str:
    """The health query over the crawl_runs rows `c` that match `where`."""
    rate = repr(float(max_error_rate))  # a float literal: nothing from outside reaches the SQL text
    skip = ", ".join(f"'{k}'" for k in NOT_FETCH_FAILURES)
    reasons = "rtrim(" + " || ".join(f"coalesce(rule_{r} || '; ', '')" for r in RULES) + ", '; ')"
    return _SELECT.format(facts=_RUN_FACTS.format(skip=skip, where=where, broken=_BROKEN),
                          rules=_RULES_SQL.format(max_rate=rate),
                          rule_cols=_rule_cols(), reasons=f"nullif({reasons}, '')")


LATEST_RUN = ("c.run_id = (select c2.run_id from crawl_runs c2 where c2.site_id = c.site_id "
              "order by c2.started_at desc, c2.run_id desc limit 1)")


def view_sql(max_error_rate: float = DEFAULT_MAX_ERROR_RATE) -> str:
    """`crawl_health`: the latest run of every site with its verdict and reasons."""
    # upper case as SQLite stores it in sqlite_master, so an installed view compares equal
    return f"CREATE VIEW {VIEW_NAME} AS {health_sql(LATEST_RUN, max_error_rate).strip()}"


def evaluate(db_path: Path, run_ids: Iterable[str] | None = None,
             max_error_rate: float = DEFAULT_MAX_ERROR_RATE) -> list[dict[str, Any]]:
    """Health rows for the given runs (default: the latest run of each site).

    Each row has `health` (`healthy`/`unhealthy`), `reasons` (text) and `failed_rules`
    (list of rule names), plus the run's counts.
    """
    run_ids = list(run_ids) if run_ids is not None else None
    if run_ids is not None and not run_ids:
        return []
    where = LATEST_RUN if run_ids is None else f"c.run_id in ({', '.join('?' * len(run_ids))})"
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in con.execute(health_sql(where, max_error_rate), run_ids or [])]
    finally:
        con.close()
    for row in rows:
        row["failed_rules"] = [r for r in RULES if row.pop(f"rule_{r}") is not None]
    return rows

