"""Live events: a subscriber that stops reading hurts only itself, never a citizen's turn."""

from __future__ import annotations

import asyncio

from bot.services.live import MISSED, LiveHub
from tests.bot.channels.test_handoff_http import say


async def test_a_stalled_subscriber_loses_its_backlog_and_is_told_so() -> None:
    hub = LiveHub(queue_size=10)
    async with hub.subscribe("staff") as stalled, hub.subscribe("staff") as reading:
        for n in range(25):
            hub.publish("staff", {"type": "message", "n": n})
            assert (await asyncio.wait_for(reading.get(), 1))["n"] == n  # a reader misses nothing
        assert stalled.qsize() <= 11
        backlog = [stalled.get_nowait() for _ in range(stalled.qsize())]
        assert backlog[0] == MISSED and backlog[-1] == {"type": "message", "n": 24}
        hub.publish("staff", {"type": "message", "n": 25})
        assert stalled.get_nowait() == {"type": "message", "n": 25}  # once it reads again, it is live again


async def test_handoffs_still_answer_while_a_staff_console_has_stopped_reading(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    async with assistant.live.subscribe("staff") as stalled, assistant.live.subscribe("staff") as reading:
        for n in range(assistant.live.queue_size * 3):
            assistant.live.publish("staff", {"type": "flagged", "n": n})
        while not reading.empty():
            reading.get_nowait()
        started = await say(http, sender, "转人工")
        assert "已为您转接人工客服" in started[0]["text"]
        handoff_id = await assistant.workflows.handoffs.open_for("rest", sender)
        assert await asyncio.wait_for(reading.get(), 5) == {"type": "handoff", "id": handoff_id}
        assert stalled.qsize() <= assistant.live.queue_size + 1
