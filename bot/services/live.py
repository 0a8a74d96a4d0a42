"""Live events: staff consoles, web-chat pages and channel couriers waiting for news.

A subscriber gets an asyncio queue for a topic ("staff", "citizen:<channel>:<sender>"); publishing
puts the event on every queue of the topic. With several workers a `RedisRelay` carries every event to
the other workers too (Redis pub/sub), so a staff reply typed on a console that worker A serves reaches
a citizen whose page is connected to worker B.

Publishing never waits and never fails: a subscriber that stops reading (a stalled browser, a slow
courier) only hurts itself. When its queue is full, its waiting events are dropped and replaced by one
`{"type": "missed"}` event, which tells it to catch up from the database (reload the page, collect
every waiting notification) instead of trusting the events it still has.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.services.coordination import shared_redis

log = logging.getLogger(__name__)

MISSED: dict[str, Any] = {"type": "missed"}


class LiveHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self.queue_size = max(2, queue_size)
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self.relay: RedisRelay | None = None  # set by RedisRelay.start

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Hand `event` to every subscriber of `topic` now (and, with a relay, to the other workers'); a full
        subscriber loses its backlog, not us."""
        self.deliver(topic, event)
        if self.relay is not None:
            self.relay.send(topic, event)

    def deliver(self, topic: str, event: dict[str, Any]) -> None:
        """Hand `event` to this process's subscribers of `topic`."""
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


class RedisRelay:
    """Carries a hub's events to the hubs of the other workers over one Redis pub/sub channel.

    Sending never waits for Redis (a turn must not); an event that cannot be sent is logged and lost
    to the other workers only (subscribers catch up from the database on their next look). When
    Redis goes away the listener reconnects by itself."""

    CHANNEL = "zwbot:live"

    def __init__(self, url: str, hub: LiveHub) -> None:
        self.redis = shared_redis(url, socket_timeout=None)
        self.hub = hub
        self.origin = uuid.uuid4().hex  # this worker: its own events come back from Redis and are skipped
        self._listener: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self.subscribed = asyncio.Event()

    async def start(self) -> None:
        self.hub.relay = self
        self._listener = asyncio.get_running_loop().create_task(self._listen())

    def send(self, topic: str, event: dict[str, Any]) -> None:
        message = json.dumps({"origin": self.origin, "topic": topic, "event": event}, ensure_ascii=False, default=str)
        task = asyncio.get_running_loop().create_task(self._publish(message))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, message: str) -> None:
        try:
            await self.redis.publish(self.CHANNEL, message)
        except Exception:  # noqa: BLE001 - see the class docstring
            log.warning("live: could not relay an event to the other workers (Redis unavailable)")

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.CHANNEL)
                    self.subscribed.set()
                    async for message in pubsub.listen():
                        self._receive(message.get("data"))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis went away: try again shortly
                self.subscribed.clear()
                log.warning("live: lost the relay from the other workers; reconnecting")
                await asyncio.sleep(1.0)

    def _receive(self, data: Any) -> None:
        try:
            message = json.loads(data)
        except (TypeError, ValueError):
            return
        if isinstance(message, dict) and message.get("origin") != self.origin and isinstance(message.get("topic"), str):
            self.hub.deliver(message["topic"], message.get("event") or {})

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            try:
                await self._listener
            except asyncio.CancelledError:
                pass
        self.hub.relay = None
        await self.redis.aclose()


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
