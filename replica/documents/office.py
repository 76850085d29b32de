"""External converters: LibreOffice headless (batched) and the image-only 'scan' PDF."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

#: soffice --convert-to filter per target extension
FILTERS = {"pdf": "pdf:writer_pdf_Export", "doc": "doc:MS Word 97", "xls": "xls:MS Excel 97"}


class ConversionError(RuntimeError):
    pass


def soffice_start(inputs: list[Path], target: str, outdir: Path,
                  env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    """Start ONE soffice process converting all `inputs` to `target` (own profile dir, so
    several conversions may run in parallel). Returns the process and its profile dir."""
    profile = Path(tempfile.mkdtemp(prefix="xxgk-lo-"))
    cmd = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
           "--nolockcheck", "--convert-to", FILTERS[target], "--outdir", str(outdir), *map(str, inputs)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    return proc, profile


def soffice_wait(proc: subprocess.Popen, profile: Path, timeout: float) -> str:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ConversionError(f"soffice timed out after {timeout:.0f} s")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0:
        raise ConversionError(f"soffice exit {proc.returncode}: {out.decode(errors='replace')[-500:]}")
    return out.decode(errors="replace")


def convert_many(jobs: dict[str, list[Path]], outdir: Path, timeout: float | None = None,
                 env: dict[str, str] | None = None) -> None:
    """Run one soffice per target format concurrently: {"pdf": [a.docx, …], "xls": [t.xlsx]}."""
    running = [(soffice_start(paths, target, outdir, env), len(paths)) for target, paths in jobs.items() if paths]
    errors = []
    for (proc, profile), n in running:
        try:
            soffice_wait(proc, profile, timeout or 60 + 6 * n)
        except ConversionError as e:
            errors.append(str(e))
    if errors:
        raise ConversionError("; ".join(errors))


def scan_pdf(pdf: bytes, dpi: int = 150, quality: int = 45) -> bytes:
    """Image-only PDF: rasterise with pdftoppm (grayscale), re-assemble JPEG pages with Pillow."""
    with tempfile.TemporaryDirectory(prefix="xxgk-scan-") as tmp:
        src = Path(tmp, "in.pdf")
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(src), str(Path(tmp, "p"))],
                       check=True, timeout=120, capture_output=True)
        pages = [Image.open(p).convert("L") for p in sorted(Path(tmp).glob("p-*.png"))]
        if not pages:
            raise ConversionError("pdftoppm produced no pages")
        out = io.BytesIO()
        pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), quality=quality)
        return out.getvalue()
