"""The REST channel (`/webhooks/rest/webhook`), as the web chat page uses it."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientSession

from tests.drivers import Heard


class RestDriver:
    def __init__(self, http: ClientSession) -> None:
        self.http = http

    async def say(self, sender: str, step: dict[str, Any]) -> Heard:
        message = step.get("payload", step.get("user"))
        response = await self.http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
        assert response.status == 200, f"HTTP {response.status}"
        replies = await response.json()
        return Heard([r["text"] for r in replies], [b["title"] for r in replies for b in r.get("buttons", [])])
