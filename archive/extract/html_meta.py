"""Title and agency sources of an HTML page, read before the chrome is dropped.

The body extractor keeps only the article; the title often lives outside it (`<title>`, `<h1>`,
the `ArticleTitle` meta tag, the 标题/发文机关 metadata block). These are returned as
`Extracted.meta` so the parser can name the report even when the body has no title line.
"""
from __future__ import annotations

import re

_WS = re.compile(r"\s+")
_MAX_TOKENS = 150             # the metadata block sits near the top of the page
_LABELS = {"标题": "block_title", "名称": "block_title", "文件名称": "block_title",
           "发文机关": "block_agency", "发布机构": "block_agency", "发文单位": "block_agency",
           "发布单位": "block_agency"}
_LABEL = re.compile(r"^\s*(?P<label>[\u4e00-\u9fff](?:[\s\u3000]*[\u4e00-\u9fff]){1,4})[\s\u3000]*[:：]\s*(?P<value>.*)$")
_META_NAMES = {"articletitle": "meta_title", "contentsource": "meta_source"}


def _clean(s: str | None) -> str:
    return _WS.sub(" ", (s or "").replace("\xa0", " ")).strip()


def _squash(s: str) -> str:
    return _WS.sub("", s.replace("\u3000", ""))


def _tokens(root) -> list[str]:
    """The first text pieces of the page (lxml's C-level itertext; script text is harmless here:
    only `label：value` pieces are looked at)."""
    out: list[str] = []
    for piece in root.itertext():
        if piece.isspace():
            continue
        out.append(piece.strip())
        if len(out) >= _MAX_TOKENS:
            break
    return out


def block_fields(root) -> dict[str, str]:
    """标题 / 发文机关 values of a `label：value` metadata block (one token or two)."""
    toks = _tokens(root)
    found: dict[str, str] = {}
    for i, tok in enumerate(toks):
        if len(tok) > 80 or not (":" in tok or "：" in tok):
            continue
        m = _LABEL.match(tok)
        if not m:
            continue
        key = _LABELS.get(_squash(m.group("label")))
        if not key or key in found:
            continue
        value = m.group("value").strip() or (toks[i + 1] if i + 1 < len(toks) else "")
        if value and not _LABEL.match(value):
            found[key] = value
            if len(found) == 2:
                break
    return found


def page_meta(doc) -> dict[str, str]:
    """`{source: text}` for the page's title sources (`title`, `h1`, `meta_title`, `meta_source`,
    `block_title`, `block_agency`); absent sources are left out."""
    meta: dict[str, str] = {}
    t = doc.find(".//title")
    if t is not None and _clean(t.text_content()):
        meta["title"] = _clean(t.text_content())
    for h in doc.iter("h1"):
        text = _clean(h.text_content())
        if text:
            meta["h1"] = text
            break
    for m in doc.iter("meta"):
        key = _META_NAMES.get((m.get("name") or "").lower())
        if key and _clean(m.get("content")) and key not in meta:
            meta[key] = _clean(m.get("content"))
    body = doc.find(".//body")
    meta.update(block_fields(body if body is not None else doc))
    return meta
