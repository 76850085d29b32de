"""Result and error types shared by every extractor, and the grid -> text rendering."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ERROR_KINDS = frozenset({
    "empty", "unsupported", "truncated", "encrypted", "zip_bomb", "too_large",
    "timeout", "tool_failed", "corrupt",
})

Grid = list[list[str]]


class ExtractError(Exception):
    """Bad or unreadable input. `kind` is one of ERROR_KINDS (a stable slug for records)."""

    def __init__(self, kind: str, message: str = ""):
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown ExtractError kind {kind!r}")
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind
        self.message = message


@dataclass
class Extracted:
    text: str
    tables: list[Grid] = field(default_factory=list)
    method: str = ""
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)
    format: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # title/agency sources (html_meta, pdf, docx)


_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])\s*\n\s*(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def clean_cell(text: str | None) -> str:
    """One grid cell as one line: line breaks inside CJK words vanish, other whitespace runs -> ' '."""
    if not text:
        return ""
    text = text.replace("\xa0", " ")
    text = _CJK_BREAK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def rectangular(grid: Grid) -> Grid:
    """Pad rows to the same width, so every grid cell is present.

    All-empty rows are kept: in a report table a row of blank cells is data (blank = 0 with
    the `blank` flag, report-format.md §8.2), e.g. the 15 blank section-4 cells of seed 003.
    """
    rows = [list(r) for r in grid]
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        r.extend([""] * (width - len(r)))
    return rows


def render_grid(grid: Grid) -> str:
    """A table as text: one row per line, cells joined by tabs."""
    return "\n".join("\t".join(row) for row in grid)


def tidy_text(text: str) -> str:
    """Prose lines lose trailing spaces, blank runs shrink to one; table rows (with tabs) stay verbatim."""
    out: list[str] = []
    for ln in text.split("\n"):
        if "\t" not in ln:
            ln = ln.rstrip()
            if not ln.strip():
                if out and out[-1] == "":
                    continue
                ln = ""
        out.append(ln)
    return "\n".join(out).strip("\n")
