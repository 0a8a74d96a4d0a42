"""The aiohttp application: every channel's routes around one Assistant."""

from __future__ import annotations

from aiohttp import web

from bot.assistant import Assistant
from bot.channels import ASSISTANT, CHANNELS, api, rest, telegram, webchat, wechat, weibo
from bot.channels.http_errors import error_middleware
from bot.console import add_routes as add_console_routes
from bot.config import Settings

MAX_BODY_BYTES = 256 * 1024


def create_app(settings: Settings, assistant: Assistant | None = None) -> web.Application:
    """The app; the assistant starts with the app unless one is given (tests share one)."""
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY_BYTES)

    async def lifecycle(app: web.Application):  # type: ignore[no-untyped-def]
        owned = assistant is None
        app[ASSISTANT] = assistant or await Assistant.start(settings)
        yield
        if owned:
            await app[ASSISTANT].close()

    app.cleanup_ctx.append(lifecycle)
    rest.add_routes(app)
    app[CHANNELS] = {"rest": True, "wechat": wechat.add_routes(app, settings),
                     "weibo": weibo.add_routes(app, settings), "telegram": telegram.add_routes(app, settings)}
    api.add_routes(app)
    webchat.add_routes(app)
    add_console_routes(app)
    return app
