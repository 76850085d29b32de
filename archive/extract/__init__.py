"""Text extraction from every format portals publish: bytes -> text + expanded table grids.

    from archive.extract import extract, Extracted, ExtractError, sniff_format

Owns format sniffing, charset decoding, safety limits and one extractor per format (HTML,
PDF text and OCR, DOCX, DOC/WPS through LibreOffice, XLS/XLSX). Pure: bytes in, text out.
May import: third-party libraries and external tools only (no other `archive` stage, no `crawler`).
"""
from .core import extract, extract_file
from .html import html_body_text, html_to_text
from .model import ERROR_KINDS, Extracted, ExtractError
from .office import convert_with_libreoffice, extract_office_files
from .sniff import sniff_format

__all__ = ["extract", "extract_file", "Extracted", "ExtractError", "ERROR_KINDS", "sniff_format",
           "html_body_text", "html_to_text", "convert_with_libreoffice", "extract_office_files",
           "EXTRACT_VERSION"]

# Bumped whenever extraction output changes, so `xxgk build` re-extracts stored documents.
EXTRACT_VERSION = 1
