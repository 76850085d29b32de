"""Shared by the nightly tests: run `xxgk nightly` against the replica, read archive.db."""
from __future__ import annotations

import contextlib
import functools
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from archive.build import builder
from archive.cli import main as xxgk


def fast_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """The nightly's build without text extraction and parsing (`--no-parse`; tested elsewhere,
    minutes per night here). Every crawl table — captures, history, crawl_runs, errors — is built
    exactly as usual."""
    monkeypatch.setattr(builder, "build", functools.partial(builder.build, parse=False))


def nightly(home: Path, base_urls: dict[str, str], sites: list[str], *extra: str) -> tuple[int, dict[str, Any]]:
    """`xxgk nightly --json` in this process (the crawl itself runs in a child); (exit, summary)."""
    argv = ["nightly", "--json", "--delay", "0", "--sites", ",".join(sites), *extra]
    for site in sites:
        argv += ["--base-url", f"{site}={base_urls[site]}"]
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("XXGK_HOME", str(home))
        rc = xxgk(argv)
    return rc, json.loads(out.getvalue())


def q(db: Path, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def by_site(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["site_id"]: s for s in summary["sites"]}
