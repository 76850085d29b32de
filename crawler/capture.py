"""Capture: every response body goes to the raw store, byte-exact, with a capture record.

Sits just inside the retry middleware, so it sees final responses only (after retries
and redirects). A 2xx body is stored and recorded; a non-2xx final response becomes an
`error` record (the spider's errback records transport failures). A response that the
conditional-request middleware rebuilt from the store after a 304 is recorded as
`not_modified`, not stored again. Bodies are written by `StoreWriter` (a thread), so the event
loop keeps fetching and parsing while the disk works; the record waits for the durable body.
"""
from __future__ import annotations

import asyncio
import os
import queue
import threading
from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from archive.records import capture_id_for
from archive.store import RawStore, Stored
from crawler.filetypes import body_problem, clean_filename, guess_ext, promised_ext, raw_disposition_name
from crawler.middlewares import CrawlerAware


class StoreWriter:
    """Stores response bodies off the event loop: one thread per process, in batches.

    The crawl's event loop hands a body over and awaits its `Stored`; meanwhile it keeps
    fetching and parsing. The thread takes whatever is queued (up to `MAX_BATCH`) and calls
    `RawStore.put_many` (write all, sync all at once, rename all): one thread creates the
    files, because parallel creates contend in the filesystem's inode allocator. Each body
    is durable under its final name before its future resolves, so the capture record that
    follows never points at a body a crash could lose.

    The thread is kept to few GIL hand-offs, since every one stalls the event loop: no
    helper threads (an fsync pool made ~40 futex calls per body), and one wake-up of each
    waiting loop per batch.
    """

    MAX_BATCH = 32

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()

    async def put(self, store: RawStore, site_id: str, body: bytes, ext: str | None) -> Stored:
        if not is_asyncio_available():
            return await maybe_deferred_to_future(deferToThread(store.put, site_id, body, ext))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Stored] = loop.create_future()
        self._ensure_thread()
        self._queue.put((store, site_id, body, ext, loop, future))
        return await future

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._queue = queue.SimpleQueue()  # after a fork: the parent's queue is not ours
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, args=(self._queue,),
                                                name="xxgk-store", daemon=True)
                self._thread.start()

    def _run(self, jobs: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        while True:
            batch = [jobs.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(jobs.get_nowait())
                except queue.Empty:
                    break
            by_store: dict[int, list[tuple[Any, ...]]] = {}
            for job in batch:
                by_store.setdefault(id(job[0]), []).append(job)
            by_loop: dict[int, list[tuple[Any, ...]]] = {}
            for jobs_of_store in by_store.values():
                store = jobs_of_store[0][0]
                try:
                    results: list[Any] = store.put_many([(j[1], j[2], j[3]) for j in jobs_of_store])
                except BaseException as exc:  # noqa: BLE001 - handed to every waiting request
                    results = [exc] * len(jobs_of_store)
                for job, result in zip(jobs_of_store, results):
                    by_loop.setdefault(id(job[4]), []).append((job[4], job[5], result))
            for settled in by_loop.values():
                try:
                    settled[0][0].call_soon_threadsafe(_settle, [(f, r) for _, f, r in settled])
                except RuntimeError:  # that crawl's loop is closed: nobody waits any more
                    pass


def _settle(settled: list[tuple[asyncio.Future[Stored], Stored | BaseException]]) -> None:
    for future, result in settled:
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


STORE_WRITER = StoreWriter()


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    if value is None:
        return None
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


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
            session.record("not_modified", url=response.url, http_status=304,
                           prev_sha256=request.meta["xxgk_not_modified"], kind=kind)
            return response
        if not 200 <= response.status < 300:
            if not is_robots(response.url) and response.status not in request.meta.get("expected_status", ()):
                session.error(response.url, "fetch", f"http_{response.status}",
                              f"HTTP {response.status} for {kind} page")
            return response
        await self.capture(session, request, response, kind)
        return response

    @staticmethod
    async def capture(session: Any, request: Request, response: Response, kind: str) -> dict[str, Any] | None:
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
        try:  # the body is durable under its final name before the record that points at it
            stored = await STORE_WRITER.put(session.store, session.site_id, body, ext)
        except (OSError, ValueError) as exc:
            session.error(response.url, "store", "write_failed", repr(exc))
            return None
        charset = response.encoding if isinstance(response, TextResponse) else None
        cap = session.record(
            "capture",
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
        )
        session.stats["captures"] += 1
        session.stats["bytes"] += stored.size
        request.meta["capture"] = cap
        return cap
