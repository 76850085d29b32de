"""One charset policy for portal pages: the crawl and extraction read bytes by the same rules.

Portals send `charset=utf-8` over GBK bodies, label GBK pages `gb2312`, or say nothing. The
rules, in one place:

- the GB family reads as GB18030 (`gb_superset`): pages labelled gb2312 use GBK characters,
  and GB18030 decodes every GB2312/GBK byte sequence to the same characters (checked on all
  21,791 two-byte GBK codes);
- a byte-order mark decides; then strict UTF-8 (valid UTF-8 with CJK is almost never GBK by
  accident, while GB18030 decodes nearly anything); then the page's `<meta>`, then the
  declared (HTTP) charset; then charset-normalizer's guess; then GB18030;
- when nothing decodes cleanly, the candidate that leaves the fewest undecodable bytes
  (`least_damage`; never Latin-1, which "decodes" anything).

Two entry points, because the two sides start from different places:
  `decode_bytes(data, declared)`: extraction reads a stored page (all the rules above, in order);
  `repair_encoding(body, encoding, meta)`: the crawl (`crawler.middlewares.CharsetMiddleware`)
  second-guesses the encoding Scrapy chose for a live response (header, BOM, `<meta>`), only
  when that encoding cannot decode the body; the raw bytes are never changed.

The standard library, plus charset-normalizer (imported when a guess is needed).
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
# labels of the GB family, some of which Python does not know (x-gbk, x-cp936, gb_2312-80);
# Python's own names for the family (gb2312, gbk) are among them, so a name Scrapy/w3lib
# resolved is recognised too
GB_LABELS = frozenset({"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936", "x-cp936", "gb18030", "euc-cn"})
_ALIASES = {"big5": "big5hkscs", "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "utf-8"}
# what a statistical guess may say about a Chinese portal page (never Latin-1, cp1250 …)
PLAUSIBLE_CHARSETS = ("utf", "gb", "big5", "hz", "euc", "iso2022", "iso-2022", "shift", "cp936", "cp950")
# the encodings extraction lets charset-normalizer choose between
GUESS_AMONG = ("gb18030", "utf_8", "big5", "utf_16")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def codec_name(name: str | None) -> str | None:
    """Python's name for an encoding label (None: unknown)."""
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def gb_superset(name: str | None) -> str | None:
    """`gb18030` for any label of the GB family (GB2312, GBK, cp936 …), else the name as given."""
    if name and name.strip().strip("'\"").lower() in GB_LABELS:
        return "gb18030"
    return name


def normalise_charset(name: str | None) -> str | None:
    """A declared label as a Python codec name, the GB family as GB18030 (None: unknown)."""
    if not name:
        return None
    label = name.strip().strip("'\"").lower()
    return codec_name(_ALIASES.get(label, gb_superset(label)))


def plausible(name: str) -> bool:
    return name.lower().replace("_", "-").startswith(PLAUSIBLE_CHARSETS)


def least_damage(body: bytes, candidates: Iterable[str | None], tolerance: int | None = None) -> str | None:
    """The candidate leaving fewest undecodable bytes, earlier ones on a tie (None if
    `tolerance` is given and exceeded, or no candidate is a known encoding)."""
    best: tuple[int, str] | None = None
    for enc in candidates:
        if not enc or codec_name(enc) is None:
            continue
        damage = body.decode(enc, "replace").count("\ufffd")
        if best is None or damage < best[0]:
            best = (damage, enc)
        if damage == 0:
            break
    if best is None or (tolerance is not None and best[0] > tolerance):
        return None
    return best[1]


def guess(data: bytes, among: Iterable[str] | None = None) -> str | None:
    """charset-normalizer's best guess for the first 200 KB (its own encoding name)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - dependency is declared
        return None
    kwargs = {"cp_isolation": list(among)} if among is not None else {}
    best = from_bytes(data[:200_000], **kwargs).best()
    return best.encoding if best is not None else None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return (text, charset used). `declared` (HTTP header) is trusted below the BOM and the meta."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace"), enc
    try:
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
    guessed = normalise_charset(guess(data, GUESS_AMONG))
    if guessed:
        try:
            return data.decode(guessed), guessed
        except (UnicodeDecodeError, LookupError):
            pass
    enc = candidates[0] if candidates else "gb18030"
    return data.decode(enc, errors="replace"), enc


def repair_encoding(body: bytes, encoding: str, meta: Callable[[], str | None]) -> str | None:
    """The encoding to read a live response with instead of `encoding`, or None to keep it.

    Only when `encoding` cannot decode the body: the page's `<meta>` (`meta()`, a GB label as
    GB18030) if it leaves at most ~0.1 % of bytes undecodable, else the least damaging of the
    plausible guess, GB18030, `encoding` itself and UTF-8 — a GBK body under a utf-8 header
    goes to GB18030, a UTF-8 page with a few broken bytes stays UTF-8.
    """
    try:
        body.decode(encoding)
        return None
    except (UnicodeDecodeError, LookupError):
        pass
    meta_enc = gb_superset(meta())
    guessed = guess(body)
    guessed = guessed if guessed is not None and plausible(guessed) else None
    enc = least_damage(body, [meta_enc], tolerance=max(2, len(body) // 1000)) \
        or least_damage(body, [guessed, "gb18030", encoding, "utf-8"])
    if enc is None or codec_name(enc) == codec_name(encoding):
        return None
    return enc
