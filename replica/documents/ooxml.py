"""Make OOXML (docx/xlsx) bytes reproducible: fixed zip timestamps and core-property dates."""
from __future__ import annotations

import io
import re
import zipfile

_FIXED = (2000, 1, 1, 0, 0, 0)
_DATE_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def stable_zip(data: bytes, when: str) -> bytes:
    """Rewrite the archive with fixed member times; set created/modified to `when` (ISO date)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _DATE_RE.sub(rb"\g<1>" + f"{when}T09:00:00Z".encode() + rb"\g<2>", body)
            member = zipfile.ZipInfo(info.filename, date_time=_FIXED)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            dst.writestr(member, body)
    return out.getvalue()
