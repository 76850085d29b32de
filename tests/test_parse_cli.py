"""`xxgk parse FILE [--json]`: output and exit statuses."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.cli import main

SEED = Path("/work/shared/seeds/004_870b2d41ea6f263b.txt")
ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(["parse", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_json_output_of_a_seed(capsys) -> None:
    rc, out, err = run(capsys, str(SEED), "--json")
    assert rc == 0 and not err
    js = json.loads(out)
    assert (js["agency"], js["report_year"], js["template"], js["parse_status"]) == ("海盐县应急管理局", 2020, "G1", "ok")
    proc = next(i for i in js["disclosure_items"] if i["col_key"] == "total_amount")
    assert proc["value"] == 1028500 and proc["raw"] == "102.85万元"


def test_summary_output(capsys) -> None:
    rc, out, _ = run(capsys, str(SEED))
    assert rc == 0
    assert "海盐县应急管理局" in out and "s2.penalty.change" in out and "R1 ok" in out


def test_missing_file(capsys, tmp_path) -> None:
    rc, out, err = run(capsys, str(tmp_path / "nope.txt"))
    assert rc == 2 and not out and err.count("\n") == 1 and "no such file" in err


def test_empty_and_non_report_files(capsys, tmp_path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    rc, out, err = run(capsys, str(empty))
    assert rc == 1 and "empty" in err and err.count("\n") == 1
    junk = tmp_path / "junk.txt"
    junk.write_text("hello world\n", encoding="utf-8")
    rc, out, err = run(capsys, str(junk), "--json")
    assert rc == 1 and json.loads(out)["parse_status"] == "failed" and "not recognised" in err


def test_partial_report_exits_zero(capsys, tmp_path) -> None:
    text = SEED.read_text(encoding="utf-8")
    cut = text[: text.index("四、政府信息公开行政复议")] + "四、政府信息公开行政复议、行政诉讼情况\n\n（见附件图片）\n"
    f = tmp_path / "partial.txt"
    f.write_text(cut, encoding="gb18030")  # GBK text files are read too
    rc, out, err = run(capsys, str(f), "--json")
    js = json.loads(out)
    assert rc == 0 and js["parse_status"] == "partial"
    assert js["sections"]["s4_review_litigation"]["table"] == "missing"
    assert all(c["value"] is None for c in js["review_litigation_counts"])


def test_bad_binary_file(capsys, tmp_path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 20)
    rc, out, err = run(capsys, str(bad))
    assert rc != 0 and not out and err.count("\n") == 1 and err.startswith("xxgk parse:")


@pytest.mark.timeout(60)
def test_console_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "archive.cli", "parse", str(SEED), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["title"] == "海盐县应急管理局2020年度政府信息公开工作年度报告"
