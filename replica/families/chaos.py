"""Switchable faults of real portals (issue 6; guide: portals/antibot-and-http.md).

Each mode has a name, a one-line description (`MODES`) and, where it hits specific URLs, a
deterministic target set per site (`Chaos.targets`), listed in `manifest[site]["chaos"]`.
Victim reports are never seed reports. Modes compose; `before()` may answer instead of the
site, `after()` may rewrite the normal answer.
"""
from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import os
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

from replica.families.base import BaseSite, Resource

MODES: dict[str, str] = {
    "http_500_burst": "every path answers 503, 502, 500 on its first three requests, then normally",
    "slow_trickle": "detail pages and attachments are sent in 512-byte chunks 0.25 s apart",
    "reset": "the target report's first request is cut mid-body (connection aborted)",
    "timeout": "the target report's first request hangs XXGK_CHAOS_HANG seconds (default 40) before answering",
    "redirect_loop": "the target report redirects to ?loop=1, which redirects back, forever",
    "offsite_redirect": "the target report answers 302 to an off-site host",
    "listed_404": "the target report stays listed but answers 404",
    "js_challenge_412": "requests without the JS-computed cookie get a 412 Ruishu-style $_ts page (Set-Cookie …O "
                        "sent; the …P cookie only by JS); robots.txt is exempt",
    "cookie_521": "requests without __jsl_clearance_s get 521 with a script that computes it; robots.txt exempt",
    "home_instead": "the target report answers 200 with the site's entry page (throttling by wrong content)",
    "endless_pagination": "TRS createPageHTML claims 9999 pages and any index_N.htm answers; gkmlpt/jcms claim "
                          "99999 records and every page past the end repeats the first one",
    "duplicate_listing": "list pages and API pages show every item twice",
    "ip_block": "more than 40 requests in 10 s from one client to one portal -> 403 for 20 s (each portal's "
                "WAF counts its own: the field guide's Fujian '~1-min IP block' after bursts of probes)",
    "gbk_no_charset": "UTF-8 sites serve their HTML as GBK with no charset in Content-Type (meta says gb2312)",
    "charset_mismatch": "HTML bodies are GBK while the header says charset=utf-8",
    "truncated_attachment": "the target attachment is cut to half its size",
    "encrypted_attachment": "the target PDF attachment is served password-encrypted",
    "zero_byte_attachment": "the target attachment has an empty body",
    "html_as_pdf": "the target attachment is an HTML error page sent as application/pdf",
    "hostile_filename": "attachments carry Content-Disposition names with ../, backslashes, control characters, 300 chars",
    "cookie_302": "requests without the CT6T cookie get 302 to the same URL with Set-Cookie (openresty style)",
    "browser_ua_only": "requests whose User-Agent lacks 'Mozilla/' get 403",
    "forced_gzip": "every 200 body is gzip-compressed (Content-Encoding: gzip) whatever Accept-Encoding says",
    "utf8_bom": "UTF-8 HTML bodies start with a byte-order mark",
}
REPORT_TARGETS = ("reset", "timeout", "redirect_loop", "offsite_redirect", "listed_404", "home_instead")
ATTACHMENT_TARGETS = ("truncated_attachment", "zero_byte_attachment", "html_as_pdf", "encrypted_attachment")
OFFSITE = "http://www.example.invalid/zfxxgk/"
RUISHU_COOKIE, JSL_COOKIE = "FSSBBIl1UgzbN7NP", "__jsl_clearance_s"


