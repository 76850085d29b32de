"""Attachment bytes per format, cached on disk, rendered in batched LibreOffice runs.

Cache: `$XXGK_ASSET_CACHE` (default `replica/_generated/`, gitignored), one file per
(spec digest, format): `<digest[:24]>.<fmt>`. A render-version number is part of the key,
so changing a renderer invalidates old files. Writes are atomic (tmp + rename).

Start-up cost: `prepare_attachments` converts everything missing with at most three concurrent
soffice processes (pdf, doc, xls; each converts its whole batch), i.e. roughly 5 s + 0.3 s per
document on 2 cores. Synthetic reports should not each get their own files: use the small
pool `pool_spec(template, i % POOL_SIZE)` (3 templates x POOL_SIZE specs) for attachment
content, so a cold start renders at most ~12 documents per format.
"""
from __future__ import annotations

import hashlib
import os
import random
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .office import ConversionError, convert_many, scan_pdf
from .render_docx import render_docx
from .render_xlsx import render_xlsx
from .spec import ReportSpec
from .synthetic import synthetic_spec

RENDER_VERSION = 1
FORMATS = ("docx", "pdf", "doc", "wps", "xls", "xlsx", "scan.pdf")
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf", "scan.pdf": "application/pdf", "doc": "application/msword",
    "wps": "application/kswps", "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
POOL_SIZE = 4
_POOL_YEARS = {"G0": 2017, "G1": 2020, "G2": 2023}
_SOURCE = {"pdf": "docx", "doc": "docx", "xls": "xlsx"}  # soffice input per converted format


def cache_dir() -> Path:
    env = os.environ.get("XXGK_ASSET_CACHE")
    path = Path(env) if env else Path(__file__).resolve().parents[1] / "_generated"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_key(spec: ReportSpec) -> str:
    return hashlib.sha256(f"v{RENDER_VERSION}:{spec.digest()}".encode()).hexdigest()[:24]


def cache_path(spec: ReportSpec, fmt: str) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"unknown attachment format {fmt!r} (one of {FORMATS})")
    return cache_dir() / f"{cache_key(spec)}.{fmt}"


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def render_attachment(spec: ReportSpec, fmt: str) -> bytes:
    """The report as an attachment file in `fmt` (docx pdf doc wps xls xlsx scan.pdf)."""
    path = cache_path(spec, fmt)
    if not path.exists():
        prepare_attachments([(spec, fmt)])
    return path.read_bytes()


def prepare_attachments(specs_and_fmts: Iterable[tuple[ReportSpec, str]], scan_dpi: int = 150) -> dict[tuple[str, str], Path]:
    """Render every missing (spec, fmt) into the cache; returns {(cache_key, fmt): path} for all."""
    root = cache_dir()
    keys: dict[int, str] = {}  # spec digest computed once per spec object
    wanted: dict[tuple[str, str], ReportSpec] = {}
    for spec, fmt in specs_and_fmts:
        if fmt not in FORMATS:
            raise ValueError(f"unknown attachment format {fmt!r} (one of {FORMATS})")
        key = keys.setdefault(id(spec), cache_key(spec))
        wanted[(key, fmt)] = spec
    paths = {(key, fmt): root / f"{key}.{fmt}" for key, fmt in wanted}
    missing = {k: s for k, s in wanted.items() if not paths[k].exists()}
    if missing:
        _render_missing(missing, scan_dpi)
    return paths


def _render_missing(missing: dict[tuple[str, str], ReportSpec], scan_dpi: int) -> None:
    # formats each spec needs, with their prerequisites (wps <- doc, scan.pdf <- pdf)
    need: dict[str, set[str]] = {}
    specs: dict[str, ReportSpec] = {}
    for (key, fmt), spec in missing.items():
        specs[key] = spec
        fmts = need.setdefault(key, set())
        fmts.add(fmt)
        fmts.update({"wps": {"doc"}, "scan.pdf": {"pdf"}}.get(fmt, set()))
    with tempfile.TemporaryDirectory(prefix="xxgk-assets-", dir=cache_dir()) as tmp:
        work = Path(tmp)
        jobs: dict[str, list[Path]] = {"pdf": [], "doc": [], "xls": []}
        for key, fmts in need.items():
            spec = specs[key]
            for src, render in (("docx", render_docx), ("xlsx", render_xlsx)):
                if src in fmts or any(_SOURCE.get(f) == src and not cache_path(spec, f).exists() for f in fmts):
                    data = render(spec)
                    (work / f"{key}.{src}").write_bytes(data)
                    _write(cache_path(spec, src), data)
            for target in jobs:
                if target in fmts and not cache_path(spec, target).exists():
                    jobs[target].append(work / f"{key}.{_SOURCE[target]}")
        out = work / "out"
        out.mkdir()
        convert_many(jobs, out)
        for target, inputs in jobs.items():
            for src in inputs:
                produced = out / f"{src.stem}.{target}"
                if not produced.exists():
                    raise ConversionError(f"soffice did not produce {produced.name}")
                _write(cache_path(specs[src.stem], target), produced.read_bytes())
        scans = []
        for key, fmts in need.items():
            spec = specs[key]
            if "wps" in fmts and not cache_path(spec, "wps").exists():
                _write(cache_path(spec, "wps"), cache_path(spec, "doc").read_bytes())  # WPS reads/writes Word-binary
            if "scan.pdf" in fmts and not cache_path(spec, "scan.pdf").exists():
                scans.append(spec)

        def scan(spec: ReportSpec) -> None:
            _write(cache_path(spec, "scan.pdf"), scan_pdf(cache_path(spec, "pdf").read_bytes(), dpi=scan_dpi))

        with ThreadPoolExecutor(max_workers=2) as pool:  # pdftoppm + JPEG encoding: 2 cores
            list(pool.map(scan, scans))


def pool_spec(template: str, variant: int) -> ReportSpec:
    """One of POOL_SIZE fixed synthetic reports per template, for attachment content shared by
    many synthetic replica reports (keeps start-up rendering bounded)."""
    agency = ("示例县应急管理局", "示例县市场监督管理局", "示例县自然资源局", "示例县卫生健康局")[variant % POOL_SIZE]
    rng = random.Random(f"pool:{template}:{variant % POOL_SIZE}")
    return synthetic_spec(agency, _POOL_YEARS[template], rng, template=template)
