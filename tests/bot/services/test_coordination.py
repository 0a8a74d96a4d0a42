"""Coordination between workers, on a real Redis (and the one-process stand-in, which must agree)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.services.coordination import (
    Coordination,
    CoordinationUnavailable,
    LocalCoordination,
    RedisCoordination,
)

REDIS_URL = os.environ.get("ZWBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _redis_workers(count: int) -> list[RedisCoordination]:
    """`count` workers, each with its own connection, sharing one key space for this test."""
    prefix = f"zwbot-test-{uuid.uuid4().hex[:8]}:"
    workers = []
    for _ in range(count):
        worker = RedisCoordination.from_url(REDIS_URL)
        worker.prefix = prefix
        workers.append(worker)
    if not await workers[0].ping():
        pytest.skip(f"no Redis at {REDIS_URL}")
    return workers


@pytest_asyncio.fixture(params=["local", "redis"])
async def workers(request: pytest.FixtureRequest) -> AsyncIterator[list[Coordination]]:
    if request.param == "local":
        shared = LocalCoordination()
        yield [shared, shared]
        return
    made = await _redis_workers(2)
    yield list(made)
    for worker in made:
        await worker.close()


async def test_one_holder_at_a_time_and_in_turn(workers: list[Coordination]) -> None:
    inside: list[str] = []
    overlaps = 0

    async def turn(worker: Coordination, name: str) -> None:
        nonlocal overlaps
        async with worker.lock("rest:citizen-1", lease=5, wait=5):
            overlaps += bool(inside)
            inside.append(name)
            await asyncio.sleep(0.05)
            inside.remove(name)

    await asyncio.gather(*(turn(workers[n % 2], f"t{n}") for n in range(6)))
    assert overlaps == 0


async def test_a_lock_held_too_long_makes_the_next_turn_wait_then_give_up(workers: list[Coordination]) -> None:
    async with workers[0].lock("rest:citizen-2", lease=5, wait=1):
        with pytest.raises(TimeoutError):
            async with workers[1].lock("rest:citizen-2", lease=5, wait=0.2):
                pass
    async with workers[1].lock("rest:citizen-2", lease=5, wait=0.2):
        pass  # free again once released


async def test_a_dead_workers_lock_expires_with_its_lease() -> None:
    dead, alive = await _redis_workers(2)
    held = dead.lock("rest:citizen-3", lease=0.5, wait=1)
    await held.__aenter__()  # a worker killed mid-turn: it never releases
    await dead.close()
    started = asyncio.get_running_loop().time()
    async with alive.lock("rest:citizen-3", lease=5, wait=3):
        waited = asyncio.get_running_loop().time() - started
    assert 0.2 < waited < 2.5
    await alive.close()


async def test_a_delivery_is_taken_once_whichever_worker_it_reaches(workers: list[Coordination]) -> None:
    key = f"wechat:msg:{uuid.uuid4().hex}"
    taken = await asyncio.gather(*(workers[n % 2].first_time(key, ttl=30) for n in range(5)))
    assert sorted(taken) == [False, False, False, False, True]
    assert await workers[0].first_time(key + "-other", ttl=30)


async def test_without_redis_no_turn_runs_unlocked() -> None:
    gone = RedisCoordination.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    with pytest.raises(CoordinationUnavailable):
        async with gone.lock("rest:citizen-4", lease=5, wait=0.5):
            pytest.fail("a turn ran without its lock")
    with pytest.raises(CoordinationUnavailable):
        await gone.first_time("wechat:msg:1", ttl=30)
    await gone.close()


async def test_hundreds_of_citizens_at_once_wait_for_a_connection_instead_of_failing() -> None:
    """A busy hour: more Redis commands in flight in one worker than it keeps connections for. Each
    waits its turn for a connection; none fails (a failure would be an HTTP 500 to WeChat)."""
    worker, = await _redis_workers(1)
    key = f"wechat:msg:{uuid.uuid4().hex}"
    taken = await asyncio.gather(*(worker.first_time(f"{key}:{n % 150}", ttl=30) for n in range(300)))
    assert sum(taken) == 150  # each delivery taken once, the other 150 seen as the retries they are
    await worker.close()


async def test_a_citizens_waiting_messages_are_taken_in_the_order_they_came(workers: list[Coordination]) -> None:
    """Messages of one citizen that arrive while a turn runs (on either worker) wait, and then run in
    the order they arrived, not in whichever order their workers happen to look again."""
    taken: list[int] = []

    async def turn(number: int) -> None:
        await asyncio.sleep(0.03 * number)  # arrival order: 0, 1, 2, …
        async with workers[number % 2].lock("wechat:citizen-fifo", lease=5, wait=5):
            taken.append(number)
            await asyncio.sleep(0.4 if number == 0 else 0.01)  # the first turn is slow: the rest queue up

    await asyncio.gather(*(turn(n) for n in range(8)))
    assert taken == list(range(8))


async def test_a_message_given_up_while_waiting_does_not_hold_up_the_next(workers: list[Coordination]) -> None:
    """A turn cancelled while it waits for the lock (the busy limit ran out) leaves the queue: the
    citizen's next message is not stuck behind it."""
    key = f"wechat:citizen-{uuid.uuid4().hex[:6]}"
    release = asyncio.Event()

    async def holder() -> None:
        async with workers[0].lock(key, lease=5, wait=5):
            await release.wait()

    async def waiter() -> None:
        async with workers[1].lock(key, lease=5, wait=5):
            pass

    held = asyncio.create_task(holder())
    await asyncio.sleep(0.05)
    given_up = asyncio.create_task(waiter())
    await asyncio.sleep(0.05)
    given_up.cancel()
    await asyncio.gather(given_up, return_exceptions=True)
    release.set()
    await held
    async with workers[0].lock(key, lease=5, wait=0.5):  # not behind the cancelled one (stale only after 6 s)
        pass
