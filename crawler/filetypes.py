"""Decide what a fetched body is: from its bytes first (`archive.store.sniff`, the sniffer
extraction uses too), then Content-Type, Content-Disposition, URL.

Portals serve HTML as `.pdf`, Word files as `.wps` and `download.jsp?id=` links with no
extension at all, so the URL is the weakest hint. The server's filename is data only; the
extension that reaches a path is always one of `archive.store.ALLOWED_EXTS`.
"""
from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import unquote, urlsplit

from archive.store import sniff
from archive.store.raw import safe_ext

MIME_EXT = {
    "text/html": "html", "application/xhtml+xml": "html", "application/json": "json",
    "text/xml": "xml", "application/xml": "xml", "text/plain": "txt",
    "application/javascript": "js", "text/javascript": "js", "text/css": "css",
    "application/pdf": "pdf", "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-works": "wps", "application/kswps": "wps", "application/wps-office.wps": "wps",
    "application/ofd": "ofd", "application/zip": "zip", "application/x-rar-compressed": "rar",
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
}
EXT_MIME = {v: k for k, v in reversed(list(MIME_EXT.items()))}
OLE_EXTS = {"doc", "wps", "xls", "et"}


def name_ext(name: str | None) -> str | None:
    if not name:
        return None
    m = re.search(r"\.([A-Za-z0-9]{1,5})$", name.strip())
    return m.group(1).lower() if m else None


def url_ext(url: str) -> str | None:
    return name_ext(unquote(urlsplit(url).path))


def byte_ext(body: bytes) -> str | None:
    """The format the bytes themselves announce, when they do, read by the one sniffer
    (`archive.store.sniff`) that extraction uses too: `ole` for any OLE2 container (its name
    comes from the link, see `guess_ext`); ODT, OFD and other zips stay `zip`; RTF, GIF, RAR …
    are named by their headers, as any body the bytes say nothing about."""
    kind = sniff.container_kind(body)
    if kind in ("pdf", "docx", "xlsx", "png", "jpg"):
        return kind
    if kind in sniff.ZIP_KINDS:
        return "zip"
    if kind in sniff.OLE_KINDS:
        return "ole"
    return sniff.markup_ext(body)


def guess_ext(body: bytes, content_type: str | None = None, filename: str | None = None,
              url: str | None = None) -> str:
    ctype = (content_type or "").split(";")[0].strip().lower()
    hinted = name_ext(filename) or (url_ext(url) if url else None)
    sniffed = byte_ext(body)
    if sniffed == "ole":
        # Word, WPS and Excel share the OLE container: keep the hint when it is one of them.
        for cand in (hinted, MIME_EXT.get(ctype)):
            if cand in OLE_EXTS:
                return cand
        return "doc"
    if sniffed:
        if sniffed == "html" and hinted in ("htm", "html"):
            return hinted
        return safe_ext(sniffed)
    return safe_ext(MIME_EXT.get(ctype) or hinted)


def mime_for(ext: str, content_type: str | None = None) -> str:
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype and MIME_EXT.get(ctype) == ext:
        return ctype
    if ext == "htm":
        return "text/html"
    return EXT_MIME.get(ext, ctype or "application/octet-stream")


_CD_STAR = re.compile(r"filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)", re.I)
_CD_PLAIN = re.compile(r'filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))', re.I)


def disposition_filename(header: bytes | str | None) -> str | None:
    """The server's filename from Content-Disposition (RFC 5987 first), sanitised for display.

    The result is data, never a path: directory parts, NULs and control characters are
    dropped and the length is capped.
    """
    return clean_filename(raw_disposition_name(header))


def raw_disposition_name(header: bytes | str | None) -> str | None:
    """The filename exactly as the server sent it (decoded, not yet sanitised)."""
    if not header:
        return None
    if isinstance(header, bytes):
        raw = header
        for enc in ("utf-8", "gb18030", "latin-1"):
            try:
                header = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    assert isinstance(header, str)
    name = None
    m = _CD_STAR.search(header)
    if m:
        charset, value = m.group(1), m.group(2).strip().strip('"')
        try:
            name = unquote(value, encoding=charset or "utf-8", errors="replace")
        except LookupError:
            name = unquote(value)
    else:
        m = _CD_PLAIN.search(header)
        if m:
            name = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
            if "%" in name:
                name = unquote(name, errors="replace")
    return name


