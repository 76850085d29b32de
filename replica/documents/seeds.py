"""The five real seed reports as `ReportSpec`s (transcribed into `seeds/<stem>.json`)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .expected import compute_expected
from .spec import ReportSpec

SEED_DIR = Path(__file__).with_name("seeds")


@lru_cache(maxsize=1)
def _load() -> tuple[ReportSpec, ...]:
    specs = []
    for path in sorted(SEED_DIR.glob("*.json")):
        spec = ReportSpec.from_dict(json.loads(path.read_text(encoding="utf-8")))
        if spec.expected != compute_expected(spec):  # the stored figures must follow from the cells
            raise ValueError(f"{path.name}: expected values disagree with the raw cells")
        specs.append(spec)
    return tuple(specs)


def seed_specs() -> list[ReportSpec]:
    """Fresh copies of the five seed specs, ordered by seed file name."""
    return [ReportSpec.from_dict(s.to_dict()) for s in _load()]


def seed_spec(name: str) -> ReportSpec:
    """One seed by site_id (`changle`), file stem or file name."""
    for spec in seed_specs():
        if name in (spec.site_id, spec.seed, Path(spec.seed or "").stem):
            return spec
    raise KeyError(name)


def seed_stem(spec: ReportSpec) -> str:
    return Path(spec.seed or "").stem
