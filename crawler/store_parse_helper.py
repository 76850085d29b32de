"""The crawl's store-and-parse helper process: bodies made durable, report pages parsed.

A crawl hands every response body to `STORE_WRITER.put()` — the one call of the protocol —
and awaits its `Stored`: by then the body is durable under its final name, so the capture
record that follows never points at a body a crash could lose.

Why a process and not a thread: a writer thread shares the GIL with the event loop, and
each of its system calls (create, write, sync, rename: about eight per body) hands the GIL
back and forth; the loop stalls at every hand-off, and the kernel's file-creation work is
charged to the crawl. The helper process writes in parallel with no hand-offs; the event
loop only sends each body down a socket and reads a short answer, both non-blocking from
the loop itself (no thread on our side). Measured on 5,290 report pages (docs/scaling.md):
with the thread the loop ran ~1.4 s longer than with no store at all; with the process,
within noise of it.

One helper per crawl process (started on the first body; a forked child starts its own),
`python -m crawler.store_parse_helper FD` on one end of a socket pair. If it dies, the bodies in
flight fail with an OSError (the capture middleware records each as a store error and the
crawl goes on) and the next body starts a new helper. When the crawl process ends, the
helper reads end-of-file, finishes what it was given and exits.

A report page can come with its parser (`put(..., page=Page(parser, text, url))`): the helper then also runs the
platform's detail-page parser (`detail_parsers()` below, named by family) on the page's
text once the body is stored, and answers with the result, so the event loop does not spend
~0.4 ms of lxml on every report page. If the parser fails there, the answer has no result
and the spider parses the page itself (and meets the same error where it is handled).

Frames, both directions little-endian:
  request  <QIII (job id, header length, body length, text length), header JSON
           {home, site_id, ext, parser? (family name), url?}, body, the page's text as UTF-8
  answer   <QI (job id, length), JSON {stored: Stored's fields, parsed?: [title, metadata,
           [[url, text, attrs], ...]]} or {error, errno, message, filename}

Why these frames and not `multiprocessing.connection`: its `send_bytes` blocks, and the
event loop must never wait for the helper. Tried (#15, both sides on Connection): while the
helper synced a batch, a 3 MB body held the loop for 140-215 ms (here: <= 12 ms), one run
of six hung with both sides in a send, and `bench/bench_crawl.py --scale 20` was no faster
(capture 4.1-4.7 CPU ms/page against 4.0).
"""
from __future__ import annotations

import asyncio
import atexit
import collections
import itertools
import json
import os
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from archive.store.home import Home
from archive.store.raw import RawStore, Stored

Parsed = tuple[str, dict[str, str], list[Any]]  # (title, metadata, [common.Link])
REQUEST = struct.Struct("<QIII")
ANSWER = struct.Struct("<QI")
MAX_BATCH = 32  # bodies per RawStore.put_many (one sync of the disk for all of them)
_REPO = str(Path(__file__).resolve().parents[1])


@dataclass(frozen=True)
class Page:
    """A report page the helper parses once its body is stored: `parser(text, url)`."""

    parser: Callable[[str, str], Parsed]
    text: str
    url: str


