"""Wiring the Telegram channel into the app: the Bot API client and its lifecycle, the webhook
route or the poller, and the courier."""

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
from bot.channels.telegram.settings import TelegramSettings
from bot.channels.telegram.updates import UpdateHandler
from bot.channels.telegram.webhook import BOT, HANDLER, SETTINGS, receive

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


def install(app: web.Application, telegram: TelegramSettings) -> None:
    """Add the webhook route (or the poller), the bot's lifecycle and the courier to `app`."""
    bot, payloads = make_bot(telegram), ButtonPayloads(shared=lambda: app[ASSISTANT].shared)
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
