"""Where conversation state lives between messages, and the per-sender lock that keeps one
citizen's messages in order.

In one process both are in memory; idle conversations are forgotten after `idle_seconds`.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from collections.abc import AsyncIterator
from typing import Any


class InMemoryTrackerStore:
    """Slots per (channel, sender), kept for `idle_seconds` after the last message."""

    def __init__(self, idle_seconds: float = 7200, max_conversations: int = 100_000) -> None:
        self.idle_seconds = idle_seconds
        self.max_conversations = max_conversations
        self._slots: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    def get(self, key: str) -> dict[str, Any]:
        entry = self._slots.get(key)
        if entry is None or time.monotonic() - entry[0] > self.idle_seconds:
            return {}
        return dict(entry[1])

    def save(self, key: str, slots: dict[str, Any]) -> None:
        self._slots[key] = (time.monotonic(), slots)
        self._slots.move_to_end(key)
        while len(self._slots) > self.max_conversations:
            self._slots.popitem(last=False)

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """Hold while handling a message of `key`: the next one of that sender waits its turn."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)
