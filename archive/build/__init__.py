"""`xxgk build`: capture records + raw store -> `archive.db`, incrementally and atomically.

Owns `builder` (the command: lock, copy, fold, sync, parse, atomic replace), `history` (the
pure fold of records into rows), `sync`, `text` (extract + parse one report), `headlines`,
`schema` (tables, indexes, FTS, views) and `health` (the per-site health rules, a view).
May import: `archive.store`, `archive.extract`, `archive.parse`. Never `crawler`, `archive.serve`
or `archive.nightly`: archive.db is rebuilt from `raw/` and `records/` alone.
"""
