"""The source of truth: `$XXGK_HOME` and its paths, the raw store, the capture records.

Owns `home` (paths, site ids), `raw` (content-addressed bodies, durable batches), `records`
(the JSONL capture records) with `record_types` (the records' contract: every kind and field),
`sniff` (what a stored body is, from its bytes) and `charset` (how a page's bytes are read),
`fsutil` (the archive.db writer lock, fsync by path).
May import: the standard library only (no other `archive` stage, nothing of `crawler`), and
charset-normalizer for the charset guess. Everything else builds on it: the crawler writes
here, the build reads from here; the sniffer and the charset policy are here because the crawl
(naming and reading what it fetched) and extraction must give the same answers.
"""
