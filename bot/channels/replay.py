"""Memory of signed webhook requests, so a captured signed URL cannot be replayed with another body.

WeChat's plain mode and Weibo sign only the query (timestamp + nonce), never the body: whoever sees
one signed URL could POST anything under it while its timestamp is fresh. Each (timestamp, nonce)
is therefore remembered with a hash of the body it first came with, for as long as its timestamp
can still pass the freshness check. The same pair with the same body is the platform's own retry
and passes (the dedupe of passive replies then gives it the same answer); the same pair with a
different body is refused.

`ReplayMemory` keeps this in the process, bounded. Several workers need a shared memory: anything
with the `ReplayGuard` shape (e.g. Redis `SET key digest NX EX window`, then compare on a miss) can
replace it without touching the channels.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

DEFAULT_WINDOW_SECONDS = 600.0  # used when a channel's timestamp check is off
MAX_ENTRIES = 100_000  # about 330 signed requests a second for 5 minutes


class ReplayGuard(Protocol):
    async def admit(self, timestamp: str, nonce: str, body: bytes) -> bool:
        """False when this (timestamp, nonce) was already seen with a different body."""
        ...


def window_for(max_skew: int) -> float:
    """How long a pair must be remembered: a timestamp up to `max_skew` seconds ahead of the clock
    stays fresh until `max_skew` seconds after it, so twice the skew from the first sighting."""
    return 2.0 * max_skew if max_skew > 0 else DEFAULT_WINDOW_SECONDS


class ReplayMemory:
    """In-process `ReplayGuard`. Entries expire `window` seconds after they were first seen; when
    more than `limit` are live the oldest are forgotten (only correctly signed requests get in, so
    only real traffic can fill it)."""

    def __init__(self, window: float, limit: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self.limit, self.clock = window, limit, clock
        # Insertion order is expiry order, since every entry lives the same `window`.
        self._seen: OrderedDict[tuple[str, str], tuple[bytes, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    async def admit(self, timestamp: str, nonce: str, body: bytes) -> bool:
        now = self.clock()
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if oldest[1] > now:
                break
            self._seen.popitem(last=False)
        digest = hashlib.sha256(body).digest()
        seen = self._seen.get((timestamp, nonce))
        if seen is not None:
            return seen[0] == digest
        self._seen[(timestamp, nonce)] = (digest, now + self.window)
        while len(self._seen) > self.limit:
            self._seen.popitem(last=False)
        return True
