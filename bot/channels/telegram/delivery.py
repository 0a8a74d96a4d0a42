"""Sending to a Telegram chat: a turn's answer, and notifications outside a turn (staff replies,
ticket updates, case status changes) through the courier. Telegram has no reply window, so every
notification can go out the moment it exists."""

from __future__ import annotations

import logging

from telegram import Bot

from bot.core.messages import BotMessage
from bot.assistant import Assistant
from bot.channels.telegram.buttons import ButtonPayloads
from bot.channels.telegram.formatting import outgoing
from bot.core.agent import Notice

log = logging.getLogger(__name__)
CHANNEL = "telegram"


async def send_messages(bot: Bot, chat_id: str, messages: list[BotMessage], payloads: ButtonPayloads) -> None:
    """sendMessage for each part, in order; raises telegram.error.TelegramError when one fails (and
    CoordinationUnavailable when the buttons' tokens cannot be shared with the other workers)."""
    parts = outgoing(messages, payloads)
    await payloads.share()
    for message in parts:
        await bot.send_message(chat_id=chat_id, text=message.text, reply_markup=message.keyboard)


class TelegramCourier:
    """The Telegram channel's `deliver` for the courier."""

    def __init__(self, bot: Bot, payloads: ButtonPayloads) -> None:
        self.bot, self.payloads = bot, payloads

    async def __call__(self, assistant: Assistant, chat_id: str, notices: list[Notice]) -> list[Notice]:
        for sent, notice in enumerate(notices):
            try:
                await send_messages(self.bot, chat_id, [notice.message], self.payloads)
            except Exception:  # noqa: BLE001 - what is not sent waits for the citizen's next message
                # Returned rather than raised: raising would put back the ones already sent as well.
                log.exception("telegram: could not deliver %d notifications", len(notices) - sent)
                return notices[sent:]
        return []
