"""Golden tests on independent renditions of every seed (tests/fixtures/renditions/, made by
make_renditions.py): the title and agency come from the document itself — page chrome, a title
broken over three lines, the PDF/DOCX Title property — never from the compiling office named in
`本报告由…办公室编制完成`; every figure still equals the seed; and the build (extract → parse with
the document's metadata as hints) gives the same title and agency as `xxgk parse FILE`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from archive.build.text import as_text_result, parse_report
from archive.extract import extract
from archive.parse import parse_file

try:
    from test_parse_seeds import expected_cells
except ImportError:  # tests/ imported as a package
    from tests.test_parse_seeds import expected_cells

RENDITIONS = Path(__file__).parent / "fixtures" / "renditions"
TRUTH = Path(__file__).parent / "fixtures" / "parse"
FILES = sorted(RENDITIONS.iterdir())
KINDS = {".".join(p.name.split(".")[1:]) for p in FILES}


def test_every_seed_has_every_rendition() -> None:
    stems = {p.name.split(".")[0] for p in FILES}
    assert len(stems) == 5
    assert KINDS == {"chrome.html", "chrome.gbk.html", "split.docx", "split.pdf", "split.doc", "bare.pdf"}
    assert len(FILES) == len(stems) * len(KINDS)


@lru_cache(maxsize=None)
def parsed(path: Path):
    """`xxgk parse FILE` once per file (DOC goes through LibreOffice: slow)."""
    return parse_file(path)


def _truth(path: Path) -> dict:
    return json.loads((TRUTH / f"{path.name.split('.')[0]}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_rendition_title_agency_and_cells(path: Path) -> None:
    exp = _truth(path)
    res = parsed(path)
    assert res.title == exp["title"]
    assert res.agency == exp["agency"] and res.agency_source in ("title", "hint")
    assert "人民政府办公室" not in res.agency          # the compiling office named in the intro
    assert (res.report_year, res.template) == (exp["report_year"], exp["template"])
    got, want = res.cells(), expected_cells(exp)
    wrong = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    assert not wrong, wrong


@pytest.mark.parametrize("path", [p for p in FILES if ".split." in p.name or ".chrome.html" in p.name],
                         ids=lambda p: p.name)
def test_build_and_standalone_parse_agree(path: Path) -> None:
    standalone = parsed(path)
    data = path.read_bytes()
    page = as_text_result(extract(data, filename=path.name))
    out = parse_report({"report_id": "r1", "url": "http://example.gov.cn/" + path.name}, page, [])
    assert (out.fields["agency"], out.fields["title"]) == (standalone.agency, standalone.title)
    assert out.fields["report_year"] == standalone.report_year
