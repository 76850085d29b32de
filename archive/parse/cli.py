"""`xxgk parse FILE [--json]`: parse one report file and print the result."""
from __future__ import annotations

import argparse
import json
import sys

from .core import ParseError, parse_file
from .result import ReportResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="report file: .txt, .html, .pdf, .docx, .doc, .wps, .xls(x)")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")


def summary(res: ReportResult) -> str:
    lines = [f"title:    {res.title}", f"agency:   {res.agency}",
             f"year:     {res.report_year} (from {res.year_source})",
             f"template: {res.template} {res.templates}", f"status:   {res.parse_status}"]
    for key, sec in res.sections.items():
        lines.append(f"  {key:22} {'found' if sec['found'] else 'absent':6} table={sec['table']}")
    lines.append(f"cells: 二 {len(res.disclosure_items)}, 三 {len(res.application_counts)}, "
                 f"四 {len(res.review_litigation_counts)}, 附表 {len(res.legacy_indicators)}")
    for item in res.disclosure_items:
        if item.value not in (0, None) or item.flags:
            lines.append(f"  {item.key:38} {item.raw!s:16} -> {item.value} {item.unit or ''} {item.flags or ''}")
    for li in res.legacy_indicators:
        lines.append(f"  {li.key:38} {li.year_value} / {li.cumulative_value}")
    for c in res.consistency_checks:
        lines.append(f"  {c.rule} {'ok  ' if c.ok else 'FAIL'} [{c.severity}] {c.detail}")
    for n in res.parse_notes:
        lines.append(f"  note: {n}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        res = parse_file(args.file)
    except ParseError as exc:
        print(f"xxgk parse: {exc}", file=sys.stderr)
        return 2 if exc.kind in ("not_found", "extractor_missing") else 1
    except Exception as exc:  # a bug or a file no stage could read: one line, non-zero
        print(f"xxgk parse: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(res.to_json(), ensure_ascii=False, indent=2))
    else:
        print(summary(res))
    if res.parse_status == "failed":
        print(f"xxgk parse: {args.file}: not recognised as a report "
              f"({'; '.join(res.parse_notes) or 'no structure found'})", file=sys.stderr)
        return 1
    return 0
