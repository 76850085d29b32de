"""One page, one URL: the spellings portals use all normalise to the same URL."""
from __future__ import annotations

import pytest

from archive.store import urlnorm

BASE = "http://www.example.gov.cn/zfxxgk/ndbg/index.htm"
SAME = "http://www.example.gov.cn/zfxxgk/ndbg/202301/t20230114_4522367.htm"


@pytest.mark.parametrize("href", [
    "./202301/t20230114_4522367.htm",
    "../ndbg/202301/t20230114_4522367.htm",
    "/zfxxgk/ndbg/202301/t20230114_4522367.htm",
    "/zfxxgk//ndbg/202301/t20230114_4522367.htm",
    "\n  ./2023\t01/t20230114_4522367.htm  ",
    "\u3000./202301/t20230114_4522367.htm\u3000",
    "HTTP://WWW.Example.GOV.CN:80/zfxxgk/ndbg/202301/t20230114_4522367.htm",
    "//www.example.gov.cn/zfxxgk/ndbg/./202301/t20230114_4522367.htm#top",
    "．/202301/t20230114_4522367．htm",
])
def test_spellings_normalise_to_one_url(href: str) -> None:
    assert urlnorm.join(BASE, href) == SAME


def test_https_default_port_and_query_kept() -> None:
    assert urlnorm.normalize("HTTPS://A.gov.cn:443//x/?b=1&a=2") == "https://a.gov.cn/x/?b=1&a=2"
    assert urlnorm.normalize("http://a.gov.cn:8080/x") == "http://a.gov.cn:8080/x"


def test_identity_treats_index_file_as_its_directory() -> None:
    assert urlnorm.identity("http://a.gov.cn/col/col1/index.html") == "http://a.gov.cn/col/col1/"
    assert urlnorm.identity("http://a.gov.cn/x/ndbg/index.htm") == urlnorm.identity("http://a.gov.cn/x/ndbg/")
    assert urlnorm.identity("http://a.gov.cn/x/index_1.htm") == "http://a.gov.cn/x/index_1.htm"
