"""The web chat page at `/`: one self-contained HTML file talking to the REST channel's URLs as
the "webchat" channel, under an identity the server issued (`POST /webchat/session`, see identity)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.channels.http_errors import json_response
from bot.channels.webchat.identity import IDENTITIES, WebchatIdentities
from bot.config import Settings

PAGE = Path(__file__).resolve().parent / "index.html"


async def index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE, headers={"Cache-Control": "no-cache",
                                           "Content-Security-Policy": "default-src 'self'; "
                                           "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'"})


async def new_session(request: web.Request) -> web.Response:
    """A new web-chat citizen: {"sender", "token"}; the page keeps both and sends the token along."""
    identity = request.app[IDENTITIES].issue()
    response = json_response({"sender": identity.sender, "token": identity.token})
    response.headers["Cache-Control"] = "no-store"
    return response


def add_routes(app: web.Application, settings: Settings) -> None:
    app[IDENTITIES] = WebchatIdentities.configured(settings.state_dir)
    app.router.add_get("/", index)
    app.router.add_post("/webchat/session", new_session)
