"""Where the archive lives: `$XXGK_HOME` (default `./data`) and the paths inside it."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

SITE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def check_site_id(site_id: str) -> str:
    """Site ids become path components, so only a safe slug is accepted."""
    if not SITE_ID_RE.match(site_id or ""):
        raise ValueError(f"invalid site_id {site_id!r}: lowercase letters, digits, '-' and '_' only")
    return site_id


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike[str] | None = None) -> "Home":
        root = root or os.environ.get("XXGK_HOME") or "data"
        return cls(Path(root).resolve())

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def records(self) -> Path:
        return self.root / "records"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def db(self) -> Path:
        return self.root / "archive.db"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def ensure(self) -> "Home":
        for p in (self.raw, self.records, self.runs, self.tmp):
            p.mkdir(parents=True, exist_ok=True)
        return self

    def inside(self, path: Path) -> bool:
        """True when `path` resolves to a place under the archive root."""
        try:
            path.resolve().relative_to(self.root)
            return True
        except ValueError:
            return False
