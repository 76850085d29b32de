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
    total: int | None = None    # None: a broad query, not counted; more than `more_than` match
    more_than: int = 0
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


INDEX_TABLES = {"trigram": "reports_fts", "bigram": "reports_bigram_fts", "char": "reports_char_fts"}
# bm25 reads every match of every ranked word (FTS5 counts each phrase over the whole index):
# about 25 ms per 10,000 matches here. A word matching more reports than this is too broad to
# rank by; such queries list the matches newest-archived first, found window by window.
RANK_LIMIT = 10_000
FIRST_WINDOW = 2048  # rowids read in the first window of a broad query; each next window doubles


def _text_sql(conn: sqlite3.Connection) -> str:
    """How to read a report's text: `texts` (schema 3) or the old `reports.body_text`."""
    if conn.execute("select 1 from sqlite_master where name = 'texts'").fetchone():
        return "(select xxgk_text(text_zlib) from texts where text_id = r.text_id)"  # zlib since schema 3
    return "r.body_text"


def _broad(conn: sqlite3.Connection, table: str, match: str, limit: int) -> bool:
    """More than `limit` rows match (reads at most limit + 1 of them)."""
    return conn.execute(f"select 1 from {table} where {table} match ? order by rowid desc limit 1 offset ?",
                        [match, limit]).fetchone() is not None


def search(conn: sqlite3.Connection, q: str, page: int = 0, rank_limit: int = RANK_LIMIT) -> Results:
    """Reports holding every word of `q`, best first, one page of them with snippets.

    Which index answers which word is archive.store.search_index's (trigram for 3+ characters,
    bigram for 2, the character index for 1); the ranking is bm25 on the first of them used,
    unless a word of that index matches more than `rank_limit` reports (or the query has only
    1-character words, whose index keeps no positions): then newest archived first.
    """
    from archive.store.search_index import plan_search, register_functions
    register_functions(conn)  # xxgk_text for the snippets' texts (a no-op cost on a prepared connection)
    words = split_words(q)
    res = Results(q, words)
    planned = plan_search(" ".join(words))
    if not planned:
        return res
    exprs = {kind: " AND ".join(w.match for w in planned if w.index == kind) for kind in INDEX_TABLES}
    used = [kind for kind in INDEX_TABLES if exprs[kind]]
    indexes = " ∩ ".join(f"{kind} index" for kind in used)
    first = used[0]
    broad = [w for w in planned if w.index == first and first != "char"
             and _broad(conn, INDEX_TABLES[first], w.match, rank_limit)]
    if first != "char" and not broad:
        rows, res.total = _ranked(conn, used, exprs, page)
        res.method = f"bm25 ({indexes})"
    else:
        rows, res.total, seen = _newest(conn, used, exprs, page)
        res.more_than = max(seen - 1, rank_limit if len(planned) == 1 and broad else 0)
        why = (f"more than {rank_limit:,} reports hold {', '.join(w.text for w in broad)}: too many to rank"
               if broad else "1-character words: no positions to rank by")
        res.method = f"newest archived first ({indexes}; {why})"
    if not rows:
        return res
    found = {row[0]: row[1:] for row in conn.execute(
        f"select r.rowid, r.report_id, r.title, r.agency, r.report_year, r.published_date, r.site_id, "
        f"{_text_sql(conn)} from reports r where r.rowid in ({', '.join('?' * len(rows))})",
        [rid for rid, _ in rows])}
    for rid, rank in rows:  # the page's order
        if rid in found:
            report_id, title, agency, year, published, site, body = found[rid]
            res.hits.append(Hit(report_id, title or report_id, agency, year, published, site,
                                snippet(body, words), rank))
    return res


