"""OCR of scanned pages: ruled tables are found with OpenCV and read cell by cell; the rest as text.

Whole-page OCR scrambles ruled tables (numbers drift between rows), so each page is split into
table grids (line morphology) and text bands. All crops of a document go through a handful of
tesseract runs (one per page-segmentation mode) using tesseract's list-of-images input.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import cv2
import numpy as np

from .model import Grid, clean_cell, rectangular, render_grid, tidy_text
from .safety import Deadline, run_tool, scratch_dir

DPI = 250
LANG = "chi_sim"
PAD = 12                     # white margin around crops (tesseract needs one)
INK_MIN = 25                 # dark pixels for a cell to count as non-empty
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) +(?=[{_CJK}])")
_NUMERICISH = re.compile(r"^[\s0-9OoIl|Ss.,，\-—－一+%]+$")


@dataclass
class TableGrid:
    top: int
    bottom: int
    cells: list[tuple[int, int, tuple[int, int, int, int]]]   # (row, col, (x0, y0, x1, y1))
    nrows: int
    ncols: int


@dataclass
class PageLayout:
    tables: list[TableGrid] = field(default_factory=list)
    bands: list[tuple[int, int]] = field(default_factory=list)   # text regions (y0, y1)


def _binary(gray: np.ndarray) -> np.ndarray:
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)


def _cluster(values: list[int], gap: int = 6) -> list[int]:
    out: list[list[int]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= gap:
            out[-1].append(v)
        else:
            out.append([v])
    return [int(round(sum(c) / len(c))) for c in out]


def _segments(mask: np.ndarray, axis: int) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x, y, w, h) of the line pieces left in a morphology mask."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [tuple(int(v) for v in stats[i][:4]) for i in range(1, n)]


def find_tables(gray: np.ndarray) -> list[TableGrid]:
    binary = _binary(gray)
    h, w = binary.shape
    horiz = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 25, 30), 1)))
    vert = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(h // 150, 15))))
    tables: list[TableGrid] = []
    frame = cv2.dilate(horiz | vert, np.ones((5, 5), np.uint8))
    for x, y, bw, bh in _segments(frame, 0):
        if bw < w // 5 or bh < 40:
            continue
        grid = _grid_in(horiz[y:y + bh, x:x + bw], vert[y:y + bh, x:x + bw], x, y)
        if grid:
            tables.append(grid)
    return sorted(tables, key=lambda t: t.top)


def _grid_in(horiz: np.ndarray, vert: np.ndarray, ox: int, oy: int) -> TableGrid | None:
    h, w = horiz.shape
    ys = _cluster([y + bh // 2 for x, y, bw, bh in _segments(horiz, 0) if bw > w * 0.08])
    if len(ys) < 2:
        return None
    near = lambda v, lines: any(abs(v - line) <= 8 for line in lines)   # noqa: E731
    # vertical pieces must run from one row line to another (character strokes do not)
    xs = _cluster([x + bw // 2 for x, y, bw, bh in _segments(vert, 1) if near(y, ys) and near(y + bh, ys)])
    if len(xs) < 2:
        return None
    nrows, ncols = len(ys) - 1, len(xs) - 1

    def v_sep(r: int, c: int) -> bool:       # line between (r, c) and (r, c + 1)?
        x, y0, y1 = xs[c + 1], ys[r] + 4, ys[r + 1] - 4
        band = vert[y0:y1, max(x - 4, 0):x + 5]
        return band.size > 0 and (band.max(axis=1) > 0).mean() > 0.6

    def h_sep(r: int, c: int) -> bool:       # line between (r, c) and (r + 1, c)?
        y, x0, x1 = ys[r + 1], xs[c] + 4, xs[c + 1] - 4
        band = horiz[max(y - 4, 0):y + 5, x0:x1]
        return band.size > 0 and (band.max(axis=0) > 0).mean() > 0.6

    parent = list(range(nrows * ncols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nrows):
        for c in range(ncols):
            if c + 1 < ncols and not v_sep(r, c):
                parent[find(r * ncols + c + 1)] = find(r * ncols + c)
            if r + 1 < nrows and not h_sep(r, c):
                parent[find((r + 1) * ncols + c)] = find(r * ncols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nrows):
        for c in range(ncols):
            groups.setdefault(find(r * ncols + c), []).append((r, c))
    cells = []
    for members in groups.values():
        r0, c0 = min(m[0] for m in members), min(m[1] for m in members)
        r1, c1 = max(m[0] for m in members), max(m[1] for m in members)
        cells.append((r0, c0, (ox + xs[c0], oy + ys[r0], ox + xs[c1 + 1], oy + ys[r1 + 1])))
    return TableGrid(top=oy + ys[0], bottom=oy + ys[-1], cells=cells, nrows=nrows, ncols=ncols)


def layout(gray: np.ndarray) -> PageLayout:
    tables = find_tables(gray)
    bands, y = [], 0
    for t in tables:
        if t.top - y > 10:
            bands.append((y, t.top))
        y = max(y, t.bottom + 1)
    if gray.shape[0] - y > 10:
        bands.append((y, gray.shape[0]))
    return PageLayout(tables, bands)


def _has_ink(crop: np.ndarray) -> bool:
    return crop.size > 0 and int((crop < 128).sum()) >= INK_MIN


class _Batch:
    """Crops waiting for one tesseract run."""

    def __init__(self, workdir: str, name: str):
        self.workdir, self.name, self.paths = workdir, name, []

    def add(self, crop: np.ndarray) -> int:
        path = os.path.join(self.workdir, f"{self.name}-{len(self.paths)}.png")
        cv2.imwrite(path, cv2.copyMakeBorder(crop, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=255))
        self.paths.append(path)
        return len(self.paths) - 1

    def run(self, deadline: Deadline, psm: int, lang: str = LANG, config: tuple = ()) -> list[str]:
        if not self.paths:
            return []
        listing = os.path.join(self.workdir, f"{self.name}.txt")
        with open(listing, "w") as fh:
            fh.write("\n".join(self.paths) + "\n")
        cmd = ["tesseract", listing, "stdout", "-l", lang, "--psm", str(psm)]
        for c in config:
            cmd += ["-c", c]
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        proc = run_tool(cmd, timeout=max(deadline.remaining(), 1), env=env, memory=2 * 2**30)
        pages = proc.stdout.decode("utf-8", errors="replace").split("\f")
        pages += [""] * (len(self.paths) - len(pages))
        return [_CJK_SPACE.sub("", p).strip() for p in pages[:len(self.paths)]]


def _crop(gray: np.ndarray, box: tuple[int, int, int, int], inset: int = 4) -> np.ndarray:
    x0, y0, x1, y1 = box
    return gray[y0 + inset:max(y1 - inset, y0 + inset), x0 + inset:max(x1 - inset, x0 + inset)]


def ocr_images(images: list[np.ndarray], deadline: Deadline) -> list[tuple[str, list[Grid]]]:
    """OCR grayscale page images: (text with tables rendered, table grids) per page."""
    with scratch_dir("xxgk-ocr-") as tmp:
        text_b, line_b, block_b = _Batch(tmp, "band"), _Batch(tmp, "line"), _Batch(tmp, "block")
        plans = []
        for gray in images:
            deadline.check("ocr")
            lay = layout(gray)
            row_h = np.median([b[3] - b[1] for t in lay.tables for _, _, b in t.cells]) if lay.tables else 0
            bands = [(y0, text_b.add(gray[y0:y1])) for y0, y1 in lay.bands if _has_ink(gray[y0:y1])]
            tables = []
            for t in lay.tables:
                cells = []
                for r, c, box in t.cells:
                    crop = _crop(gray, box)
                    if not _has_ink(crop):
                        cells.append((r, c, None, -1))
                    elif box[3] - box[1] > 1.6 * row_h:
                        cells.append((r, c, "block", block_b.add(crop)))
                    else:
                        cells.append((r, c, "line", line_b.add(crop)))
                tables.append((t, cells))
            plans.append((bands, tables))
        results = {"band": text_b.run(deadline, 4), "line": line_b.run(deadline, 7),
                   "block": block_b.run(deadline, 6)}
        digits = _digit_pass(tmp, line_b.paths, results["line"], deadline)
        results["line"] = [digits.get(i, s) for i, s in enumerate(results["line"])]
        return [_assemble(bands, tables, results) for bands, tables in plans]


def _digit_pass(tmp: str, paths: list[str], first: list[str], deadline: Deadline) -> dict[int, str]:
    """Re-read cells that look numeric with a digits-only whitelist (fixes 0/O, 1/l, -/一)."""
    todo = [i for i, s in enumerate(first) if not s or _NUMERICISH.match(s)]
    if not todo:
        return {}
    batch = _Batch(tmp, "digits")
    batch.paths = [paths[i] for i in todo]
    out = batch.run(deadline, 7, lang="eng", config=("tessedit_char_whitelist=0123456789-.,%",))
    return {i: s.replace(" ", "") for i, s in zip(todo, out) if s.strip()}


def _assemble(bands, tables, results) -> tuple[str, list[Grid]]:
    items: list[tuple[int, str]] = [(y0, results["band"][i]) for y0, i in bands]
    grids: list[Grid] = []
    for t, cells in tables:
        grid = [[""] * t.ncols for _ in range(t.nrows)]
        for r, c, kind, i in cells:
            if kind:
                grid[r][c] = clean_cell(results[kind][i])
        grid = rectangular(grid)
        if grid:
            grids.append(grid)
            items.append((t.top, "\n" + render_grid(grid) + "\n"))
    items.sort(key=lambda it: it[0])
    return tidy_text("\n".join(s for _, s in items)), grids


def render_pdf_pages(data: bytes, pages: list[int], deadline: Deadline, dpi: int = DPI) -> list[np.ndarray]:
    """pdftoppm, one grayscale PNG per requested page (0-based indices)."""
    images = []
    with scratch_dir("xxgk-ppm-") as tmp:
        src = os.path.join(tmp, "in.pdf")
        with open(src, "wb") as fh:
            fh.write(data)
        for p in pages:
            deadline.check("pdftoppm")
            prefix = os.path.join(tmp, f"p{p}")
            run_tool(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(p + 1), "-l", str(p + 1),
                      "-singlefile", src, prefix], timeout=max(deadline.remaining(), 1))
            img = cv2.imread(prefix + ".png", cv2.IMREAD_GRAYSCALE)
            if img is not None:
                images.append((p, img))
    return images


def ocr_pdf_pages(data: bytes, pages: list[int], deadline: Deadline) -> dict[int, tuple[str, list[Grid]]]:
    rendered = render_pdf_pages(data, pages, deadline)
    results = ocr_images([img for _, img in rendered], deadline)
    return {p: res for (p, _), res in zip(rendered, results)}


def decode_image(data: bytes) -> np.ndarray | None:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None or img.size == 0:
        return None
    return img
