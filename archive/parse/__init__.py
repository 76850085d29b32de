"""Report structure and numbers: text (+ table grids) → `ReportResult` (report-format.md)."""
from .core import ParseError, parse_file, parse_text
from .result import (ApplicationCount, Check, DisclosureItem, LegacyIndicator, ReportResult,
                     ReviewLitigationCount)

__all__ = ["parse_text", "parse_file", "ParseError", "ReportResult", "DisclosureItem",
           "ApplicationCount", "ReviewLitigationCount", "LegacyIndicator", "Check"]
