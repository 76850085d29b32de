"""DOC/WPS/RTF via LibreOffice headless (one private profile per call), cross-checked with antiword."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from typing import Iterable

from archive.store.sniff import sniff_format

from .docx import extract_docx
from .model import Extracted, ExtractError, Grid, clean_cell, rectangular, render_grid, tidy_text
from .safety import Deadline, run_tool, scratch_dir

SOFFICE = os.environ.get("XXGK_SOFFICE", "soffice")
ANTIWORD = "antiword"
BATCH_SIZE = 100                 # files per soffice call
SOFFICE_BASE_TIMEOUT = 60.0      # start-up with a fresh profile
SOFFICE_PER_FILE = 10.0
_STAGE_EXT = {"doc": "doc", "wps": "wps", "rtf": "rtf", "odt": "odt", "xls": "xls", "docx": "docx"}


def _soffice_cmd(profile: str, target: str, outdir: str, inputs: list[str]) -> list[str]:
    return [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
            "--nologo", "--norestore", "--nolockcheck", "--nodefault",
            "--convert-to", target, "--outdir", outdir, *inputs]


def _staged_name(index: int, path: str) -> str:
    """Stage each input as <index>.<real format> so the filter matches the bytes, not the name."""
    with open(path, "rb") as fh:
        head = fh.read(2 * 2**20)
    fmt = sniff_format(head, filename=path)
    ext = _STAGE_EXT.get(fmt, os.path.splitext(path)[1].lstrip(".") or "doc")
    return f"{index}.{ext}"


def convert_with_libreoffice(paths: Iterable[str], target: str = "docx", outdir: str | None = None,
                             timeout: float | None = None, batch_size: int = BATCH_SIZE) -> dict[str, str]:
    """Convert many files with one soffice call per `batch_size` files.

    Returns {input path: converted path} for the files that converted; missing keys failed.
    Outputs go to `outdir` (created; default a new temp dir the caller owns) as <stem>.<target>,
    with a numeric suffix when two inputs share a stem. A batch that hits its timeout keeps
    what finished and the rest is retried in halves, so one file that hangs LibreOffice costs
    only itself. A single input that times out raises ExtractError("timeout").
    """
    paths = list(dict.fromkeys(paths))
    outdir = outdir or tempfile.mkdtemp(prefix="xxgk-lo-out-")
    os.makedirs(outdir, exist_ok=True)
    result: dict[str, str] = {}
    queue = [paths[i:i + batch_size] for i in range(0, len(paths), batch_size)]
    while queue:
        chunk = queue.pop(0)
        limit = timeout if timeout is not None else SOFFICE_BASE_TIMEOUT + SOFFICE_PER_FILE * len(chunk)
        try:
            done, timed_out = _convert_chunk(chunk, target, limit, outdir)
        except ExtractError as exc:
            if exc.kind == "timeout" and len(paths) > 1:
                continue                 # a lone file of a batch that hangs: it failed
            raise
        result.update(done)
        rest = [p for p in chunk if p not in done]
        if timed_out and rest:
            half = (len(rest) + 1) // 2
            queue[:0] = [c for c in (rest[:half], rest[half:]) if c]
    return result


def _free_name(outdir: str, stem: str, ext: str) -> str:
    name, n = f"{stem}.{ext}", 1
    while os.path.exists(os.path.join(outdir, name)):
        n += 1
        name = f"{stem}-{n}.{ext}"
    return os.path.join(outdir, name)


def _convert_chunk(paths: list[str], target: str, timeout: float, outdir: str) -> tuple[dict[str, str], bool]:
    """One soffice run over staged symlinks; converted files are moved to `outdir`.
    Returns (converted, timed_out); a single file that times out raises."""
    profile = os.path.join(tempfile.gettempdir(), f"xxgk-lo-{uuid.uuid4().hex}")
    ext = target.split(":")[0]
    try:
        with scratch_dir("xxgk-lo-in-") as stage, scratch_dir("xxgk-lo-conv-") as out:
            staged: dict[str, str] = {}
            inputs = []
            for i, path in enumerate(paths):
                name = _staged_name(i, path)
                inputs.append(os.path.join(stage, name))
                os.symlink(os.path.abspath(path), inputs[-1])
                staged[str(i)] = path
            env = dict(os.environ, HOME=profile, SAL_USE_VCLPLUGIN="svp")
            timed_out = False
            try:
                run_tool(_soffice_cmd(profile, target, out, inputs), timeout=timeout, env=env,
                         memory=4 * 2**30)
            except ExtractError as exc:
                if exc.kind != "timeout" or len(paths) == 1:
                    raise
                timed_out = True
            produced = {os.path.splitext(n)[0]: n for n in os.listdir(out) if n.endswith(f".{ext}")}
            if timed_out and produced:   # the last one may have been cut off mid-write: redo it
                produced.pop(max(produced, key=int))
            done: dict[str, str] = {}
            for stem, name in produced.items():
                path = os.path.join(out, name)
                if stem in staged and os.path.getsize(path):
                    src = staged[stem]
                    dest = _free_name(outdir, os.path.splitext(os.path.basename(src))[0], ext)
                    shutil.move(path, dest)
                    done[src] = dest
            return done, timed_out
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def antiword_text(path: str, timeout: float) -> str | None:
    try:
        proc = run_tool([ANTIWORD, "-w", "1000", "-m", "UTF-8.txt", path], timeout=timeout, memory=512 * 2**20)
    except ExtractError:
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", errors="replace")


_PIPE_ROW = re.compile(r"^\|(.*)\|\s*$")


def antiword_tables(text: str) -> list[Grid]:
    """antiword draws table rows as `|cell|cell|` lines; consecutive rows form one table."""
    tables: list[Grid] = []
    current: Grid = []
    for line in text.split("\n"):
        m = _PIPE_ROW.match(line)
        if m:
            current.append([clean_cell(c) for c in m.group(1).split("|")])
        elif current:
            tables.append(rectangular(current))
            current = []
    if current:
        tables.append(rectangular(current))
    return [t for t in tables if t]


_NUMBER = re.compile(r"^[-+−－]?\d[\d,，.]*$")


def _figures(tables: list[Grid]) -> int:
    return sum(1 for t in tables for row in t for cell in row if _NUMBER.match(cell))


def cross_check(antiword: list[Grid], converted: list[Grid]) -> list[str]:
    """Warn when the conversion dropped table rows that antiword still sees (merged-row flattening).

    Row counts alone disagree on nested tables (antiword unrolls them), so rows are compared only
    when antiword also sees more numeric cells."""
    aw_rows, lo_rows = sum(map(len, antiword)), sum(map(len, converted))
    aw_nums, lo_nums = _figures(antiword), _figures(converted)
    if aw_rows > lo_rows and aw_nums > lo_nums:
        return [f"table_rows_lost_in_conversion: antiword {aw_rows} rows/{aw_nums} figures, "
                f"libreoffice {lo_rows} rows/{lo_nums} figures"]
    return []


def _from_antiword(text: str) -> tuple[str, list[Grid]]:
    tables = antiword_tables(text)
    lines, it = [], iter(tables)
    in_table = False
    for line in text.split("\n"):
        if _PIPE_ROW.match(line):
            if not in_table:
                in_table = True
                lines.extend(["", render_grid(next(it)), ""])
            continue
        in_table = False
        lines.append(line.strip())
    return tidy_text("\n".join(lines)), tables


def _method(fmt: str) -> str:
    return "wps_converted" if fmt == "wps" else "doc_converted"


def _sniffed(path: str, hint: str | None = None) -> str:
    with open(path, "rb") as fh:
        head = fh.read(2 * 2**20)
    return sniff_format(head, filename=hint or path)


def _finish(src: str, fmt: str, docx_path: str | None, lo_error: ExtractError | None,
            deadline: Deadline) -> Extracted:
    """Converted DOCX -> Extracted, cross-checked with antiword on the original `src`;
    antiword's reading is used when LibreOffice failed or flattened tables."""
    method = _method(fmt)
    aw = antiword_text(src, timeout=min(30.0, max(deadline.remaining(), 1))) if fmt in ("doc", "wps") else None
    if docx_path:
        with open(docx_path, "rb") as fh:
            ex = extract_docx(fh.read(), deadline, fmt=fmt)
        ex.method = method
        lost = cross_check(antiword_tables(aw), ex.tables) if aw is not None else []
        if lost:   # LibreOffice flattened tables that antiword still reads as tables
            text, tables = _from_antiword(aw)
            return Extracted(text=text, tables=tables, method=method, pages=None,
                             warnings=ex.warnings + lost + ["antiword text used"], format=fmt,
                             meta=ex.meta)
        return ex
    if aw and aw.strip():
        text, tables = _from_antiword(aw)
        why = lo_error.kind if lo_error else "no output"
        return Extracted(text=text, tables=tables, method=method, pages=None,
                         warnings=[f"libreoffice_failed:{why}; antiword text"], format=fmt)
    if lo_error:
        raise lo_error
    raise ExtractError("tool_failed" if fmt in ("rtf", "odt") else "corrupt",
                       f"LibreOffice could not convert this {fmt}")


