"""OCR of scanned pages: ruled tables are found with OpenCV and read cell by cell; the rest as text.

Whole-page OCR scrambles ruled tables (numbers drift between rows), so each page is split into
table grids (line morphology) and text bands. All crops of a document go through a handful of
tesseract runs (one per page-segmentation mode) using tesseract's list-of-images input.
"""
from __future__ import annotations

import os
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from .model import clean_cell, rectangular
from .safety import Deadline, run_tool, scratch_dir

DPI = 250
LANG = "chi_sim"
PAD = 12                     # white margin around crops (tesseract needs one)
DIGIT_HEIGHT = 40            # figures are scaled to this height for the digits pass
INK_MIN = 25                 # dark pixels for a cell to count as non-empty
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}]) +(?=[{_CJK}])")
_NUMERICISH = re.compile(r"^[\s0-9OoIl|Ss.,，\-—－一+%]+$")
_FIGURE = re.compile(r"^-?\d+(\.\d+)?$")
#: appended to a figure the two OCR readings disagree on (archive/parse/normalize.py reads it as
#: the `ocr_doubt` flag): the figure is kept as read, never replaced by a guess
OCR_DOUBT = "\u2e2e"
_DASH_LIKE = re.compile(r"^[一—－]")   # chi_sim reads a minus sign as 一
_NONE_WORDS = {"无", "空", "—", "——", "-", "/", "／", "×", "\\"}
_ZERO_LOOKALIKES = {"O", "o", "〇", "()", "D"}
MAX_SKEW = 3.0               # degrees searched when straightening a page


@dataclass
class TableGrid:
    top: int
    bottom: int
    cells: list[tuple[int, int, tuple[int, int, int, int]]]   # (row, col, (x0, y0, x1, y1))
    nrows: int
    ncols: int
    xs: list[int] = field(default_factory=list)                # column boundaries (pixels)

    def meta(self, dpi: int = DPI):
        """Column ruling and first/last-row cells in points, for joining tables across pages."""
        from .pdf import TableMeta
        pt = 72 / dpi
        lefts = lambda row: tuple(round(b[0] * pt) for r, c, b in self.cells if r == row)  # noqa: E731
        return TableMeta([x * pt for x in self.xs], lefts(0), lefts(self.nrows - 1))


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


