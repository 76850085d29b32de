"""Page objects: pure functions from a page's text (and URL) to data, one module per platform.

They never fetch; spiders call them, tests feed them saved pages.
"""
