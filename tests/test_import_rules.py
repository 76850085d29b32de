"""The import rules between stages (pyproject.toml [tool.importlinter], docs/architecture.md).

The contracts are checked on the real tree; a copy of the tree with one upstream import
planted shows the same contracts do break when a stage reaches back.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}  # the tree under test before the installed one
    return subprocess.run([str(LINT), "--no-cache", str(root / "pyproject.toml")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_every_import_contract_is_kept() -> None:
    res = lint(REPO)
    assert res.returncode == 0, res.stdout + res.stderr
    assert " kept, 0 broken" in res.stdout


def test_a_stage_reaching_upstream_breaks_the_contracts(tmp_path: Path) -> None:
    for name in ("archive", "crawler", "spiders", "replica", "registry"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    text = tmp_path / "archive" / "build" / "history.py"
    text.write_text(text.read_text() + "\n\ndef _reach_back():\n    from crawler.sites import site_info\n"
                    "    return site_info\n")
    pages = tmp_path / "crawler" / "pages" / "jcms.py"
    pages.write_text(pages.read_text() + "\nfrom crawler.pages import trs as _trs  # noqa: E402\n")
    census = tmp_path / "registry" / "census.py"  # the build reads the census: it must not load the crawler
    census.write_text(census.read_text() + "\nfrom crawler import sites as _sites  # noqa: E402\n")
    res = lint(tmp_path)
    assert res.returncode != 0
    assert "registry.census -> crawler.sites" in res.stdout
    assert "archive.build.history -> crawler.sites" in res.stdout
    assert "3 broken" in res.stdout
    assert "crawler.pages.jcms -> crawler.pages.trs" in res.stdout
