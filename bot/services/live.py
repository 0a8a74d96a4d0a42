"""Live events inside one process: staff consoles and web-chat pages waiting for news.

A subscriber gets an asyncio queue for a topic ("staff", "citizen:<channel>:<sender>"); publishing
puts the event on every queue of the topic. (Several workers would share this through Redis.)
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class LiveHub:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        for queue in list(self._queues.get(topic, ())):
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._queues[topic].add(queue)
        try:
            yield queue
        finally:
            self._queues[topic].discard(queue)
            if not self._queues[topic]:
                self._queues.pop(topic, None)


def citizen_topic(channel: str, sender: str) -> str:
    return f"citizen:{channel}:{sender}"


def outbox_topic(channel: str) -> str:
    """Where a channel's courier hears that one of its citizens has a notification waiting."""
    return f"outbox:{channel}"
