"""Fold the capture records into table rows and report history.

Pure with respect to the database: `fold(records)` takes the record stream (in run order)
and returns plain row dicts for sites, reports (crawl-owned columns only), captures,
attachments, crawl_runs, errors and report_history. Records are deduped by id, so repeated
lines from re-runs or several workers merge. Each kind's fields are those
`archive.store.record_types` declares (tests/test_records.py checks the fold asks for no other).

History rules (spec/archive.md, reports):
- a report is *seen* by a `report` record, by a `listing` that shows one of its URLs, by a
  `not_modified` or a 2xx `capture` of one of its URLs;
- it is *gone* after a later run that read the report's column completely and listed it
  without the report (per column: `_complete_columns`; older runs without
  `incomplete_columns` in their stats only when finished `ok`, or `degraded` only by faults of
  report pages and attachments), or on a 404/410 (error record `http_404`/`http_410` or
  capture status) for its URL; URLs are compared normalised (`archive.store.urlnorm`);
- walking the events in time order gives first_seen, last_seen, removed_at (cleared when it
  comes back: a `returned` event is recorded), and a `changed` event whenever one of its URLs
  serves a new sha256 (the same report listed at two URLs with different page chrome is two
  URLs, not a change).
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from archive.store import urlnorm
from archive.store.records import short_hash

GONE_STATUSES = {404, 410}
GONE_ERROR_KINDS = {"http_404", "http_410", "not_found", "gone"}
STAT_FIELDS = ("requests", "responses", "not_modified")
STATUS_RANK = {"ok": 0, "degraded": 1, "failed": 2}


@dataclass
class Folded:
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    captures: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    # report_id -> sha256s of its attachments (current versions), for the parse key
    report_attachments: dict[str, list[str]] = field(default_factory=dict)
    # report_id -> page capture row (latest version)
    page_capture: dict[str, dict[str, Any]] = field(default_factory=dict)


class _Acc:
    """Mutable state of one pass over the records."""

    def __init__(self) -> None:
        self.out = Folded()
        self.site_meta: dict[str, dict[str, Any]] = defaultdict(dict)
        self.site_info: dict[str, dict[str, Any]] = {}  # site_id -> the latest run_start's site_info
        self.columns: dict[str, dict[str, None]] = defaultdict(dict)
        self.url_seen: dict[str, list[tuple[str, str]]] = defaultdict(list)   # url -> [(at, run)]
        self.url_gone: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.run_listed: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.run_last_at: dict[str, str] = {}
        self.versions: dict[str, list[dict[str, Any]]] = defaultdict(list)  # report_id -> report recs
        self.att_versions: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.capture_report: dict[str, str] = {}

    def add(self, rec: dict[str, Any]) -> None:
        run, at = rec.get("run_id") or "", rec.get("at") or ""
        if run and at > self.run_last_at.get(run, ""):
            self.run_last_at[run] = at
        getattr(self, "_" + rec["type"])(rec, run, at)

    def _run(self, rec: dict[str, Any], run: str) -> dict[str, Any]:
        return self.out.runs.setdefault(run, {
            "run_id": run, "site_id": rec["site_id"], "started_at": None, "finished_at": None,
            "status": None, "spider": None, "stats": {}})

    def _run_start(self, rec, run, at):
        row = self._run(rec, run)
        row["started_at"] = min(filter(None, [row["started_at"], at]), default=at)
        row["spider"] = rec.get("spider") or row["spider"]
        meta = self.site_meta[rec["site_id"]]
        meta.setdefault("platform", rec.get("platform"))
        if rec.get("base_url"):
            meta["home_url"] = rec["base_url"]
        if isinstance(rec.get("site_info"), dict):
            self.site_info[rec["site_id"]] = rec["site_info"]

    def _run_end(self, rec, run, at):
        row = self._run(rec, run)
        row["finished_at"] = max(filter(None, [row["finished_at"], at]), default=at)
        status = rec.get("status") or "failed"
        if row["status"] is None or STATUS_RANK.get(status, 2) > STATUS_RANK.get(row["status"], 2):
            row["status"] = status
        for k, v in (rec.get("stats") or {}).items():  # several workers: numbers add up
            if k == "incomplete_columns":  # several workers: any worker's incomplete read counts
                row["stats"][k] = sorted(set(row["stats"].get(k) or ()) | set(v or ()))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                row["stats"][k] = row["stats"].get(k, 0) + v
            else:
                row["stats"][k] = v

    def _column(self, rec, run, at):
        self.columns[rec["site_id"]][rec["url"]] = None

    def _listing(self, rec, run, at):
        urls = rec.get("report_urls") or []
        self.run_listed[run][rec.get("column_url") or ""].update(urls)
        for u in urls:
            self.url_seen[u].append((at, run))

    def _capture(self, rec, run, at):
        cid = rec["capture_id"]
        if cid not in self.out.captures:
            self.out.captures[cid] = {
                "capture_id": cid, "run_id": run, "site_id": rec["site_id"], "url": rec.get("url"),
                "report_id": None, "fetched_at": at, "http_status": rec.get("http_status"),
                "content_type": rec.get("content_type"), "charset": rec.get("charset"),
                "sha256": rec.get("sha256"), "size": rec.get("size"), "raw_path": rec.get("raw_path"),
                "etag": rec.get("etag"), "last_modified": rec.get("last_modified"),
                "fetched_with": rec.get("fetched_with"), "request_url": rec.get("request_url"),
                "kind": rec.get("kind")}
        status = rec.get("http_status") or 0
        for u in {rec.get("url"), rec.get("request_url")} - {None}:
            if status in GONE_STATUSES:
                self.url_gone[u].append((at, run))
            elif 200 <= status < 300 and rec.get("kind") == "detail":
                self.url_seen[u].append((at, run))

    def _not_modified(self, rec, run, at):
        self.url_seen[rec["url"]].append((at, run))

    def _report(self, rec, run, at):
        self.versions[rec["report_id"]].append(rec)
        if rec.get("capture_id"):
            self.capture_report[rec["capture_id"]] = rec["report_id"]

    def _attachment(self, rec, run, at):
        self.att_versions[short_hash(rec["report_id"], rec["url"])].append(rec)
        if rec.get("capture_id"):
            self.capture_report[rec["capture_id"]] = rec["report_id"]

    def _error(self, rec, run, at):
        eid = short_hash(run, rec.get("url") or "", rec.get("stage") or "", rec.get("kind") or "",
                         at, rec.get("message") or "")
        self.out.errors[eid] = {
            "error_id": eid, "run_id": run, "site_id": rec["site_id"], "url": rec.get("url"),
            "stage": rec.get("stage"), "kind": rec.get("kind"), "message": rec.get("message"),
            "at": at, "report_id": None, "origin": "crawl"}
        if rec.get("kind") in GONE_ERROR_KINDS and rec.get("url"):
            self.url_gone[rec["url"]].append((at, run))


def fold(records: Iterable[dict[str, Any]],
         registry_info: Callable[[str], dict[str, Any] | None] | None = None) -> Folded:
    """All table rows derivable from the records alone (no raw bodies read).

    `registry_info(site_id)`: the shipped portal registry's facts (data, never the crawler),
    filling what a site's `run_start.site_info` does not say (runs that wrote none)."""
    acc = _Acc()
    for rec in records:
        acc.add(rec)
    out = acc.out
    for cid, rid in acc.capture_report.items():
        if cid in out.captures:
            out.captures[cid]["report_id"] = rid
    _fold_attachments(acc)
    _fold_reports(acc)
    _fold_runs(acc)
    _fold_sites(acc, registry_info)
    return out


