"""Archived originals, served safely.

An original is found by its sha256 only: the hash is looked up in `captures` /
`attachments`, and the stored `raw_path` must resolve inside `$XXGK_HOME/raw/` and be
named after that same hash. A client never supplies a path.

Archived HTML carries the portal's scripts. It is served under
`Content-Security-Policy: sandbox` (a unique opaque origin, no scripts, no forms) with
`default-src 'none'`, so nothing runs on the archive's origin and nothing is fetched from
the live portal; `?as=text` shows the source as text/plain. Every other format is a
download (`Content-Disposition: attachment`).
"""
from __future__ import annotations

import re
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from archive.store.home import Home
from archive.store.raw import RawStore, safe_ext

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "frame-ancestors 'none'; form-action 'none'; base-uri 'none'")
SAFE_HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer", "cross-origin-resource-policy": "same-origin",
                "x-frame-options": "DENY", "cache-control": "private, max-age=3600"}
MIMES = {"pdf": "application/pdf", "doc": "application/msword", "wps": "application/vnd.ms-works",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xls": "application/vnd.ms-excel", "et": "application/vnd.ms-excel",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "ofd": "application/ofd", "zip": "application/zip", "jpg": "image/jpeg",
         "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "json": "application/json",
         "xml": "application/xml", "txt": "text/plain"}
_CHARSET_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
_FILENAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\\"]")


@dataclass(frozen=True)
class Original:
    sha256: str
    path: Path
    ext: str
    kind: str | None
    charset: str | None
    filename: str | None


def lookup(db_path: Path, home: Home, sha256: str) -> Original | None:
    """The stored body with this hash, or None (unknown hash, missing or foreign file)."""
    if not SHA256_RE.match(sha256 or ""):
        return None
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = con.execute(
            "select raw_path, 'attachment', null, case when link_text like '%.' || ext "
            "then link_text else filename end from attachments "
            "where sha256 = ? and raw_path is not null union all "
            "select raw_path, kind, charset, null from captures where sha256 = ? and raw_path is not null "
            "limit 1", [sha256, sha256]).fetchone()
    finally:
        con.close()
    if not row:
        return None
    raw_path, kind, charset, filename = row
    try:
        path = RawStore(home).path(raw_path)
    except ValueError:
        return None
    raw_root = home.raw.resolve()
    if raw_root not in path.parents or path.stem != sha256 or not path.is_file():
        return None
    return Original(sha256, path, safe_ext(path.suffix), kind, charset, filename)


# The body inside /-/archived/<sha256>'s iframe: still sandboxed (no scripts, opaque origin),
# but it may be framed by the archive's own page, and a click may open a link in a new tab or
# (archived copies) in the top window.
FRAMED_CSP = ("sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; "
              "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
              "form-action 'none'; base-uri 'none'")
# PDFs open in the browser's own viewer, inline. The viewer is the browser's own (not a
# document on the archive's origin), and the CSP sandbox stays on: Chromium draws the PDF
# under a plain `sandbox` (checked in tests/test_browser_reader.py).
PDF_CSP = "sandbox; default-src 'none'; object-src 'self'; frame-ancestors 'self'"
INLINE_EXTS = {"pdf"}


def response_parts(orig: Original, as_text: bool = False, view: bool = False,
                   download: bool = False) -> tuple[bytes, str, dict[str, str]]:
    """(body, content type, headers) for an original; never live HTML on our origin.

    `view`: the form shown inside /-/archived (HTML framed by the archive, PDF inline);
    `download`: always an attachment, whatever the format.
    """
    body = orig.path.read_bytes()
    headers = dict(SAFE_HEADERS)
    charset = orig.charset if orig.charset and _CHARSET_RE.match(orig.charset) else None
    if not download and (orig.ext in ("htm", "html") or as_text and orig.ext in ("txt", "xml", "json", "js", "css")):
        if as_text:
            return body, f"text/plain; charset={charset or 'utf-8'}", headers
        if view:
            headers["content-security-policy"] = FRAMED_CSP
            headers["x-frame-options"] = "SAMEORIGIN"
        return body, f"text/html; charset={charset}" if charset else "text/html", headers
    name = f"{orig.sha256[:16]}.{orig.ext}"
    disposition = f'attachment; filename="{name}"'
    if view and not download and orig.ext in INLINE_EXTS:
        headers["content-security-policy"] = PDF_CSP
        headers["x-frame-options"] = "SAMEORIGIN"
        disposition = f'inline; filename="{name}"'
    if orig.filename:
        clean = _FILENAME_BAD.sub("_", orig.filename)[:200]
        disposition += "; filename*=UTF-8''" + urllib.parse.quote(clean, safe="")
    headers["content-disposition"] = disposition
    return body, MIMES.get(orig.ext, "application/octet-stream"), headers

