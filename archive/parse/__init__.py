"""Report structure and numbers: text (+ table grids) → `ReportResult` (report-format.md).

Owns sections, layouts, label keys and normalisation, the section parsers (`proactive`,
`applications`, `review`, `legacy`), metadata (title, agency, year) and the consistency checks.
May import: `archive.extract` (only `parse_file`, to read a file given on the command line).
"""
from .core import ParseError, parse_file, parse_text
from .result import (ApplicationCount, Check, DisclosureItem, LegacyIndicator, ReportResult,
                     ReviewLitigationCount)

PARSER_VERSION = 1  # bump when output for the same input changes (the builder re-parses)

__all__ = ["PARSER_VERSION", "parse_text", "parse_file", "ParseError", "ReportResult", "DisclosureItem",
           "ApplicationCount", "ReviewLitigationCount", "LegacyIndicator", "Check"]