def _fold_attachments(acc: _Acc) -> None:
    out = acc.out
    first_sha_run: dict[str, str] = {}
    for aid, recs in acc.att_versions.items():
        recs.sort(key=lambda r: r.get("at") or "")
        for r in recs:
            first_sha_run.setdefault(r.get("sha256") or "", r["run_id"])
        last = recs[-1]
        out.attachments[aid] = {
            "attachment_id": aid, "report_id": last["report_id"], "url": last.get("url"),
            "filename": last.get("filename"), "ext": last.get("ext"), "mime": last.get("mime"),
            "size": last.get("size"), "sha256": last.get("sha256"), "raw_path": last.get("raw_path"),
            "final_url": last.get("final_url"), "capture_id": last.get("capture_id"),
            "site_id": last["site_id"], "first_seen": recs[0].get("at")}
        out.report_attachments.setdefault(last["report_id"], []).append(last.get("sha256") or "")
    for sha, run in first_sha_run.items():
        if run in out.runs:
            out.runs[run]["new_attachments"] = out.runs[run].get("new_attachments", 0) + 1


def _report_row(rid: str, last: dict[str, Any]) -> dict[str, Any]:
    keys = ("site_id", "url", "title", "index_no", "doc_no", "topic", "written_date",
            "published_date", "validity", "source", "canonical_url", "column_url",
            "listed_title", "listed_date", "capture_id", "sha256")
    row = {k: last.get(k) for k in keys}
    row["report_id"] = rid
    row["page_agency"] = last.get("agency")
    row["extra"] = json.dumps(last.get("extra") or {}, ensure_ascii=False, sort_keys=True)
    link_text = {a.get("url"): a.get("link_text") for a in last.get("attachments") or []}
    return row | {"_link_text": link_text}


