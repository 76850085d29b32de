"""The capture records' contract: every record kind and its fields, in one place.

The crawler writes these records and the build, the crawl's own incremental state and the
exports read them. Both sides name fields through the definitions below: `RecordWriter`
refuses a field a kind does not declare, and tests/test_records.py checks that the readers
(`archive.build.history.fold`, `crawler.session.SiteState`, `archive.export`) ask for
declared fields only. So a field renamed on one side only fails at once, not as a column
that silently stays empty in archive.db.

Every record also has `type`, `run_id`, `site_id` and `at` (`COMMON_FIELDS`, added by the
writer). Records are JSON objects on disk and plain dicts in memory; the TypedDicts say
which keys a kind has (`Required` ones the crawler always writes, `NotRequired` ones it
writes only sometimes). Records written before a field existed lack it: readers use
`.get()`. docs/architecture.md ("Capture records") describes every field.

Only the standard library here: the crawler and every later stage import this module.
(No `from __future__ import annotations`: TypedDict reads `NotRequired` from live annotations.)
"""
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

COMMON_FIELDS = frozenset({"type", "run_id", "site_id", "at"})


class SiteInfo(TypedDict):
    """How the crawler describes its site (run_start.site_info; the build's sites table)."""

    site_id: str
    name: str
    region_code: str
    province: str
    prefecture: str
    county: str
    platform: str
    home_url: str


class RunStart(TypedDict):
    spider: str
    platform: str
    base_url: str | None
    start_urls: list[str]
    site_info: NotRequired[SiteInfo]
    discovery: NotRequired[str]       # scheduled | skipped


class RunStats(TypedDict, total=False):
    """run_end.stats: counters and notes of one run (a worker's share in distributed mode)."""

    requests: int
    responses: int
    not_modified: int
    captures: int
    bytes: int
    columns: int
    list_pages: int
    reports: int                      # seen: read + skipped
    reports_skipped: int
    attachments: int
    attachments_skipped: int
    errors: int
    structure_errors: int
    finish_reason: str                # finished, shutdown, host_down, budget_exhausted, drained, …
    discovery: str                    # scheduled | skipped | fallback
    moved: list[dict[str, Any]]       # {kind: entry_moved/column_moved, url, why}
    entry_found: str | None
    incomplete_columns: list[str]
    not_reports: int
    discovery_pages: int
    dropped_requests: int             # a run cut short (crawler/sitestop.py)
    worker_share: bool                # distributed: one worker's share, or the final verdict
    reports_all_workers: int


class RunEnd(TypedDict):
    status: str                       # ok | degraded | failed | interrupted
    stats: RunStats


class Column(TypedDict):
    url: str
    name: str
    agency: str | None
    found_on: str
    api: NotRequired[dict[str, Any] | None]   # gkmlpt: the category's list API


class Listing(TypedDict):
    column_url: str
    page_url: str
    report_urls: list[str]
    page_key: str
    items_digest: str
    unchanged: bool
    rendered: bool


class Capture(TypedDict):
    capture_id: str
    url: str
    request_url: str
    http_status: int
    content_type: str | None
    charset: str | None
    sha256: str
    size: int
    raw_path: str
    etag: str | None
    last_modified: str | None
    fetched_with: str                 # http | browser
    kind: str                         # entry, list, detail, attachment, api, other
    filename: str | None
    ext: str
    # the exchange as on the wire (crawler/wire.py), for the WARC export
    http_version: NotRequired[str]
    http_reason: NotRequired[str]
    response_headers: NotRequired[list[list[str]]]
    request_method: NotRequired[str]
    request_headers: NotRequired[list[list[str]]]
    request_body: NotRequired[str]


class NotModified(TypedDict):
    url: str
    http_status: int                  # 304
    prev_sha256: str
    kind: str


class AttachmentLink(TypedDict):
    """One attachment link of a report page (report.attachments)."""

    url: str
    link_text: str | None
    filename: str | None
    js_only: NotRequired[bool]


# a report page's metadata fields (the platforms' metadata blocks, or the list's)
REPORT_META = ("index_no", "doc_no", "topic", "written_date", "published_date", "validity", "source", "agency")


class Report(TypedDict):
    report_id: str
    url: str
    canonical_url: str
    capture_id: str | None
    sha256: str | None
    column_url: str | None
    title: str | None
    index_no: str | None
    doc_no: str | None
    topic: str | None
    written_date: str | None
    published_date: str | None
    validity: str | None
    source: str | None
    agency: str | None
    listed_title: str | None
    listed_date: str | None
    attachments: list[AttachmentLink]
    extra: dict[str, Any]
    unchanged: bool
    doc_key: NotRequired[str | None]


