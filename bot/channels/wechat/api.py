"""The parts of WeChat's server API zwbot calls: access_token, customer-service and template
messages, and the menu.

The token lives 7,200 s and fetching a new one invalidates the old, so only one fetch may run at a
time: an asyncio lock inside a process, and with `ZWBOT_REDIS_URL` a Redis lock and a shared copy
of the token across workers. A call that meets an expired-token error refreshes once and retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from bot.channels.outbound import PlatformClient

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
EXPIRED = {40001, 40014, 42001}  # invalid credential, invalid token, token expired
EARLY_RENEWAL = 300  # seconds before its end a token is treated as gone


class WeChatApiError(RuntimeError):
    """WeChat answered with an errcode; `code` is it (None when the answer was not WeChat's JSON)."""

    def __init__(self, call: str, answer: Any) -> None:
        super().__init__(f"{call}: {answer}")
        self.code = answer.get("errcode") if isinstance(answer, dict) else None


class WeChatApi(PlatformClient):
    def __init__(self, base: str, app_id: str, secret: str, redis: Redis | None = None) -> None:
        super().__init__()
        self.base = base.rstrip("/")
        self.app_id, self.secret = app_id, secret
        self.redis = redis
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    @property
    def _shared_key(self) -> str:
        return f"zwbot:wechat:access_token:{self.app_id}"

    async def token(self, stale: str | None = None) -> str:
        """A valid access_token. `stale` is one WeChat just refused: never hand it out again."""
        async with self._lock:
            if self._token and self._token != stale and time.monotonic() < self._expires:
                return self._token
            if self.redis is None:
                return await self._fetch()
            shared = _text(await self.redis.get(self._shared_key))
            if shared and shared != stale:
                return self._keep(shared, await self.redis.ttl(self._shared_key))
            async with self.redis.lock(f"{self._shared_key}:lock", timeout=15, blocking_timeout=15):
                shared = _text(await self.redis.get(self._shared_key))  # another worker may have just refreshed
                if shared and shared != stale:
                    return self._keep(shared, await self.redis.ttl(self._shared_key))
                token = await self._fetch()
                await self.redis.set(self._shared_key, token, ex=max(int(self._expires - time.monotonic()), 1))
                return token

    def _keep(self, token: str, lifetime: float) -> str:
        self._token, self._expires = token, time.monotonic() + max(lifetime, 0)
        return token

    async def _fetch(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.secret}
        async with self.http().get(f"{self.base}/cgi-bin/token", params=params) as response:
            data = await response.json(content_type=None)
        if not isinstance(data, dict) or "access_token" not in data:
            raise WeChatApiError("cgi-bin/token", data)
        return self._keep(data["access_token"], int(data.get("expires_in", 7200)) - EARLY_RENEWAL)

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `body` as UTF-8 JSON (Chinese unescaped, as WeChat's documents show) to cgi-bin/`path`."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        stale = None
        for _ in range(2):
            token = await self.token(stale)
            async with self.http().post(f"{self.base}/cgi-bin/{path}", params={"access_token": token}, data=payload,
                                         headers={"Content-Type": "application/json; charset=utf-8"}) as response:
                data = await response.json(content_type=None)
            if not isinstance(data, dict) or data.get("errcode", 0) == 0:
                return data
            if data.get("errcode") not in EXPIRED:
                break
            stale = token
        raise WeChatApiError(path, data)

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (allowed within 48 h of the citizen's last message)."""
        await self.call("message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_template(self, openid: str, template_id: str, fields: dict[str, str]) -> None:
        """A template message (the way to reach a citizen who has not written for 48 h)."""
        await self.call("message/template/send", {"touser": openid, "template_id": template_id,
                                                  "data": {name: {"value": value} for name, value in fields.items()}})

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self.call("menu/create", menu)


def _text(value: bytes | str | None) -> str | None:
    """A Redis reply as text (the client returns bytes unless told to decode)."""
    return value.decode() if isinstance(value, bytes) else value
