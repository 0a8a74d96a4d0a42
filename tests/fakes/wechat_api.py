"""A fake of WeChat's server API (api.weixin.qq.com) for the calls zwbot makes.

It issues access tokens, and answers `errcode 40001` to a token it has since replaced, as WeChat
does (fetching a new token invalidates the old). Message bodies must be UTF-8 JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.recorder import FakeServer, Recorded

APP_ID, SECRET = "wx5823bf96d3bd56c7", "fake-app-secret"


@dataclass
class FakeWeChatApi(FakeServer):
    tokens_issued: int = 0
    current_token: str = ""
    expires_in: int = 7200
    sent: list[dict[str, Any]] = field(default_factory=list)  # message bodies accepted, in order
    # Citizens WeChat will not take customer-service messages for any more (45047: too many since they wrote).
    window_closed: set[str] = field(default_factory=set)
    down: bool = False  # answer every message call with a gateway error, as an outage would

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/cgi-bin/token", self.token)
        for path in ("message/custom/send", "message/template/send", "menu/create"):
            app.router.add_post(f"/cgi-bin/{path}", self.call)

    async def token(self, request: web.Request) -> web.Response:
        await self.record(request)
        query = request.query
        if query.get("grant_type") != "client_credential" or query.get("appid") != APP_ID \
                or query.get("secret") != SECRET:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.tokens_issued += 1
        self.current_token = f"TOKEN{self.tokens_issued}"
        return web.json_response({"access_token": self.current_token, "expires_in": self.expires_in})

    def expire_token(self) -> None:
        """WeChat forgets the token (as when another client fetched a new one)."""
        self.current_token = "revoked"

    async def call(self, request: web.Request) -> web.Response:
        entry: Recorded = await self.record(request)
        if self.down:
            return web.Response(status=502, text="Bad Gateway")
        if request.query.get("access_token") != self.current_token:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        try:
            body = json.loads(entry.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        if request.path.endswith("custom/send") and body.get("touser") in self.window_closed:
            return web.json_response({"errcode": 45047, "errmsg": "out of response count limit"})
        self.sent.append({"path": request.path, **body})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def texts_to(self, openid: str) -> list[str]:
        return [m["text"]["content"] for m in self.sent
                if m["path"].endswith("custom/send") and m.get("touser") == openid]

    def templates_to(self, openid: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["path"].endswith("template/send") and m.get("touser") == openid]