def extract_converted(data: bytes, fmt: str, deadline: Deadline) -> Extracted:
    """DOC/WPS/RTF/ODT: LibreOffice -> DOCX -> the DOCX path; antiword as cross-check and fallback."""
    with scratch_dir("xxgk-doc-") as tmp:
        src = os.path.join(tmp, f"input.{_STAGE_EXT.get(fmt, 'doc')}")
        with open(src, "wb") as fh:
            fh.write(data)
        lo_error: ExtractError | None = None
        try:
            converted = convert_with_libreoffice([src], "docx", outdir=os.path.join(tmp, "out"),
                                                 timeout=max(deadline.remaining(), 1))
        except ExtractError as exc:
            converted, lo_error = {}, exc
        return _finish(src, fmt, converted.get(src), lo_error, deadline)


def extract_office_files(paths: Iterable[str], filenames: dict[str, str] | None = None,
                         timeout: float = 120) -> dict[str, Extracted | ExtractError]:
    """DOC/WPS/RTF files converted in batched soffice calls (one per BATCH_SIZE files), each
    then extracted like `extract()` would (antiword cross-check and fallback included).

    `filenames` maps a path to the server's filename (a `.wps` name gives `wps_converted`).
    Returns {path: Extracted or the ExtractError for that file}."""
    paths = list(dict.fromkeys(paths))
    names = filenames or {}
    results: dict[str, Extracted | ExtractError] = {}
    fmts = {}
    for path in paths:
        try:
            fmts[path] = _sniffed(path, names.get(path))
        except OSError as exc:
            results[path] = ExtractError("empty", f"unreadable: {exc}")
            continue
        if fmts[path] not in ("doc", "wps", "rtf", "odt"):
            results[path] = ExtractError("unsupported", f"not a word-processor file ({fmts[path]})")
    todo = [p for p in paths if p not in results]
    with scratch_dir("xxgk-docs-") as tmp:
        try:
            converted, lo_error = convert_with_libreoffice(todo, "docx", outdir=tmp), None
        except ExtractError as exc:
            converted, lo_error = {}, exc
        for path in todo:
            try:
                results[path] = _finish(path, fmts[path], converted.get(path), lo_error, Deadline(timeout))
            except ExtractError as exc:
                results[path] = exc
            except Exception as exc:  # a library failing on hostile bytes
                results[path] = ExtractError("corrupt", f"{type(exc).__name__}: {exc}"[:500])
    return results
