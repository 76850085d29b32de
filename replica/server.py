"""`ReplicaServer`: every replica site on its own loopback port, served from a background thread.

The server adds what real static web servers add on top of the family pages: robots.txt,
ETag/Last-Modified with 304 answers, Content-Type with or without charset, 404 pages, and the
optional chaos faults (`replica/families/chaos.py`).
"""
from __future__ import annotations

import asyncio
import threading
from datetime import timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Iterable

from aiohttp import web

from replica.families.attachments import warm
from replica.families.base import CST, BaseSite, Resource
from replica.families.chaos import Chaos
from replica.families.gkmlpt import GkmlptSite
from replica.families.jcms import JcmsSite
from replica.families.trs import TrsSite
from replica.world import SiteDef, all_sites, build_content

FAMILIES: dict[str, type[BaseSite]] = {"trs": TrsSite, "gkmlpt": GkmlptSite, "jcms": JcmsSite}
NOT_FOUND = ("<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center>"
             "<hr><center>nginx</center></body></html>").encode()


def robots_txt(site: SiteDef) -> Resource | None:
    kind = site.options.get("robots", "allow")
    if kind == "404":
        return None
    if kind == "disallow":
        text = f"User-agent: *\nDisallow: {site.options['disallow']}\n"
    else:
        text = "User-agent: *\nAllow: /\n"
    return Resource(text.encode(), "text/plain", "utf-8")


def http_date(dt: Any) -> str:
    return format_datetime(dt.replace(tzinfo=CST).astimezone(timezone.utc), usegmt=True)


def not_modified(request: web.Request, etag: str, last_modified: str | None) -> bool:
    inm = request.headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return etag in tags or "*" in tags
    ims = request.headers.get("If-Modified-Since")
    if ims and last_modified:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def chaos_set(chaos: Iterable[str] | str | bool | None) -> set[str]:
    """None/False: none; True or "all": every mode; "a,b": those; an iterable of names."""
    from replica.families.chaos import MODES
    if chaos is True or chaos == "all":
        return set(MODES)
    if not chaos:
        return set()
    if isinstance(chaos, str):
        return {m.strip() for m in chaos.split(",") if m.strip()}
    return set(chaos)


class ReplicaServer:
    """Replica portals on 127.0.0.1: `start()`, `base_urls`, `manifest`, `set_day`, `set_chaos`, `stop()`."""

    def __init__(self, day: int = 1, scale: int = 0, chaos: Iterable[str] | str | bool | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.day = day
        self.scale = scale
        self.host = host
        self.base_port = port  # 0: ephemeral ports; else site i listens on port + i
        self.site_defs = all_sites(scale)
        self.chaos = Chaos(chaos_set(chaos))
        self.base_urls: dict[str, str] = {}
        self._sites: dict[str, BaseSite] = {}
        self._manifest: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list[web.AppRunner] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "ReplicaServer":
        if self._thread is not None:
            return self
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind())
            except BaseException as exc:  # report to the caller of start()
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._unbind())
            loop.close()

        self._thread = threading.Thread(target=run, name="replica-server", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            self._thread = None
            raise errors[0]
        self._rebuild()
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> "ReplicaServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _bind(self) -> None:
        for i, sd in enumerate(self.site_defs):
            app = web.Application(client_max_size=1 << 20)
            app.router.add_route("*", "/{tail:.*}", self._handler(sd.site_id))
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            port = self.base_port + i if self.base_port else 0
            site = web.TCPSite(runner, self.host, port, reuse_address=True)
            await site.start()
            actual = runner.addresses[0][1]
            self.base_urls[sd.site_id] = f"http://{self.host}:{actual}"
            self._runners.append(runner)

    async def _unbind(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    # ------------------------------------------------------------------ state
    def _rebuild(self) -> None:
        sites: dict[str, BaseSite] = {}
        for sd in self.site_defs:
            site = FAMILIES[sd.platform](build_content(sd, self.day))
            site.origin = self.base_urls.get(sd.site_id, "")
            site.set_modes(self.chaos.modes)
            sites[sd.site_id] = site
        warm(r for site in sites.values() for r in site.content.reports)
        with self._lock:
            self._sites = sites
            self._manifest = None

    def set_day(self, day: int) -> None:
        """Switch the world to `day` (1: initial, 2: changes, 3: the removed report is back,
        4: a report edited in place with its list pages unchanged)."""
        self.day = day
        self._rebuild()

    def set_chaos(self, modes: Iterable[str] | str | bool | None) -> None:
        self.chaos.set_modes(chaos_set(modes))
        with self._lock:
            for site in self._sites.values():
                site.set_modes(self.chaos.modes)
            self._manifest = None

    @property
    def sites(self) -> dict[str, BaseSite]:
        return self._sites

    @property
    def manifest(self) -> dict[str, Any]:
        with self._lock:
            if self._manifest is not None:
                return self._manifest
            sites = self._sites
        out = {}
        for sid, site in sites.items():
            m = site.manifest(self.base_urls.get(sid, ""))
            m["chaos"] = self.chaos.describe(site, self.base_urls.get(sid, ""))
            out[sid] = m
        with self._lock:
            if self._sites is sites:
                self._manifest = out
        return out

    # ------------------------------------------------------------------ HTTP
    def _handler(self, site_id: str) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            site = self._sites[site_id]
            early = await self.chaos.before(site, request)
            if early is not None:
                return early
            res = await self._resolve(site, request)
            response = self._respond(request, res)
            return await self.chaos.after(site, request, res, response)
        return handle

    async def _resolve(self, site: BaseSite, request: web.Request) -> Resource | None:
        if request.path == "/robots.txt":
            return robots_txt(site.site)
        form: dict[str, str] = {}
        if request.method == "POST":
            form = {k: str(v) for k, v in (await request.post()).items()}
        query = dict(request.query)
        loop = asyncio.get_running_loop()
        # page rendering may render documents (CPU/subprocess): keep the loop responsive
        return await loop.run_in_executor(None, site.get, request.method, request.path, query, form)

    def _respond(self, request: web.Request, res: Resource | None) -> web.Response:
        if res is None:
            return web.Response(body=NOT_FOUND, status=404, headers={"Content-Type": "text/html"})
        headers = dict(res.headers)
        ctype = res.content_type + (f"; charset={res.charset}" if res.charset else "")
        headers["Content-Type"] = ctype
        if res.static and res.status == 200:
            etag = res.etag
            lm = http_date(res.last_modified) if res.last_modified else None
            headers["ETag"] = etag
            if lm:
                headers["Last-Modified"] = lm
            headers["Accept-Ranges"] = "bytes"
            if not_modified(request, etag, lm):
                headers.pop("Content-Type", None)
                return web.Response(status=304, headers=headers)
        return web.Response(body=res.body, status=res.status, headers=headers)
