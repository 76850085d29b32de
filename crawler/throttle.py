"""AutoThrottle that paces a host by its typical answer time, not by its slowest URL.

Scrapy's AutoThrottle sets a host's delay to the latency of the last response whenever that is
larger than the current delay, and never lowers it on a non-200 answer. One report URL that
hangs 40 s before answering (a stuck PDF export, a page behind a slow backend) therefore paces
the whole portal at one request per 40 s, and if the portal then answers a burst of 5xx, the
delay stays there: a site of 20 pending requests with four tries each needs most of an hour,
making 0 pages a minute while the portal is up (issue 19).

Here the target delay follows the **median latency of the host's last `WINDOW` answers**: one
slow URL does not move it, a host that is slow on most answers does within three. The rest is
AutoThrottle's policy unchanged: the mean of the old delay and the target, never below
DOWNLOAD_DELAY or above AUTOTHROTTLE_MAX_DELAY, and no decrease on a non-200 answer.
"""
from __future__ import annotations

import statistics
from collections import deque
from typing import TYPE_CHECKING

from scrapy.extensions.throttle import AutoThrottle

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.http import Response

WINDOW = 5


class HostThrottle(AutoThrottle):
    """Registered in place of Scrapy's AutoThrottle (crawler/settings.py EXTENSIONS)."""

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        recent = self._recent(slot)
        recent.append(latency)
        super()._adjust_delay(slot, statistics.median(recent), response)

    @staticmethod
    def _recent(slot: Slot) -> deque[float]:
        """The slot's last answer times, kept on the slot (it lives as long as the host's queue)."""
        recent = getattr(slot, "xxgk_latencies", None)
        if recent is None:
            recent = deque(maxlen=WINDOW)
            slot.xxgk_latencies = recent  # type: ignore[attr-defined]
        return recent
