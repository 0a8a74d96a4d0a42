"""Development mode: fetch updates with getUpdates instead of receiving a webhook (no public URL
needed). Telegram refuses getUpdates while a webhook is set, so it is deleted first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram import Bot

from bot.assistant import Assistant
from bot.channels.telegram.updates import UpdateHandler

log = logging.getLogger(__name__)
POLL_SECONDS = 25  # long-poll: Telegram holds the request until an update comes or this passes
RETRY_SECONDS = 5.0


async def poll(bot: Bot, handler: UpdateHandler, assistant: Callable[[], Assistant]) -> None:
    """Feed updates to `handler` until cancelled; a failed call is retried after a pause."""
    offset: int | None = None
    webhook_deleted = False
    while True:
        try:
            if not webhook_deleted:
                await bot.delete_webhook()
                webhook_deleted = True
            updates = await bot.get_updates(offset=offset, timeout=POLL_SECONDS)
        except Exception:  # noqa: BLE001 - network, Telegram or a malformed answer: keep polling
            log.warning("telegram: getUpdates failed; retrying in %.0f s", RETRY_SECONDS, exc_info=True)
            await asyncio.sleep(RETRY_SECONDS)
            continue
        for update in updates:
            offset = update.update_id + 1  # confirms it: Telegram will not send it again
            handler.accept(assistant(), update)
