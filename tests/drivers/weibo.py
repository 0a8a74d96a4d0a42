"""Weibo: each step is a signed JSON push of a text private message; what the fan sees is the
passive reply's `data` (URL-decoded JSON) plus any `2/messages/reply.json` messages after it."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import unquote

from aiohttp import ClientSession

from tests.drivers import Heard
from tests.fakes.weibo_api import FakeWeiboApi

ACCOUNT_ID = 1902538057  # the centre's Weibo account (receiver of fans' messages)
_OPTION = re.compile(r"^回复 (\d+)：(.+)$", re.MULTILINE)
_nonces = itertools.count(57155157)


def signed_query(app_secret: str) -> dict[str, str]:
    timestamp, nonce = str(int(time.time() * 1000)), str(next(_nonces))
    signature = hashlib.sha1("".join(sorted([app_secret, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def fan_id_of(sender: str) -> int:
    """A story's sender as a Weibo user id (Weibo ids are numbers)."""
    return int(hashlib.sha1(sender.encode()).hexdigest()[:10], 16)


def created_at(moment: float | None = None) -> str:
    """Weibo's created_at ("Mon Jul 16 18:09:20 +0800 2012"): whole seconds."""
    return time.strftime("%a %b %d %H:%M:%S +0800 %Y", time.gmtime((moment or time.time()) + 8 * 3600))


def text_push(fan_id: int, text: str, created: str | None = None) -> dict[str, Any]:
    created = created or created_at()
    return {"type": "text", "receiver_id": ACCOUNT_ID, "sender_id": fan_id, "created_at": created, "text": text,
            "data": {}}


class WeiboDriver:
    def __init__(self, http: ClientSession, api: FakeWeiboApi, app_secret: str) -> None:
        self.http, self.api, self.app_secret = http, api, app_secret
        self._clock = time.time()

    def _next_second(self) -> str:
        """A story's steps are typed seconds apart; Weibo knows a message by sender + created_at + text,
        so two "确认" within one second would be one message."""
        self._clock = max(self._clock + 1, time.time())
        return created_at(self._clock)

    async def push(self, push: dict[str, Any]) -> str:
        """POST one push; the passive reply's text ('' when the answer is empty)."""
        response = await self.http.post("/webhooks/weibo", params=signed_query(self.app_secret),
                                        data=json.dumps(push, ensure_ascii=False).encode(),
                                        headers={"Content-Type": "application/json"})
        assert response.status == 200, f"HTTP {response.status}: {await response.text()}"
        body = await response.text()
        if not body:
            return ""
        reply = json.loads(body)
        assert reply["result"] is True and reply["type"] == "text"
        assert reply["receiver_id"] == push["sender_id"] and reply["sender_id"] == push["receiver_id"]
        return json.loads(unquote(reply["data"]))["text"]

    async def say(self, sender: str, step: dict[str, Any]) -> Heard:
        fan_id = fan_id_of(sender)
        already = len(self.api.texts_to(str(fan_id)))
        # A payload is typed as text: Weibo private messages have no buttons.
        passive = await self.push(text_push(fan_id, step.get("payload", step.get("user")), self._next_second()))
        await self.api.settle()
        texts = ([passive] if passive else []) + self.api.texts_to(str(fan_id))[already:]
        for text in texts:
            assert len(text) < 300, f"a Weibo message of {len(text)} characters"
        options = [title for text in texts for _, title in _OPTION.findall(text)]
        return Heard(texts, options, counts_messages=False)
