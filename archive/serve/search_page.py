"""`/-/search?q=`: reports ranked by bm25, each with a highlighted snippet around its hits.

Several words mean all of them, whatever their length: archive.store.search_index routes words of
3+ characters to the trigram index and words of 1–2 characters to the bigram index, and
intersects them. The results are ranked by bm25 (on the trigram index when the query has a
long word, else on the bigram index); only the shown page of reports is read. Snippets are
cut and highlighted here, escaped, so short words are highlighted too.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from archive.store.search_index import decompress_text

PAGE = 50
SNIPPET_CHARS = 140


@dataclass
class Hit:
    report_id: str
    title: str
    agency: str | None
    report_year: int | None
    published_date: str | None
    site_id: str
    snippet: Markup
    rank: float | None = None


@dataclass
class Results:
    query: str
    words: list[str]
    hits: list[Hit] = field(default_factory=list)
    total: int | None = None
    method: str = ""


def split_words(q: str) -> list[str]:
    words = [w for w in re.split(r"[\s\u3000,，;；]+", q or "") if w]
    seen: list[str] = []
    for w in words:
        if w not in seen:
            seen.append(w)
    return seen[:8]


def highlight(text: str, words: list[str]) -> Markup:
    if not words:
        return Markup(escape(text))
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[last:m.start()]))
        out.append(Markup("<mark>") + escape(m.group(0)) + Markup("</mark>"))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _window(text: str, positions: list[tuple[int, str]], width: int) -> tuple[int, set[str]]:
    best, best_words = positions[0][0], set()
    for start, _ in positions:
        inside = {w for p, w in positions if start <= p < start + width}
        if len(inside) > len(best_words):
            best, best_words = start, inside
    return best, best_words


def snippet(text: str | None, words: list[str], width: int = SNIPPET_CHARS) -> Markup:
    """Up to three passages of `text` that together hold every word found, highlighted."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if not text:
        return Markup("")
    positions = sorted((m.start(), w) for w in words for m in re.finditer(re.escape(w), text))
    if not positions:
        return highlight(text[:width] + ("…" if len(text) > width else ""), words)
    parts, missing = [], {w for _, w in positions}
    fragment = width if len(missing) == 1 else width // min(len(missing), 3) + 20
    while missing and len(parts) < 3:
        start, got = _window(text, [(p, w) for p, w in positions if w in missing], fragment)
        lo = max(0, start - fragment // 4)
        parts.append((lo, min(len(text), lo + fragment)))
        missing -= got or missing
    pieces = [("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "") for lo, hi in sorted(parts)]
    return highlight(" ".join(pieces), words)


def _text_sql(conn: sqlite3.Connection) -> str:
    """How to read a report's text: `texts` (schema 3, zlib: decompress_text) or the old
    `reports.body_text`."""
    if conn.execute("select 1 from sqlite_master where name = 'texts'").fetchone():
        return "(select text_zlib from texts where text_id = r.text_id)"
    return "r.body_text"


def search(conn: sqlite3.Connection, q: str, page: int = 0) -> Results:
    """Reports holding every word of `q`, best first, one page of them with snippets.

    Which index answers which word is archive.store.search_index's (trigram for 3+ characters,
    bigram for 1–2); the ranking is bm25 on the trigram index when the query has a long word,
    else on the bigram index.
    """
    from archive.store.search_index import plan_search
    words = split_words(q)
    res = Results(q, words)
    planned = plan_search(" ".join(words))
    if not planned:
        return res
    long_expr = " AND ".join(w.match for w in planned if w.index == "trigram")
    short_expr = " AND ".join(w.match for w in planned if w.index == "bigram")
    # Each index is matched once, materialized: a `rowid IN (…)` constraint handed to FTS5
    # would re-run the match per candidate (seconds, not milliseconds).
    if long_expr:
        ctes = ["t as materialized (select rowid as rid, bm25(reports_fts) as rank from reports_fts "
                "where reports_fts match ?)"]
        params: list = [long_expr]
        if short_expr:
            ctes.append("b as materialized (select rowid as rid from reports_bigram_fts "
                        "where reports_bigram_fts match ?)")
            ctes.append("j as materialized (select t.rid, t.rank from t join b on b.rid = t.rid)")
            params.append(short_expr)
        hits = "j" if short_expr else "t"
        res.method = "bm25 (trigram index" + (" ∩ bigram index)" if short_expr else ")")
    else:
        ctes = ["t as materialized (select rowid as rid, bm25(reports_bigram_fts) as rank "
                "from reports_bigram_fts where reports_bigram_fts match ?)"]
        params, hits = [short_expr], "t"
        res.method = "bm25 (bigram index)"
    with_sql = "with " + ", ".join(ctes)
    text = _text_sql(conn)
    rows = conn.execute(
        f"{with_sql}, page as materialized (select rid, rank, (select count(*) from {hits}) as n from {hits} "
        f"order by rank limit ? offset ?) "
        f"select r.report_id, r.title, r.agency, r.report_year, r.published_date, r.site_id, {text}, p.rank, p.n "
        f"from page p cross join reports r on r.rowid = p.rid order by p.rank",
        [*params, PAGE, page * PAGE]).fetchall()
    res.total = rows[0][-1] if rows else conn.execute(
        f"{with_sql} select count(*) from {hits}", params).fetchone()[0]
    rows = [row[:-1] for row in rows]
    for rid, title, agency, year, published, site, body, rank in rows:
        res.hits.append(Hit(rid, title or rid, agency, year, published, site, snippet(decompress_text(body), words), rank))
    return res


def render(res: Results, page: int) -> Markup:
    out = [Markup('<h1>搜索 Search</h1><form action="/-/search" method="get" class="xxgk-search">'
                  f'<input type="search" name="q" value="{escape(res.query)}" size="40" autofocus> '
                  '<input type="submit" value="搜索 Search"></form>'
                  '<p class="help">多个词＝全部包含 several words = all of them; any word length works.</p>')]
    if not res.words:
        return Markup("").join(out)
    total = str(res.total or 0)
    out.append(Markup(f'<p class="xxgk-count"><b>{escape(total)}</b> 份报告 reports match '
                      f'{escape(" + ".join(res.words))} <span class="meta">({escape(res.method)})</span></p>'))
    out.append(Markup(f'<ol class="xxgk-results" start="{page * PAGE + 1}">'))
    for h in res.hits:
        meta = " · ".join(str(x) for x in (h.agency, h.report_year, h.published_date, h.site_id) if x)
        out.append(Markup(f'<li><a class="xxgk-hit" href="/archive/reports/{escape(h.report_id)}">')
                   + highlight(h.title, res.words) + Markup(f'</a><div class="meta">{escape(meta)}</div>'
                   f'<div class="xxgk-snippet">') + h.snippet + Markup("</div></li>"))
    out.append(Markup("</ol>"))
    if (res.total or 0) > (page + 1) * PAGE:
        from urllib.parse import urlencode
        out.append(Markup(f'<p><a href="/-/search?{escape(urlencode({"q": res.query, "page": page + 1}))}">'
                          "下一页 next page →</a></p>"))
    return Markup("").join(out)
