"""One sniffer and one charset policy (archive/store/sniff.py, archive/store/charset.py): the
crawl names a body and reads a page by the same rules extraction uses."""
from __future__ import annotations

import io
import zipfile

from scrapy.http import Request, TextResponse

from archive.store import charset, sniff
from crawler.filetypes import guess_ext
from crawler.middlewares import CharsetMiddleware


def zipped(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), b"x" * 64)
    return buf.getvalue()


def test_crawl_and_extraction_see_the_same_container() -> None:
    late_docx = zipped(*[f"customXml/item{i:03d}.xml" for i in range(120)], "word/document.xml")
    assert b"word/" not in late_docx[:4096]  # its member names say docx, its first 4 KB do not
    cases = {late_docx: "docx", zipped("xl/workbook.xml"): "xlsx", zipped("keyword/a.txt"): "zip",
             b"%PDF-1.7\n%%EOF\n": "pdf"}
    for body, kind in cases.items():
        assert sniff.sniff_format(body) == kind
        assert guess_ext(body, "application/octet-stream", None, "http://x/download.jsp?id=1") == kind


def test_the_crawl_keeps_its_names_where_the_bytes_say_little() -> None:
    ole = sniff.OLE_MAGIC + b"\0" * 600 + "Workbook".encode("utf-16-le")
    assert sniff.sniff_format(ole) == "xls"
    assert guess_ext(ole, None, "报告.et", None) == "et"    # an OLE file keeps the link's word for it
    assert guess_ext(zipped("OFD.xml"), None, None, None) == "zip"  # OFD is stored as the zip it is
    api = b'{"data": {"html": "<div><p>2023</p></div>"}}'
    assert sniff.sniff_format(api) == "html" and guess_ext(api, "application/json") == "json"


def test_the_gb_family_reads_as_gb18030_on_both_sides() -> None:
    body = "<html><head><meta charset=gb2312></head><body>年度报告 䶮</body></html>".encode("gb18030")
    text, used = charset.decode_bytes(body, "gb2312")
    assert used == "gb18030" and "䶮" in text
    for label in ("gb2312", "GBK", "x-gbk", "cp936", "gb18030"):
        assert charset.normalise_charset(label) == "gb18030"
    res = TextResponse("http://x/a.htm", body=body, encoding="utf-8", request=Request("http://x/a.htm"))
    mw = CharsetMiddleware()
    mw.reported = set()
    mw.crawler = type("Crawler", (), {"spider": None})()  # type: ignore[assignment]
    assert mw.process_response(res.request, res).encoding == "gb18030"
    assert charset.repair_encoding(body, "gb18030", lambda: None) is None  # it reads: kept, <meta> not asked
