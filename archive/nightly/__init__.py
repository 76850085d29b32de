"""`xxgk nightly`: run lock, crawl every site, build, per-site health summary.

Owns `run` (the command and its child crawl process) and `lock` (one nightly at a time,
stale locks of killed holders cleared). The orchestration layer on top of everything:
may import `crawler` (to crawl), `archive.build` (to build, health verdicts) and `archive.store`.
"""
