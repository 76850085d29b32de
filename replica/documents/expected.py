"""Derive a spec's `expected` map (canonical full key -> number) from its raw cells."""
from __future__ import annotations

from .normalize import Number, parse_count, parse_s2
from .spec import S3_COLUMNS, S4_KEYS, ReportSpec


def compute_expected(spec: ReportSpec) -> dict[str, Number]:
    """Every table cell of the spec, normalised. Unparseable cells raise (a spec bug)."""
    out: dict[str, Number | None] = {}
    for key, raw in spec.s2.items():
        out[f"s2.{key}"] = parse_s2(key.rsplit(".", 1)[1], raw)
    for row, cells in spec.s3.items():
        if len(cells) != len(S3_COLUMNS):
            raise ValueError(f"s3.{row}: {len(cells)} cells, expected 7")
        for col, raw in zip(S3_COLUMNS, cells):
            out[f"s3.{row}.{col}"] = parse_count(raw)
    for key in S4_KEYS:
        if key in spec.s4:
            out[f"s4.{key}"] = parse_count(spec.s4[key])
    for key, _label, _unit, year_raw, cum_raw in spec.g0:
        out[f"g0.{key}.year"] = parse_count(year_raw)
        out[f"g0.{key}.cumulative"] = parse_count(cum_raw)
    bad = [k for k, v in out.items() if v is None]
    if bad:
        raise ValueError(f"unparseable cells: {bad}")
    return out  # type: ignore[return-value]
