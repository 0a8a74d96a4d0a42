"""Where conversation state lives between messages, and the per-sender lock that keeps one
citizen's messages in order.

Slots are kept in memory for speed and in the database (`ConversationStore`) so that a crash or a
restart loses no half-filled form. A turn that changes an open form (the answers so far, the
question pending) is written before its answer leaves; other changes (the item talked about, the
buttons or the rating just offered) are written in the background within `flush_interval` seconds.
Conversations idle for longer than `idle_seconds` start afresh.

With one process, that process owns the table: a conversation the table did not hold at start-up,
and that this process has not written, is new, and costs no database read. With several workers
(`shared`), any worker may have written last: every turn reads the conversation from the table and
writes it back before its answer leaves, under the conversation's lock held in Redis
(bot/services/coordination.py), so a citizen's messages are handled one at a time on whichever worker.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

from bot.services.conversations import ConversationKey, ConversationStore
from bot.services.coordination import Coordination, LocalCoordination

log = logging.getLogger(__name__)

# Slots whose change is written before the answer: losing them would lose what the citizen told us.
DURABLE_SLOTS = ("form", "paused_forms")


def _durable_copy(slots: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of the durable slots (actions change a form in place)."""
    return {name: copy.deepcopy(slots[name]) for name in DURABLE_SLOTS if name in slots}


class TrackerStore:
    def __init__(self, store: ConversationStore | None, idle_seconds: float = 7200,
                 max_cached: int = 100_000, flush_interval: float = 0.2, flush_batch: int = 50,
                 coordination: Coordination | None = None, shared: bool = False, lease: float = 10.0) -> None:
        """`store` None keeps conversations in memory only (tests of the core without a database).
        `shared`: other workers use the same table (needs `store` and a shared `coordination`); `lease`:
        how long a worker that died mid-turn keeps its citizen waiting."""
        if shared and store is None:
            raise ValueError("a shared tracker store needs the conversations table")
        self.store = store
        self.coordination: Coordination = coordination or LocalCoordination()
        self.shared = shared
        self.lease = lease
        self.idle_seconds = idle_seconds
        self.max_cached = max_cached
        self.flush_interval = flush_interval
        self.flush_batch = flush_batch
        self._cache: OrderedDict[ConversationKey, tuple[float, dict[str, Any]]] = OrderedDict()
        self._dirty: dict[ConversationKey, dict[str, Any]] = {}
        self._stored: set[ConversationKey] = set()  # in the table and not in the cache: read on demand
        self._task: asyncio.Task[None] | None = None
        self._flushing = asyncio.Lock()

    async def get(self, key: ConversationKey) -> dict[str, Any]:
        """A copy of the conversation's slots ({} for a new or long-idle conversation); changing it
        changes nothing kept until it is saved."""
        if self.shared:
            return await self._load_shared(key)
        entry = self._cache.get(key)
        if entry is None and key in self._dirty:  # evicted from the cache before its background write
            entry = (time.monotonic(), self._dirty[key])
        if entry is None and key in self._stored and self.store is not None:
            loaded = await self.store.load(key)
            if loaded is not None:
                slots, written = loaded
                age = (datetime.now(timezone.utc) - written).total_seconds()
                entry = (time.monotonic() - age, slots)
                self._remember(key, entry)
        if entry is None or time.monotonic() - entry[0] > self.idle_seconds:
            return {}
        # Actions change a form in place: the kept one must stay as it was until `save` succeeds.
        return {**entry[1], **_durable_copy(entry[1])}

    async def save(self, key: ConversationKey, slots: dict[str, Any]) -> None:
        """Keep `slots`. When a durable slot differs from the one kept so far the write reaches the
        database before this returns (and raises if it cannot: the caller must not claim the turn happened)."""
        if self.shared and self.store is not None:
            await self.store.save({key: slots})  # the next message may reach another worker
            return
        entry = self._cache.get(key)
        kept = entry[1] if entry is not None else self._dirty.get(key, {})
        if self.store is not None and any(slots.get(name) != kept.get(name) for name in DURABLE_SLOTS):
            await self.store.save({key: slots})
            self._dirty.pop(key, None)
        elif self.store is not None:
            self._dirty[key] = slots
        self._remember(key, (time.monotonic(), slots))

    def _remember(self, key: ConversationKey, entry: tuple[float, dict[str, Any]]) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self.max_cached:
            evicted, _ = self._cache.popitem(last=False)
            self._stored.add(evicted)

    async def _load_shared(self, key: ConversationKey) -> dict[str, Any]:
        assert self.store is not None
        loaded = await self.store.load(key)
        if loaded is None:
            return {}
        slots, written = loaded
        return slots if (datetime.now(timezone.utc) - written).total_seconds() <= self.idle_seconds else {}

    @asynccontextmanager
    async def lock(self, key: ConversationKey) -> AsyncIterator[None]:
        """Hold while handling a message of `key`: the next one of that sender waits its turn (on any
        worker; CoordinationUnavailable when the shared locks cannot be reached)."""
        async with self.coordination.lock(f"conversation:{key[0]}:{key[1]}", self.lease, wait=self.lease):
            yield

    async def start(self) -> None:
        """Learn which conversations the table holds that are recent enough to go on; start writing."""
        if self.store is None or self.shared:
            return
        self._stored = set(await self.store.recent(self.idle_seconds))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def flush(self, limit: int | None = None) -> None:
        """Write the changes kept so far (the oldest `limit` of them); a failed write is kept for the
        next try."""
        if self.store is None:
            return
        async with self._flushing:
            keys = list(self._dirty)[:limit]
            dirty = {key: self._dirty.pop(key) for key in keys}
            try:
                await self.store.save(dirty)
            except Exception:
                log.warning("could not write %d conversations; will retry", len(dirty), exc_info=True)
                self._dirty = {**dirty, **self._dirty}

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            if self._dirty:
                # A few rows at a time: encrypting and writing a large batch would hold up the turns
                # waiting on this event loop; under a burst the backlog (latest slots per citizen) waits.
                await self.flush(self.flush_batch)

    async def close(self) -> None:
        """Stop the background writer and write every change kept so far."""
        if self._task is not None:
            # Changes being written are held by the task alone: cancelling it mid-write would drop them.
            async with self._flushing:
                self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()
