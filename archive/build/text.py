"""Text and numbers for one report: extract the page (or its attachments), parse the cells.

`archive.extract` and `archive.parse` are imported plainly: a broken extractor or parser
(a syntax error, a missing name) fails the build at once. What one report's bytes or text
make them raise becomes an `errors` row (stage `extract` / `parse`) and `parse_status =
'failed'`, never invented numbers. A build with `parse=False` (`xxgk build --no-parse`)
writes the crawl tables only: its reports stay `pending` until a build parses them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from archive.build.dense import LONG_COLUMNS
from archive.build.schema import CELL_TABLES, TABLES
from archive.extract import EXTRACT_VERSION, extract, extract_office_files
from archive.parse import PARSER_VERSION, parse_text
from archive.parse.meta import hints_from_meta

REPORT_MARKERS = ("总体情况", "主动公开", "申请", "行政复议", "行政诉讼", "勾稽关系", "年度报告")
MIN_REPORT_CHARS = 400
HINT_KEYS = ("title", "agency", "published_date", "written_date", "index_no", "doc_no", "url",
             "site_id", "listed_title", "listed_date")
# the version stamp in build_state: a report is re-parsed when its stamp differs
VERSION = f"p{PARSER_VERSION}-e{EXTRACT_VERSION}"
NO_PARSE_VERSION = "p-none-e-none"


def version(parse: bool = True) -> str:
    return VERSION if parse else NO_PARSE_VERSION


@dataclass
class TextResult:
    text: str | None = None
    tables: list = field(default_factory=list)
    method: str | None = None
    error: tuple[str, str] | None = None  # (kind, message)
    meta: dict = field(default_factory=dict)  # Extracted.meta: the document's own title sources


@dataclass
class Outcome:
    """What the parse stage writes for one report."""
    fields: dict[str, Any]
    cells: dict[str, list[dict[str, Any]]]
    errors: list[dict[str, Any]]
    attachment_texts: dict[str, TextResult]


def extract_bytes(data: bytes, ext: str | None, mime: str | None, filename: str | None) -> TextResult:
    try:
        ex = extract(data, ext=ext, mime=mime, filename=filename)
    except Exception as exc:  # ExtractError or a bug in an extractor: both become rows
        return TextResult(error=(getattr(exc, "kind", None) or type(exc).__name__, str(exc)[:500]))
    return as_text_result(ex)


def convert_office(paths: list[str], filenames: dict[str, str]) -> dict[str, TextResult]:
    """DOC/WPS files through batched LibreOffice calls: {path: TextResult}."""
    return {src: as_text_result(res) for src, res in extract_office_files(paths, filenames).items()}


def as_text_result(ex: Any) -> TextResult:
    """An Extracted or an ExtractError (as the batch API returns them) as a TextResult."""
    if isinstance(ex, Exception):
        return TextResult(error=(getattr(ex, "kind", None) or type(ex).__name__, str(ex)[:500]))
    return TextResult(ex.text, list(ex.tables or []), ex.method, meta=dict(getattr(ex, "meta", None) or {}))


def report_score(text: str | None) -> int:
    """How much a text looks like the report itself (not a page that only links it)."""
    if not text:
        return 0
    return sum(m in text for m in REPORT_MARKERS) + (len(text) >= MIN_REPORT_CHARS) * 2


def choose_body(page: TextResult, attachments: list[tuple[dict[str, Any], TextResult]]
                ) -> tuple[TextResult, str]:
    """The page text, unless an attachment is clearly the report (the page only links it)."""
    best, source = page, "page"
    for att, res in attachments:
        if report_score(res.text) > report_score(best.text) + 1:
            best, source = res, f"attachment:{att['attachment_id']}"
    return best, source


def _cell_rows(table: str, report_id: str, template: str | None, items: list[dict]) -> list[dict]:
    cols = LONG_COLUMNS.get(table) or tuple(TABLES[table][0])
    rows = []
    for item in items or []:
        row = {k: item.get(k) for k in cols if k in item}
        row["report_id"] = report_id
        if "template" in cols:
            row["template"] = item.get("template") or template
        if "flags" in cols:
            row["flags"] = json.dumps(item.get("flags") or [], ensure_ascii=False)
        if "ok" in cols and row.get("ok") is not None:
            row["ok"] = int(bool(row["ok"]))
        rows.append(row)
    return rows


def document_hints(meta: dict) -> dict:
    return dict(hints_from_meta(meta)) if meta else {}


def clean_agency(name: str | None) -> str | None:
    return "".join(name.split()) if name else None


def parse_report(report: dict[str, Any], page: TextResult,
                 attachments: list[tuple[dict[str, Any], TextResult]], parse: bool = True) -> Outcome:
    """Body text, parse fields and cell rows for one report (no database access)."""
    rid = report["report_id"]
    errors: list[dict[str, Any]] = []

    def error(stage: str, kind: str, message: str, url: str | None) -> None:
        errors.append({"stage": stage, "kind": kind, "message": message, "url": url})

    if page.error:
        error("extract", page.error[0], page.error[1], report.get("url"))
    for att, res in attachments:
        if res.error:
            error("extract", res.error[0], res.error[1], att.get("url"))
    body, source = choose_body(page, attachments)
    fields: dict[str, Any] = {
        "body_text": body.text, "body_source": source if body.text else None,
        "agency": clean_agency(report.get("page_agency")), "report_year": None,
        "template": None, "parse_status": "pending", "parse_notes": None}
    cells: dict[str, list[dict[str, Any]]] = {t: [] for t in CELL_TABLES}
    if not parse:
        fields["parse_notes"] = "not parsed yet (built with --no-parse)"
    elif not body.text:
        fields["parse_status"] = "failed"
        fields["parse_notes"] = "no text extracted"
    else:
        hints = document_hints(body.meta)  # what `xxgk parse FILE` sees, so both agree
        hints["text_method"] = body.method
        hints.update({k: report.get(k) for k in HINT_KEYS if report.get(k)})
        if report.get("page_agency"):
            hints["agency"] = report["page_agency"]
        try:
            result = parse_text(body.text, body.tables or None, hints=hints).to_json()
        except Exception as exc:  # a parser bug must not stop the build
            error("parse", type(exc).__name__, str(exc)[:500], report.get("url"))
            fields["parse_status"], fields["parse_notes"] = "failed", f"{type(exc).__name__}: {exc}"[:500]
        else:
            fields.update(_result_fields(result, fields))
            if not report.get("title") and result.get("title"):
                fields["title"] = result["title"]  # a capture without a title: the document's own
            for table in CELL_TABLES:
                cells[table] = _cell_rows(table, rid, fields["template"], result.get(table) or [])
    return Outcome(fields, cells, errors, {att["attachment_id"]: res for att, res in attachments})


def _result_fields(result: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    notes = result.get("parse_notes") or result.get("notes") or result.get("warnings")
    if isinstance(notes, (list, tuple)):
        notes = "; ".join(map(str, notes))
    year = result.get("report_year")
    return {
        "agency": clean_agency(result.get("agency")) or fields["agency"],
        "report_year": int(year) if isinstance(year, (int, str)) and str(year).isdigit() else None,
        "template": result.get("template") or "unknown",
        "parse_status": result.get("parse_status") or "ok",
        "parse_notes": notes or None,
    }