class StoreWriter:
    """The crawl side: one connection to a helper process per crawl process and event loop.

    Everything the crawl says to the helper goes through `put`; `helper_pid` and `hang_up`
    are for the shutdown path (crawler/shutdown.py)."""

    def __init__(self) -> None:
        self._connection: _Connection | None = None

    async def put(self, store: RawStore, site_id: str, body: bytes, ext: str | None,
                  page: Page | None = None) -> tuple[Stored, Parsed | None]:
        """Store `body` durably; with a `page`, the helper also parses it. Returns the `Stored`
        and the parse result (None: no page, the parser failed in the helper, or there is no
        helper — the caller then parses)."""
        if not _asyncio_loop_running():  # a Twisted reactor without asyncio: the store in a thread
            from scrapy.utils.defer import maybe_deferred_to_future
            from twisted.internet.threads import deferToThread

            return await maybe_deferred_to_future(deferToThread(store.put, site_id, body, ext)), None
        return await self._connection_for(asyncio.get_running_loop()).put(store.home.root, site_id, body, ext, page)

    def _connection_for(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        connection = self._connection
        if connection is None or not connection.usable(loop):
            if connection is not None:
                connection.close()
            connection = self._connection = _Connection(loop)
        return connection

    def helper_pid(self) -> int | None:
        """The running helper's process id (None: none started)."""
        return self._connection.process.pid if self._connection is not None else None

    def hang_up(self, wait: float) -> None:
        """End-of-file for the helper, from outside the event loop (the process is ending): it
        finishes what it was given and exits; waited for up to `wait` seconds, never killed."""
        connection = self._connection
        if connection is None or connection.closed:
            return
        connection.closed = True
        connection.sock.close()
        connection.process.wait(wait)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _asyncio_loop_running() -> bool:
    from scrapy.utils.asyncio import is_asyncio_available

    try:
        return is_asyncio_available()
    except RuntimeError:  # no Twisted reactor installed: plain asyncio (tools, tests)
        return True


class _Connection:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.pid = loop, os.getpid()
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (_REPO, os.environ.get("PYTHONPATH")) if p)}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crawler.store_parse_helper", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            theirs.close()
        ours.setblocking(False)
        self.sock = ours
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[tuple[Stored, Parsed | None]]] = {}
        self.outgoing: collections.deque[memoryview] = collections.deque()
        self.incoming = bytearray()
        self.closed = False
        loop.add_reader(ours.fileno(), self._readable)
        atexit.register(self.close)

    def usable(self, loop: asyncio.AbstractEventLoop) -> bool:
        return not self.closed and self.loop is loop and not loop.is_closed() and self.pid == os.getpid()

    def put(self, home: Path, site_id: str, body: bytes, ext: str | None,
            page: Page | None = None) -> asyncio.Future[tuple[Stored, Parsed | None]]:
        job = next(self.ids)
        future: asyncio.Future[tuple[Stored, Parsed | None]] = self.loop.create_future()
        self.waiting[job] = future
        fields: dict[str, Any] = {"home": str(home), "site_id": site_id, "ext": ext}
        text = b""
        if page is not None and (name := _parser_name(page.parser)) is not None:
            fields.update(parser=name, url=page.url)
            text = page.text.encode("utf-8", "surrogatepass")
        header = json.dumps(fields).encode()
        was_idle = not self.outgoing
        self.outgoing.append(memoryview(REQUEST.pack(job, len(header), len(body), len(text)) + header))
        for part in (body, text):
            if part:
                self.outgoing.append(memoryview(part))
        if was_idle:
            self._flush()
        return future

    def _flush(self) -> None:
        try:
            while self.outgoing:
                sent = self.sock.send(self.outgoing[0])
                if sent == len(self.outgoing[0]):
                    self.outgoing.popleft()
                else:
                    self.outgoing[0] = self.outgoing[0][sent:]
        except BlockingIOError:
            self.loop.add_writer(self.sock.fileno(), self._flush)
            return
        except OSError as exc:
            self._lost(exc)
            return
        self.loop.remove_writer(self.sock.fileno())

    def _readable(self) -> None:
        try:
            data = self.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(exc)
            return
        if not data:
            self._lost(None)
            return
        self.incoming += data
        view, done = memoryview(self.incoming), 0
        while len(view) - done >= ANSWER.size:
            job, size = ANSWER.unpack_from(view, done)
            if len(view) - done - ANSWER.size < size:
                break
            answer = json.loads(bytes(view[done + ANSWER.size:done + ANSWER.size + size]))
            done += ANSWER.size + size
            future = self.waiting.pop(job, None)
            if future is not None and not future.done():
                if "error" in answer:
                    future.set_exception(_error_from(answer))
                else:
                    future.set_result((Stored(**answer["stored"]), _parsed_from(answer.get("parsed"))))
        view.release()
        del self.incoming[:done]

    def _lost(self, exc: OSError | None) -> None:
        code = self.process.poll()
        why = f"exit status {code}" if code is not None else (repr(exc) if exc else "connection closed")
        error = OSError(f"the store writer process ended ({why}); body not stored")
        waiting, self.waiting = self.waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(error)
        self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self.close)
        if self.pid != os.getpid():  # a forked child's copy: the helper is its parent's
            return
        if not self.loop.is_closed():
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())
        self.sock.close()  # the helper reads end-of-file, finishes its batch and exits
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _error_from(answer: dict[str, Any]) -> Exception:
    if answer["error"] == "ValueError":
        return ValueError(answer["message"])
    if answer.get("errno") is not None:
        return OSError(answer["errno"], answer["message"], *([answer["filename"]] if answer.get("filename") else []))
    return OSError(answer["message"])


