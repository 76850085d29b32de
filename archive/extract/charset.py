"""Decode web pages: BOM, then strict UTF-8, then <meta>/declared charset, then charset-normalizer, then GB18030."""
from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
# Chinese legacy labels all decode correctly (and more completely) as GB18030.
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
            "cp936": "gb18030", "x-cp936": "gb18030", "gb18030": "gb18030", "euc-cn": "gb18030",
            "big5": "big5hkscs", "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "utf-8"}


def normalise_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("'\"").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return (text, charset used). `declared` (HTTP header) is trusted below the BOM and the meta."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace"), enc
    try:  # valid UTF-8 with CJK is almost never GBK by accident, while GB18030 decodes nearly anything
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    meta = _META.search(data[:8192])
    for name in (meta.group(1).decode("ascii", "ignore") if meta else None, declared):
        enc = normalise_charset(name)
        if enc and enc not in candidates:
            candidates.append(enc)
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    guess = _normalizer_guess(data)
    if guess:
        try:
            return data.decode(guess), guess
        except (UnicodeDecodeError, LookupError):
            pass
    enc = candidates[0] if candidates else "gb18030"
    return data.decode(enc, errors="replace"), enc


def _normalizer_guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - dependency is declared
        return None
    best = from_bytes(data[:200_000], cp_isolation=["gb18030", "utf_8", "big5", "utf_16"]).best()
    return normalise_charset(best.encoding) if best else None
