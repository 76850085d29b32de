"""One URL normaliser, applied to every link before it becomes a request or an id.

Portals spell one page many ways: `//` inside the path, `./` and `../`, whitespace and
full-width spaces around (and tabs/newlines inside) an href, `HTTP://`, host case, default
ports. A report must never be archived under two spellings, and a page listed under a
variant must not look removed. What a browser would do is the rule: WHATWG URL parsing drops
tabs/newlines and trims the ends; servers merge slashes (nginx `merge_slashes`).

`identity()` goes one step further for comparing columns: `…/index.htm` is its directory.
"""
from __future__ import annotations

import posixpath
import re
from urllib.parse import urljoin, urlsplit, urlunsplit

_TRIM = " \t\n\r\f\v\u3000\xa0\u200b\ufeff"
_INSIDE = re.compile(r"[\t\n\r]")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # ＡＢ／：→ AB/:
DEFAULT_PORTS = {"http": 80, "https": 443}
INDEX_FILE = re.compile(r"/(?:index|default)(?:_0)?\.(?:s?html?|jsp|php|aspx?)$", re.I)


def clean_href(href: str | None) -> str:
    """An href as a browser reads it: ends trimmed (incl. U+3000), tabs/newlines dropped,
    full-width ASCII folded (`／` → `/`)."""
    text = (href or "").strip(_TRIM)
    text = _INSIDE.sub("", text)
    return text.translate(_FULLWIDTH) if any(0xFF01 <= ord(c) <= 0xFF5E for c in text) else text


def normalize(url: str) -> str:
    """Scheme and host lower-cased, default port dropped, `//` merged, dot segments resolved,
    fragment dropped; query kept as written."""
    url = clean_href(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((scheme, netloc, normal_path(parts.path), parts.query, ""))


def normal_path(path: str) -> str:
    if not path:
        return "/"
    merged = re.sub(r"/{2,}", "/", path)
    out = posixpath.normpath(merged)
    if merged.endswith(("/", "/.", "/..")) and not out.endswith("/"):
        out += "/"
    out = "/" + out.lstrip("/")
    return out


def join(base: str, href: str | None) -> str:
    """`urljoin` of a cleaned href, normalised."""
    return normalize(urljoin(base, clean_href(href)))


def identity(url: str) -> str:
    """For comparing pages: normalised, and an index file is its directory."""
    n = normalize(url)
    parts = urlsplit(n)
    if INDEX_FILE.search(parts.path) and not parts.query:
        return urlunsplit((parts.scheme, parts.netloc, INDEX_FILE.sub("/", parts.path), "", ""))
    return n
