"""Capture: every response body goes to the raw store, byte-exact, with a capture record.

Sits just inside the retry middleware, so it sees final responses only (after retries
and redirects). A 2xx body is stored and recorded; a non-2xx final response becomes an
`error` record (the spider's errback records transport failures). A response that the
conditional-request middleware rebuilt from the store after a 304 is recorded as
`not_modified`, not stored again. Bodies are written by a helper process
(crawler/store_parse_helper.py), so the event loop keeps fetching and parsing while the disk works;
the record waits for the durable body.
"""
from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse

from archive.store import record_types as rt
from archive.store.records import capture_id_for
from crawler.filetypes import body_problem, clean_filename, guess_ext, promised_ext, raw_disposition_name
from crawler.middlewares import CrawlerAware
from crawler.store_parse_helper import STORE_WRITER, Page


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def wire_fields(request: Request) -> dict[str, Any]:  # the Capture fields http_version … request_body
    """The status line and headers as received and the request headers sent (crawler/wire.py),
    which a WARC response/request record needs (absent in records written before they were kept)."""
    wire = request.meta.get("xxgk_wire")
    if not wire:
        return {}
    return {"http_version": wire["protocol"], "http_reason": wire["reason"],
            "response_headers": wire["headers"], "request_method": wire["method"],
            "request_headers": wire["request_headers"],
            **({"request_body": wire["request_body"]} if wire.get("request_body") else {})}


def is_robots(url: str) -> bool:
    return url.split("?", 1)[0].endswith("/robots.txt")


class CaptureMiddleware(CrawlerAware):
    async def process_response(self, request: Request, response: Response) -> Response:
        session = getattr(self.spider, "session", None)
        if session is None:
            return response
        kind = request.meta.get("kind", "other")
        if request.meta.get("xxgk_not_modified"):
            session.stats["not_modified"] += 1
            session.record("not_modified", **rt.NotModified(
                url=response.url, http_status=304, prev_sha256=request.meta["xxgk_not_modified"], kind=kind))
            return response
        if not 200 <= response.status < 300:
            if not is_robots(response.url) and response.status not in request.meta.get("expected_status", ()):
                session.error(response.url, "fetch", f"http_{response.status}",
                              f"HTTP {response.status} for {kind} page")
            return response
        parser = None
        if kind == "detail" and isinstance(response, TextResponse):
            parser = getattr(self.spider, "detail_parser_for", lambda url: None)(response.url)
        await self.capture(session, request, response, kind, parser)
        return response

    @staticmethod
    async def capture(session: Any, request: Request, response: Response, kind: str,
                      parser: Any = None) -> dict[str, Any] | None:
        """Store the body and write its capture record; with a `parser` (a report page), the
        store helper also parses the page, and the result waits in `meta["xxgk_parsed"]`
        for the spider (paired with this capture, see PortalSpider.parsed_detail)."""
        body = response.body
        ctype = _header(response, "Content-Type")
        raw_name = raw_disposition_name(response.headers.get("Content-Disposition"))
        filename = clean_filename(raw_name)
        ext = guess_ext(body, ctype, filename, response.url)
        if raw_name and filename != raw_name.strip():
            session.error(response.url, "fetch", "bad_filename",
                          f"unsafe Content-Disposition filename {raw_name[:120]!r}{'…' if len(raw_name) > 120 else ''} "
                          f"({len(raw_name)} chars) kept as data only: {filename!r}")
        if kind == "attachment" or not isinstance(response, TextResponse):
            problem = body_problem(body, ext, ctype, promised_ext(ctype, filename, response.url))
            if problem:
                session.error(response.url, "fetch", problem[0], f"attachment stored as served, but: {problem[1]}")
        page = Page(parser, response.text, response.url) \
            if parser is not None and isinstance(response, TextResponse) else None
        try:  # the body is durable under its final name before the record that points at it
            stored, parsed = await STORE_WRITER.put(session.store, session.site_id, body, ext, page)
        except (OSError, ValueError) as exc:
            session.error(response.url, "store", "write_failed", repr(exc))
            return None
        charset = response.encoding if isinstance(response, TextResponse) else None
        cap = session.record("capture", **rt.Capture(
            capture_id=capture_id_for(response.url, stored.sha256),
            url=response.url,
            request_url=request.meta.get("redirect_urls", [request.url])[0],
            http_status=response.status,
            content_type=ctype,
            charset=charset,
            sha256=stored.sha256,
            size=stored.size,
            raw_path=stored.raw_path,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            fetched_with="browser" if request.meta.get("playwright") else "http",
            kind=kind,
            filename=filename,
            ext=ext,
            **wire_fields(request),
        ))
        session.stats["captures"] += 1
        session.stats["bytes"] += stored.size
        request.meta["capture"] = cap
        if parsed is not None:
            request.meta["xxgk_parsed"] = (cap["capture_id"], response.url, parsed)
        return cap
