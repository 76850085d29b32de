"""Texts stored once, and the three full-text indexes over them (archive.store.search_index).

- `texts(text_id, text_zlib)`: every extracted text once, zlib-compressed (UTF-8, level 6:
  4.7 -> ~2 KB for a 1,500-character report); `xxgk_text(text_zlib)` gives the text back. `reports.text_id` and
  `attachments.text_id` point at it; a report whose text comes from its attachment shares that
  attachment's row. Old rows are immutable: a new text is a new row, and rows nothing points
  at are deleted at the end of a build (`delete_orphan_texts`), after the index triggers have
  read the old values they need.
- views `report_texts` (report_rowid, report_id, title, agency, body_text, body_source) and
  `attachment_texts` (attachment_rowid, attachment_id, report_id, filename, text): the texts
  with their owner, for SQL and the report page; `reports_fts` / `attachments_fts` (trigram) use
  them as external content, so snippet() and highlight() work there.
- `reports_bigram_fts` / `attachments_bigram_fts`: contentless, `unicode61` over
  `xxgk_bigrams(text)` (archive.store.search_index.bigram_text).

`register_functions(conn)` adds `xxgk_text` and `xxgk_bigrams` to a connection: the build,
the Datasette plugin and anyone reading the file with Python's sqlite3 call it
(`report_texts` and `attachment_texts` need `xxgk_text`).

Triggers on reports/attachments keep both indexes in step with inserts, deletes and updates
of title, agency or text_id. They call `xxgk_bigrams`, which `register_functions` adds to a
connection: only the build (and test fixtures through `ensure_schema`) write these tables. A
full build loads first and indexes once at the end (`create_search(populate_new=True)`).
"""
from __future__ import annotations

import sqlite3

from archive.store.search_index import (INDEX_TABLE, SEARCH_INDEXES, compress_text,  # noqa: F401
                                        decompress_text, register_functions)

TEXT_DDL = [
    "create table if not exists texts (text_id integer primary key, text_zlib blob)",
]
TEXT_VIEWS = {
    "report_texts": """create view report_texts as
select r.rowid as report_rowid, r.report_id, r.title, r.agency, xxgk_text(t.text_zlib) as body_text,
  r.body_source
from reports r left join texts t on t.text_id = r.text_id""",
    "attachment_texts": """create view attachment_texts as
select a.rowid as attachment_rowid, a.attachment_id, a.report_id, a.filename, xxgk_text(t.text_zlib) as text
from attachments a left join texts t on t.text_id = a.text_id""",
}

# owner table -> (indexed columns with the SQL giving each from a row `x` of the owner)
# The long text comes first: with detail=full, every (token, row) entry of a column other than
# the first carries a column marker, which cost 2.2 KB per report with body_text third.
INDEXED = {
    "reports": (("body_text", "(select xxgk_text(text_zlib) from texts where text_id = {x}.text_id)"),
                ("title", "{x}.title"), ("agency", "{x}.agency")),
    "attachments": (("text", "(select xxgk_text(text_zlib) from texts where text_id = {x}.text_id)"),),
}
CONTENT_VIEW = {"reports": ("report_texts", "report_rowid"),
                "attachments": ("attachment_texts", "attachment_rowid")}


# FTS5 writes its pending terms out as a new segment when they exceed `hashsize` (1 MB by
# default). Indexing a loaded archive with 256 MB makes a few large segments instead of
# hundreds; the memory stays well under the build's 2 GB.
POPULATE_HASH_BYTES = 256 * 1024 * 1024
DEFAULT_HASH_BYTES = 1024 * 1024
FRESH_SEGMENTS_KEPT = 8  # a freshly built index with at most this many segments is not merged


def create_texts(conn: sqlite3.Connection) -> None:
    for ddl in TEXT_DDL:
        conn.execute(ddl)
    for name, sql in TEXT_VIEWS.items():
        conn.execute(f"drop view if exists [{name}]")
        conn.execute(sql)


def search_exists(conn: sqlite3.Connection) -> bool:
    return conn.execute("select 1 from sqlite_master where name = 'reports_char_fts'").fetchone() is not None


def _values(table: str, x: str, bigrams: bool) -> str:
    exprs = [e.format(x=x) for _, e in INDEXED[table]]
    return ", ".join(f"xxgk_bigrams({e})" if bigrams else e for e in exprs)


def _chars(table: str, x: str) -> str:
    return "xxgk_chars(" + ", ".join(e.format(x=x) for _, e in INDEXED[table]) + ")"


def _triggers(table: str) -> list[str]:
    trigram, bigram, chars = SEARCH_INDEXES[table]
    cols = ", ".join(c for c, _ in INDEXED[table])

    def add(x: str) -> str:
        return (f"  insert into [{trigram}] (rowid, {cols}) values ({x}.rowid, {_values(table, x, False)});\n"
                f"  insert into [{bigram}] (rowid, {cols}) values ({x}.rowid, {_values(table, x, True)});\n"
                f"  insert into [{chars}] (rowid, chars) values ({x}.rowid, {_chars(table, x)});\n")

    def remove(x: str) -> str:
        return (f"  insert into [{trigram}] ([{trigram}], rowid, {cols}) values ('delete', {x}.rowid, "
                f"{_values(table, x, False)});\n"
                f"  insert into [{bigram}] ([{bigram}], rowid, {cols}) values ('delete', {x}.rowid, "
                f"{_values(table, x, True)});\n"
                f"  insert into [{chars}] ([{chars}], rowid, chars) values ('delete', {x}.rowid, "
                f"{_chars(table, x)});\n")

    watched = " or ".join(f"old.{c} is not new.{c}" for c in
                          (("title", "agency", "text_id") if table == "reports" else ("text_id",)))
    return [
        f"create trigger if not exists [{table}_search_ai] after insert on [{table}] begin\n{add('new')}end",
        f"create trigger if not exists [{table}_search_ad] after delete on [{table}] begin\n{remove('old')}end",
        f"create trigger if not exists [{table}_search_au] after update on [{table}] when {watched} begin\n"
        f"{remove('old')}{add('new')}end",
    ]


