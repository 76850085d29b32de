#!/usr/bin/env python3
"""Extraction throughput and peak memory per format.

    .venv/bin/python bench/bench_extract.py [--n 300] [--formats html,docx,pdf,doc,ocr]

Inputs are the report fixtures (tests/fixtures/reports/, five seeds + synthetic) multiplied to
a few hundred documents; without them, the sample report of tests/fixtures/bad/make_bad.py.
Each format runs in its own child process so its peak RSS is its own. Figures: wall-clock
reports/s, reports per CPU-second (the honest figure on a shared, loaded machine), peak RSS of
the Python process and of the external tools (LibreOffice, tesseract, pdftoppm).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)
REPORTS = os.path.join(ROOT, "tests", "fixtures", "reports")
FORMATS = ["html", "docx", "pdf", "doc", "ocr"]


def _fixtures(suffixes: tuple[str, ...]) -> list[bytes]:
    paths = [p for p in sorted(glob.glob(os.path.join(REPORTS, "*"))) if p.endswith(suffixes)
             and not p.endswith(".scan.pdf")]
    return [open(p, "rb").read() for p in paths]


def _generated(fmt: str) -> list[bytes]:
    sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "bad"))
    import make_bad as mb
    docx = mb.docx_bytes(mb.blocks())
    if fmt == "html":
        return [mb.html_page(mb.blocks()).encode(), mb.html_page(mb.blocks(), "gbk").encode("gbk")]
    if fmt == "docx":
        return [docx]
    if fmt in ("pdf", "ocr"):
        pdf = mb.libreoffice(docx, "docx", "pdf")
        return [pdf if fmt == "pdf" else mb.scan_pdf(pdf, first_page_only=True)]
    return [mb.libreoffice(docx, "docx", "doc")]


def inputs(fmt: str) -> list[bytes]:
    found = {"html": (".html",), "docx": (".docx",), "pdf": (".pdf",), "doc": (".doc",)}.get(fmt)
    docs = _fixtures(found) if found else []
    if fmt == "ocr" and os.path.exists(os.path.join(REPORTS, "001_c517ed2aeb61ed6c.scan.pdf")):
        import io
        import pypdf
        reader = pypdf.PdfReader(os.path.join(REPORTS, "001_c517ed2aeb61ed6c.scan.pdf"))
        writer = pypdf.PdfWriter()
        writer.add_page(reader.pages[2])          # the page with section 2 and 3 tables
        buf = io.BytesIO()
        writer.write(buf)
        docs = [buf.getvalue()]
    return docs or _generated(fmt)


def run_one(fmt: str, n: int) -> dict:
    from archive.extract import convert_with_libreoffice, extract
    docs = inputs(fmt)
    batch = [docs[i % len(docs)] for i in range(n)]
    if fmt not in ("doc", "ocr"):
        extract(docs[0])              # warm-up: lazy imports are not extraction time
    t0, c0 = time.monotonic(), time.process_time()
    ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    pages = tables = 0
    if fmt == "doc":   # the build's path: one soffice call for the whole batch, then the DOCX path
        with tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
            paths = []
            for i, data in enumerate(batch):
                paths.append(os.path.join(tmp, f"r{i}.doc"))
                with open(paths[-1], "wb") as fh:
                    fh.write(data)
            out = convert_with_libreoffice(paths, "docx", outdir=os.path.join(tmp, "out"))
            for p in paths:
                tables += len(extract(open(out[p], "rb").read()).tables) if p in out else 0
    else:
        for data in batch:
            ex = extract(data, timeout=600)
            pages += ex.pages or 0
            tables += len(ex.tables)
    wall = time.monotonic() - t0
    ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + (ch1.ru_utime - ch0.ru_utime) + (ch1.ru_stime - ch0.ru_stime)
    return {"format": fmt, "n": n, "wall_s": round(wall, 2), "per_s": round(n / wall, 1),
            "per_cpu_s": round(n / max(cpu, 1e-9), 1), "pages": pages, "tables": tables,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "tools_peak_rss_mb": round(ch1.ru_maxrss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300, help="documents per fast format (html, docx)")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        fmt, n = args.child.split(":")
        print(json.dumps(run_one(fmt, int(n))))
        return
    sizes = {"html": args.n, "docx": args.n, "pdf": max(args.n // 6, 10), "doc": max(args.n // 6, 10), "ocr": 2}
    print(f"{'format':8} {'n':>5} {'wall s':>8} {'docs/s':>8} {'docs/cpu-s':>10} {'py MB':>7} {'tools MB':>8}  notes")
    for fmt in args.formats.split(","):
        out = subprocess.run([sys.executable, __file__, "--child", f"{fmt}:{sizes[fmt]}"],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            print(f"{fmt:8} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        note = {"doc": "one soffice call for all, then DOCX path", "ocr": "per page, tables cell by cell",
                "pdf": f"{r['pages']} pages"}.get(fmt, "")
        print(f"{fmt:8} {r['n']:>5} {r['wall_s']:>8} {r['per_s']:>8} {r['per_cpu_s']:>10} "
              f"{r['peak_rss_mb']:>7} {r['tools_peak_rss_mb']:>8}  {note}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
