"""Generated portal variants: `generate(seed, family) -> VariantPortal`, served by `VariantServer`.

Families: `trs`, `gkmlpt`, `jcms`, `jpaas` (JCMS behind the jpaas-publish-server gateway) and
`none` (a portal of no known platform: `replica/variants/unknown.py` provides
`generate(seed, features=None) -> VariantPortal` with the same contract). See replica/README.md.
"""
from __future__ import annotations

import importlib
from typing import Any

from replica.variants.draw import FAMILY_FEATURES, FEATURES, draw_features
from replica.variants.model import VariantPortal

FAMILIES = ("trs", "gkmlpt", "jcms", "jpaas", "none")


def generate(seed: int, family: str, features: dict[str, Any] | None = None) -> VariantPortal:
    """The portal of `family` that `seed` draws; `features` forces some variants (see `FEATURES`)."""
    if family == "none":
        # hook: the generic-platform generator lives in its own module, same signature
        return importlib.import_module("replica.variants.unknown").generate(seed, features)
    if family not in FAMILY_FEATURES:
        raise ValueError(f"unknown family {family!r} (known: {', '.join(FAMILIES)})")
    from replica.variants.gkmlpt import GkmlptBuilder
    from replica.variants.jcms import JcmsBuilder, JpaasBuilder
    from replica.variants.trs import TrsBuilder

    builder = {"trs": TrsBuilder, "gkmlpt": GkmlptBuilder, "jcms": JcmsBuilder, "jpaas": JpaasBuilder}[family]
    return builder(seed, draw_features(seed, family, features)).build()


__all__ = ["FAMILIES", "FEATURES", "FAMILY_FEATURES", "VariantPortal", "generate"]