class Attachment(TypedDict):
    report_id: str | None
    url: str
    final_url: str
    filename: str | None
    ext: str
    mime: str
    size: int
    sha256: str
    raw_path: str
    capture_id: str


class Error(TypedDict):
    url: str | None
    stage: str                        # fetch, store, extract, parse, build
    kind: str
    message: str


KINDS: dict[str, type] = {
    "run_start": RunStart, "run_end": RunEnd, "column": Column, "listing": Listing,
    "capture": Capture, "not_modified": NotModified, "report": Report, "attachment": Attachment,
    "error": Error,
}
RECORD_TYPES = frozenset(KINDS)
# kind -> every field it declares / the fields the crawler always writes (COMMON_FIELDS aside)
FIELDS: dict[str, frozenset[str]] = {kind: frozenset(td.__annotations__) for kind, td in KINDS.items()}
REQUIRED: dict[str, frozenset[str]] = {kind: frozenset(td.__required_keys__) for kind, td in KINDS.items()}


_WRITABLE: dict[str, frozenset[str]] = {kind: fields | COMMON_FIELDS for kind, fields in FIELDS.items()}


def check(type_: str, fields: Mapping[str, Any]) -> None:
    """Refuse a record of an unknown kind or with a field its kind does not declare (a common
    field may be given: a replayed record keeps its `at`)."""
    declared = _WRITABLE.get(type_)
    if declared is None:
        raise ValueError(f"unknown record type {type_!r}")
    if not declared.issuperset(fields):
        extra = sorted(set(fields) - declared)
        raise ValueError(f"{type_} record: field(s) {extra} not declared in archive/store/record_types.py")


def problems(rec: Mapping[str, Any]) -> list[str]:
    """What keeps a record read back from matching its kind's definition (for tests and checks)."""
    type_ = rec.get("type")
    if type_ not in KINDS:
        return [f"unknown type {type_!r}"]
    keys = set(rec) - COMMON_FIELDS
    out = [f"undeclared field {k!r}" for k in sorted(keys - FIELDS[type_])]
    out += [f"missing field {k!r}" for k in sorted(REQUIRED[type_] - keys)]
    out += [f"missing {k!r}" for k in sorted(COMMON_FIELDS - set(rec))]
    return out


# -- builders: the one place each of these records is put together --------------------------------

_ABSENT: Any = object()  # an optional field left out of the record (not written as null)


def attachment_link(url: str, link_text: str | None, filename: str | None,
                    js_only: bool = _ABSENT) -> AttachmentLink:
    """One entry of `report.attachments`."""
    link: AttachmentLink = {"url": url, "link_text": link_text, "filename": filename}
    if js_only is not _ABSENT:
        link["js_only"] = js_only
    return link


def report(*, report_id: str, url: str, canonical_url: str, capture_id: str | None, sha256: str | None,
           column_url: str | None, title: str | None, meta: Mapping[str, Any], listed_title: str | None,
           listed_date: str | None, attachments: list[AttachmentLink], extra: dict[str, Any],
           unchanged: bool, doc_key: str | None = _ABSENT) -> Report:
    """A `report` record: `meta` gives the `REPORT_META` fields (absent ones are null)."""
    rec: Report = {"report_id": report_id, "url": url, "canonical_url": canonical_url, "capture_id": capture_id,
                   "sha256": sha256, "column_url": column_url, "title": title,
                   **{f: meta.get(f) for f in REPORT_META},  # type: ignore[typeddict-item]
                   "listed_title": listed_title, "listed_date": listed_date, "attachments": attachments,
                   "extra": extra, "unchanged": unchanged}
    if doc_key is not _ABSENT:
        rec["doc_key"] = doc_key
    return rec


def attachment(*, report_id: str | None, url: str, final_url: str, filename: str | None, ext: str, mime: str,
               size: int, sha256: str, raw_path: str, capture_id: str) -> Attachment:
    """An `attachment` record: a stored file linked from a report (`url` as linked)."""
    return {"report_id": report_id, "url": url, "final_url": final_url, "filename": filename, "ext": ext,
            "mime": mime, "size": size, "sha256": sha256, "raw_path": raw_path, "capture_id": capture_id}
