"""Page objects: pure functions from a page's text (and URL) to data, one module per platform.

They never fetch; spiders call them, tests feed them saved pages.
"""
from __future__ import annotations

from collections.abc import Callable

from crawler.pages import generic, gkmlpt, jcms, trs
from crawler.pages.common import Link

DetailParser = Callable[[str, str], tuple[str, dict[str, str], list[Link]]]

# Each platform family's report-page parser, by family name. The store-and-parse helper runs
# the one a capture names (crawler/store_parse_helper.py); a new family adds its line here.
DETAIL_PARSERS: dict[str, DetailParser] = {
    "trs": trs.parse_detail,
    "gkmlpt": gkmlpt.parse_detail,
    "jcms": jcms.parse_detail,
    "generic": generic.parse_detail,
}