def index_ddl(name: str) -> str:
    """The `create virtual table` statement of one of the six search indexes."""
    table = INDEX_TABLE[name]
    trigram, bigram, chars = SEARCH_INDEXES[table]
    cols = ", ".join(c for c, _ in INDEXED[table])
    if name == trigram:
        view, rowid = CONTENT_VIEW[table]
        return (f"create virtual table if not exists [{name}] using fts5({cols}, "
                f"content='{view}', content_rowid='{rowid}', tokenize='trigram')")
    if name == bigram:
        return f"create virtual table if not exists [{name}] using fts5({cols}, content='', tokenize='unicode61')"
    return (f"create virtual table if not exists [{name}] using fts5(chars, content='', "
            f"detail=none, columnsize=0, tokenize='unicode61')")


def populate_sql(name: str) -> str:
    """Index every row of the owner table in one statement.

    The owner and `texts` are named without a schema: on a connection whose main database
    lacks them they resolve in an attached one (archive.build.side_index). The trigram index
    gets the values its content view gives, so it equals a `'rebuild'`."""
    table = INDEX_TABLE[name]
    trigram, bigram, chars = SEARCH_INDEXES[table]
    if name == chars:
        return f"insert into [{name}] (rowid, chars) select x.rowid, {_chars(table, 'x')} from [{table}] x"
    cols = ", ".join(c for c, _ in INDEXED[table])
    return (f"insert into [{name}] (rowid, {cols}) select x.rowid, "
            f"{_values(table, 'x', name == bigram)} from [{table}] x")


def populate(conn: sqlite3.Connection, name: str) -> None:
    """Fill one new, empty index from its owner table, with fewer, larger segments."""
    conn.execute(f"insert into [{name}] ([{name}], rank) values ('hashsize', {POPULATE_HASH_BYTES})")
    conn.execute(populate_sql(name))
    conn.execute(f"insert into [{name}] ([{name}], rank) values ('hashsize', {DEFAULT_HASH_BYTES})")


def create_search(conn: sqlite3.Connection, populate_new: bool = False) -> None:
    """The search indexes of reports and attachments, and their triggers (idempotent).

    `populate_new`: index the rows already there (a full build loads first); indexes that
    existed are left as they are. A file-backed database with many rows builds them in two
    processes (archive.build.side_index)."""
    register_functions(conn)
    new = [name for name in INDEX_TABLE if conn.execute(
        "select 1 from sqlite_master where name = ?", [name]).fetchone() is None]
    for name in INDEX_TABLE:
        conn.execute(index_ddl(name))
    if populate_new and new:
        from archive.build import side_index
        side_index.populate_all(conn, new)
    for table in SEARCH_INDEXES:
        for name in (f"{table}_search_ai", f"{table}_search_ad", f"{table}_search_au"):
            conn.execute(f"drop trigger if exists [{name}]")  # they may predate an index
        for sql in _triggers(table):
            conn.execute(sql)


def store_text(conn: sqlite3.Connection, text: str | None, old_id: int | None) -> int | None:
    """The text_id for `text`: the old row when the text did not change, else a new row."""
    if text is None:
        return None
    blob = compress_text(text)
    if old_id is not None:
        row = conn.execute("select text_zlib from texts where text_id = ?", [old_id]).fetchone()
        if row and row[0] == blob:
            return old_id
    return conn.execute("insert into texts (text_zlib) values (?)", [blob]).lastrowid


def delete_orphan_texts(conn: sqlite3.Connection) -> int:
    """Texts no report or attachment points at any more (after the triggers have run)."""
    return conn.execute(
        "delete from texts where text_id not in (select text_id from reports where text_id is not null) "
        "and text_id not in (select text_id from attachments where text_id is not null)").rowcount


def optimize(conn: sqlite3.Connection, share: int, fresh: bool = False) -> list[str]:
    """Merge each index into one segment when recent segments hold >= 1/share of it.

    Recent segments are the small ones: each under 1/share of the largest. A full build leaves
    a few large segments of comparable size (its hash flushes; at a million reports the bigram
    index has several): they hold no stale entries and are not "recent", or the first nightly
    build would rewrite the whole index (3 GB at a million reports, minutes).
    `fresh`: the indexes were just built from scratch: they are merged only when there are many
    segments. The merge runs without a rollback journal: the build's file is disposable (a crash
    discards it), and a journal in memory would hold every page of the index."""
    done = []
    for names in SEARCH_INDEXES.values():
        for fts in names:
            sizes = [n for _, n in conn.execute(f"select segid, count(*) from [{fts}_idx] group by segid")]
            if fresh:
                merge = len(sizes) > FRESH_SEGMENTS_KEPT
            else:
                recent = sum(n for n in sizes if n * share < max(sizes))
                merge = len(sizes) > 1 and recent * share >= sum(sizes)
            if merge:
                _without_journal(conn, f"insert into [{fts}]([{fts}]) values ('optimize')")
                done.append(fts)
    return done


def _without_journal(conn: sqlite3.Connection, sql: str) -> None:
    conn.commit()
    mode = conn.execute("pragma journal_mode").fetchone()[0]
    conn.execute("pragma journal_mode = off")
    try:
        conn.execute(sql)
        conn.commit()
    finally:
        conn.execute(f"pragma journal_mode = {mode}")
