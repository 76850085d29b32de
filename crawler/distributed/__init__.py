"""`xxgk crawl --distributed`: scrapy-redis mode, many workers sharing one crawl (docs/scaling.md).

Owns `roles` (settings overlay, seed, command line), `worker` (one Scrapy crawler per site a
worker takes), `leases` (shared queue, duplicate filter, request leases) and `hostlimit`
(per-host politeness across workers). May import `crawler` (not `crawler.run`) and `archive.store`.
Without `--distributed` (and without `XXGK_DISTRIBUTED=1`) nothing here is loaded.
"""
