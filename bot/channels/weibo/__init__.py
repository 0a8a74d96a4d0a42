"""Weibo fan-service private messages (`GET|POST /webhooks/weibo`), on aiohttp directly: Weibo has
no maintained SDK. Weibo's JSON, signatures and limits stay in this package."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.assistant import Assistant
from bot.channels.courier import run_courier
from bot.channels.passive import PassiveReplies
from bot.channels.weibo.api import WeiboApi
from bot.channels.weibo.formatting import weibo_parts
from bot.channels.weibo.settings import weibo_settings
from bot.channels.weibo.webhook import (
    CHANNEL,
    REPLAYS,
    REPLIES,
    SETTINGS,
    receive,
    replay_memory,
    verify_url,
)
from bot.config import Settings
from bot.core.agent import Notice

__all__ = ["add_routes"]


def add_routes(app: web.Application, settings: Settings) -> bool:
    """Add the Weibo routes when credentials.yml's weibo app_secret is set; True when the channel is on."""
    weibo = weibo_settings(settings)
    if weibo is None:
        return False
    app[SETTINGS] = weibo
    app[REPLAYS] = replay_memory(weibo)
    app.router.add_get("/webhooks/weibo", verify_url)
    app.router.add_post("/webhooks/weibo", receive)
    if not weibo.access_token:
        app[REPLIES] = PassiveReplies(weibo.budget, None)
        return True
    api = WeiboApi(weibo.api_base, weibo.access_token)
    app[REPLIES] = PassiveReplies(weibo.budget, api.reply_all)

    async def deliver(assistant: Assistant, fan: str, notices: list[Notice]) -> list[Notice]:
        await api.reply_all(fan, weibo_parts(assistant.as_text([notice.message for notice in notices])))
        return []

    async def close_api(app: web.Application) -> AsyncIterator[None]:
        yield
        await api.close()

    app.cleanup_ctx.append(close_api)
    run_courier(app, CHANNEL, deliver)
    return True
