"""A fake of Weibo's fan-service API (m.api.weibo.com) for `2/messages/reply.json`.

It reads the form body the way a server does — URL-decoding it once — and refuses a `data` that is
not then JSON (what a client that encodes twice would send), as well as a wrong access token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

from tests.fakes.recorder import FakeServer

ACCESS_TOKEN = "2.00fake_weibo_token"


@dataclass
class FakeWeiboApi(FakeServer):
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted replies: form fields, data decoded

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/2/messages/reply.json", self.reply)

    async def reply(self, request: web.Request) -> web.Response:
        entry = await self.record(request)
        if not request.content_type == "application/x-www-form-urlencoded":
            return self._error(10008, "param error, see doc for more info")
        form = {key: values[0] for key, values in parse_qs(entry.body.decode("ascii"), strict_parsing=True).items()}
        if form.get("access_token") != ACCESS_TOKEN:
            return self._error(21332, "invalid_access_token")
        try:
            data = json.loads(form.get("data", ""))
        except json.JSONDecodeError:
            return self._error(10008, "param error: data is not JSON")
        if form.get("type") != "text" or not isinstance(data.get("text"), str) or len(data["text"]) >= 300:
            return self._error(10008, "param error: text must be under 300 characters")
        self.sent.append({**form, "data": data})
        return web.json_response({"id": 3000 + len(self.sent), "text": data["text"],
                                  "recipient_id": int(form["receiver_id"])})

    @staticmethod
    def _error(code: int, message: str) -> web.Response:
        return web.json_response({"error": message, "error_code": code, "request": "/2/messages/reply.json"},
                                 status=400)

    def texts_to(self, fan_id: str) -> list[str]:
        return [m["data"]["text"] for m in self.sent if m["receiver_id"] == fan_id]
