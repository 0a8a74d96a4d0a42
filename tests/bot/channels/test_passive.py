"""Passive replies when WeChat's or Weibo's retry reaches another worker (a real Redis between them)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from bot.channels.passive import CLAIM_MARGIN, PassiveReplies
from bot.services.coordination import RedisCoordination

REDIS_URL = os.environ.get("ZWBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _workers() -> tuple[RedisCoordination, RedisCoordination]:
    prefix = f"zwbot-test-{uuid.uuid4().hex[:8]}:"
    first, second = RedisCoordination.from_url(REDIS_URL), RedisCoordination.from_url(REDIS_URL)
    first.prefix = second.prefix = prefix
    if not await first.ping():
        pytest.skip(f"no Redis at {REDIS_URL}")
    return first, second


async def test_a_retry_on_another_worker_gets_the_same_answer_and_the_turn_runs_once() -> None:
    redis_a, redis_b = await _workers()
    runs = 0

    async def turn() -> list[str]:
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.3)
        return ["【老年人优待证办理】需要准备以下 5 项材料"]

    worker_a, worker_b = PassiveReplies(2.0, None), PassiveReplies(2.0, None)
    first = asyncio.create_task(worker_a.answer("o1|m1", "o1", turn, redis_a))
    await asyncio.sleep(0.05)
    retried = await worker_b.answer("o1|m1", "o1", turn, redis_b)
    assert await first == retried == "【老年人优待证办理】需要准备以下 5 项材料" and runs == 1
    assert await worker_b.answer("o1|m1", "o1", turn, redis_b) == retried and runs == 1  # a third try later
    await redis_a.close()
    await redis_b.close()


async def test_a_delivery_whose_worker_died_is_taken_over_by_the_retry() -> None:
    redis_a, redis_b = await _workers()
    budget = 0.3
    assert await redis_a.first_time("claim:o2|m2", budget + CLAIM_MARGIN)  # worker A took it, then was killed
    runs = 0

    async def turn() -> list[str]:
        nonlocal runs
        runs += 1
        return ["请问您要咨询哪个事项？"]

    worker_b = PassiveReplies(budget, None)
    assert await worker_b.answer("o2|m2", "o2", turn, redis_b) is None  # WeChat's 2nd try: A's claim holds
    await asyncio.sleep(CLAIM_MARGIN)
    assert await worker_b.answer("o2|m2", "o2", turn, redis_b) == "请问您要咨询哪个事项？"  # the 3rd try
    assert runs == 1
    await redis_a.close()
    await redis_b.close()
