"""The web chat page at `/`: one self-contained HTML file talking to the REST channel."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

PAGE = Path(__file__).resolve().parent / "index.html"


async def index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE, headers={"Cache-Control": "no-cache",
                                           "Content-Security-Policy": "default-src 'self'; "
                                           "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
