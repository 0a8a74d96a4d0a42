"""The weibo channel (being built)."""

from aiohttp import web

from bot.config import Settings


def add_routes(app: web.Application, settings: Settings) -> bool:
    return False
