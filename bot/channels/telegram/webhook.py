"""`POST /webhooks/telegram`: updates Telegram pushes, authenticated by the secret token that was
given to setWebhook (header `X-Telegram-Bot-Api-Secret-Token`).

The answer waits for the turn, up to a budget: a turn takes milliseconds, and answering after it
means Telegram sends this bot's next update only once the replies are out. A slower turn goes on
in the background and Telegram gets its 200 anyway, so it never retries a turn that is running.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from aiohttp import web
from telegram import Bot, Update

from bot.channels import ASSISTANT
from bot.channels.http_errors import json_error, read_json_object
from bot.channels.telegram.settings import TelegramSettings
from bot.channels.telegram.updates import UpdateHandler

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # the app's own limit (server.MAX_BODY_BYTES) is lower still
ANSWER_BUDGET_SECONDS = 5.0
UPDATE_MEMORY_SECONDS = 24 * 3600  # Telegram keeps an undelivered update for up to 24 hours

SETTINGS = web.AppKey("telegram_settings", TelegramSettings)
BOT = web.AppKey("telegram_bot", Bot)
HANDLER = web.AppKey("telegram_updates", UpdateHandler)


def _authentic(request: web.Request, secret: str) -> bool:
    given = request.headers.get(SECRET_HEADER, "")
    # Bytes, not str: compare_digest refuses non-ASCII str, and a forged header may contain any.
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode())


def parse_update(data: dict[str, Any], bot: Bot) -> Update | None:
    """The Update, or None when `data` is not one (no integer update_id, or fields of the wrong shape)."""
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    try:
        return Update.de_json(data, bot)
    except Exception:  # noqa: BLE001 - de_json fails with Key/Type/Attribute/ValueError on odd shapes
        return None


async def receive(request: web.Request) -> web.Response:
    app = request.app
    if not _authentic(request, app[SETTINGS].secret_token):
        return json_error(403, "X-Telegram-Bot-Api-Secret-Token 不正确")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return json_error(413, "请求体过大")
    data = await read_json_object(request)
    if isinstance(data, web.Response):
        return data
    update = parse_update(data, app[BOT])
    if update is None:
        return json_error(400, "请求体不是 Telegram Update（缺少整数 update_id 或字段格式不对）")
    shared = app[ASSISTANT].shared
    if shared is not None and not await shared.first_time(f"telegram:update:{update.update_id}", UPDATE_MEMORY_SECONDS):
        return web.Response(status=200)  # Telegram's redelivery, taken by another worker already
    turn = app[HANDLER].accept(app[ASSISTANT], update)
    if turn is not None:
        await asyncio.wait({turn}, timeout=ANSWER_BUDGET_SECONDS)
    return web.Response(status=200)
