"""WeChat Official Account channel (`GET|POST /webhooks/wechat`), built on wechatpy's crypto and
message parsing. Everything WeChat-specific (XML, signatures, byte limits, the 48-hour window)
stays in this package."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.channels.courier import run_courier
from bot.channels.passive import PassiveReplies
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.delivery import CHANNEL, WeChatCourier, send_parts
from bot.channels.wechat.settings import WeChatSettings, wechat_settings
from bot.channels.wechat.webhook import (
    REPLAYS,
    REPLIES,
    SETTINGS,
    receive,
    replay_memory,
    verify_url,
)
from bot.config import Settings

__all__ = ["add_routes", "make_api", "wechat_settings"]


def make_api(settings: WeChatSettings, redis_url: str | None) -> WeChatApi:
    """The API client; with a Redis URL the access token is shared and refreshed under a Redis lock."""
    if not redis_url:
        return WeChatApi(settings.api_base, settings.app_id, settings.secret)
    from bot.services.coordination import shared_redis  # only a process that coordinates with others needs it

    return WeChatApi(settings.api_base, settings.app_id, settings.secret, shared_redis(redis_url))


def add_routes(app: web.Application, settings: Settings) -> bool:
    """Add the WeChat routes when credentials.yml's wechat token is set; True when the channel is on."""
    wechat = wechat_settings(settings)
    if wechat is None:
        return False
    app[SETTINGS] = wechat
    app[REPLAYS] = replay_memory(wechat)
    app.router.add_get("/webhooks/wechat", verify_url)
    app.router.add_post("/webhooks/wechat", receive)
    if not wechat.can_send:
        app[REPLIES] = PassiveReplies(wechat.budget, None)
    else:
        api = make_api(wechat, settings.redis_url)
        app[REPLIES] = PassiveReplies(wechat.budget, lambda openid, parts: send_parts(api, openid, parts))

        async def close_api(app: web.Application) -> AsyncIterator[None]:
            yield
            await api.close()
            if api.redis is not None:
                await api.redis.aclose()

        app.cleanup_ctx.append(close_api)
        run_courier(app, CHANNEL, WeChatCourier(api, wechat))
    return True