# Errors that say nothing about whether a column was listed completely.
LISTING_NEUTRAL_KINDS = frozenset({"duplicate_listing", "robots_disallowed", "offsite"})


def _runs_with_complete_listings(acc: _Acc) -> set[str]:
    """Runs whose listings can prove a report gone: finished `ok`, or `degraded` only by
    faults of report pages and attachments (a broken PDF, a report listed twice), never by
    a list page, the discovery or the site itself."""
    page_urls = {c["url"] for c in acc.out.captures.values() if c.get("kind") in ("detail", "attachment")}
    page_urls |= {c["request_url"] for c in acc.out.captures.values()
                  if c.get("kind") in ("detail", "attachment") and c.get("request_url")}
    page_urls |= {r.get("url") for recs in acc.versions.values() for r in recs}
    for recs in acc.versions.values():
        page_urls |= {a.get("url") for r in recs for a in r.get("attachments") or []}
    harmful: set[str] = set()
    for err in acc.out.errors.values():
        if err["kind"] in LISTING_NEUTRAL_KINDS or err.get("url") in page_urls:
            continue
        harmful.add(err["run_id"])
    return {run for run, row in acc.out.runs.items()
            if row["status"] == "ok" or (row["status"] == "degraded" and run not in harmful)}


def _complete_columns(acc: _Acc, run: str, run_row: dict[str, Any], trusted: bool) -> set[str]:
    """The columns whose listing in `run` can prove a report gone.

    Per column (issue #13 §2): a run that finished and says which columns it could not read
    completely (`incomplete_columns` in its stats) proves absences in every other column it
    listed, whatever failed elsewhere on the site (a retried 503, a broken report page, an
    unreachable sub-site). Older runs, without that field, count as a whole (`trusted`).
    """
    listed = acc.run_listed.get(run)
    if not listed:
        return set()
    stats = run_row.get("stats") or {}
    if "incomplete_columns" in stats:
        if stats.get("finish_reason") != "finished":
            return set()
        return set(listed) - set(stats.get("incomplete_columns") or ())
    return set(listed) if trusted else set()


def _fold_reports(acc: _Acc) -> None:
    out = acc.out
    ok_runs: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    trusted = _runs_with_complete_listings(acc)
    for run, run_row in out.runs.items():
        usable = _complete_columns(acc, run, run_row, run in trusted)
        if usable:
            ok_runs[run_row["site_id"]].append((run, usable))
    atts_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for att in out.attachments.values():
        atts_of[att["report_id"]].append(att)
    for rid, recs in acc.versions.items():
        recs.sort(key=lambda r: r.get("at") or "")
        last = recs[-1]
        row = _report_row(rid, last)
        if not row["capture_id"]:  # seen again through a 304: the page is the newest version captured
            captured = [r for r in recs if r.get("capture_id")]
            if captured:
                row["capture_id"], row["sha256"] = captured[-1]["capture_id"], captured[-1].get("sha256")
        for att in atts_of.get(rid, ()):
            att["link_text"] = row["_link_text"].get(att["url"])
        del row["_link_text"]
        urls = {u for r in recs for u in (r.get("url"), r.get("canonical_url")) if u}
        urls |= {out.captures[r["capture_id"]]["request_url"] for r in recs
                 if r.get("capture_id") in out.captures and out.captures[r["capture_id"]]["request_url"]}
        events: list[tuple[str, int, str, str, dict[str, Any] | None]] = []
        for r in recs:
            events.append((r.get("at") or "", 0, "seen", r["run_id"], r))
        for u in urls:
            events += [(at, 0, "seen", run, None) for at, run in acc.url_seen.get(u, ())]
            events += [(at, 1, "gone", run, None) for at, run in acc.url_gone.get(u, ())]
        column = row.get("column_url")
        site = row["site_id"]
        spelled = {urlnorm.normalize(u) for u in urls}
        for run, usable in ok_runs.get(site, ()):
            listed = acc.run_listed[run]
            if column:
                shown = listed.get(column) if column in usable else None
            else:
                shown = set().union(*listed.values()) if usable >= set(listed) else None
            if shown is not None and not (urls & shown) and not (spelled & {urlnorm.normalize(u) for u in shown}):
                events.append((out.runs[run]["finished_at"] or acc.run_last_at.get(run, ""), 1,
                               "gone", run, None))
        row.update(_walk(rid, site, sorted(events, key=lambda e: (e[0], e[1])), out))
        row["versions"] = len({r.get("sha256") for r in recs})
        out.reports[rid] = row
        out.page_capture[rid] = out.captures.get(row["capture_id"] or "", {
            "sha256": last.get("sha256"), "raw_path": None, "content_type": None, "charset": None})


