"""Page objects: pure functions from a page's text (and URL) to data, one module per platform.

They never fetch; spiders call them, tests feed them saved pages. Every family names its
parsers alike: `parse_list(text, url) -> <Family>List` for a list page (gkmlpt: a page of its
list API) and `parse_detail(html, url) -> (title, metadata, attachment links)` for a report page.
"""
