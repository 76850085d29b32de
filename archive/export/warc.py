"""WARC 1.1 files from what the archive stored: the raw bodies and their `capture` records.

One `warcinfo` record per file, then for every capture a `request` and a `response` record
(`WARC-Target-URI`, `WARC-Date` = the capture time, `WARC-Payload-Digest`,
`WARC-Block-Digest`), or a `revisit` record (identical-payload-digest) when the same payload
was already written by this export — a revisit never refers to a record outside the export.

The stored payload is the body after Scrapy decoded any `Content-Encoding` and Twisted
removed any chunked `Transfer-Encoding`; the response record's headers say so: those two
headers and a `Content-Length` that no longer matches move to `X-Archive-Orig-*` names (the
convention pywb itself uses), `Content-Length` is the stored payload's length, and the
record carries `XXGK-Payload: decoded`. Captures recorded before headers were kept get
headers rebuilt from the record (`XXGK-Headers: reconstructed`). docs/archive.md, "WARC".
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.store.home import Home
from archive.store.records import iter_records
from archive.store.raw import RawStore, sha256_stream

SOFTWARE = "xxgk-archive"
# hop-by-hop or payload-framing headers that no longer describe the stored (decoded) payload
_FRAMING = ("content-encoding", "transfer-encoding")


def package_version() -> str:
    try:
        from importlib.metadata import version
        return version(SOFTWARE)
    except Exception:  # noqa: BLE001 - a source checkout without metadata
        return "unknown"


@dataclass
class WarcStats:
    files: list[Path] = field(default_factory=list)
    responses: int = 0
    revisits: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, why)
    bytes: int = 0


def select_captures(home: Home, site: str | None = None, since: str | None = None) -> Iterator[dict[str, Any]]:
    """Capture records in run order, each fetch once (a repeated line of a re-run is dropped);
    `since` is an ISO date or timestamp compared with the capture time."""
    seen: set[tuple[str, str]] = set()
    for rec in iter_records(home, site, types={"capture"}):
        if since and str(rec.get("at", "")) < since:
            continue
        key = (rec.get("capture_id", ""), rec.get("at", ""))
        if key in seen:
            continue
        seen.add(key)
        yield rec


def warc_date(at: str) -> str:
    """Record times are UTC ISO seconds (`2026-12-07T04:21:36Z`); WARC 1.1 takes them as they are."""
    return at if at.endswith("Z") else at + "Z"


def response_headers(rec: dict[str, Any], payload_length: int) -> tuple[StatusAndHeaders, bool, bool]:
    """The response's status line and headers for the stored payload.
    Returns (headers, payload_was_decoded, headers_reconstructed)."""
    status = int(rec.get("http_status") or 200)
    reason = rec.get("http_reason") or ""
    protocol = rec.get("http_version") or "HTTP/1.1"
    pairs = rec.get("response_headers")
    reconstructed = pairs is None
    if reconstructed:
        pairs = [[k, v] for k, v in (("Content-Type", rec.get("content_type")), ("ETag", rec.get("etag")),
                                      ("Last-Modified", rec.get("last_modified"))) if v]
    out: list[tuple[str, str]] = []
    decoded = False
    for name, value in pairs:
        low = name.lower()
        if low in _FRAMING:
            if low == "content-encoding" and value.strip().lower() not in ("", "identity"):
                decoded = True
            out.append((f"X-Archive-Orig-{name}", value))
        elif low == "content-length":
            if value.strip() != str(payload_length):
                out.append((f"X-Archive-Orig-{name}", value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(payload_length)))
    return StatusAndHeaders(f"{status} {reason}".strip(), out, protocol=protocol), decoded, reconstructed


def request_headers(rec: dict[str, Any]) -> StatusAndHeaders:
    url = urlsplit(rec.get("url", ""))
    target = url.path or "/"
    if url.query:
        target += "?" + url.query
    pairs = rec.get("request_headers")
    headers = [(k, v) for k, v in pairs] if pairs is not None else []
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", url.netloc))
    method = rec.get("request_method") or "GET"
    return StatusAndHeaders(f"{method} {target} HTTP/1.1", headers, is_http_request=True)


class _Roller:
    """Writes records into `<prefix>-NNNNN.warc.gz`, starting a new file past `max_bytes`;
    each file is written as `.part` and renamed when complete."""

    def __init__(self, out_dir: Path, prefix: str, max_bytes: int, info: dict[str, str]):
        self.out_dir, self.prefix, self.max_bytes, self.info = out_dir, prefix, max_bytes, info
        self.index = 0
        self.fh: BinaryIO | None = None
        self.writer: WARCWriter | None = None
        self.path: Path | None = None
        self.done: list[Path] = []

    def ensure(self) -> WARCWriter:
        if self.fh is not None and self.fh.tell() >= self.max_bytes:
            self.close()
        if self.writer is None:
            self.path = self.out_dir / f"{self.prefix}-{self.index:05d}.warc.gz"
            self.index += 1
            self.fh = open(self.path.with_name(self.path.name + ".part"), "wb")
            self.writer = WARCWriter(self.fh, gzip=True, warc_version="1.1")
            self.writer.write_record(self.writer.create_warcinfo_record(self.path.name, self.info))
        return self.writer

    def close(self) -> None:
        if self.fh is None or self.path is None:
            return
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.path.with_name(self.path.name + ".part"), self.path)
        self.done.append(self.path)
        self.fh = self.writer = None

    def abort(self) -> None:
        if self.fh is not None and self.path is not None:
            self.fh.close()
            self.path.with_name(self.path.name + ".part").unlink(missing_ok=True)
        self.fh = self.writer = None


def _payload(store: RawStore, rec: dict[str, Any]) -> tuple[BinaryIO | None, str]:
    """An open, verified raw body, or (None, why)."""
    try:
        path = store.path(rec["raw_path"])
        fh = open(path, "rb")
    except (KeyError, OSError, ValueError) as exc:
        return None, f"raw body missing: {exc}"
    if sha256_stream(fh) != rec.get("sha256"):
        fh.close()
        return None, "raw body does not match its sha256"
    fh.seek(0)
    return fh, ""


def write_warc(home: Home, out_dir: Path, captures: Iterable[dict[str, Any]], prefix: str = "xxgk",
               max_bytes: int = 1 << 30, description: str = "") -> WarcStats:
    """Stream `captures` into WARC files under `out_dir`. A body that is missing or does not
    match its hash is skipped and listed in `stats.skipped`; nothing in the archive changes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    store = RawStore(home)
    info = {"software": f"{SOFTWARE}/{package_version()}", "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "description": description or "xxgk-archive export of captured report pages and attachments",
            "xxgk-payload": "bodies after Content-Encoding was decoded by the crawler; see X-Archive-Orig-* headers"}
    roller = _Roller(out_dir, prefix, max_bytes, info)
    first: dict[str, tuple[str, str, str]] = {}  # sha256 -> (payload digest, uri, date) written here
    stats = WarcStats()
    try:
        for rec in captures:
            fh, why = _payload(store, rec)
            if fh is None:
                stats.skipped.append((rec.get("url", ""), why))
                continue
            with fh:
                _write_capture(roller.ensure(), rec, fh, first, stats)
        roller.close()
    except BaseException:
        roller.abort()
        raise
    stats.files = roller.done
    stats.bytes = sum(p.stat().st_size for p in roller.done)
    return stats


