"""The raw store: every distinct response body, byte-exact and content-addressed.

Layout: `raw/<site_id>/<sha256[:2]>/<sha256>.<ext>`. Bodies are written to a temporary
file in the same directory, fsynced and renamed into place, so a crash never leaves a
half file under its final name. Writing the same body twice is a no-op, which makes
concurrent workers (and re-runs after a crash) idempotent.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archive.home import Home, check_site_id

# Extensions a stored body may carry; anything else is stored as `.bin`.
ALLOWED_EXTS = frozenset(
    "htm html json xml txt js css pdf doc docx wps xls xlsx et ofd zip rar 7z jpg jpeg png gif bin".split()
)


def safe_ext(ext: str | None) -> str:
    """Whitelist an extension; server-supplied names never reach a path otherwise."""
    ext = (ext or "").lower().lstrip(".")
    return ext if ext in ALLOWED_EXTS else "bin"


def sha256_bytes(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    raw_path: str  # relative to $XXGK_HOME
    created: bool  # False when the body was already in the store


class RawStore:
    def __init__(self, home: Home):
        self.home = home
        self._dirs: set[Path] = set()  # directories known to exist (spares a mkdir per body)

    def relpath(self, site_id: str, sha256: str, ext: str) -> str:
        check_site_id(site_id)
        return f"raw/{site_id}/{sha256[:2]}/{sha256}.{safe_ext(ext)}"

    def put(self, site_id: str, body: bytes, ext: str | None) -> Stored:
        digest = sha256_bytes(body)
        rel = self.relpath(site_id, digest, ext or "bin")
        final = self.home.root / rel
        try:
            if os.stat(final).st_size == len(body):
                return Stored(digest, len(body), rel, created=False)
        except (FileNotFoundError, NotADirectoryError):
            pass
        if final.parent not in self._dirs:
            final.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(final.parent)
        try:
            fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".tmp-", suffix=".part")
        except FileNotFoundError:  # the directory went away since it was made
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return Stored(digest, len(body), rel, created=True)

    def path(self, raw_path: str) -> Path:
        p = (self.home.root / raw_path).resolve()
        if not self.home.inside(p):
            raise ValueError(f"raw_path escapes the archive: {raw_path!r}")
        return p

    def read(self, raw_path: str) -> bytes:
        return self.path(raw_path).read_bytes()

    def verify(self, raw_path: str, sha256: str) -> bool:
        p = self.path(raw_path)
        return p.exists() and sha256_bytes(p.read_bytes()) == sha256