def clean_filename(name: str | None, limit: int = 200) -> str | None:
    if not name:
        return None
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip().strip(".")
    if len(name) > limit:
        ext = name_ext(name)
        name = name[: limit - (len(ext) + 1 if ext else 0)] + (f".{ext}" if ext else "")
    return name or None


ZIP_MAX_TOTAL = 400 * 2**20  # declared uncompressed size of all members
ZIP_MAX_RATIO = 100          # uncompressed / compressed, above ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 20 * 2**20
DOCUMENT_EXTS = {"pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "ofd", "zip", "rar", "7z"}


def promised_ext(content_type: str | None, filename: str | None, url: str | None) -> str | None:
    """The document type a response claimed to be (Content-Type, then its name, then the URL)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    for cand in (MIME_EXT.get(ctype), name_ext(filename), url_ext(url) if url else None):
        if cand in DOCUMENT_EXTS:
            return cand
    return None


def body_problem(body: bytes, ext: str, content_type: str | None = None,
                 hinted: str | None = None) -> tuple[str, str] | None:
    """A cheap check of a fetched document: (kind, message) when it is visibly broken.

    Reads only the bytes already in memory (headers, trailer, zip central directory);
    nothing is decompressed. `hinted` is the type the link/URL/Content-Type promised.
    """
    if not body:
        return "empty", "zero-byte body"
    if ext in ("html", "htm") and hinted in DOCUMENT_EXTS:
        return "wrong_type", f"an HTML page served as .{hinted} ({content_type or 'no Content-Type'})"
    if ext == "pdf":
        if b"%%EOF" not in body[-2048:]:
            return "truncated", f"PDF without its %%EOF trailer ({len(body)} bytes)"
        if _PDF_ENCRYPT.search(body):
            return "encrypted", "password-protected PDF (/Encrypt in the trailer)"
    if ext in ("docx", "xlsx", "zip"):
        return _zip_problem(body)
    if ext in OLE_EXTS and body.startswith(b"\xd0\xcf\x11\xe0"):
        return _ole_problem(body)
    return None


def _ole_problem(body: bytes) -> tuple[str, str] | None:
    """An OLE (doc/xls/wps) file whose header points at sectors past its end is cut short."""
    if len(body) < 512:
        return "truncated", f"OLE container shorter than its header ({len(body)} bytes)"
    size = 1 << int.from_bytes(body[30:32], "little")
    if size not in (512, 4096):
        return "corrupt", f"OLE header with sector size {size}"
    sectors = [int.from_bytes(body[o:o + 4], "little") for o in range(76, 512, 4)]
    sectors.append(int.from_bytes(body[48:52], "little"))  # first directory sector
    used = [s for s in sectors if s < 0xFFFFFFFA]
    end = max((s + 2) * size for s in used) if used else size
    if end > len(body):
        return "truncated", f"OLE container refers to byte {end} but has {len(body)}"
    return None


_PDF_ENCRYPT = re.compile(rb"/Encrypt\s*(?:\d+\s+\d+\s+R|<<)")


def _zip_problem(body: bytes) -> tuple[str, str] | None:
    if b"PK\x05\x06" not in body[-(65536 + 22):]:
        return "truncated", f"zip container without its end-of-directory record ({len(body)} bytes)"
    try:
        infos = zipfile.ZipFile(io.BytesIO(body)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return "corrupt", f"unreadable zip container: {exc}"
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > ZIP_MAX_TOTAL or (total > ZIP_RATIO_FLOOR and total / packed > ZIP_MAX_RATIO):
        return "zip_bomb", f"zip declares {total} bytes uncompressed from {packed} ({total // packed}:1)"
    return None
