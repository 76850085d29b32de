"""Switchable faults (placeholder: no modes yet)."""
from __future__ import annotations

from typing import Any

MODES: dict[str, str] = {}


class Chaos:
    def __init__(self, modes: set[str]) -> None:
        self.modes = set(modes)

    def set_modes(self, modes: set[str]) -> None:
        self.modes = set(modes)

    def describe(self) -> list[str]:
        return sorted(self.modes)

    async def before(self, site: Any, request: Any) -> Any:
        return None

    async def after(self, site: Any, request: Any, res: Any, response: Any) -> Any:
        return response
