"""Agency names across institutional reforms: one canonical name per region and lineage.

A county's 安全生产监督管理局 reports until 2018 and its 应急管理局 from 2019: the same series.
`archive/parse/agency_lineage.csv` lists the renames and merges (old body → new body, the reform,
its years and the source); `canonical_agency` splits a printed name into region + body and follows
the rules to the newest body, so `晋江市安全生产监督管理局` → `晋江市应急管理局`. The printed name is
always kept beside it (reports.agency, report_agencies.agency_printed). See docs/agency-lineage.md.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LINEAGE_CSV = Path(__file__).with_name("agency_lineage.csv")
# the region is everything up to the last administrative-division character before the body
_REGION = re.compile(r"^(.*?(?:省|自治区|市|自治州|州|盟|地区|县|自治县|区|旗|镇|乡|街道))(?=[^省市县区旗镇乡]{2,}$)")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    old_body: str
    new_body: str
    reform: str
    years: str
    kind: str      # rename | merge
    source: str


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    with LINEAGE_CSV.open(encoding="utf-8", newline="") as fh:
        return tuple(Rule(**row) for row in csv.DictReader(fh))


@lru_cache(maxsize=1)
def _bodies() -> tuple[str, ...]:
    """Every body the rules name, longest first (`市场监督管理局` must not split at its 市)."""
    return tuple(sorted({b for r in rules() for b in (r.old_body, r.new_body)}, key=len, reverse=True))


def split_agency(name: str) -> tuple[str, str]:
    """(region, body): `福州市长乐区应急管理局` -> (`福州市长乐区`, `应急管理局`); no region -> ("", name)."""
    for body in _bodies():
        if name.endswith(body) and len(name) > len(body):
            return name[:-len(body)], body
    m = _REGION.match(name)
    return (m.group(1), name[m.end(1):]) if m else ("", name)


@dataclass(frozen=True)
class Canonical:
    name: str
    region: str
    body: str
    rules: tuple[str, ...]   # rule ids followed, oldest first (empty: the name is current)


@lru_cache(maxsize=65536)
def canonical_agency(printed: str | None) -> Canonical | None:
    """The canonical (newest) name of an agency's lineage; None for no name."""
    if not printed:
        return None
    name = "".join(printed.split())
    region, body = split_agency(name)
    by_old = {r.old_body: r for r in rules()}
    followed: list[str] = []
    while body in by_old and len(followed) < 8:
        rule = by_old[body]
        followed.append(rule.rule_id)
        body = rule.new_body
    return Canonical(region + body, region, body, tuple(followed))
