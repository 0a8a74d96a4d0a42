"""The tracker store keeps every conversation across a shutdown, even one being written right then."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.tracker_store import TrackerStore
from bot.services.conversations import ConversationKey, ConversationStore
from bot.storage import Database
from bot.storage.cipher import load_cipher


async def test_a_shutdown_while_changes_are_being_written_loses_none_of_them(database: Database,
                                                                             tmp_path: Path) -> None:
    store = ConversationStore(database, load_cipher(tmp_path))
    writing, go_on = asyncio.Event(), asyncio.Event()
    write = store.save

    async def slow_save(conversations: dict[ConversationKey, dict]) -> None:
        writing.set()
        await go_on.wait()
        await write(conversations)

    store.save = slow_save  # type: ignore[method-assign]
    trackers = TrackerStore(store, flush_interval=0.01)
    await trackers.start()
    await trackers.save(("rest", "c-1"), {"item_id": "xa-001"})  # not a form: written in the background
    await asyncio.wait_for(writing.wait(), 5)
    closing = asyncio.create_task(trackers.close())
    await asyncio.sleep(0.05)
    go_on.set()
    await asyncio.wait_for(closing, 5)
    loaded = await ConversationStore(database, load_cipher(tmp_path)).load(("rest", "c-1"))
    assert loaded is not None and loaded[0]["item_id"] == "xa-001"
