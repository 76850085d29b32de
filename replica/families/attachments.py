"""Attachment bytes for replica reports, from `replica.documents` (which keeps the disk cache).

Seed reports get their own renderings; synthetic reports share the documents pool
(`pool_spec(template, variant)`), so a cold cache renders a bounded set of files (LibreOffice
conversions are slow) and a warm cache starts instantly. `warm()` renders everything a set of
sites needs in one batch.
"""
from __future__ import annotations

import threading
from typing import Any, Iterable

from replica.documents import MIME as _DOC_MIME
from replica.documents import POOL_SIZE, pool_spec, prepare_attachments, render_attachment
from replica.world import Report, stable_rng

MIME = {fmt.rsplit(".", 1)[-1]: mime for fmt, mime in _DOC_MIME.items()}
_LOCK = threading.Lock()
_MEM: dict[tuple[str, str], bytes] = {}
_POOL: dict[tuple[str, int], Any] = {}


def _pool(template: str, variant: int) -> Any:
    with _LOCK:
        spec = _POOL.get((template, variant))
    if spec is None:
        spec = pool_spec(template, variant)
        with _LOCK:
            _POOL[(template, variant)] = spec
    return spec


def source_spec(report: Report, index: int) -> Any:
    """The spec whose rendering is served as attachment `index` of `report`."""
    if report.seed is not None:
        return report.spec
    variant = stable_rng("pool", report.site_id, report.key, index).randrange(POOL_SIZE)
    return _pool(report.template, variant)


def digest(spec: Any) -> str:
    """`spec.digest()` is costly (asdict + JSON); specs are not mutated once served, so memoise."""
    d = getattr(spec, "_replica_digest", None)
    if d is None:
        d = spec.digest()
        spec._replica_digest = d
    return d


def attachment_bytes(report: Report, index: int) -> bytes:
    spec = source_spec(report, index)
    fmt = report.attachments[index].fmt
    key = (digest(spec), fmt)
    with _LOCK:
        hit = _MEM.get(key)
    if hit is None:
        hit = render_attachment(spec, fmt)
        with _LOCK:
            _MEM[key] = hit
    return hit


def warm(reports: Iterable[Report]) -> None:
    """Render every attachment the reports need in one batch (one soffice run per format)."""
    wanted = {}
    for r in reports:
        for i, a in enumerate(r.attachments):
            spec = source_spec(r, i)
            wanted[(id(spec), a.fmt)] = (spec, a.fmt)
    prepare_attachments(wanted.values())


def random_hex(*parts: object) -> str:
    return "%032x" % stable_rng("hex", *parts).getrandbits(128)
