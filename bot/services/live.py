"""Live events inside one process: staff consoles and web-chat pages waiting for news.

A subscriber gets an asyncio queue for a topic ("staff", "citizen:<channel>:<sender>"); publishing
puts the event on every queue of the topic. (Several workers would share this through Redis.)

Publishing never waits and never fails: a subscriber that stops reading (a stalled browser, a slow
courier) only hurts itself. When its queue is full, its waiting events are dropped and replaced by one
`{"type": "missed"}` event, which tells it to catch up from the database (reload the page, collect
every waiting notification) instead of trusting the events it still has.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)

MISSED: dict[str, Any] = {"type": "missed"}


class LiveHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = max(2, queue_size)
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Hand `event` to every subscriber of `topic` now; a full subscriber loses its backlog, not us."""
        for queue in list(self._queues.get(topic, ())):
            try:
                if queue.qsize() >= self.queue_size:
                    _drain(queue)
                    queue.put_nowait(MISSED)
                    log.warning("live: a %s subscriber fell %d events behind; told it to catch up",
                                topic.split(":", 1)[0], self.queue_size)
                queue.put_nowait(event)
            except Exception:  # one subscriber's trouble must never reach a citizen's turn
                log.exception("live: could not hand an event to a %s subscriber", topic.split(":", 1)[0])

    def subscribers(self, topic: str) -> int:
        """How many are listening on `topic` now."""
        return len(self._queues.get(topic, ()))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        # Unbounded for asyncio, bounded by `publish`: put_nowait can never raise QueueFull.
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._queues[topic].add(queue)
        try:
            yield queue
        finally:
            self._queues[topic].discard(queue)
            if not self._queues[topic]:
                self._queues.pop(topic, None)


def _drain(queue: asyncio.Queue[dict[str, Any]]) -> None:
    while True:
        try:
            queue.get_nowait()
        except asyncio.QueueEmpty:
            return


def citizen_topic(channel: str, sender: str) -> str:
    return f"citizen:{channel}:{sender}"


def outbox_topic(channel: str) -> str:
    """Where a channel's courier hears that one of its citizens has a notification waiting."""
    return f"outbox:{channel}"