def _walk(rid: str, site: str, events, out: Folded) -> dict[str, Any]:
    """Replay seen/gone events; emit report_history rows and the history columns."""
    first = last_seen = last_changed = removed = None
    sha_of_url: dict[str, str | None] = {}  # one report may be published at several URLs
    present = False

    def emit(at: str, run: str, event: str, rec: dict[str, Any] | None = None) -> None:
        eid = short_hash(rid, at, event, run)
        out.history[eid] = {"event_id": eid, "report_id": rid, "site_id": site, "at": at,
                            "run_id": run, "event": event,
                            "sha256": rec.get("sha256") if rec else None,
                            "capture_id": rec.get("capture_id") if rec else None}
        if event in ("first_seen", "changed", "removed") and run in out.runs:
            key = {"first_seen": "new_reports", "changed": "changed_reports",
                   "removed": "removed_reports"}[event]
            out.runs[run][key] = out.runs[run].get(key, 0) + 1

    for at, _, kind, run, rec in events:
        if kind == "gone":
            if present:
                present, removed = False, at
                emit(at, run, "removed")
            continue
        if first is None:
            first = at
            emit(at, run, "first_seen", rec)
        elif not present:
            emit(at, run, "returned", rec)
            removed = None
        present = True
        last_seen = max(last_seen or at, at)
        if rec is not None:
            url, sha = rec.get("url") or "", rec.get("sha256")
            if url not in sha_of_url:
                last_changed = last_changed or at
            elif sha_of_url[url] != sha:
                emit(at, run, "changed", rec)
                last_changed = at
            sha_of_url[url] = sha
    return {"first_seen": first, "last_seen": last_seen, "last_changed": last_changed,
            "removed_at": removed}


def _fold_runs(acc: _Acc) -> None:
    counts: dict[str, int] = defaultdict(int)
    for err in acc.out.errors.values():
        counts[err["run_id"]] += 1
    for run, row in acc.out.runs.items():
        stats = row.pop("stats")
        for k in STAT_FIELDS:
            row[k] = stats.get(k)
        for k in ("new_reports", "changed_reports", "removed_reports", "new_attachments"):
            row.setdefault(k, 0)
        row["errors"] = counts.get(run, 0)
        row["stats"] = json.dumps(stats, ensure_ascii=False, sort_keys=True)
        row["started_at"] = row["started_at"] or acc.run_last_at.get(run)


def _fold_sites(acc: _Acc, registry_info: Callable[[str], dict[str, Any] | None] | None) -> None:
    """Names and regions as the crawler described its site in `run_start.site_info`; the
    registry fills the fields the records leave empty."""
    site_ids = set(acc.site_meta) | {r["site_id"] for r in acc.out.reports.values()} \
        | {r["site_id"] for r in acc.out.runs.values()}
    for sid in sorted(site_ids):
        info = dict(acc.site_info.get(sid) or {})
        if registry_info is not None:
            for key, value in (registry_info(sid) or {}).items():
                if info.get(key) in (None, ""):
                    info[key] = value
        meta = acc.site_meta.get(sid, {})
        acc.out.sites[sid] = {
            "site_id": sid, "name": info.get("name"), "region_code": info.get("region_code"),
            "province": info.get("province"), "prefecture": info.get("prefecture"),
            "county": info.get("county"), "platform": info.get("platform") or meta.get("platform"),
            "home_url": info.get("home_url") or meta.get("home_url"),
            "column_urls": json.dumps(list(acc.columns.get(sid, {})), ensure_ascii=False)}
