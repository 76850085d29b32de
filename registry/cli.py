"""`xxgk sites list | check | add URL`: the portal registry from the command line.

`add` runs `xxgk detect` on the URL (family, 信息公开 entry, 年度报告 columns), tells the
division from the pages' titles and text (or `--region`), and appends one line to the
registry, checked like every other line. `--base-url` detects through a replica: the URL is
the real portal's, the pages come from the replica, the line names the real portal.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from registry import divisions
from registry import sites as registry

Fetch = Callable[[str], "tuple[int, str, str]"]
TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
GOVERNMENT_RE = re.compile(r"[\u4e00-\u9fff]{2,20}人民政府")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", type=Path, help="registry file (default: $XXGK_REGISTRY or registry/sites.csv)")
    sub = parser.add_subparsers(dest="sites_command", required=True)
    ls = sub.add_parser("list", help="every registry line with its status")
    ls.add_argument("--status", choices=registry.STATUSES, help="only lines with this status")
    sub.add_parser("check", help="validate the registry; exit 1 with every problem when a line is bad")
    add = sub.add_parser("add", help="detect a portal and append its registry line")
    add.add_argument("url", help="the portal's home page (or its 信息公开 page)")
    add.add_argument("--site-id", help="slug (default: from the host name)")
    add.add_argument("--region", help="6-digit 行政区划代码 (default: told from the pages)")
    add.add_argument("--name", help="the portal's government (default: from the pages, else from the division)")
    add.add_argument("--status", choices=registry.STATUSES,
                     help="default: active when detection found an annual-report column, else unverified")
    add.add_argument("--base-url", help="fetch through this replica origin; the line keeps the real URLs")
    add.add_argument("--max-pages", type=int, default=8, help="pages detection may fetch (default 8)")
    add.add_argument("--dry-run", action="store_true", help="print the line, do not write it")


def run(args: argparse.Namespace) -> int:
    path = args.registry or registry.registry_path()
    if args.sites_command == "add":
        return cmd_add(args, path)
    try:
        sites = registry.load(path)
    except FileNotFoundError:
        print(f"{path}: no such registry file", file=sys.stderr)
        return 1
    except registry.RegistryError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if args.sites_command == "check":
        active = sum(s.status == "active" for s in sites)
        print(f"{path}: {len(sites)} sites ({active} active, {len(sites) - active} unverified), all lines valid")
        return 0
    print(format_list([s for s in sites if not args.status or s.status == args.status]))
    return 0


def format_list(sites: list[registry.Site]) -> str:
    rows = [("site_id", "status", "region", "family", "name", "home_url")]
    rows += [(s.site_id, s.status, s.region_code, s.family, s.name, s.home_url) for s in sites]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)) + "  " + r[-1]
                     for r in rows)


def _width(text: str) -> int:  # CJK characters take two columns in a terminal
    return sum(2 if "\u2e80" <= ch <= "\u9fff" else 1 for ch in text)


# -- add ---------------------------------------------------------------------------------------
def rebasing_fetch(fetch: Fetch, real_url: str, base_url: str) -> Fetch:
    """Fetch real-portal URLs from a replica origin and answer as if the portal had."""
    real = urlsplit(real_url)
    real_origin, local = f"{real.scheme}://{real.netloc}", base_url.rstrip("/")

    def wrapped(url: str) -> tuple[int, str, str]:
        if url.startswith(real_origin):
            url = local + url[len(real_origin):]
        status, final, text = fetch(url)
        return status, final.replace(local, real_origin), text.replace(local, real_origin)
    return wrapped


def recording_fetch(fetch: Fetch, pages: list[str]) -> Fetch:
    def wrapped(url: str) -> tuple[int, str, str]:
        status, final, text = fetch(url)
        if status < 400:
            pages.append(text)
        return status, final, text
    return wrapped


def region_from_pages(pages: list[str]) -> tuple[divisions.Division, str] | None:
    """The division a portal belongs to, from its page titles, else the names its pages repeat."""
    for text in pages:
        for title in TITLE_RE.findall(text):
            found = divisions.find_in_text(title)
            if found:
                return found[0], f"page title {title.strip()!r}"
    body = re.sub(r"<[^>]+>", " ", " ".join(pages))
    unique_names = {}
    for d in divisions.all_divisions():
        unique_names[d.name] = unique_names.get(d.name, 0) + 1
    best: dict[str, tuple[int, divisions.Division]] = {}
    for d in divisions.all_divisions():
        score = 3 * body.count(d.full_name) if d.level == "county" and d.prefecture else 0
        if unique_names[d.name] == 1:
            score += body.count(d.name)
        if score and (d.level not in best or score > best[d.level][0]):
            best[d.level] = (score, d)
    for level in ("county", "prefecture", "province"):
        if level in best and best[level][0] >= 2:
            score, d = best[level]
            return d, f"{score} mentions in the pages' text"
    return None


def ambiguous_divisions(pages: list[str]) -> list[divisions.Division]:
    """Divisions whose name a page title carries but shares with others (朝阳区: Beijing, Changchun)."""
    titles = " ".join(t for text in pages for t in TITLE_RE.findall(text))
    return [d for d in divisions.all_divisions() if d.level != "province" and d.name in titles]


def default_site_id(url: str) -> str:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    label = host.removesuffix(".gov.cn").split(".")[0]
    return re.sub(r"[^a-z0-9_-]+", "-", label.lower()).strip("-") or "site"


def portal_name(pages: list[str], division: divisions.Division) -> str:
    for text in pages:
        for title in TITLE_RE.findall(text):
            for name in GOVERNMENT_RE.findall(title):
                if division.name in name:
                    prefix = division.prefecture if division.kind == "市辖区" and division.prefecture else ""
                    return name if not prefix or name.startswith(prefix) else prefix + name
    prefix = division.prefecture if division.kind == "市辖区" and division.prefecture else ""
    return f"{prefix}{division.name}人民政府"


def site_from_detection(url: str, fetch: Fetch | None = None, *, site_id: str | None = None,
                        region: str | None = None, name: str | None = None, status: str | None = None,
                        max_pages: int = 8, today: date | None = None) -> registry.Site:
    from crawler.detect import detect, http_fetch

    pages: list[str] = []
    det = detect(url, fetch=recording_fetch(fetch or http_fetch(), pages), max_pages=max_pages)
    if not det.pages_fetched:
        raise SystemExit(f"{url}: nothing could be fetched ({'; '.join(det.errors) or 'no answer'})")
    if region:
        division = divisions.lookup(region)
        if division is None:
            raise SystemExit(f"--region {region}: not a division code in {divisions.source()}")
        how = "--region"
    else:
        found = region_from_pages(pages)
        if found is None:
            maybe = ambiguous_divisions(pages)
            hint = ("; the titles name " + ", ".join(f"{d.code} {d.province}{d.full_name}" for d in maybe[:6])
                    if maybe else "")
            raise SystemExit(f"{url}: could not tell the division from the pages{hint}; give --region CODE")
        division, how = found
    entry = det.entry_url
    columns = [c.url for c in det.columns if c.url != entry]
    note = (f"added by xxgk sites add on {(today or date.today()).isoformat()}: detected "
            f"{det.family}{f' ({det.variant})' if det.variant else ''}, {len(det.columns)} annual-report "
            f"column(s); region from {how}")
    return registry.Site(
        site_id=site_id or default_site_id(det.home_url), status=status or ("active" if det.columns else "unverified"),
        region_code=division.code, province=division.province,
        prefecture=division.prefecture or (division.name if division.level == "prefecture" else ""),
        county=division.name if division.level == "county" else "",
        name=name or portal_name(pages, division), family=det.family if det.family in registry.FAMILIES else "generic",
        home_url=det.home_url, entry_urls=(entry,) if entry else (), footholds=tuple(columns), note=note)


def cmd_add(args: argparse.Namespace, path: Path) -> int:
    fetch = None
    if args.base_url:
        from crawler.detect import http_fetch

        fetch = rebasing_fetch(http_fetch(), args.url, args.base_url)
    site = site_from_detection(args.url, fetch, site_id=args.site_id, region=args.region, name=args.name,
                               status=args.status, max_pages=args.max_pages)
    try:
        if args.dry_run:
            text = path.read_text(encoding="utf-8-sig") if path.exists() else ",".join(registry.COLUMNS)
            site = registry.parse(text.rstrip("\n") + "\n" + site.to_line() + "\n", source=str(path))[-1]
        else:
            site = registry.append(site, path)
    except registry.RegistryError as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 1
    print(site.to_line())
    print(f"{'would add' if args.dry_run else 'added'} {site.site_id} ({site.province}{site.prefecture}"
          f"{site.county}, {site.family}) to {path}", file=sys.stderr)
    return 0
