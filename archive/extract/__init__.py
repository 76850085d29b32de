"""Text extraction from every format portals publish: bytes -> text + expanded table grids.

    from archive.extract import extract, Extracted, ExtractError, sniff_format

Owns safety limits and one extractor per format (HTML, PDF text and OCR, DOCX, DOC/WPS through
LibreOffice, XLS/XLSX). Pure: bytes in, text out. The format sniffer and the charset policy are
`archive.store.sniff` and `archive.store.charset`, shared with the crawl (one answer to "what
is this body" and "how is it read" on both sides).
May import: `archive.store` (sniff, charset), third-party libraries and external tools (no later
`archive` stage, no `crawler`).
"""
from archive.store.sniff import sniff_format

from .core import extract, extract_file
from .html import html_body_text, html_to_text
from .model import ERROR_KINDS, Extracted, ExtractError
from .office import convert_with_libreoffice, extract_office_files

__all__ = ["extract", "extract_file", "Extracted", "ExtractError", "ERROR_KINDS", "sniff_format",
           "html_body_text", "html_to_text", "convert_with_libreoffice", "extract_office_files",
           "EXTRACT_VERSION"]

# Bumped whenever extraction output changes, so `xxgk build` re-extracts stored documents.
EXTRACT_VERSION = 1
