"""The courier: pushes a channel's notifications (case status changes, ticket replies, staff
replies) to its citizens the moment they exist, on platforms that have a send API.

A channel gives `run_courier` its own `deliver` (how to reach one citizen); the courier hears the
outbox, collects what waits for that citizen and hands it over. What `deliver` cannot send is put
back, so the citizen still gets it with the answer to their next message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot.assistant import Assistant
from bot.channels import ASSISTANT
from bot.core.agent import Notice
from bot.services.live import outbox_topic

log = logging.getLogger(__name__)

# (assistant, sender, their notices) → the notices it could not deliver
Deliver = Callable[[Assistant, str, list[Notice]], Awaitable[list[Notice]]]


async def _hand_over(assistant: Assistant, channel: str, sender: str | None, deliver: Deliver) -> None:
    try:
        notices = await assistant.notifications(channel, sender)
    except Exception:  # noqa: BLE001 - e.g. the database is away for a moment: they stay waiting
        log.exception("%s: could not collect notifications", channel)
        return
    by_sender: dict[str, list[Notice]] = {}
    for notice in notices:
        by_sender.setdefault(notice.sender, []).append(notice)
    for citizen, waiting in by_sender.items():
        try:
            failed = await deliver(assistant, citizen, waiting)
        except Exception:  # noqa: BLE001 - an unreachable platform must not stop the courier
            log.exception("%s: could not deliver %d notifications", channel, len(waiting))
            failed = waiting
        try:
            await assistant.undelivered(failed)
        except Exception:  # noqa: BLE001 - logged with who is concerned, so staff can follow up by phone
            log.exception("%s: %d notifications for %s… could not be put back", channel, len(failed), citizen[:6])


async def _run(assistant: Assistant, channel: str, deliver: Deliver) -> None:
    async with assistant.live.subscribe(outbox_topic(channel)) as queue:
        await _hand_over(assistant, channel, None, deliver)  # what earlier runs left undelivered
        while True:
            event = await queue.get()
            await _hand_over(assistant, channel, event.get("sender"), deliver)


def run_courier(app: web.Application, channel: str, deliver: Deliver) -> None:
    """Run the courier of `channel` while the app runs (call after the assistant's start-up is registered)."""

    async def courier(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(_run(app[ASSISTANT], channel, deliver))
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    app.cleanup_ctx.append(courier)
