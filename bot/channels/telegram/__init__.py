"""Telegram bot channel, built on python-telegram-bot's Bot API client: `POST /webhooks/telegram`
(webhook mode) or getUpdates (polling mode, for development). Everything Telegram-specific
(updates, inline keyboards, callback_data's 64 bytes, the 4,096-character text limit) stays in
this package."""

from __future__ import annotations

from aiohttp import web

from bot.channels.telegram.settings import telegram_settings
from bot.config import Settings

__all__ = ["add_routes", "telegram_settings"]


def add_routes(app: web.Application, settings: Settings) -> bool:
    """Turn the channel on when credentials.yml's telegram token is set; True when it is on."""
    telegram = telegram_settings(settings)
    if telegram is None:
        return False
    # python-telegram-bot (about 15 MB) is loaded only by a process that runs the channel.
    from bot.channels.telegram.channel import install

    install(app, telegram)
    return True
