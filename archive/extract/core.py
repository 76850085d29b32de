"""`extract()`: sniff the bytes, route to the extractor for that format, enforce the limits."""
from __future__ import annotations

import os

from archive.store.sniff import sniff_format

from .model import Extracted, ExtractError
from .safety import Deadline, alarm

DEFAULT_MAX_BYTES = 100 * 2**20
_UNSUPPORTED = {"ppt": "PowerPoint", "ofd": "OFD", "zip": "zip archive", "rar": "RAR archive",
                "7z": "7z archive", "ole": "unknown OLE document", "unknown": "unrecognised bytes"}


def extract(data: bytes, ext: str | None = None, mime: str | None = None, filename: str | None = None,
            timeout: float = 120, max_bytes: int = DEFAULT_MAX_BYTES, charset: str | None = None) -> Extracted:
    """Text and table grids of one document. Raises ExtractError(kind, message) on bad input."""
    if len(data) > max_bytes:
        raise ExtractError("too_large", f"{len(data)} bytes > {max_bytes}")
    fmt = sniff_format(data, ext=ext, mime=mime, filename=filename)
    if fmt == "empty":
        raise ExtractError("empty", "no content")
    if fmt == "encrypted_ooxml":
        raise ExtractError("encrypted", "password-protected Office document")
    if fmt in _UNSUPPORTED:
        raise ExtractError("unsupported", _UNSUPPORTED[fmt])
    deadline = Deadline(timeout)
    try:
        with alarm(deadline):
            return _route(fmt, data, deadline, charset)
    except ExtractError:
        raise
    except (Exception, RecursionError, MemoryError) as exc:
        # a parser library choking on hostile bytes must not take the build down with it
        raise ExtractError("corrupt", f"{fmt}: {type(exc).__name__}: {exc}"[:500]) from exc


def _route(fmt: str, data: bytes, deadline: Deadline, charset: str | None) -> Extracted:
    if fmt in ("html", "text"):
        from .html import extract_html
        return extract_html(data, fmt, charset)
    if fmt == "docx":
        from .docx import extract_docx
        return extract_docx(data, deadline)
    if fmt == "pdf":
        from .ocr import ocr_pdf_pages
        from .pdf import extract_pdf
        return extract_pdf(data, deadline, ocr_pages=ocr_pdf_pages)
    if fmt in ("doc", "wps", "rtf", "odt"):
        from .office import extract_converted
        return extract_converted(data, fmt, deadline)
    if fmt == "xlsx":
        from .sheets import extract_xlsx
        return extract_xlsx(data, deadline)
    if fmt == "xls":
        from .sheets import extract_xls
        return extract_xls(data, deadline)
    if fmt == "image":
        return _extract_image(data, deadline)
    raise ExtractError("unsupported", fmt)


def _extract_image(data: bytes, deadline: Deadline) -> Extracted:
    from .model import tidy_text
    from .ocr import decode_image, ocr_images
    from .pdf import render_blocks
    img = decode_image(data)
    if img is None:
        raise ExtractError("corrupt", "image does not decode")
    blocks = ocr_images([img], deadline)[0]
    text = tidy_text(render_blocks(blocks))
    tables = [b[1] for b in blocks if b[0] == "table"]
    if not text.strip():
        raise ExtractError("empty", "no text recognised in image")
    return Extracted(text=text, tables=tables, method="ocr", pages=1, warnings=[], format="image")


def extract_file(path: str, **kwargs) -> Extracted:
    """`extract()` on a file; the size is checked before anything is read."""
    max_bytes = kwargs.get("max_bytes", DEFAULT_MAX_BYTES)
    size = os.path.getsize(path)
    if size > max_bytes:
        raise ExtractError("too_large", f"{size} bytes > {max_bytes}")
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    kwargs.setdefault("filename", os.path.basename(path))
    return extract(data, **kwargs)
