"""Every seed in every rendered format (tests/fixtures/reports/) parses to the seed's figures.

Truth for the seeds is this package's own hand-written tests/fixtures/parse/*.expected.json;
the synthetic G0/G2 documents use the fixture generator's expected files. Scanned PDFs go
through OCR (slow): there a cell may be misread, but then it must be null or caught by a
failing consistency rule — never a silent wrong figure in sections 三/四.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

try:
    from test_parse_seeds import expected_cells
except ImportError:  # tests/ imported as a package
    from tests.test_parse_seeds import expected_cells

REPORTS = Path(__file__).parent / "fixtures" / "reports"
MINE = Path(__file__).parent / "fixtures" / "parse"

try:
    from archive.extract import extract  # noqa: F401
    HAVE_EXTRACT = True
except ImportError:  # pragma: no cover
    HAVE_EXTRACT = False

pytestmark = pytest.mark.skipif(not HAVE_EXTRACT or not REPORTS.is_dir(),
                                reason="archive.extract or the rendered fixtures are missing")

DOCS = sorted(p for p in REPORTS.glob("*.*") if p.suffix != ".json" and not p.name.endswith(".scan.pdf")) \
    if REPORTS.is_dir() else []
SCANS = sorted(REPORTS.glob("*.scan.pdf")) if REPORTS.is_dir() else []
SPREADSHEETS = {".xls", ".xlsx"}


def truth(stem: str) -> tuple[dict, dict[str, object]]:
    mine = MINE / f"{stem}.expected.json"
    if mine.exists():
        exp = json.loads(mine.read_text(encoding="utf-8"))
        return exp, expected_cells(exp)
    theirs = json.loads((REPORTS / f"{stem}.expected.json").read_text(encoding="utf-8"))
    meta = {"title": theirs["title"], "agency": theirs["agency"], "report_year": theirs["year"],
            "template": theirs["template"]}
    return meta, theirs["expected"]


def _parse(path: Path):
    from archive.parse import parse_file
    return parse_file(path)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_format_cells_equal_seed(path: Path) -> None:
    stem = path.name.split(".")[0]
    exp, want = truth(stem)
    res = _parse(path)
    assert (res.report_year, res.template) == (exp["report_year"], exp["template"])
    if path.suffix not in SPREADSHEETS:  # a bare table workbook has no title
        assert res.agency == exp["agency"]
        assert (res.title or "").replace(" ", "") == exp["title"].replace(" ", "")
    got = res.cells()
    flags = {c.key: c.flags for c in [*res.disclosure_items, *res.application_counts,
                                       *res.review_litigation_counts]}
    wrong = {}
    for key, value in want.items():
        if got.get(key) != value:
            wrong[key] = (got.get(key), value)
    assert not wrong, wrong
    if stem == "003_2094a5b1fba3121f":  # its section-3/4 cells are printed blank: 0, flagged, not missing
        assert all("blank" in flags[k] for k in want if k.startswith("s4."))


def _doubted(res) -> tuple[set[str], set[str]]:
    """Row keys and applicant columns named by a failing R1–R4 check."""
    rows, cols = set(), set()
    for c in res.consistency_checks:
        if c.ok or c.rule not in ("R1", "R2", "R3", "R4"):
            continue
        for part in c.detail.split("; "):
            head = part.split(":")[0]
            (cols if c.rule in ("R1", "R2") else rows).add(head)
    return rows, cols


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", SCANS, ids=lambda p: p.name)
def test_scanned_pdf_never_silently_wrong(path: Path) -> None:
    stem = path.name.split(".")[0]
    exp, want = truth(stem)
    res = _parse(path)
    assert (res.report_year, res.template) == (exp["report_year"], exp["template"])
    assert res.parse_status != "failed"
    got = res.cells()
    rows, cols = _doubted(res)
    silent = {}
    for key, value in want.items():
        if not key.startswith(("s3.", "s4.")) or got.get(key) in (value, None):
            continue
        parts = key.split(".")
        row, col = ".".join(parts[1:-1]), parts[-1]
        if row not in rows and col not in cols and parts[1] not in rows:
            silent[key] = (got.get(key), value)
    assert not silent, silent
    exact = sum(1 for k, v in want.items() if got.get(k) == v)
    assert exact >= 0.8 * len(want), f"only {exact}/{len(want)} cells read exactly"