def _write_capture(writer: WARCWriter, rec: dict[str, Any], fh: BinaryIO,
                   first: dict[str, tuple[str, str, str]], stats: WarcStats) -> None:
    uri, date = rec["url"], warc_date(str(rec.get("at", "")))
    size = int(rec.get("size") or os.fstat(fh.fileno()).st_size)
    http, decoded, rebuilt = response_headers(rec, size)
    extra = {"WARC-Date": date, "XXGK-Capture-Id": rec.get("capture_id", ""),
             "XXGK-Site-Id": rec.get("site_id", ""), "XXGK-Sha256": rec.get("sha256", "")}
    if decoded:
        extra["XXGK-Payload"] = "decoded"
    if rebuilt:
        extra["XXGK-Headers"] = "reconstructed"
    earlier = first.get(rec["sha256"])
    if earlier is not None:
        digest, ref_uri, ref_date = earlier
        resp = writer.create_revisit_record(uri, digest, ref_uri, ref_date, http_headers=http,
                                            warc_headers_dict=extra)
        stats.revisits += 1
    else:
        resp = writer.create_warc_record(uri, "response", payload=fh, length=size, http_headers=http,
                                         warc_headers_dict=extra)
        first[rec["sha256"]] = (resp.rec_headers.get_header("WARC-Payload-Digest"), uri, date)
        stats.responses += 1
    body = (rec.get("request_body") or "").encode("latin-1")
    req = writer.create_warc_record(uri, "request", payload=io.BytesIO(body) if body else None,
                                    length=len(body), http_headers=request_headers(rec),
                                    warc_headers_dict={"WARC-Date": date})
    req.rec_headers.add_header("WARC-Concurrent-To", resp.rec_headers.get_header("WARC-Record-ID"))
    writer.write_record(resp)
    writer.write_record(req)
