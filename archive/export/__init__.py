"""Exports for the world outside the project, made from what is already stored.

- `warc`, `wacz`: WARC 1.1 / WACZ 1.1.1 from the raw store and the capture records (the
  source of truth), for web-archive tools (pywb, ReplayWeb.page).
- `dataset`: a versioned bulk release (CSV + Parquet + Frictionless datapackage.json) of
  archive.db's public tables, for R, pandas, DuckDB or Excel.

May import `archive.store` (home, records, raw store; read only) and read
archive.db; nothing upstream (no crawler, no Scrapy) and nothing here writes the archive.
"""
