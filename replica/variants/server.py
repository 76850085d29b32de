"""`VariantServer`: generated portals on loopback, one origin (port) per portal.

    with VariantServer([generate(7, "trs"), generate(8, "jpaas")]) as srv:
        srv.base_urls["vtrs-7"]; srv.manifest["vtrs-7"]["reports"]; srv.requests["vtrs-7"]

Bodies carry origin placeholders (the port is known only here); they are filled in per
request. Paths are matched as web servers match them (`//` merged, dot segments resolved).
"""
from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

from aiohttp import web

from replica.families.base import Resource
from replica.variants import markup as m
from replica.variants.model import VariantPortal

NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"


class VariantServer:
    def __init__(self, portals: list[VariantPortal], host: str = "127.0.0.1") -> None:
        self.portals = {p.site_id: p for p in portals}
        if len(self.portals) != len(portals):
            raise ValueError("two portals with one site_id")
        self.host = host
        self.base_urls: dict[str, str] = {}
        self.requests: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list[web.AppRunner] = []

    def start(self) -> "VariantServer":
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._bind())
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._unbind())
            loop.close()

        self._thread = threading.Thread(target=run, name="variant-server", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop = self._thread = None

    def __enter__(self) -> "VariantServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _bind(self) -> None:
        for sid in self.portals:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handler(sid))
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, self.host, 0, reuse_address=True)
            await site.start()
            self.base_urls[sid] = f"http://{self.host}:{runner.addresses[0][1]}"
            self._runners.append(runner)

    async def _unbind(self) -> None:
        for runner in self._runners:
            await runner.cleanup()

    @property
    def manifest(self) -> dict[str, dict[str, Any]]:
        return {sid: p.manifest(self.base_urls.get(sid, "")) for sid, p in self.portals.items()}

    def _handler(self, sid: str) -> Any:
        portal = self.portals[sid]

        async def handle(request: web.Request) -> web.Response:
            self.requests[sid] += 1
            if request.path == "/robots.txt":
                return web.Response(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")
            form = {k: str(v) for k, v in (await request.post()).items()} if request.method == "POST" else {}
            res = portal.resolve(request.method, request.path, dict(request.query), form)
            if res is None:
                return web.Response(body=NOT_FOUND, status=404, headers={"Content-Type": "text/html"})
            return self._respond(res, self.base_urls[sid])
        return handle

    @staticmethod
    def _respond(res: Resource, origin: str) -> web.Response:
        headers = dict(res.headers)
        body = res.body
        if b"__V" in body:
            netloc = origin.split("://", 1)[1]
            body = (body.replace(m.ORIGIN.encode(), origin.encode())
                    .replace(m.UORIGIN.encode(), ("HTTP://" + netloc).encode())
                    .replace(m.NETLOC.encode(), netloc.encode()))
        if "Location" in headers and headers["Location"].startswith("/"):
            headers["Location"] = origin + headers["Location"]
        headers["Content-Type"] = res.content_type + (f"; charset={res.charset}" if res.charset else "")
        return web.Response(body=body, status=res.status, headers=headers)