def _rule_masks(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = binary.shape
    horiz = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 25, 30), 1)))
    vert = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(h // 150, 15))))
    return horiz, vert


def without_rules(gray: np.ndarray, tables: list[TableGrid]) -> np.ndarray:
    """The page with the long horizontal rules of its tables whitened: a rule left in a cell crop
    (a slightly skewed scan) turns `-7` into `0` for tesseract."""
    if not tables:
        return gray
    horiz, _ = _rule_masks(_binary(gray))
    mask = cv2.dilate(horiz, np.ones((3, 3), np.uint8))
    out = gray.copy()
    out[mask > 0] = 255
    return out


def find_tables(gray: np.ndarray) -> list[TableGrid]:
    binary = _binary(gray)
    h, w = binary.shape
    horiz, vert = _rule_masks(binary)
    tables: list[TableGrid] = []
    frame = cv2.dilate(horiz | vert, np.ones((5, 5), np.uint8))
    for x, y, bw, bh in _segments(frame, 0):
        if bw < w // 5 or bh < 40:
            continue
        grid = _grid_in(horiz[y:y + bh, x:x + bw], vert[y:y + bh, x:x + bw], x, y)
        if grid:
            tables.append(grid)
    return sorted(tables, key=lambda t: t.top)


def _touches(horiz: np.ndarray, x: int, y: int, bw: int, reach: int = 3) -> bool:
    """Does a vertical piece end on a horizontal rule (as table rules do and character strokes do not)?"""
    window = horiz[max(y - reach, 0):y + reach + 1, max(x - reach, 0):x + bw + reach]
    return window.size > 0 and bool(window.any())


def _grid_in(horiz: np.ndarray, vert: np.ndarray, ox: int, oy: int) -> TableGrid | None:
    h, w = horiz.shape
    ys = _cluster([y + bh // 2 for x, y, bw, bh in _segments(horiz, 0) if bw > w * 0.08])
    if len(ys) < 2:
        return None
    # a vertical rule runs from one row line to another; character strokes stop short of both
    rules = np.zeros_like(vert)
    for x, y, bw, bh in _segments(vert, 1):
        if _touches(horiz, x, y, bw) and _touches(horiz, x, y + bh - 1, bw):
            rules[y:y + bh, x:x + bw] = vert[y:y + bh, x:x + bw]
    vert = rules
    xs = _cluster([x + bw // 2 for x, y, bw, bh in _segments(vert, 1)])
    if len(xs) < 2:
        return None
    xs = _column_rules(vert, xs, ys)
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
    return TableGrid(top=oy + ys[0], bottom=oy + ys[-1], cells=cells, nrows=nrows, ncols=ncols,
                     xs=[ox + x for x in xs])


def _sharpness(binary: np.ndarray, angle: float) -> float:
    h, w = binary.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rows = cv2.warpAffine(binary, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0).sum(axis=1, dtype=np.float64)
    return float(np.square(np.diff(rows)).sum())


def skew_angle(gray: np.ndarray) -> float:
    """The rotation (degrees) that makes text lines and table rules horizontal: the angle whose
    row profile is sharpest, searched coarse then fine on a reduced page."""
    scale = min(1.0, 900 / max(gray.shape[1], 1))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    binary = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1].astype(np.uint8)
    if binary.sum() < 200:
        return 0.0
    best = max(np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, 0.25), key=lambda a: _sharpness(binary, float(a)))
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05)
    return float(max(fine, key=lambda a: _sharpness(binary, float(a))))


def deskew(gray: np.ndarray) -> np.ndarray:
    """A slightly rotated scan straightened (the table finder needs level rules)."""
    angle = skew_angle(gray)
    if abs(angle) < 0.25:       # resampling a straight page only blurs it
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def _column_rules(vert: np.ndarray, xs: list[int], ys: list[int]) -> list[int]:
    """Column boundaries that rule at least two consecutive rows (or frame the table): a
    thin-stroked (Ming) character touching both rules of a tight row rules one row only."""
    def run(x: int) -> int:   # longest run of consecutive rows the boundary rules
        best = n = 0
        for y0, y1 in zip(ys, ys[1:]):
            band = vert[y0 + 3:max(y1 - 3, y0 + 4), max(x - 4, 0):x + 5]
            n = n + 1 if band.size > 0 and (band.max(axis=1) > 0).mean() > 0.6 else 0
            best = max(best, n)
        return best
    return [x for i, x in enumerate(xs) if i in (0, len(xs) - 1) or run(x) >= 2]


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


def _trim(crop: np.ndarray, margin: int = 6) -> np.ndarray:
    """Cut a crop down to its ink (tesseract reads a lone figure in a tall empty cell as nothing)."""
    ys, xs = np.nonzero(crop < 128)
    if len(ys) == 0:
        return crop
    return crop[max(ys.min() - margin, 0):ys.max() + margin + 1, max(xs.min() - margin, 0):xs.max() + margin + 1]


def _text_lines(crop: np.ndarray) -> int:
    """Number of text lines in a cell crop (runs of inked pixel rows)."""
    rows = (crop < 128).sum(axis=1) > 0
    runs, inside, gap = 0, False, 0
    for on in rows:
        if on and not inside:
            runs += 1 if (runs == 0 or gap >= 3) else 0
            inside = True
        elif not on:
            gap = gap + 1 if not inside else 1
            inside = False
    return runs


@dataclass
class _Job:
    path: str
    psm: int
    text: str = ""
    crop: np.ndarray | None = None
    slot: bool = False      # a figure cell of a row of figures: what is not a figure is unreadable
    figure: bool = False    # re-read as a figure (digits pass)


class _Jobs:
    """Crops written to disk, read by as few tesseract runs as possible (list-of-images input)."""

    def __init__(self, workdir: str):
        self.workdir, self.jobs = workdir, []

    def add(self, crop: np.ndarray, psm: int, trim: bool = True) -> _Job:
        path = os.path.join(self.workdir, f"c{len(self.jobs)}.pgm")
        crop = _trim(crop) if trim else crop
        cv2.imwrite(path, cv2.copyMakeBorder(crop, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=255))
        job = _Job(path, psm, crop=crop)
        self.jobs.append(job)
        return job

    def run(self, jobs: list[_Job], deadline: Deadline, lang: str = LANG, config: tuple = ()) -> None:
        """Group by psm, split big groups in two, run the groups on both cores."""
        groups: list[list[_Job]] = []
        for psm in sorted({j.psm for j in jobs}):
            same = [j for j in jobs if j.psm == psm]
            half = (len(same) + 1) // 2 if len(same) > 40 else len(same)
            groups += [same[i:i + half] for i in range(0, len(same), half)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            outs = list(pool.map(lambda g: self._tesseract(g, deadline, lang, config), groups))
        for group, texts in zip(groups, outs):
            for job, text in zip(group, texts):
                job.text = text

    def _tesseract(self, group: list[_Job], deadline: Deadline, lang: str, config: tuple) -> list[str]:
        listing = os.path.join(self.workdir, f"list-{uuid.uuid4().hex}.txt")
        with open(listing, "w") as fh:
            fh.write("\n".join(j.path for j in group) + "\n")
        # no adaptive learning across the list: what one crop taught it misreads the next (-7 -> 0)
        cmd = ["tesseract", listing, "stdout", "-l", lang, "--psm", str(group[0].psm),
               "-c", "classify_enable_learning=0"]
        for c in config:
            cmd += ["-c", c]
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        proc = run_tool(cmd, timeout=max(deadline.remaining(), 1), env=env, memory=2 * 2**30)
        pages = proc.stdout.decode("utf-8", errors="replace").split("\f")
        pages += [""] * (len(group) - len(pages))
        return [_CJK_SPACE.sub("", p).strip() for p in pages[:len(group)]]


def _crop(gray: np.ndarray, box: tuple[int, int, int, int], inset: int = 4) -> np.ndarray:
    x0, y0, x1, y1 = box
    return gray[y0 + inset:max(y1 - inset, y0 + inset), x0 + inset:max(x1 - inset, x0 + inset)]


@dataclass
class _PagePlan:
    bands: list[tuple[int, _Job]]
    tables: list[tuple[TableGrid, list[tuple[int, int, _Job | None]]]]


def ocr_images(images: list[np.ndarray], deadline: Deadline) -> list[list[tuple[str, object]]]:
    """OCR grayscale page images: per page, blocks ("text", str) / ("table", grid) top to bottom."""
    with scratch_dir("xxgk-ocr-") as tmp:
        jobs = _Jobs(tmp)
        plans = []
        for gray in images:
            deadline.check("ocr")
            gray = deskew(gray)
            lay = layout(gray)
            bands = [(y0, jobs.add(gray[y0:y1], 4)) for y0, y1 in lay.bands if _has_ink(gray[y0:y1])]
            tables = []
            clean = without_rules(gray, lay.tables)
            for t in lay.tables:
                cells = []
                for r, c, box in t.cells:
                    crop = _crop(clean, box)
                    job = None
                    if _has_ink(crop):
                        job = jobs.add(crop, 6 if _text_lines(crop) > 1 else 7)
                    cells.append((r, c, job))
                tables.append((t, cells))
            plans.append(_PagePlan(bands, tables))
        jobs.run(jobs.jobs, deadline)
        _digit_pass(jobs, plans, deadline)
        return [_assemble(plan) for plan in plans]


def _to_height(crop: np.ndarray, height: int = DIGIT_HEIGHT) -> np.ndarray:
    scale = height / max(crop.shape[0], 1)
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _stitch(crops: list[np.ndarray]) -> np.ndarray:
    """Figures of one table row side by side with wide gaps: tesseract reads a row of numbers far
    more reliably than a lone digit."""
    parts = [_to_height(c) for c in crops]
    gap = np.full((DIGIT_HEIGHT, DIGIT_HEIGHT * 2), 255, np.uint8)
    row = [gap]
    for p in parts:
        row += [p, gap]
    return np.hstack(row)


def _digit_candidates(cells: list[tuple[int, int, _Job | None]]) -> dict[int, list[_Job]]:
    """Per table row, the cells to re-read as figures: cells that read as numbers, and short
    cells in columns that are mostly numbers (chi_sim turns a lone 7 into 这, 12 into 有)."""
    by_col: dict[int, list[tuple[int, _Job]]] = {}
    for r, c, job in cells:
        if job is not None:
            by_col.setdefault(c, []).append((r, job))
    per_row: dict[int, int] = {}
    first: dict[int, int] = {}          # column of each row's first figure
    for r, c, job in cells:
        if job is not None and job.text and _NUMERICISH.match(job.text):
            per_row[r] = per_row.get(r, 0) + 1
            first[r] = min(first.get(r, c), c)
    values_from = min(first.values(), default=0)   # label columns sit left of every figure
    rows: dict[int, list[tuple[int, _Job]]] = {}
    for c, col in by_col.items():
        read = [j for _, j in col if j.text]
        figures = sum(bool(_NUMERICISH.match(j.text)) for j in read)
        numeric_col = figures >= max(2, 0.3 * len(read))
        for r, job in col:
            # a row of figures (section 四 has one) vouches for its short or unread cells too
            numeric_row = per_row.get(r, 0) >= 2 and len(job.text) <= 2 and c >= values_from
            job.slot = job.slot or numeric_row
            if job.psm == 7 and (_NUMERICISH.match(job.text) or (numeric_col and len(job.text) <= 4)
                                 or numeric_row):
                job.figure = True
                rows.setdefault(r, []).append((c, job))
    return {r: [j for _, j in sorted(v, key=lambda cj: cj[0])] for r, v in rows.items()}


def _digit_pass(jobs: _Jobs, plans: list[_PagePlan], deadline: Deadline) -> None:
    """Re-read figures with a digits-only whitelist, a whole table row per image; a row whose
    figure count does not match falls back to its cells read one by one."""
    rows = [row for plan in plans for _, cells in plan.tables for row in _digit_candidates(cells).values()]
    if not rows:
        return
    config = ("tessedit_char_whitelist=0123456789-.",)
    row_jobs = [jobs.add(_stitch([j.crop for j in row]), 7, trim=False) for row in rows]
    jobs.run(row_jobs, deadline, lang="eng", config=config)
    values: dict[int, list[str]] = {}
    retry: list[tuple[int, list[_Job]]] = []
    for k, (row, whole) in enumerate(zip(rows, row_jobs)):
        tokens = whole.text.split()
        if len(tokens) == len(row) and all(_FIGURE.match(t) for t in tokens):
            values[k] = tokens
        else:                       # the row did not split cleanly: its cells one by one
            retry.append((k, [jobs.add(_stitch([j.crop]), 7, trim=False) for j in row]))
    if retry:
        jobs.run([j for _, singles in retry for j in singles], deadline, lang="eng", config=config)
        for k, singles in retry:
            values[k] = [s.text.replace(" ", "") for s in singles]
    retried = {k for k, _ in retry}
    # a figure only the row read saw (chi_sim read the cell as a character or nothing) is read
    # again on its own: two digit readings that agree are trusted, else the figure is doubtful
    confirm = [(job, value) for k, row in enumerate(rows) if k not in retried
               for job, value in zip(row, values[k]) if _FIGURE.match(value) and not _FIGURE.match(_as_figure(job.text))]
    again = [jobs.add(_stitch([job.crop]), 7, trim=False) for job, _ in confirm]
    if again:
        jobs.run(again, deadline, lang="eng", config=config)
    second = {id(job): a.text.replace(" ", "") for (job, _), a in zip(confirm, again)}
    for k, row in enumerate(rows):
        for job, value in zip(row, values[k]):
            if id(job) in second and second[id(job)] != value:   # the digit reads disagree
                text = reconcile(second[id(job)], value, single=True)
                job.text = text if OCR_DOUBT in text or not _FIGURE.match(text) else text + OCR_DOUBT
            else:
                job.text = reconcile(job.text, value, single=k in retried)
            if job.slot and not _FIGURE.match(job.text.replace(OCR_DOUBT, "")) and job.text not in _NONE_WORDS:
                job.text = OCR_DOUBT     # e.g. 1 read as 岂 by both passes: unreadable, not a label


def _as_figure(text: str) -> str:
    """chi_sim's reading of a figure cell with its minus sign (read as 一) and spaces fixed."""
    return _DASH_LIKE.sub("-", text.replace(" ", "")) if _NUMERICISH.match(text or "x") else text


def reconcile(text: str, digits: str, single: bool) -> str:
    """One figure from the two readings of a cell: `text` (chi_sim, whole cell) and `digits`
    (digits-only pass). Agreement is certain; a disagreement keeps the longer figure (both
    readers drop digits rather than invent them) marked OCR_DOUBT; no figure at all stays text."""
    text = _as_figure(text)
    text_fig, digit_fig = bool(_FIGURE.match(text)), bool(_FIGURE.match(digits))
    if digit_fig and text_fig:
        if text == digits:
            return text
        return (text if len(text) > len(digits) else digits) + OCR_DOUBT
    if digit_fig:
        # chi_sim turns a lone digit into a character (7 -> 这): the digits pass alone decides;
        # read cell by cell (its row did not split cleanly) it is a single reading: doubtful
        return digits + (OCR_DOUBT if single else "")
    if text_fig:
        return text + OCR_DOUBT
    if text in _ZERO_LOOKALIKES:   # O / o / 〇 in a column of figures: a zero, but say so
        return "0" + OCR_DOUBT
    return text


def _assemble(plan: _PagePlan) -> list[tuple[str, object]]:
    """Blocks ("text", str) / ("table", grid) in top-to-bottom order, as pdf.page_blocks gives."""
    items: list[tuple[int, tuple[str, object]]] = [(y0, ("text", job.text)) for y0, job in plan.bands]
    for t, cells in plan.tables:
        grid = [[""] * t.ncols for _ in range(t.nrows)]
        for r, c, job in cells:
            if job is not None:   # an inked figure cell read as nothing is not a blank cell
                grid[r][c] = clean_cell(job.text) or (OCR_DOUBT if job.slot else "")
        grid = rectangular(grid)
        if grid:
            items.append((t.top, ("table", grid, t.meta())))
    items.sort(key=lambda it: it[0])
    return [b for _, b in items]


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
            # PGM, not PNG: compressing a 250 dpi page costs ~20x the rendering
            run_tool(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(p + 1), "-l", str(p + 1),
                      "-singlefile", src, prefix], timeout=max(deadline.remaining(), 1))
            img = cv2.imread(prefix + ".pgm", cv2.IMREAD_GRAYSCALE)
            if img is not None:
                images.append((p, img))
    return images


def ocr_pdf_pages(data: bytes, pages: list[int], deadline: Deadline) -> dict[int, list[tuple[str, object]]]:
    rendered = render_pdf_pages(data, pages, deadline)
    results = ocr_images([img for _, img in rendered], deadline)
    return {p: res for (p, _), res in zip(rendered, results)}


MAX_IMAGE_PIXELS = 80_000_000    # ~A0 at 300 dpi; beyond that it is a decompression bomb


def decode_image(data: bytes) -> np.ndarray | None:
    """Grayscale pixels of an image file; the size is read from the header before decoding."""
    import io
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    if width * height > MAX_IMAGE_PIXELS:
        from .model import ExtractError
        raise ExtractError("too_large", f"image of {width}x{height} pixels")
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None or img.size == 0:
        return None
    return img
