"""The turn log keeps every turn across a shutdown, even one that comes while a batch is being written."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot.services.turns import TurnLog, TurnRecord
from bot.storage import Database, Turn


def a_turn(sender: str) -> TurnRecord:
    return TurnRecord("rest", sender, "老人证要带啥", "ask_materials", 0.9, "xa-001", "materials", "申请材料…",
                      True, 3.0)


async def test_a_shutdown_while_a_batch_is_being_written_loses_none_of_it(database: Database) -> None:
    writing, go_on = asyncio.Event(), asyncio.Event()
    open_session = database.session

    def slow_session() -> Any:  # the database is slow to take this batch (a busy PostgreSQL, a full disk)
        session = open_session()
        execute = session.execute

        async def held(*args: Any, **kwargs: Any) -> Any:
            writing.set()
            await go_on.wait()
            return await execute(*args, **kwargs)

        session.execute = held  # type: ignore[method-assign]
        return session

    database.session = slow_session  # type: ignore[method-assign]
    turns = TurnLog(database, flush_interval=0.01)
    turns.start()
    turns.record_turn(a_turn("c-1"))
    await asyncio.wait_for(writing.wait(), 5)
    closing = asyncio.create_task(turns.close())  # SIGTERM arrives now
    await asyncio.sleep(0.05)
    go_on.set()
    await asyncio.wait_for(closing, 5)
    database.session = open_session  # type: ignore[method-assign]
    async with database.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Turn)) == 1
