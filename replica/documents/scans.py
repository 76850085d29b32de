"""Scanned renditions in pinned CJK fonts, at a given resolution and skew.

A scan fixture must not depend on which fonts the machine that renders it has: the DOCX names one
font family for every run, LibreOffice is pointed at that family's file through a private
fontconfig file (system fonts + the directory of that file), and the PDF it writes is checked
with `pdffonts` — a fallback to any other font is an error, never a silent substitution. The
pages are then rasterised (`pdftoppm -gray`), rotated by the skew and saved as JPEG pages.
"""
from __future__ import annotations

import io
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .layout import Variant
from .office import ConversionError, convert_many
from .render_docx import render_docx
from .spec import ReportSpec

#: font key -> (fontconfig family, file name, name fragment pdffonts shows)
FONTS = {
    "noto-sans": ("Noto Sans CJK SC", "NotoSansCJK-Regular.ttc", "notosanscjk"),
    "noto-serif": ("Noto Serif CJK SC", "NotoSerifCJK-Regular.ttc", "notoserifcjk"),
    "wqy-zenhei": ("WenQuanYi Zen Hei", "wqy-zenhei.ttc", "wenquanyizenhei"),
    "ar-pl-uming": ("AR PL UMing CN", "uming.ttc", "umingcn"),
}
#: where font files are looked for: $XXGK_FONT_DIRS (":"-separated) first, then the system
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")


class FontMissing(RuntimeError):
    pass


def font_file(key: str) -> Path:
    """The file of a pinned font (Debian: fonts-noto-cjk, fonts-wqy-zenhei, fonts-arphic-uming)."""
    name = FONTS[key][1]
    dirs = [d for d in os.environ.get("XXGK_FONT_DIRS", "").split(":") if d] + list(FONT_DIRS)
    for d in dirs:
        for root, _, files in os.walk(d):
            if name in files:
                return Path(root, name)
    raise FontMissing(f"{name} not found in {dirs}")


@dataclass(frozen=True)
class Scan:
    font: str          # key of FONTS
    dpi: int
    skew: float        # degrees, counter-clockwise
    quality: int = 45  # JPEG quality (cheap office scanner)


def _fontconfig(tmp: Path, font_dir: Path) -> dict[str, str]:
    conf = tmp / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                    '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
                    f"  <dir>{font_dir}</dir>\n  <cachedir>{tmp / 'fc-cache'}</cachedir>\n</fontconfig>\n",
                    encoding="utf-8")
    return dict(os.environ, FONTCONFIG_FILE=str(conf))


def pdf_fonts(pdf: Path, env: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, timeout=60, env=env).stdout
    return [ln.split()[0] for ln in out.splitlines()[2:] if ln.strip()]


def pinned_pdf(spec: ReportSpec, font: str, variant: Variant, workdir: Path) -> bytes:
    """The spec as a PDF set in exactly `font` (FontMissing / ConversionError otherwise)."""
    family, _, fragment = FONTS[font]
    path = font_file(font)
    env = _fontconfig(workdir, path.parent)
    src = workdir / "doc.docx"
    src.write_bytes(render_docx(spec, Variant(**{**variant.__dict__, "font": family})))
    convert_many({"pdf": [src]}, workdir, env=env)
    pdf = workdir / "doc.pdf"
    used = pdf_fonts(pdf, env)
    norm = [u.split("+")[-1].replace("-", "").replace(",", "").lower() for u in used]
    if not used or not all(fragment in n for n in norm):
        raise ConversionError(f"{family} was not used for every glyph: {used}")
    return pdf.read_bytes()


def scan_images(pdf: bytes, scan: Scan) -> list[Image.Image]:
    with tempfile.TemporaryDirectory(prefix="xxgk-pinned-scan-") as tmp:
        src = Path(tmp, "in.pdf")
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(scan.dpi), "-gray", "-png", str(src), str(Path(tmp, "p"))],
                       check=True, timeout=120, capture_output=True)
        pages = [Image.open(p).convert("L") for p in sorted(Path(tmp).glob("p-*.png"))]
    if scan.skew:
        pages = [p.rotate(scan.skew, resample=Image.BICUBIC, expand=False, fillcolor=255) for p in pages]
    return pages


def render_scan(spec: ReportSpec, scan: Scan, variant: Variant = Variant(tables_only=True)) -> bytes:
    """An image-only PDF of `spec` set in `scan.font`, rasterised at `scan.dpi`, rotated by `scan.skew`."""
    with tempfile.TemporaryDirectory(prefix="xxgk-pinned-") as tmp:
        pdf = pinned_pdf(spec, scan.font, variant, Path(tmp))
    pages = scan_images(pdf, scan)
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=float(scan.dpi),
                  quality=scan.quality)
    return out.getvalue()
