"""The one call zwbot makes to Weibo: `2/messages/reply.json`, a private message to a fan.

The form body is encoded exactly once, by the HTTP client: `data` is the JSON text itself, and
encoding it beforehand would make Weibo show the citizen "%7B%22text%22…".
"""

from __future__ import annotations

import json
from typing import Any

from bot.channels.outbound import PlatformClient


class WeiboApiError(RuntimeError):
    pass


class WeiboApi(PlatformClient):
    def __init__(self, base: str, access_token: str) -> None:
        super().__init__()
        self.base = base.rstrip("/")
        self.access_token = access_token

    async def reply(self, fan_id: str, text: str) -> dict[str, Any]:
        """Send `text` (under 300 characters) to the fan `fan_id`."""
        form = {"access_token": self.access_token, "type": "text",
                "data": json.dumps({"text": text}, ensure_ascii=False), "receiver_id": fan_id,
                "save_sender_box": "1"}  # keep a copy in the account's own sent box, where staff look
        async with self.http().post(f"{self.base}/2/messages/reply.json", data=form) as response:
            answer = await response.json(content_type=None)
        if not isinstance(answer, dict) or "error_code" in answer or response.status >= 400:
            raise WeiboApiError(f"2/messages/reply.json: HTTP {response.status} {answer}")
        return answer

    async def reply_all(self, fan_id: str, parts: list[str]) -> None:
        for part in parts:
            await self.reply(fan_id, part)
