"""Error pages without rich: Datasette 0.65's default `handle_exception` calls
`rich.get_console().print_exception()` when `rich` is importable, outside an `except` block;
current rich raises there ("Value for 'trace' required"), which turns every 404 or 400 into a
500. `rich` arrives with import-linter and frictionless (through typer), so the default
handler is told rich is absent; everything else about error pages stays Datasette's own.
"""
from __future__ import annotations

import datasette.handle_exception as _default_handler

_default_handler.rich = None
