"""zwbot's messages as Telegram messages: plain text (no parse mode, so staff text such as `<b>`
shows as typed) cut at line ends into parts of at most 4,096 characters, buttons as an inline
keyboard under the last part."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.messages import BotMessage
from bot.channels.plain_text import split_lines
from bot.channels.telegram.buttons import ButtonPayloads

MAX_TEXT = 4096


@dataclass(frozen=True)
class Outgoing:
    """One sendMessage."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def utf16_units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def keyboard(buttons: list[dict[str, str]], payloads: ButtonPayloads) -> InlineKeyboardMarkup | None:
    """One button per row (titles are whole phrases and read best at full width)."""
    rows = [[InlineKeyboardButton(button["title"], callback_data=payloads.data_for(button["payload"]))]
            for button in buttons if button.get("title") and button.get("payload")]
    return InlineKeyboardMarkup(rows) if rows else None


def outgoing(messages: list[BotMessage], payloads: ButtonPayloads) -> list[Outgoing]:
    """The sendMessage calls that show `messages`, in order; a message without text is skipped
    (Telegram refuses empty text)."""
    sent: list[Outgoing] = []
    for message in messages:
        # A part of blank lines (at a cut) would be refused as empty text.
        parts = [part for part in split_lines(message.text.strip(), MAX_TEXT, utf16_units) if part.strip()]
        if not parts:
            continue
        sent.extend(Outgoing(part) for part in parts[:-1])
        sent.append(Outgoing(parts[-1], keyboard(message.buttons, payloads)))
    return sent