def _token(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def encrypt_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password="xxgk-secret", owner_password="xxgk-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class Chaos:
    def __init__(self, modes: set[str]) -> None:
        self.set_modes(modes)
        self._hits: dict[tuple[str, str], int] = defaultdict(int)
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._blocked: dict[str, float] = {}
        self._targets: dict[tuple[str, int], dict[str, list[str]]] = {}
        self._encrypted: dict[str, bytes] = {}

    def set_modes(self, modes: set[str]) -> None:
        unknown = set(modes) - set(MODES)
        if unknown:
            raise ValueError(f"unknown chaos modes: {sorted(unknown)}")
        self.modes = set(modes)
        if hasattr(self, "_hits"):
            self._hits.clear()
            self._blocked.clear()

    # ------------------------------------------------------------------ targets
    def targets(self, site: BaseSite) -> dict[str, list[str]]:
        """Paths hit by each targeted mode on `site` (victims: non-seed reports, newest first)."""
        key = (site.site_id, id(site))
        if key not in self._targets:
            reports = sorted((r for r in site.content.reports if r.seed is None and r.in_column),
                             key=lambda r: r.published, reverse=True)
            out: dict[str, list[str]] = {m: [] for m in REPORT_TARGETS + ATTACHMENT_TARGETS}
            for mode, r in zip(REPORT_TARGETS, reports[1:]):
                out[mode] = [r.layout["path"]]
            atts = [(r, i) for r in reports for i in range(len(r.attachments))]
            pdfs = [(r, i) for r, i in atts if r.attachments[i].fmt == "pdf"]
            used: set[tuple[int, int]] = set()
            for mode in ATTACHMENT_TARGETS:
                pool = pdfs if mode in ("encrypted_attachment", "html_as_pdf") else atts
                pick = next(((r, i) for r, i in pool if (id(r), i) not in used), None)
                if pick:
                    used.add((id(pick[0]), pick[1]))
                    out[mode] = [pick[0].layout["att_paths"][pick[1]]]
            self._targets = {k: v for k, v in self._targets.items() if k[0] != site.site_id}
            self._targets[key] = out
        return self._targets[key]

    def describe(self, site: BaseSite | None = None, base_url: str = "") -> dict[str, dict[str, Any]]:
        out = {}
        for mode in sorted(self.modes):
            urls = [base_url + p for p in self.targets(site).get(mode, [])] if site is not None else []
            out[mode] = {"doc": MODES[mode], "urls": urls}
        return out

    def _is_target(self, site: BaseSite, mode: str, request: web.Request) -> bool:
        if mode not in self.modes:
            return False
        return request.path_qs in self.targets(site)[mode] or request.path in self.targets(site)[mode]

    def _first(self, site: BaseSite, mode: str, path: str) -> bool:
        k = (f"{site.site_id}:{mode}", path)
        self._hits[k] += 1
        return self._hits[k] == 1

    # ------------------------------------------------------------------ before
    async def before(self, site: BaseSite, request: web.Request) -> web.StreamResponse | None:
        if not self.modes:
            return None
        m, path = self.modes, request.path
        client = f"{site.site_id}:{request.remote or '?'}"  # a portal's WAF counts the requests to it
        if "ip_block" in m:
            now = time.monotonic()
            if self._blocked.get(client, 0) > now:
                return web.Response(status=403, text="<html><body><h1>403 Forbidden</h1>访问过于频繁</body></html>",
                                    content_type="text/html")
            q = self._recent[client]
            q.append(now)
            while q and q[0] < now - 10:
                q.popleft()
            if len(q) > 40:
                self._blocked[client] = now + 20
                q.clear()
        if "browser_ua_only" in m and "Mozilla/" not in request.headers.get("User-Agent", ""):
            return web.Response(status=403, text="Forbidden")
        if path != "/robots.txt":
            if "cookie_302" in m and request.cookies.get("CT6T") != _token("ct6t", site.site_id):
                resp = web.Response(status=302, headers={"Location": request.path_qs})
                resp.set_cookie("CT6T", _token("ct6t", site.site_id), path="/")
                return resp
            if "js_challenge_412" in m and request.cookies.get(RUISHU_COOKIE) != _token("rs", site.site_id):
                return self._ruishu(site)
            if "cookie_521" in m and request.cookies.get(JSL_COOKIE) != _token("jsl", site.site_id):
                return self._jsl(site)
        if "http_500_burst" in m:
            k = (f"{site.site_id}:burst", request.path_qs)
            self._hits[k] += 1
            if self._hits[k] <= 3:
                return web.Response(status=(503, 502, 500)[self._hits[k] - 1], text="Service Unavailable")
        if self._is_target(site, "listed_404", request):
            return web.Response(status=404, text="404 Not Found")
        if self._is_target(site, "offsite_redirect", request):
            return web.Response(status=302, headers={"Location": OFFSITE + path.rsplit("/", 1)[-1]})
        if "redirect_loop" in m and path in self.targets(site)["redirect_loop"]:
            return web.Response(status=302, headers={"Location": path if request.query.get("loop") else path + "?loop=1"})
        if self._is_target(site, "timeout", request) and self._first(site, "timeout", path):
            await asyncio.sleep(float(os.environ.get("XXGK_CHAOS_HANG", "40")))
        if self._is_target(site, "home_instead", request):
            entry = site.get("GET", site.entry_path, {}, {})
            if entry is not None:
                return web.Response(body=entry.body, headers={"Content-Type": "text/html" + (
                    f"; charset={entry.charset}" if entry.charset else "")})
        return None

    def _ruishu(self, site: BaseSite) -> web.Response:
        tok = _token("rs", site.site_id)
        meta = _token("meta", site.site_id) * 8
        js = ("$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=51234;$_ts.cd='qGcDrAlqWsGr';"
              f"(function(){{var p=['{tok[:16]}','{tok[16:]}'];document.cookie='{RUISHU_COOKIE}='+p.join('')+';path=/';"
              "location.reload();})();")
        body = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta id="9DhefwqGPrzGxEp9hPaoag" content="{meta}">'
                f'<script type="text/javascript" charset="utf-8" id="9DhefwqGPrzGxEp9hPaoag" r="m">{js}</script>'
                '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/d.FxJzG50F.3d1ec4e.js" r="m"></script>'
                '</head><body></body></html>')
        resp = web.Response(status=412, body=body.encode(), headers={"Content-Type": "text/html"})
        resp.set_cookie("FSSBBIl1UgzbN7NO", _token("rs-o", site.site_id), path="/")
        return resp

    def _jsl(self, site: BaseSite) -> web.Response:
        tok = _token("jsl", site.site_id)
        parts = ",".join(f"'{tok[i:i + 4]}'" for i in range(0, 32, 4))
        js = (f"var _p=[{parts}];document.cookie='{JSL_COOKIE}='+_p.join('')+';max-age=3600;path=/';"
              "location.href=location.pathname+location.search;")
        return web.Response(status=521, body=f"<html><script>{js}</script></html>".encode(),
                            headers={"Content-Type": "text/html"})

    # ------------------------------------------------------------------ after
    async def after(self, site: BaseSite, request: web.Request, res: Resource | None,
                    response: web.Response) -> web.StreamResponse:
        if not self.modes or res is None or response.status != 200:
            return response
        m = self.modes
        body = response.body if isinstance(response.body, bytes) else b""
        headers = dict(response.headers)
        is_html = res.content_type == "text/html"
        if is_html and site.charset == "utf-8" and ("gbk_no_charset" in m or "charset_mismatch" in m):
            body = body.decode("utf-8").replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" '
                                                'content="text/html; charset=gb2312">').encode("gbk", "xmlcharrefreplace")
            headers["Content-Type"] = "text/html" if "gbk_no_charset" in m else "text/html; charset=utf-8"
        elif is_html and "charset_mismatch" in m:
            headers["Content-Type"] = "text/html; charset=utf-8"
        if self._is_target(site, "truncated_attachment", request):
            body = body[: len(body) // 2]
        if self._is_target(site, "zero_byte_attachment", request):
            body = b""
        if self._is_target(site, "encrypted_attachment", request):
            if request.path not in self._encrypted:
                self._encrypted[request.path] = encrypt_pdf(body)
            body = self._encrypted[request.path]
        if self._is_target(site, "html_as_pdf", request):
            body = "<html><head><title>文件不存在</title></head><body>对不起，您访问的文件不存在或已删除。</body></html>".encode()
            headers["Content-Type"] = "application/pdf"
        if "hostile_filename" in m and not is_html and res.content_type not in ("application/json", "text/xml", "text/plain"):
            ext = request.path.rsplit(".", 1)[-1]
            evil = ["../../../etc/passwd", "..\\..\\windows\\system.ini", "a\x01b\r\nX-Evil: 1", "名" * 300][
                int(_token(request.path)[:2], 16) % 4]
            safe = evil.replace("\r", "%0D").replace("\n", "%0A").replace("\x01", "%01")
            headers["Content-Disposition"] = f'attachment; filename="{safe}.{ext}"; filename*=UTF-8\'\'{_pct(evil)}.{ext}'
        if "utf8_bom" in m and is_html and headers.get("Content-Type", "").endswith("utf-8") and \
                site.charset == "utf-8" and not body.startswith(b"\xef\xbb\xbf"):
            body = b"\xef\xbb\xbf" + body
        if "forced_gzip" in m and body:
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        headers.pop("Content-Length", None)
        if body is not response.body or headers != dict(response.headers):
            if "ETag" in headers and body is not response.body:
                headers["ETag"] = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            response = web.Response(body=body, status=200, headers=headers)
        trickle = "slow_trickle" in m and (not is_html or _is_detail(request.path))
        reset = self._is_target(site, "reset", request) and self._first(site, "reset", request.path)
        if trickle or reset:
            return await self._stream(request, response, reset)
        return response

    async def _stream(self, request: web.Request, response: web.Response, reset: bool) -> web.StreamResponse:
        body = response.body if isinstance(response.body, bytes) else b""
        out = web.StreamResponse(status=response.status, headers={k: v for k, v in response.headers.items()
                                                                   if k.lower() != "content-length"})
        out.content_length = len(body)
        await out.prepare(request)
        step = 512
        for i in range(0, len(body), step):
            if reset and i >= len(body) // 2:
                if request.transport is not None:
                    request.transport.abort()
                return out
            await out.write(body[i:i + step])
            if not reset:
                await asyncio.sleep(0.25)
        await out.write_eof()
        return out


def _is_detail(path: str) -> bool:
    return any(s in path for s in ("/t20", "/t19", "post_", "/art/"))


def _pct(text: str) -> str:
    from urllib.parse import quote
    return quote(text, safe="")
