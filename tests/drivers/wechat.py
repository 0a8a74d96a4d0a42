"""WeChat: each step is an encrypted (safe mode) XML text message with its own MsgId; what the
citizen sees is the decrypted passive reply plus any customer-service messages that follow it."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any
from xml.sax.saxutils import escape

import xmltodict
from aiohttp import ClientSession
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import to_text

from tests.drivers import Heard
from tests.fakes.wechat_api import FakeWeChatApi

_OPTION = re.compile(r"^回复 (\d+)：(.+)$", re.MULTILINE)
_msg_ids = itertools.count(int(time.time()) * 1000)


def text_message(openid: str, content: str, msg_id: int, account: str = "gh_xa_zwfw") -> str:
    return (f"<xml><ToUserName><![CDATA[{account}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{escape(content)}]]></Content><MsgId>{msg_id}</MsgId></xml>")


class WeChatDriver:
    def __init__(self, http: ClientSession, api: FakeWeChatApi, token: str, aes_key: str, app_id: str) -> None:
        self.http, self.api = http, api
        self.crypto = WeChatCrypto(token, aes_key, app_id)

    async def post(self, xml: str) -> str:
        """POST one message in safe mode; the decrypted reply XML ('' for `success`)."""
        timestamp, nonce = str(int(time.time())), str(next(_msg_ids) % 10**9)
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        body = (f"<xml><ToUserName><![CDATA[gh_xa_zwfw]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        query = {"msg_signature": envelope["MsgSignature"], "timestamp": timestamp, "nonce": nonce,
                 "encrypt_type": "aes"}
        response = await self.http.post("/webhooks/wechat", params=query, data=body.encode())
        assert response.status == 200, f"HTTP {response.status}"
        answer = await response.text()
        if answer in ("success", ""):
            return ""
        reply = xmltodict.parse(answer)["xml"]
        return to_text(self.crypto.decrypt_message(answer, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]))

    async def say(self, sender: str, step: dict[str, Any]) -> Heard:
        # A payload is typed as text: WeChat has no buttons, and zwbot reads a typed payload as the button.
        content = step.get("payload", step.get("user"))
        already = len(self.api.texts_to(sender))
        reply = await self.post(text_message(sender, content, next(_msg_ids)))
        await self.api.settle()
        texts = ([parse_message(reply).content] if reply else []) + self.api.texts_to(sender)[already:]
        for text in texts:
            assert len(text.encode()) <= 2047, f"a WeChat message of {len(text.encode())} bytes"
        options = [title for text in texts for _, title in _OPTION.findall(text)]
        return Heard(texts, options, counts_messages=False)
