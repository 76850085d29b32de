"""The per-process cache of search matches (archive.serve.search): each match kept in its
smaller form, the cache bounded by bytes, and the forms equal whichever one is held."""
from __future__ import annotations

import sqlite3

import numpy as np

from archive.serve import search


def test_a_broad_match_is_held_as_a_bitmap_and_a_narrow_one_as_rowids() -> None:
    broad = np.arange(1, 900_001, dtype=np.int64)                 # 9 rows in 10 of a million
    narrow = np.array([3, 70, 5_000, 999_999], dtype=np.int64)
    b, n = search.Hits(broad), search.Hits(narrow)
    assert b._rowids is None and b._packed.nbytes == 112_501    # a bit a rowid
    assert n._packed is None and n.nbytes < 1_000
    for hits, rowids in ((b, broad), (n, narrow)):
        assert hits.count == len(rowids)
        assert np.array_equal(hits.rowids, rowids)
        bits = np.frombuffer(hits.bitmap, dtype=np.uint8)
        assert np.array_equal(np.flatnonzero(bits), rowids) and len(bits) == rowids[-1] + 1
    assert n.json == "[3,70,5000,999999]"
    empty = search.Hits(np.empty(0, dtype=np.int64))
    assert empty.count == 0 and empty.bitmap == b"" and empty.json == "[]"


def test_the_cache_keeps_what_fits_in_its_bytes_and_drops_the_least_recent(monkeypatch) -> None:
    matches = {f"w{i}": np.arange(1, 800_001, dtype=np.int64) for i in range(10)}  # 100 kB each as bits
    monkeypatch.setattr(search, "match_rowids", lambda conn, path, fts, q, e: matches[q])
    cache = search.HitCache(max_bytes=350_000)
    conn = sqlite3.connect(":memory:")
    key = ("db", 1, 2, 3)
    for word in ("w0", "w1", "w2"):
        cache.get(conn, key, "reports_fts", word, 1)
    cache.get(conn, key, "reports_fts", "w0", 1)               # w0 used again: w1 is now the oldest
    cache.get(conn, key, "reports_fts", "w3", 1)
    held = [k[2] for k in cache._entries]
    assert held == ["w2", "w0", "w3"] and cache.nbytes <= 350_000
    big = search.HitCache(max_bytes=1)                          # never fewer than the newest entry
    assert big.get(conn, key, "reports_fts", "w5", 1).count == 800_000 and len(big._entries) == 1


def test_the_clause_is_lookups_only_for_few_hits() -> None:
    """Row lookups for a handful of hits; a bitmap from 1 in 20 rows, and from 2,000 hits
    whatever the table's size (a sorted page then stops after a page of hits)."""
    rowids = "xxgk_fts_rowids('reports_fts', :search, 1)"
    bitmap = "xxgk_fts_bitmap('reports_fts', :search, 1)"
    assert rowids in search.fast_clause("reports_fts", False, 40, 1_000_000)
    assert rowids in search.fast_clause("reports_fts", False, 1_999, 1_000_000)
    assert bitmap in search.fast_clause("reports_fts", False, 2_000, 1_000_000)
    assert bitmap in search.fast_clause("reports_fts", False, 60, 1_000)
    assert ", 0)" in search.fast_clause("reports_fts", True, 60, 1_000)  # raw mode: no escaping
    assert search.fast_clause("reports_fts", False, 2_000, search.MAX_BITMAP + 1) is None
    # sorted by another column (maybe without an index): lookups up to 1 in 20 rows, as before
    assert rowids in search.fast_clause("reports_fts", False, 2_000, 1_000_000, own_sort=False)
    assert bitmap in search.fast_clause("reports_fts", False, 60_000, 1_000_000, own_sort=False)
