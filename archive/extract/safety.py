"""Guards: external tools with timeout + memory cap, zip-bomb checks, cooperative deadlines."""
from __future__ import annotations

import io
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from contextlib import contextmanager
from typing import Iterator, Sequence

from .model import ExtractError

TOOL_MEMORY_BYTES = 2 * 2**30          # RLIMIT_AS for soffice/tesseract/pdftoppm/antiword
ZIP_MAX_TOTAL = 400 * 2**20            # sum of uncompressed member sizes
ZIP_MAX_RATIO = 100                    # uncompressed / compressed, checked above ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 20 * 2**20
ZIP_MAX_MEMBERS = 5_000


def _limit_memory(limit: int):
    def apply() -> None:
        os.setsid()  # own process group, so a timeout kills the tool's children too
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run_tool(cmd: Sequence[str], timeout: float, cwd: str | None = None,
             memory: int = TOOL_MEMORY_BYTES, env: dict | None = None,
             stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run an external tool; kill its whole process group on timeout (-> ExtractError timeout)."""
    try:
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_limit_memory(memory))
    except OSError as exc:
        raise ExtractError("tool_failed", f"{cmd[0]}: {exc}") from exc
    try:
        out, err = proc.communicate(stdin, timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise ExtractError("timeout", f"{os.path.basename(cmd[0])} exceeded {timeout:.0f}s") from None
    except BaseException:
        _kill_group(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()


@contextmanager
def scratch_dir(prefix: str = "xxgk-extract-") -> Iterator[str]:
    """A temp dir removed whatever happens."""
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open a zip after checking it is not a bomb (declared sizes bound what zipfile will inflate)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExtractError("truncated" if b"PK\x05\x06" not in data[-66000:] else "corrupt",
                           f"bad zip: {exc}") from exc
    if len(infos) > ZIP_MAX_MEMBERS:
        raise ExtractError("zip_bomb", f"{len(infos)} members")
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    if total > ZIP_MAX_TOTAL:
        raise ExtractError("zip_bomb", f"{total} bytes uncompressed")
    if total > ZIP_RATIO_FLOOR and total / packed > ZIP_MAX_RATIO:
        raise ExtractError("zip_bomb", f"compression ratio {total / packed:.0f}")
    if any(i.file_size > ZIP_RATIO_FLOOR and i.file_size / max(i.compress_size, 1) > ZIP_MAX_RATIO
           for i in infos):
        raise ExtractError("zip_bomb", "member with extreme compression ratio")
    return zf


class Deadline:
    """A wall-clock budget checked between pages/sheets/tables (in-process parsers cannot be killed)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str = "extraction") -> None:
        if time.monotonic() > self.end:
            raise ExtractError("timeout", f"{what} exceeded {self.seconds:.0f}s")


@contextmanager
def alarm(deadline: Deadline) -> Iterator[None]:
    """Interrupt a stuck in-process parser with SIGALRM when we may (main thread, no timer in use)."""
    usable = (threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0
              and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None))
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise ExtractError("timeout", f"extraction exceeded {deadline.seconds:.0f}s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(deadline.remaining(), 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
