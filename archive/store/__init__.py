"""The source of truth: `$XXGK_HOME` and its paths, the raw store, the capture records.

Owns `home` (paths, site ids), `raw` (content-addressed bodies, durable batches), `records`
(the JSONL capture records) and `fsutil` (the archive.db writer lock, fsync by path).
May import: the standard library only (no other `archive` stage, nothing of `crawler`).
Everything else builds on it: the crawler writes here, the build reads from here.
"""
