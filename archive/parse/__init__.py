"""Report structure and numbers: text (+ table grids) → `ReportResult` (report-format.md)."""
from .core import ParseError, parse_file, parse_text
from .result import (ApplicationCount, Check, DisclosureItem, LegacyIndicator, ReportResult,
                     ReviewLitigationCount)

PARSER_VERSION = 1  # bump when output for the same input changes (the builder re-parses)

__all__ = ["PARSER_VERSION", "parse_text", "parse_file", "ParseError", "ReportResult", "DisclosureItem",
           "ApplicationCount", "ReviewLitigationCount", "LegacyIndicator", "Check"]
