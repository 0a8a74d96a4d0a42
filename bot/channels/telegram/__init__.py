"""Telegram bot channel, built on python-telegram-bot's Bot API client: `POST /webhooks/telegram`
(webhook mode) or getUpdates (polling mode, for development). Everything Telegram-specific
(updates, inline keyboards, callback_data's 64 bytes, the 4,096-character text limit) stays in
this package."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from telegram import Bot
from telegram.error import InvalidToken

from bot.channels import ASSISTANT
from bot.channels.courier import run_courier
from bot.channels.telegram.buttons import ButtonPayloads
from bot.channels.telegram.delivery import CHANNEL, TelegramCourier
from bot.channels.telegram.polling import poll
from bot.channels.telegram.settings import TelegramSettings, telegram_settings
from bot.channels.telegram.updates import UpdateHandler
from bot.channels.telegram.webhook import BOT, HANDLER, SETTINGS, receive
from bot.config import Settings

__all__ = ["add_routes", "make_bot", "telegram_settings"]
log = logging.getLogger(__name__)


def make_bot(settings: TelegramSettings) -> Bot:
    """A Bot API client for the configured server (api.telegram.org, a local Bot API server, a fake)."""
    return Bot(settings.token, base_url=f"{settings.api_base}/bot", base_file_url=f"{settings.api_base}/file/bot")


async def _start(bot: Bot, settings: TelegramSettings) -> None:
    """Connect; in webhook mode register the webhook when its URL is configured. A Telegram that
    cannot be reached now is logged, not fatal: the other channels still start."""
    try:
        await bot.initialize()  # opens the HTTP client, then checks the token with getMe
    except InvalidToken:  # logged without PTB's message, which quotes the token
        log.error("telegram: the Bot API refused the token (ZWBOT_TELEGRAM_TOKEN); nothing can be sent")
        return
    except Exception:  # noqa: BLE001
        log.exception("telegram: getMe failed; sending is still tried for each message")
        return
    if not settings.polling and settings.webhook_url:
        try:
            await bot.set_webhook(settings.webhook_url, secret_token=settings.secret_token,
                                  allowed_updates=["message", "callback_query"])
        except Exception:  # noqa: BLE001
            log.exception("telegram: setWebhook failed")


def add_routes(app: web.Application, settings: Settings) -> bool:
    """Turn the channel on when credentials.yml's telegram token is set; True when it is on."""
    telegram = telegram_settings(settings)
    if telegram is None:
        return False
    bot, payloads = make_bot(telegram), ButtonPayloads()
    handler = UpdateHandler(bot, payloads)
    app[SETTINGS], app[BOT], app[HANDLER] = telegram, bot, handler

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await _start(bot, telegram)
        poller = asyncio.get_running_loop().create_task(poll(bot, handler, lambda: app[ASSISTANT])) \
            if telegram.polling else None
        yield
        if poller is not None:
            poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
        await handler.close()
        await bot.shutdown()

    app.cleanup_ctx.append(lifecycle)
    if not telegram.polling:
        app.router.add_post("/webhooks/telegram", receive)
    run_courier(app, CHANNEL, TelegramCourier(bot, payloads))
    return True
