"""What several zwbot workers agree on: whose turn it is in a conversation, and what was seen already.

- `lock(key, lease)`: one holder at a time across every worker. A lease bounds how long a holder that
  died (SIGKILL, lost host) keeps others waiting: its lock expires by itself after `lease` seconds.
- `first_time(key, ttl)`: True for the first caller only, for `ttl` seconds (delivery dedupe of the
  platforms' retries, which may reach another worker).
- `count(key, window, add)`: how many events of `key` happened in the last `window` seconds, after
  counting one more when `add` (per-address limits every worker enforces together).
- `put(key, value, ttl)` / `get(key)`: a small value every worker can read for `ttl` seconds (the
  passive answer to a delivery, for a retry that reaches another worker).

`LocalCoordination` is for one process (asyncio only); `RedisCoordination` shares the same through
Redis (a queue and SET NX PX in one script per try, SET NX EX), for `zwbot run --workers N` and
several hosts. Locks are first come, first served in both: a citizen's messages run in the order
they arrived.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # redis is imported only by a process that coordinates with others
    from redis.asyncio import Redis


REDIS_CONNECTIONS = 64  # per worker; a command waits for a free one rather than failing
REDIS_WAIT_SECONDS = 2.0


def shared_redis(url: str, socket_timeout: float | None = 2) -> Redis:
    """A Redis client whose commands, when every connection is busy (hundreds of citizens at once),
    wait up to REDIS_WAIT_SECONDS for one: redis-py's default pool refuses the 101st at once.
    `socket_timeout` None for a subscriber, whose reads wait for as long as nothing is published."""
    from redis.asyncio import BlockingConnectionPool, Redis

    return Redis(connection_pool=BlockingConnectionPool.from_url(
        url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_SECONDS, socket_timeout=socket_timeout,
        socket_connect_timeout=2))


LOCK_POLL_SECONDS = 0.01

# KEYS: queue, lock. ARGV: waiter, stale after (ms), lease (ms). Joins the queue on the first call;
# takes the lock (and leaves the queue) when first in it and the lock is free. 1 when taken.
_TAKE_IN_TURN = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], 'NX', ms, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if first == ARGV[1] and redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[3]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
"""
# KEYS: queue, lock. ARGV: waiter. Leaves the queue; frees the lock only if it is still this one's.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then return redis.call('DEL', KEYS[2]) end
return 0
"""


class CoordinationUnavailable(Exception):
    """The shared coordination (Redis) cannot be reached: no turn may run without its lock."""


class Coordination(Protocol):
    def lock(self, key: str, lease: float, wait: float) -> AbstractAsyncContextManager[None]:
        """Hold `key` (waiting at most `wait` seconds: TimeoutError); released on exit or after `lease`."""
        ...

    async def first_time(self, key: str, ttl: float) -> bool: ...

    async def count(self, key: str, window: float, add: bool) -> int: ...

    async def put(self, key: str, value: bytes, ttl: float) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def close(self) -> None: ...


class LocalCoordination:
    """One process: an asyncio lock per key, and a dict of keys seen with their expiry."""

    def __init__(self, max_seen: int = 100_000) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._seen: dict[str, float] = {}
        self._values: dict[str, tuple[float, bytes]] = {}
        self._events: dict[str, deque[float]] = {}
        self.max_seen = max_seen

    @asynccontextmanager
    async def lock(self, key: str, lease: float, wait: float) -> AsyncIterator[None]:
        # One process cannot die and leave its lock behind, so the lease is not needed here.
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        try:
            async with asyncio.timeout(wait):
                await lock.acquire()
            try:
                yield
            finally:
                lock.release()
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)

    async def first_time(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        if self._seen.get(key, 0.0) > now:
            return False
        self._seen[key] = now + ttl
        if len(self._seen) > self.max_seen:  # drop the expired, then the oldest
            self._seen = {k: until for k, until in self._seen.items() if until > now}
            while len(self._seen) > self.max_seen:
                self._seen.pop(next(iter(self._seen)))
        return True

    async def count(self, key: str, window: float, add: bool) -> int:
        now = time.monotonic()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] > window:
            events.popleft()
        if add:
            events.append(now)
        if not events:
            del self._events[key]  # forget quiet keys: the map stays small
        return len(events)

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self._values[key] = (time.monotonic() + ttl, value)
        if len(self._values) > self.max_seen:
            now = time.monotonic()
            self._values = {k: kept for k, kept in self._values.items() if kept[0] > now}

    async def get(self, key: str) -> bytes | None:
        kept = self._values.get(key)
        return kept[1] if kept is not None and kept[0] > time.monotonic() else None

    async def close(self) -> None:
        return None


class RedisCoordination:
    """Several workers: locks and seen-keys in Redis under `prefix`."""

    def __init__(self, redis: Redis, prefix: str = "zwbot:") -> None:
        self.redis = redis
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str) -> RedisCoordination:
        return cls(shared_redis(url))

    @asynccontextmanager
    async def lock(self, key: str, lease: float, wait: float) -> AsyncIterator[None]:
        """First come, first served: a waiter joins the key's queue (ordered by Redis's own clock, the
        same for every worker and host) and takes the lock only when it is first in the queue."""
        from redis.exceptions import RedisError

        me, lock, queue = uuid.uuid4().hex, f"{self.prefix}lock:{key}", f"{self.prefix}queue:{key}"
        # A waiter that died while waiting is dropped from the queue once older than any live one can be.
        stale_ms, lease_ms = int((wait + 1) * 1000), max(int(lease * 1000), 1)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        taken = False
        try:
            while not (taken := bool(await self.redis.eval(_TAKE_IN_TURN, 2, queue, lock, me, stale_ms, lease_ms))):
                if loop.time() >= deadline:
                    break
                await asyncio.sleep(LOCK_POLL_SECONDS)
        except (RedisError, OSError) as error:
            raise CoordinationUnavailable(str(error)) from error
        finally:
            if not taken:  # gave up, or the turn was cancelled while waiting: out of the queue
                await self._leave(queue, lock, me)
        if not taken:  # raised here, not in the try: TimeoutError is an OSError too
            raise TimeoutError(f"{key} is held by another worker")
        try:
            yield
        finally:
            await self._leave(queue, lock, me)

    async def _leave(self, queue: str, lock: str, me: str) -> None:
        """Out of the queue, and the lock freed if it is still ours (its lease may have run out and
        another holds it now)."""
        from redis.exceptions import RedisError

        try:
            await self.redis.eval(_LEAVE, 2, queue, lock, me)
        except (RedisError, OSError):
            pass  # Redis went away: the queue entry and the lock expire by themselves

    async def first_time(self, key: str, ttl: float) -> bool:
        from redis.exceptions import RedisError

        try:
            return bool(await self.redis.set(f"{self.prefix}seen:{key}", b"1", nx=True, px=max(int(ttl * 1000), 1)))
        except (RedisError, OSError) as error:
            raise CoordinationUnavailable(str(error)) from error

    async def count(self, key: str, window: float, add: bool) -> int:
        from redis.exceptions import RedisError

        name, now = f"{self.prefix}events:{key}", time.time()
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(name, 0, now - window)
                if add:
                    pipe.zadd(name, {uuid.uuid4().hex: now})
                pipe.zcard(name)
                pipe.pexpire(name, max(int(window * 1000), 1))
                results = await pipe.execute()
        except (RedisError, OSError) as error:
            raise CoordinationUnavailable(str(error)) from error
        return int(results[-2])

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        from redis.exceptions import RedisError

        try:
            await self.redis.set(f"{self.prefix}value:{key}", value, px=max(int(ttl * 1000), 1))
        except (RedisError, OSError) as error:
            raise CoordinationUnavailable(str(error)) from error

    async def get(self, key: str) -> bytes | None:
        from redis.exceptions import RedisError

        try:
            value = await self.redis.get(f"{self.prefix}value:{key}")
        except (RedisError, OSError) as error:
            raise CoordinationUnavailable(str(error)) from error
        return None if value is None else value if isinstance(value, bytes) else str(value).encode()

    async def ping(self) -> bool:
        from redis.exceptions import RedisError

        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self.redis.aclose()
