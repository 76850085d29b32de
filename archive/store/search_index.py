"""The search index layer: which full-text index answers which word, and the SQL that asks it.

Two FTS5 indexes cover the same text (reports: title, agency, body_text; attachments: text):

- `<table>_fts` — `tokenize='trigram'`, external content (the `report_texts` /
  `attachment_texts` views): substring match for words of **3+ characters**, snippet()
  and highlight() work on it;
- `<table>_bigram_fts` — contentless, `unicode61` over the text rewritten by `bigram_text`:
  every run of CJK characters becomes its overlapping bigrams plus its last character
  (`政府信息` → `政府 府信 信息 息`), other words stay words. A **2-character** word is one
  token (`"公开"`);
- `<table>_char_fts` — contentless, `detail=none`: each distinct character of the text once
  (`char_text`). A **1-character** word is one token: one doclist read, ~0.3 KB per report.
  (A prefix query over the bigrams, `"公"*`, finds the same rows but merges the doclists of
  every bigram starting with the character: 50–80 ms for a common one at 10,000 reports.)

`plan_search(query)` splits a query into words (whitespace; every word must occur: AND) and
routes each word by its length; `match_sql(table, query)` returns one statement selecting the
matching rowids of `table` (an INTERSECT of at most one MATCH per index). The report page and
search UI (issue #14) call these; ranking (bm25) and snippets are presentation, done there.
"""
from __future__ import annotations

import re
import sqlite3
import zlib
from dataclasses import dataclass
from operator import add

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
TOKEN_RE = re.compile(f"[{CJK}]+|[^\\W{CJK}]+")  # a CJK run, or a run of other word characters
CJK_RUN = re.compile(f"^[{CJK}]+$")
TRIGRAM_MIN = 3

# base table -> (trigram index, bigram index, character index)
SEARCH_INDEXES = {"reports": ("reports_fts", "reports_bigram_fts", "reports_char_fts"),
                  "attachments": ("attachments_fts", "attachments_bigram_fts", "attachments_char_fts")}
INDEX_TABLE = {fts: table for table, names in SEARCH_INDEXES.items() for fts in names}
INDEX_KINDS = ("trigram", "bigram", "char")


# a CJK run (group 1) or a run of other word characters (group 2): TOKEN_RE's alternatives apart
RUN_KINDS = re.compile(f"([{CJK}]+)|([^\\W{CJK}]+)")


def bigram_text(text: str | None) -> str | None:
    """What the bigram index stores for `text`: CJK runs as overlapping bigrams + last char.

    Called once per text by a full build (a million times): the pairs are made by `map(add)`
    in C, not by slicing per character (~30 % less time per report)."""
    if text is None:
        return None
    out: list[str] = []
    extend, append = out.extend, out.append
    for run, other in RUN_KINDS.findall(text):
        if run:
            extend(map(add, run, run[1:]))
            append(run[-1])
        else:
            append(other)
    return " ".join(out)


_ALNUM_LOWER: dict[str, str] = {}  # character -> its lower case if alphanumeric, else ""


def char_text(*texts: str | None) -> str:
    """What the character index stores: every distinct letter, digit or CJK character once.

    The distinct characters are collected in C (`set.update`); only those (a few hundred per
    report, not its thousands of characters) are looked at in Python."""
    seen: set[str] = set()
    for t in texts:
        if t:
            seen.update(t)
    keep = set()
    for ch in seen:
        low = _ALNUM_LOWER.get(ch)
        if low is None:
            low = _ALNUM_LOWER[ch] = ch.lower() if ch.isalnum() else ""
        if low:
            keep.add(low)
    return " ".join(sorted(keep))


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


@dataclass(frozen=True)
class Word:
    """One query word and the index that answers it."""
    text: str
    index: str    # "trigram", "bigram" or "char"
    match: str    # the FTS5 expression for that index

    @property
    def length(self) -> int:
        return len(self.text)


def plan_word(word: str) -> Word | None:
    """Route one word: 3+ characters -> trigram phrase; 2 -> bigram token; 1 -> character."""
    word = word.strip()
    if not word:
        return None
    if len(word) >= TRIGRAM_MIN:
        return Word(word, "trigram", _quote(word))
    if len(word) == 1:
        return Word(word, "char", _quote(word.lower())) if word.isalnum() else None
    parts = [m.group() for m in TOKEN_RE.finditer(word)]
    if not parts:  # punctuation only: nothing an index holds
        return None
    exprs = []
    for p in parts:
        if CJK_RUN.match(p) and len(p) == 2:
            exprs.append(_quote(p))          # one bigram token
        else:
            exprs.append(_quote(p.lower()) + "*")  # 1 CJK char, or a short latin/digit word: prefix
    return Word(word, "bigram", " AND ".join(exprs))


def plan_search(query: str) -> list[Word]:
    """Every whitespace-separated word of `query`, routed to its index (all must match)."""
    return [w for w in (plan_word(part) for part in query.split()) if w is not None]


def match_sql(table: str, query: str, rowids: tuple[int, int] | None = None) -> tuple[str, list] | None:
    """`select rowid …` of the rows of `table` holding every word of `query`, and its params.

    None when the query has no searchable word. The rowids are `table`'s own rowids.
    `rowids` (lo, hi): only rows with lo <= rowid < hi; FTS5 seeks to the range in each doclist,
    so a part of the rows costs that part of the work (archive.serve.search splits a match).
    """
    words = plan_search(query)
    if not words:
        return None
    parts, params = [], []
    for index, fts in zip(INDEX_KINDS, SEARCH_INDEXES[table]):
        exprs = [w.match for w in words if w.index == index]
        if exprs:
            ranged = " and rowid >= ? and rowid < ?" if rowids else ""
            parts.append(f"select rowid from [{fts}] where [{fts}] match ?{ranged}")
            params.extend([" AND ".join(exprs), *(rowids or ())])
    return " intersect ".join(parts), params


# ---------------------------------------------------------------- stored text
ZLIB_LEVEL = 6


def compress_text(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), ZLIB_LEVEL)


def decompress_text(blob: bytes | str | None) -> str | None:
    """`xxgk_text`: the text of a `texts.text_zlib` value."""
    if blob is None or isinstance(blob, str):
        return blob
    return zlib.decompress(blob).decode("utf-8")


def register_functions(conn: sqlite3.Connection) -> None:
    """xxgk_text (texts.text_zlib -> text), xxgk_bigrams, xxgk_chars on a connection: the
    build, the Datasette plugin, the export and anyone reading the file from Python."""
    conn.create_function("xxgk_text", 1, decompress_text, deterministic=True)
    conn.create_function("xxgk_bigrams", 1, bigram_text, deterministic=True)
    conn.create_function("xxgk_chars", -1, char_text, deterministic=True)


