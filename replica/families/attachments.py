"""Attachment bytes: rendered by `replica.documents`, cached on disk, pooled for scaled sites.

Rendering (PDF/DOCX in Python, DOC/WPS/XLS through LibreOffice) is slow, so every rendering is
kept in a disk cache keyed by the spec digest and format; a warm cache makes start-up instant.
Scaled sites and legacy formats share a small pool (one file per format and template).
"""
from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import Any

from replica.world import Report, stable_rng

MIME = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "wps": "application/vnd.ms-works",
}
_LOCK = threading.Lock()
_MEM: dict[str, bytes] = {}


def cache_dir() -> Path:
    d = Path(os.environ.get("XXGK_REPLICA_CACHE") or Path.home() / ".cache" / "xxgk" / "replica")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _cached(key: str, make: Any) -> bytes:
    with _LOCK:
        if key in _MEM:
            return _MEM[key]
    path = cache_dir() / key
    if path.exists():
        data = path.read_bytes()
    else:
        data = make()
        tmp = path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    with _LOCK:
        _MEM[key] = data
    return data


def _render(spec: Any, fmt: str) -> bytes:
    try:
        from replica.documents import render_attachment
    except ImportError:
        return _fallback(spec, fmt)
    return render_attachment(spec, fmt)


def _pool_spec(template: str) -> Any:
    from replica.world import AgencyDef, Report, content_spec
    from datetime import date, datetime
    year = {"G0": 2017, "G1": 2020, "G2": 2023}[template]
    agency = AgencyDef("示例县示例局", "pool", "X0000", 2008)
    r = Report("pool", agency, year, f"示例县示例局{year}年政府信息公开工作年度报告", datetime(year + 1, 1, 15),
               date(year + 1, 1, 12), "", "", "", "", "", template)
    return content_spec(r)


def attachment_bytes(report: Report, index: int) -> bytes:
    att = report.attachments[index]
    if att.pooled:
        return pool_bytes(att.fmt, report.template)
    spec = report.spec
    key = hashlib.sha256(f"{spec.digest()}\x1f{att.fmt}\x1f{report.revision}".encode()).hexdigest()[:32]
    return _cached(f"{key}.{att.ext}", lambda: _render(spec, att.fmt))


def pool_bytes(fmt: str, template: str) -> bytes:
    ext = fmt.rsplit(".", 1)[-1]
    return _cached(f"pool-{template}-{fmt.replace('.', '_')}.{ext}", lambda: _render(_pool_spec(template), fmt))


def random_hex(*parts: object) -> str:
    return "%032x" % stable_rng("hex", *parts).getrandbits(128)


# ------------------------------------------------------------------ TEMPORARY FALLBACK
# Used only while replica.documents.render_attachment is not importable.


def _fallback(spec: Any, fmt: str) -> bytes:
    lines = [spec.title, spec.agency, str(spec.year)]
    ext = fmt.rsplit(".", 1)[-1]
    if ext in ("xls", "xlsx"):
        import openpyxl
        wb = openpyxl.Workbook()
        for i, line in enumerate(lines, 1):
            wb.active.cell(i, 1, line)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    if ext in ("doc", "docx", "wps"):
        import docx
        d = docx.Document()
        for line in lines:
            d.add_paragraph(line)
        buf = io.BytesIO()
        d.save(buf)
        return buf.getvalue()
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(lines):
        c.drawString(72, 760 - 18 * i, line)
    c.save()
    return buf.getvalue()
