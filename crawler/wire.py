"""What a WARC response record needs that the body alone does not carry: the status line and
the headers as the server sent them, and the headers of the request that was sent.

`WireHeadersMiddleware` sits just outside Scrapy's HttpCompressionMiddleware (590), so its
`process_response` runs before the body is decoded and sees `Content-Encoding` and
`Content-Length` as they came off the wire. It keeps them in `request.meta["xxgk_wire"]`;
the capture middleware copies them into the `capture` record.

What is kept, precisely (docs/archive.md "WARC"): header names in Twisted's canonical
capitalisation (the server's own case is not kept by Twisted), in the order each name first
appeared; a name sent several times keeps all its values, grouped at its first position.
The reason phrase is not kept by Twisted either: the standard phrase for the status is
recorded (`reason_from_status`). The stored body is the payload after Scrapy decoded any
`Content-Encoding` (gzip, deflate, br), so a WARC made from it says so.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from scrapy import Request
from scrapy.http import Headers, Response

MAX_REQUEST_BODY = 64 * 1024


def header_pairs(headers: Headers) -> list[list[str]]:
    """Scrapy headers -> [[name, value], ...] in their order, each value of a repeated name."""
    pairs: list[list[str]] = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values or [b""]:
            pairs.append([key, value.decode("latin-1") if isinstance(value, bytes) else str(value)])
    return pairs


def reason_from_status(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def wire_info(request: Request, response: Response) -> dict[str, Any]:
    return {
        "protocol": getattr(response, "protocol", None) or "HTTP/1.1",
        "status": response.status,
        "reason": reason_from_status(response.status),
        "headers": header_pairs(response.headers),
        "method": request.method,
        "request_headers": header_pairs(request.headers),
        # a form POST (JCMS dataproxy.jsp) is only replayable with its body; kept when small
        "request_body": request.body.decode("latin-1") if request.body and len(request.body) <= MAX_REQUEST_BODY else None,
    }


class WireHeadersMiddleware:
    """Keeps the response's status line and headers before any middleware rewrites them."""

    def process_response(self, request: Request, response: Response) -> Response:
        request.meta["xxgk_wire"] = wire_info(request, response)
        return response
