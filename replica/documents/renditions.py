"""Independent renditions of a report: the same figures, the title and agency where real
portals and files put them rather than where our plain renderers do.

- `chrome.html` / `chrome.gbk.html`: the body has no title line; the title is only in the page
  chrome (`<title>` with the site name, `<h1>`, `ArticleTitle` meta, 发布机构 row);
- `split.docx` / `split.pdf` / `split.doc`: the title broken over three lines (agency / year /
  rest), the file's Title property set (PDF info dictionary, DOCX/DOC core properties);
- `bare.pdf`: no title line at all, only the PDF's Title metadata.

Every rendition of a seed also opens with `本报告由<region>人民政府办公室编制完成。` — the compiling
office, which must never be taken for the reporting agency.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from .layout import Variant
from .office import convert_many
from .render_docx import render_docx
from .render_html import render_page_gbk, render_page_html
from .spec import ReportSpec

SITE_NAME = "政府门户网站"
RENDITIONS = ("chrome.html", "chrome.gbk.html", "split.docx", "split.pdf", "split.doc", "bare.pdf")
_REGION = re.compile(r"^(.*?[省市县区旗])(?=[^省市县区旗]*$)")


def compiling_office(agency: str) -> str | None:
    """`福州市长乐区应急管理局` -> `福州市长乐区人民政府办公室` (None when that is the agency itself)."""
    m = _REGION.match(agency)
    if not m:
        return None
    office = m.group(1) + "人民政府办公室"
    return None if office == agency else office


def variants(spec: ReportSpec) -> dict[str, Variant]:
    office = compiling_office(spec.agency)
    chrome = Variant(title_in_body=False, compiled_by=office)
    split = Variant(split_title=True, compiled_by=office)
    return {"chrome": chrome, "split": split, "bare": chrome}


def render_renditions(spec: ReportSpec, outdir: Path, stem: str) -> list[Path]:
    """Write `<stem>.<rendition>` for every rendition into `outdir`; office files via LibreOffice."""
    v = variants(spec)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    page = outdir / f"{stem}.chrome.html"
    page.write_text(render_page_html(spec, v["chrome"], site_name=SITE_NAME), encoding="utf-8")
    gbk = outdir / f"{stem}.chrome.gbk.html"
    gbk.write_bytes(render_page_gbk(spec, v["chrome"]))
    written += [page, gbk]
    with tempfile.TemporaryDirectory(prefix="xxgk-renditions-") as tmp:
        split = Path(tmp, f"{stem}.split.docx")
        split.write_bytes(render_docx(spec, v["split"]))
        bare = Path(tmp, f"{stem}.bare.docx")
        bare.write_bytes(render_docx(spec, v["bare"]))
        convert_many({"pdf": [split, bare], "doc": [split]}, Path(tmp))
        for name in (f"{stem}.split.docx", f"{stem}.split.pdf", f"{stem}.split.doc", f"{stem}.bare.pdf"):
            target = outdir / name
            target.write_bytes(Path(tmp, name).read_bytes())
            written.append(target)
    return written