def _parsed_from(parsed: list[Any] | None) -> Parsed | None:
    if parsed is None:
        return None
    from crawler.pages.common import Link

    title, meta, links = parsed
    return title, meta, [Link(url, text, attrs) for url, text, attrs in links]


@cache
def detail_parsers() -> dict[str, Callable[[str, str], Parsed]]:
    """Each platform family's report-page parser, by family name: the helper runs the one a
    capture names. A new family adds its line here (docs/architecture.md)."""
    from crawler.pages import generic, gkmlpt, jcms, trs

    return {"trs": trs.parse_detail, "gkmlpt": gkmlpt.parse_detail, "jcms": jcms.parse_detail,
            "generic": generic.parse_detail}


def _parser_name(parser: Callable[[str, str], Parsed]) -> str | None:
    """The family name of a report-page parser (None: not one of them, and the spider parses
    the page itself)."""
    return next((name for name, fn in detail_parsers().items() if fn is parser), None)


def _parser(name: str) -> Callable[[str, str], Parsed]:
    return detail_parsers()[name]


def _parse(header: dict[str, Any], text: bytes) -> list[Any] | None:
    try:
        title, meta, links = _parser(header["parser"])(text.decode("utf-8", "surrogatepass"), header["url"])
        return [title, meta, [[link.url, link.text, link.attrs] for link in links]]
    except Exception:  # noqa: BLE001 - the spider parses the page itself and meets the error there
        return None


def _answer(result: Stored | Exception, header: dict[str, Any], text: bytes) -> dict[str, Any]:
    if isinstance(result, Stored):
        answer: dict[str, Any] = {"stored": {"sha256": result.sha256, "size": result.size,
                                             "raw_path": result.raw_path, "created": result.created}}
        if header.get("parser"):
            answer["parsed"] = _parse(header, text)
        return answer
    if isinstance(result, OSError):
        return {"error": "OSError", "errno": result.errno, "message": result.strerror or str(result),
                "filename": None if result.filename is None else str(result.filename)}
    return {"error": type(result).__name__ if isinstance(result, ValueError) else "OSError", "message": str(result)}


def serve(sock: socket.socket) -> None:
    """The helper: read requests, store each batch with `RawStore.put_many`, answer in order."""
    stores: dict[str, RawStore] = {}
    buffer = bytearray()
    while True:
        data = sock.recv(1 << 20)
        ended = not data
        buffer += data
        while not ended:  # take everything already sent: it becomes one batch
            try:
                more = sock.recv(1 << 20, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            ended = not more
            buffer += more
        jobs, done = [], 0
        while len(buffer) - done >= REQUEST.size:
            job, header_size, body_size, text_size = REQUEST.unpack_from(buffer, done)
            body_at = done + REQUEST.size + header_size
            end = body_at + body_size + text_size
            if len(buffer) < end:
                break
            header = json.loads(bytes(buffer[done + REQUEST.size:body_at]))
            jobs.append((job, header, bytes(buffer[body_at:body_at + body_size]),
                         bytes(buffer[body_at + body_size:end])))
            done = end
        del buffer[:done]
        for start in range(0, len(jobs), MAX_BATCH):
            batch = jobs[start:start + MAX_BATCH]
            answers = []
            for home in dict.fromkeys(h["home"] for _, h, _, _ in batch):
                of_home = [job for job in batch if job[1]["home"] == home]
                store = stores.get(home) or stores.setdefault(home, RawStore(Home(Path(home))))
                try:
                    results: list[Any] = store.put_many([(h["site_id"], body, h["ext"]) for _, h, body, _ in of_home])
                except Exception as exc:  # noqa: BLE001 - answered to every body of the batch
                    results = [exc] * len(of_home)
                for (job, header, _, text), result in zip(of_home, results):
                    payload = json.dumps(_answer(result, header, text)).encode()
                    answers.append(ANSWER.pack(job, len(payload)) + payload)
            try:
                sock.sendall(b"".join(answers))
            except OSError:  # the crawl went away: nobody to answer (the bodies are stored)
                return
        if ended:
            return


STORE_WRITER = StoreWriter()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl decides when to stop: end-of-file
    serve(socket.socket(fileno=int(sys.argv[1])))
