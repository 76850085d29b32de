"""xxgk-archive: storage, extraction, parsing and the SQLite archive."""
