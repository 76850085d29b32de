"""Hostile and broken inputs: each gives the right ExtractError kind (or an Extracted without
tables) within its time cap, without crashing and without leaving temp files behind."""
from __future__ import annotations

import os
import sys
import tempfile
import time
import zipfile
import io

import pytest

HERE = os.path.dirname(__file__)
BAD = os.path.join(HERE, "fixtures", "bad")
sys.path.insert(0, BAD)
import make_bad as mb  # noqa: E402

from archive.extract import ExtractError, extract, extract_file  # noqa: E402


def committed(name: str) -> bytes:
    with open(os.path.join(BAD, name), "rb") as fh:
        return fh.read()


@pytest.fixture(scope="module")
def text_pdf() -> bytes:
    """A small real text PDF to break in various ways (reportlab's CID font: it cannot read the
    CFF outlines of the Noto CJK .ttc)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(["一、总体情况", "行政许可 30 -7 23", "政府集中采购 6 66859 元"]):
        c.drawString(72, 760 - 20 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def expect_error(kind: str, data: bytes, cap: float, **kw) -> ExtractError:
    start = time.monotonic()
    with pytest.raises(ExtractError) as info:
        extract(data, **kw)
    assert info.value.kind == kind, info.value
    assert time.monotonic() - start < cap
    return info.value


def test_committed_bad_files_are_what_the_script_makes():
    for name, make in mb.COMMITTED.items():
        assert committed(name) == make(), f"{name}: rerun tests/fixtures/bad/make_bad.py"


def test_empty_file():
    expect_error("empty", committed("empty.pdf"), 1, filename="empty.pdf")
    expect_error("empty", b" \r\n\t ", 1)
    expect_error("empty", b"<html><body><div id='zoom'>  </div></body></html>", 1)


def test_garbage_bytes_unsupported():
    expect_error("unsupported", committed("garbage.bin"), 2, ext="pdf")


def test_wrong_extension_html_served_as_pdf():
    ex = extract(committed("page_as.pdf"), filename="page_as.pdf", mime="application/pdf")
    assert (ex.format, ex.method, ex.tables) == ("html", "html", [])
    assert "信息公开年报正文" in ex.text


def test_html_without_tables():
    ex = extract(committed("notables.html"))
    assert ex.tables == []
    assert "本年度无依申请公开事项" in ex.text


def test_reportlab_pdf_reads(text_pdf):
    ex = extract(text_pdf)
    assert ex.method == "pdf_text" and "行政许可 30 -7 23" in ex.text


@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_pdf(text_pdf, keep):
    expect_error("truncated", mb.truncated(text_pdf, keep), 10)


def test_encrypted_pdf(text_pdf):
    expect_error("encrypted", mb.encrypted(text_pdf), 10)


def test_owner_password_only_pdf_still_reads(text_pdf):
    assert "66859" in extract(mb.encrypted(text_pdf, user_password="")).text


def test_docx_zip_bomb():
    expect_error("zip_bomb", committed("bomb.docx"), 2, filename="report.docx")


def test_zip_with_many_members_is_a_bomb():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<x/>")
        for i in range(5_001):
            zf.writestr(f"word/m{i}", "")
    expect_error("zip_bomb", buf.getvalue(), 5)


def test_corrupt_docx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types")
        zf.writestr("word/document.xml", "<w:document><w:body><w:p>")
    expect_error("corrupt", buf.getvalue(), 2)


def test_truncated_docx():
    data = mb.docx_bytes(mb.blocks(with_section3=False))
    expect_error("truncated", data[: len(data) // 2], 2)


def test_too_large_file_is_not_read(tmp_path):
    path = mb.big_sparse_file(str(tmp_path / "big.pdf"))      # 200 MB, sparse, never committed
    start = time.monotonic()
    with pytest.raises(ExtractError) as info:
        extract_file(path)
    assert info.value.kind == "too_large" and time.monotonic() - start < 1


def test_too_large_bytes():
    expect_error("too_large", b"%PDF-1.4\n" + b"0" * 2000, 1, max_bytes=1000)


def test_broken_doc_falls_to_an_error_not_a_crash():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 510 + "WordDocument".encode("utf-16-le") + b"\x00" * 2000
    with pytest.raises(ExtractError) as info:
        extract(data, filename="x.doc", timeout=60)
    assert info.value.kind in ("corrupt", "tool_failed")


def test_scanned_pdf_over_its_time_cap_times_out(tmp_path, monkeypatch):
    from PIL import Image
    from PIL import ImageDraw
    pages = []
    for n in range(30):  # 30 image-only pages: OCR of them all cannot fit in the 0.3 s cap
        img = Image.new("L", (1700, 2200), 255)
        draw = ImageDraw.Draw(img)
        for y in range(200, 2000, 120):
            draw.rectangle((150, y, 1550, y + 40), fill=0 if (y // 120 + n) % 3 else 128)
        pages.append(img)
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", resolution=200, save_all=True, append_images=pages[1:])
    # the error kind proves the cap fired; the wall bound only guards against a hang (loaded CI)
    expect_error("timeout", buf.getvalue(), 30, timeout=0.3)


def test_no_temp_files_left(tmp_path, monkeypatch, text_pdf):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for data in (text_pdf, mb.truncated(text_pdf), committed("bomb.docx")):
        try:
            extract(data)
        except ExtractError:
            pass
    assert os.listdir(tmp_path) == []


def test_image_decompression_bomb_is_refused_before_decoding():
    import warnings
    from PIL import Image
    buf = io.BytesIO()
    Image.new("1", (12000, 9000), 1).save(buf, "PNG")          # ~100 MP, a few KB on disk
    assert len(buf.getvalue()) < 200_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expect_error("too_large", buf.getvalue(), 5, filename="scan.png")
    expect_error("corrupt", b"\x89PNG\r\n\x1a\n" + b"0" * 100, 2)


@pytest.mark.parametrize("kind", ["pdf", "docx", "html"])
def test_mangled_documents_never_crash(kind, text_pdf):
    """Random byte damage: an Extracted or an ExtractError, nothing else, quickly."""
    import random
    base = {"pdf": text_pdf, "docx": mb.docx_bytes(mb.blocks(with_section3=False)),
            "html": mb.html_page(mb.blocks()).encode("gbk", "replace")}[kind]
    rng = random.Random(11)
    start = time.monotonic()
    outcomes = set()
    for _ in range(12):
        data = bytearray(base)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            extract(bytes(data), timeout=20)
            outcomes.add("ok")
        except ExtractError as exc:
            outcomes.add(exc.kind)
    assert outcomes <= {"ok", "corrupt", "truncated", "empty", "unsupported", "zip_bomb", "encrypted"}
    assert time.monotonic() - start < 60
