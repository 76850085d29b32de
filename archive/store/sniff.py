"""What a body is, from its bytes: one sniffer for the crawl and for extraction.

The crawl names every stored body by its format (`crawler.filetypes.guess_ext`: bytes first,
then Content-Type, filename, URL); extraction picks its extractor the same way
(`sniff_format`). Both read the containers through `container_kind`, so a body the crawl
stores as `.docx` is the body extraction reads as docx:

- PDF by its `%PDF-` header (extraction also takes one within the first KB: some servers put
  junk before it);
- zip by its member names (`word/` docx, `xl/` xlsx, ODT, OFD), the first 4 KB when the
  directory is unreadable;
- OLE2 (doc, wps, xls, ppt, encrypted OOXML) by its stream names;
- RTF, images, RAR, 7z by their magic bytes.

Text is told apart by markup: extraction asks whether a page is HTML at all (`sniff_format`:
any common tag), the crawl which web format to name a response by (`markup_ext`: an HTML
document, XML or JSON). The standard library only.
"""
from __future__ import annotations

import io
import os
import re
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_TAG = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|div|p|table|title|span|br)\b", re.I)
IMAGE_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"II*\x00", "tiff"),
               (b"MM\x00*", "tiff"), (b"BM", "bmp"))
IMAGE_KINDS = frozenset(kind for _, kind in IMAGE_MAGIC)
ZIP_KINDS = frozenset({"docx", "xlsx", "odt", "ofd", "zip"})
OLE_KINDS = frozenset({"doc", "wps", "xls", "ppt", "encrypted_ooxml", "ole"})


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _hint_ext(ext: str | None, mime: str | None, filename: str | None) -> str:
    for cand in (ext, os.path.splitext(filename or "")[1]):
        if cand:
            return cand.lower().lstrip(".")
    mime = (mime or "").lower()
    for key, val in (("msword", "doc"), ("wps", "wps"), ("excel", "xls"), ("pdf", "pdf"), ("html", "html")):
        if key in mime:
            return val
    return ""


def _ole_kind(data: bytes, hint: str) -> str:
    """OLE2 compound file: which application by its stream names (stored as UTF-16LE in the directory)."""
    if _utf16("WordDocument") in data:
        return "wps" if hint == "wps" else "doc"
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return "xls"
    if _utf16("CONTENTS") in data or _utf16("MatOST") in data:
        return "wps"          # Microsoft Works word processor
    if _utf16("PowerPoint Document") in data:
        return "ppt"
    if _utf16("EncryptedPackage") in data:
        return "encrypted_ooxml"
    return "ole"


def _zip_kind(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        head = data[:4096]
        if b"word/" in head:
            return "docx"
        if b"xl/" in head:
            return "xlsx"
        return "zip"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "mimetype" in names and b"opendocument.text" in data[:200]:
        return "odt"
    if any(n.lower() == "ofd.xml" for n in names):
        return "ofd"
    return "zip"


def container_kind(data: bytes, hint: str = "") -> str | None:
    """The container the leading bytes announce: pdf, a `ZIP_KINDS` or `OLE_KINDS` kind, rtf,
    an `IMAGE_KINDS` kind, rar, 7z; None for anything else (text, markup, unknown).
    `hint` (an extension) only tells WPS from Word in an OLE file."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    if data.startswith(OLE_MAGIC):
        return _ole_kind(data, hint)
    if data[:1024].lstrip().startswith(b"{\\rtf"):
        return "rtf"
    for magic, kind in IMAGE_MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(b"Rar!"):
        return "rar"
    if data.startswith(b"7z\xbc\xaf"):
        return "7z"
    return None


def markup_ext(data: bytes) -> str | None:
    """A web response's text format for naming it: html (a document's `<html>`/`<body>`
    within its first 512 bytes), xml, json; None when the bytes do not say."""
    low = data[:1024].lstrip()[:512].lower()
    if low.startswith((b"<!doctype html", b"<html")) or b"<html" in low or b"<body" in low:
        return "html"
    if low.startswith(b"<?xml"):
        return "xml"
    if low[:1] in (b"{", b"["):
        return "json"
    return None


def _looks_like_text(sample: bytes) -> bool:
    if not sample:
        return False
    if b"\x00" in sample[:4096] and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if controls > len(sample) * 0.01:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            sample.decode(enc)
            return True
        except UnicodeDecodeError as exc:
            if exc.start > len(sample) - 4:   # cut in the middle of a character
                return True
    return False


def sniff_format(data: bytes, ext: str | None = None, mime: str | None = None,
                 filename: str | None = None) -> str:
    """Return one of: pdf, docx, xlsx, doc, wps, xls, rtf, html, text, image, odt, ofd, ppt, zip,
    rar, 7z, ole, encrypted_ooxml, empty, unknown (ext/mime/filename are only tie-breakers)."""
    if not data.strip():
        return "empty"
    if b"%PDF-" in data[:1024]:  # a PDF after a few bytes of junk is still read as one
        return "pdf"
    kind = container_kind(data, _hint_ext(ext, mime, filename))
    if kind is not None:
        return "image" if kind in IMAGE_KINDS else kind
    sample = data[:65536]
    stripped = sample.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    if _HTML_TAG.search(sample[:8192]) or _HTML_TAG.search(sample.replace(b"\x00", b"")[:8192]):
        return "html"
    if _looks_like_text(stripped):
        return "text"
    return "unknown"
