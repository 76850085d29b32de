"""`xxgk serve`: Datasette over archive.db, read-only.

Owns `app` (Datasette app and metadata), `search` (cached FTS `?_search=`), `originals`
(archived bodies by hash, sandboxed); the Datasette plugin (`datasette_plugins/`) uses them.
May import: `archive.store`. It reads archive.db and the raw store; it never writes either.
"""
