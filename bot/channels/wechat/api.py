"""The parts of WeChat's server API zwbot calls: access_token and customer-service messages.

The token lives 7,200 s and fetching a new one invalidates the old, so one fetch at a time
refreshes it (a lock; several workers would share it through Redis), and a call that meets an
expired-token error refreshes once and retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp

log = logging.getLogger(__name__)
EXPIRED = {40001, 40014, 42001}


class WeChatApiError(RuntimeError):
    pass


class WeChatApi:
    def __init__(self, base: str, app_id: str, secret: str) -> None:
        self.base = base.rstrip("/")
        self.app_id, self.secret = app_id, secret
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def token(self, session: aiohttp.ClientSession, refresh: bool = False) -> str:
        async with self._lock:
            if not refresh and self._token and time.monotonic() < self._expires:
                return self._token
            params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.secret}
            async with session.get(f"{self.base}/cgi-bin/token", params=params) as response:
                data = await response.json(content_type=None)
            if "access_token" not in data:
                raise WeChatApiError(f"access_token: {data}")
            self._token = data["access_token"]
            self._expires = time.monotonic() + int(data.get("expires_in", 7200)) - 300  # renew early
            return self._token

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (allowed within 48 h of the citizen's last message)."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        async with aiohttp.ClientSession() as session:
            for attempt in (0, 1):
                token = await self.token(session, refresh=attempt == 1)
                async with session.post(f"{self.base}/cgi-bin/message/custom/send", params={"access_token": token},
                                        data=json.dumps(body, ensure_ascii=False).encode(),
                                        headers={"Content-Type": "application/json"}) as response:
                    data = await response.json(content_type=None)
                if data.get("errcode", 0) == 0:
                    return
                if data.get("errcode") not in EXPIRED:
                    break
        raise WeChatApiError(f"message/custom/send: {data}")
