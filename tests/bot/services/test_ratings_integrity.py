"""好差评 integrity and the citizen's ticket limits, at the services layer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.services.intake import TicketQuota
from bot.services.ratings import AlreadyRated, RatingService
from bot.services.tickets import TicketService
from bot.storage import Rating


async def test_a_subject_takes_one_rating(database) -> None:  # type: ignore[no-untyped-def]
    tickets = TicketService(database)
    ratings = RatingService(database, tickets)
    first = await ratings.rate(1, subject="ticket:TS20261201-0001", channel="rest", sender="a", reason="没解决",
                               department="市民政局", dedupe_key="k1")
    assert first is not None and first.kind == "rectification"
    for sender, level in (("a", 5), ("b", 1)):  # again, or from anyone else
        with pytest.raises(AlreadyRated):
            await ratings.rate(level, subject="ticket:TS20261201-0001", channel="rest", sender=sender, department="市民政局",
                                dedupe_key="k2")
    async with database.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Rating)) == 1
    assert len(await tickets.list()) == 1


async def test_ticket_quota_per_sender_and_per_client(database) -> None:  # type: ignore[no-untyped-def]
    tickets = TicketService(database)
    quota = TicketQuota(database, per_sender_per_day=2, per_client_per_hour=3)
    for n in range(2):
        assert not await quota.refuses("rest", "citizen", None)
        await tickets.create("complaint", f"投诉{n}", department="市民政局", channel="rest", sender="citizen",
                             dedupe_key=f"c{n}")
    assert await quota.refuses("rest", "citizen", None)
    assert not await quota.refuses("wechat", "citizen", None)  # another citizen on another channel
    await tickets.create("consultation", "咨询", department="市民政局", channel="rest", sender="other",
                         dedupe_key="q")
    assert not await quota.refuses("rest", "other", None)  # staff-side consultation tickets do not count
    for _ in range(3):
        assert not await quota.refuses("rest", "fresh", "203.0.113.5")
        await quota.opened("203.0.113.5")
    assert await quota.refuses("rest", "fresh-again", "203.0.113.5")
    assert not await quota.refuses("rest", "fresh-again", "198.51.100.1")


async def test_the_per_address_limit_counts_tickets_filed_on_every_worker(database) -> None:  # type: ignore[no-untyped-def]
    import os
    import uuid

    from bot.services.coordination import RedisCoordination

    url = os.environ.get("ZWBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_a, redis_b = RedisCoordination.from_url(url), RedisCoordination.from_url(url)
    redis_a.prefix = redis_b.prefix = f"zwbot-test-{uuid.uuid4().hex[:8]}:"
    if not await redis_a.ping():
        pytest.skip("no Redis")
    worker_a = TicketQuota(database, per_sender_per_day=10, per_client_per_hour=3, coordination=redis_a)
    worker_b = TicketQuota(database, per_sender_per_day=10, per_client_per_hour=3, coordination=redis_b)
    for worker in (worker_a, worker_b, worker_a):
        assert not await worker.refuses("rest", f"c-{uuid.uuid4().hex[:6]}", "203.0.113.9")
        await worker.opened("203.0.113.9")
    assert await worker_b.refuses("rest", "someone-new", "203.0.113.9")
    await redis_a.close()
    await redis_b.close()