def _ranked(conn: sqlite3.Connection, used: list[str], exprs: dict[str, str],
            page: int) -> tuple[list[tuple[int, float | None]], int]:
    """One page of the matches by bm25 on the first index, and how many there are.

    Each index is matched once, materialized: a `rowid IN (…)` constraint handed to FTS5 would
    re-run the match per candidate (seconds, not milliseconds)."""
    ctes, params = [], []
    for i, kind in enumerate(used):
        table = INDEX_TABLES[kind]
        rank = f", bm25({table}) as rank" if i == 0 else ""
        ctes.append(f"c{i} as materialized (select rowid as rid{rank} from {table} where {table} match ?)")
        params.append(exprs[kind])
    joins = " ".join(f"join c{i} on c{i}.rid = c0.rid" for i in range(1, len(used)))
    ctes.append(f"j as materialized (select c0.rid, c0.rank from c0 {joins})")
    rows = conn.execute(f"with {', '.join(ctes)} select rid, rank, (select count(*) from j) from j "
                        "order by rank limit ? offset ?", [*params, PAGE, page * PAGE]).fetchall()
    if rows:
        return [(rid, rank) for rid, rank, _ in rows], rows[0][2]
    return [], conn.execute(f"with {', '.join(ctes)} select count(*) from j", params).fetchone()[0]


def _newest(conn: sqlite3.Connection, used: list[str], exprs: dict[str, str],
            page: int) -> tuple[list[tuple[int, float | None]], int | None, int]:
    """One page of the matches, highest rowid first, read in rowid windows from the top.

    FTS5 answers a rowid range without reading the rest of a doclist, so the work is what the
    page needs, not what the archive holds. Returns (page, total if the scan reached the bottom,
    matches seen)."""
    need = (page + 1) * PAGE + 1  # one more than the page: is there a next one?
    hi = (conn.execute("select max(rowid) from reports").fetchone()[0] or 0) + 1
    window, found = max(4 * need, FIRST_WINDOW), []
    while hi > 0 and len(found) < need:
        lo = max(0, hi - window)
        common: set[int] | None = None
        for kind in used:
            table = INDEX_TABLES[kind]
            got = {r for (r,) in conn.execute(f"select rowid from {table} where {table} match ? "
                                              "and rowid >= ? and rowid < ?", [exprs[kind], lo, hi])}
            common = got if common is None else common & got
            if not common:
                break
        found.extend(sorted(common or (), reverse=True))
        hi, window = lo, window * 2
    rows = [(rid, None) for rid in found[page * PAGE:(page + 1) * PAGE]]
    return rows, (len(found) if hi <= 0 else None), len(found)


def render(res: Results, page: int) -> Markup:
    out = [Markup('<h1>搜索 Search</h1><form action="/-/search" method="get" class="xxgk-search">'
                  f'<input type="search" name="q" value="{escape(res.query)}" size="40" autofocus> '
                  '<input type="submit" value="搜索 Search"></form>'
                  '<p class="help">多个词＝全部包含 several words = all of them; any word length works.</p>')]
    if not res.words:
        return Markup("").join(out)
    total = f"超过 more than {res.more_than:,}" if res.total is None else str(res.total)
    out.append(Markup(f'<p class="xxgk-count"><b>{escape(total)}</b> 份报告 reports match '
                      f'{escape(" + ".join(res.words))} <span class="meta">({escape(res.method)})</span></p>'))
    out.append(Markup(f'<ol class="xxgk-results" start="{page * PAGE + 1}">'))
    for h in res.hits:
        meta = " · ".join(str(x) for x in (h.agency, h.report_year, h.published_date, h.site_id) if x)
        out.append(Markup(f'<li><a class="xxgk-hit" href="/archive/reports/{escape(h.report_id)}">')
                   + highlight(h.title, res.words) + Markup(f'</a><div class="meta">{escape(meta)}</div>'
                   f'<div class="xxgk-snippet">') + h.snippet + Markup("</div></li>"))
    out.append(Markup("</ol>"))
    if (res.total if res.total is not None else res.more_than + 1) > (page + 1) * PAGE:
        from urllib.parse import urlencode
        out.append(Markup(f'<p><a href="/-/search?{escape(urlencode({"q": res.query, "page": page + 1}))}">'
                          "下一页 next page →</a></p>"))
    return Markup("").join(out)
