"""`/-/search?q=`: reports ranked by bm25, each with a highlighted snippet around its hits.

Several words mean all of them, whatever their length. Words of 3+ characters go to the
trigram index (`reports_fts`, AND-ed, ranked by bm25); 1–2 character words cannot be
answered by trigrams and are checked per word on the candidates (or, when the query has
only short words, by a bounded scan in archive order). No query returns nothing because
of its length. Snippets are cut and highlighted here, escaped, so short words are
highlighted too.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from markupsafe import Markup, escape

MIN_TRIGRAM = 3
PAGE = 50
SHORT_SCAN_LIMIT = 500
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
    total: int | None = None  # None: more than were scanned
    method: str = ""


def split_words(q: str) -> list[str]:
    words = [w for w in re.split(r"[\s\u3000,，;；]+", q or "") if w]
    seen: list[str] = []
    for w in words:
        if w not in seen:
            seen.append(w)
    return seen[:8]


def fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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


def search(conn: sqlite3.Connection, q: str, page: int = 0) -> Results:
    words = split_words(q)
    res = Results(q, words)
    if not words:
        return res
    long_words = [w for w in words if len(w) >= MIN_TRIGRAM]
    short_words = [w for w in words if len(w) < MIN_TRIGRAM]
    short_sql = " and ".join("(r.title || ' ' || coalesce(r.agency, '') || ' ' || coalesce(r.body_text, '')) "
                             "like ? escape '\\'" for _ in short_words)
    short_params = [_like(w) for w in short_words]
    if long_words:
        match = " AND ".join(fts_phrase(w) for w in long_words)
        res.method = "bm25" + (" + short-word filter" if short_words else "")
        cols = "r.report_id, r.title, r.agency, r.report_year, r.published_date, r.site_id, r.body_text, m.rank"
        fts = "select rowid as rid, bm25(reports_fts) as rank from reports_fts where reports_fts match ?"
        if short_words:  # the short words are checked on the trigram candidates
            base = f"from ({fts}) m join reports r on r.rowid = m.rid where {short_sql}"
            params = [match, *short_params]
            res.total = conn.execute(f"select count(*) {base}", params).fetchone()[0]
            rows = conn.execute(f"select {cols} {base} order by m.rank limit ? offset ?",
                                [*params, PAGE, page * PAGE]).fetchall()
        else:  # rank in the index, then read only the rows shown
            res.total = conn.execute("select count(*) from reports_fts where reports_fts match ?",
                                     [match]).fetchone()[0]
            rows = conn.execute(f"select {cols} from ({fts} order by rank limit ? offset ?) m "
                                f"cross join reports r on r.rowid = m.rid order by m.rank",
                                [match, PAGE, page * PAGE]).fetchall()
    else:
        res.method = "scan (1–2 character words)"
        rows = conn.execute(f"select r.report_id, r.title, r.agency, r.report_year, r.published_date, r.site_id, "
                            f"r.body_text, null from reports r where {short_sql} limit ?",
                            [*short_params, SHORT_SCAN_LIMIT]).fetchall()
        # no index ranks short words: order by how often the words occur, title hits first
        def score(row) -> tuple[int, int]:
            title, body = row[1] or "", row[6] or ""
            return (-sum(title.count(w) for w in words), -sum(body.count(w) for w in words))
        rows.sort(key=score)
        res.total = len(rows) if len(rows) < SHORT_SCAN_LIMIT else None
        rows = rows[page * PAGE:(page + 1) * PAGE]
    for rid, title, agency, year, published, site, body, rank in rows:
        res.hits.append(Hit(rid, title or rid, agency, year, published, site,
                            snippet(body, words), rank))
    return res


def render(res: Results, page: int) -> Markup:
    out = [Markup('<h1>搜索 Search</h1><form action="/-/search" method="get" class="xxgk-search">'
                  f'<input type="search" name="q" value="{escape(res.query)}" size="40" autofocus> '
                  '<input type="submit" value="搜索 Search"></form>'
                  '<p class="help">多个词＝全部包含 several words = all of them; any word length works.</p>')]
    if not res.words:
        return Markup("").join(out)
    total = "500+" if res.total is None else str(res.total)
    out.append(Markup(f'<p class="xxgk-count"><b>{escape(total)}</b> 份报告 reports match '
                      f'{escape(" + ".join(res.words))} <span class="meta">({escape(res.method)})</span></p>'))
    out.append(Markup(f'<ol class="xxgk-results" start="{page * PAGE + 1}">'))
    for h in res.hits:
        meta = " · ".join(str(x) for x in (h.agency, h.report_year, h.published_date, h.site_id) if x)
        out.append(Markup(f'<li><a class="xxgk-hit" href="/archive/reports/{escape(h.report_id)}">')
                   + highlight(h.title, res.words) + Markup(f'</a><div class="meta">{escape(meta)}</div>'
                   f'<div class="xxgk-snippet">') + h.snippet + Markup("</div></li>"))
    out.append(Markup("</ol>"))
    if res.total is None or res.total > (page + 1) * PAGE:
        from urllib.parse import urlencode
        out.append(Markup(f'<p><a href="/-/search?{escape(urlencode({"q": res.query, "page": page + 1}))}">'
                          "下一页 next page →</a></p>"))
    return Markup("").join(out)
