"""Text and numbers for one report: extract the page (or its attachments), parse the cells.

`archive.extract` and `archive.parse` are imported lazily: while either is missing the
report keeps `parse_status = 'pending'` and empty cell tables (never invented numbers).
Every failure becomes an `errors` row (stage `extract` / `parse`), never an exception.
"""
from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archive.build.dense import LONG_COLUMNS
from archive.build.schema import CELL_TABLES, TABLES

REPORT_MARKERS = ("总体情况", "主动公开", "申请", "行政复议", "行政诉讼", "勾稽关系", "年度报告")
MIN_REPORT_CHARS = 400
HINT_KEYS = ("title", "agency", "published_date", "written_date", "index_no", "doc_no", "url",
             "site_id", "listed_title", "listed_date")


def optional(module: str, attr: str) -> Any | None:
    """`module.attr` when that part of the project exists (it may be written later)."""
    try:
        return getattr(importlib.import_module(module), attr, None)
    except Exception:  # missing, or broken mid-edit: the build goes on without it
        return None


@dataclass
class Tools:
    extract: Callable[..., Any] | None
    parse_text: Callable[..., Any] | None
    convert_batch: Callable[..., Any] | None  # archive.extract.extract_office_files
    version: str

    @classmethod
    def load(cls) -> "Tools":
        extract = optional("archive.extract", "extract")
        parse_text = optional("archive.parse", "parse_text")
        pv = optional("archive.parse", "PARSER_VERSION") if parse_text else None
        ev = optional("archive.extract", "EXTRACT_VERSION") if extract else None
        version = (f"p{pv if pv is not None else 0}" if parse_text else "p-none") + \
                  (f"-e{ev if ev is not None else 0}" if extract else "-e-none")
        return cls(extract, parse_text, optional("archive.extract", "extract_office_files"), version)


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


def extract_bytes(tools: Tools, data: bytes, ext: str | None, mime: str | None,
                  filename: str | None) -> TextResult:
    if tools.extract is None:
        return TextResult()
    try:
        ex = tools.extract(data, ext=ext, mime=mime, filename=filename)
    except Exception as exc:  # ExtractError or a bug in an extractor: both become rows
        return TextResult(error=(getattr(exc, "kind", None) or type(exc).__name__, str(exc)[:500]))
    return as_text_result(ex)


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
    hints_from_meta = optional("archive.parse.meta", "hints_from_meta")
    return dict(hints_from_meta(meta)) if hints_from_meta and meta else {}


def clean_agency(name: str | None) -> str | None:
    return "".join(name.split()) if name else None


def parse_report(tools: Tools, report: dict[str, Any], page: TextResult,
                 attachments: list[tuple[dict[str, Any], TextResult]]) -> Outcome:
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
    if tools.parse_text is None or tools.extract is None:
        fields["parse_notes"] = "parser not installed" if tools.parse_text is None \
            else "extractor not installed"
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
            result = tools.parse_text(body.text, body.tables or None, hints=hints).to_json()
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
