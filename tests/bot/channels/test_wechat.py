"""The WeChat channel against Tencent's published test vectors and the real wire format."""

from __future__ import annotations

import hashlib
import time
import uuid
from xml.sax.saxutils import escape

import pytest_asyncio
from aiohttp import ClientSession, web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from bot.server import create_app

# Tencent's sample (企业微信/公众平台 WXBizMsgCrypt documentation and sample code).
TOKEN, AES_KEY, APP_ID = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
SAMPLE_ENCRYPT = ("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
                  "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZ"
                  "fJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3"
                  "LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn"
                  "28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
SAMPLE_BODY = (f"<xml><ToUserName><![CDATA[{APP_ID}]]></ToUserName><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt>"
               "<AgentID><![CDATA[218]]></AgentID></xml>")
SAMPLE_QUERY = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813",
                "nonce": "1372623149", "encrypt_type": "aes"}
VERIFY_QUERY = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
                "nonce": "263014780",
                "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}


@pytest_asyncio.fixture
async def wechat(settings, assistant, monkeypatch):  # type: ignore[no-untyped-def]
    """A server with the WeChat channel on, keyed with Tencent's sample secrets."""
    monkeypatch.setenv("ZWBOT_WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("ZWBOT_WECHAT_AES_KEY", AES_KEY)
    monkeypatch.setenv("ZWBOT_WECHAT_APPID", APP_ID)
    monkeypatch.setenv("ZWBOT_WECHAT_MAX_SKEW", "0")
    runner = web.AppRunner(create_app(settings, assistant))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with ClientSession(base_url=f"http://127.0.0.1:{port}") as session:
        yield session
    await runner.cleanup()


def _plain_signature(timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()


def _text_message(sender: str, content: str, msg_id: str) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_centre]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{escape(content)}]]></Content><MsgId>{msg_id}</MsgId></xml>")


async def test_tencent_sample_message_gets_an_encrypted_reply_to_its_sender(wechat) -> None:  # type: ignore[no-untyped-def]
    response = await wechat.post("/webhooks/wechat", params=SAMPLE_QUERY, data=SAMPLE_BODY.encode())
    assert response.status == 200
    body = await response.text()
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    from wechatpy.utils import to_text
    import xmltodict

    envelope = xmltodict.parse(body)["xml"]
    plain = crypto.decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    reply = parse_message(to_text(plain))
    assert reply.type == "text" and reply.target == "mycreate" and reply.source == APP_ID
    assert reply.content  # "hello" is answered as a greeting


async def test_url_verification_and_bad_signatures(wechat) -> None:  # type: ignore[no-untyped-def]
    response = await wechat.get("/webhooks/wechat", params=VERIFY_QUERY)
    assert response.status == 200 and (await response.text()).isdigit()  # the sample's decrypted echostr
    timestamp, nonce = "1409659813", "42"
    plain = await wechat.get("/webhooks/wechat", params={"signature": _plain_signature(timestamp, nonce),
                                                         "timestamp": timestamp, "nonce": nonce, "echostr": "abc"})
    assert (await plain.text()) == "abc"
    forged = dict(SAMPLE_QUERY, msg_signature="0" * 40)
    assert (await wechat.post("/webhooks/wechat", params=forged, data=SAMPLE_BODY.encode())).status == 403
    assert (await wechat.get("/webhooks/wechat", params=dict(VERIFY_QUERY, msg_signature="1" * 40))).status == 403


async def test_plain_mode_retry_and_bad_bodies(wechat) -> None:  # type: ignore[no-untyped-def]
    timestamp, nonce = str(int(time.time())), "7"
    query = {"signature": _plain_signature(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    sender, msg_id = f"o{uuid.uuid4().hex[:12]}", str(uuid.uuid4().int % 10**18)
    body = _text_message(sender, "老人证要带啥", msg_id).encode()
    first = await (await wechat.post("/webhooks/wechat", params=query, data=body)).text()
    again = await (await wechat.post("/webhooks/wechat", params=query, data=body)).text()
    assert "【老年人优待证办理】" in first and first == again  # one turn, the same answer
    assert len(parse_message(first).content.encode()) <= 2047
    assert (await wechat.post("/webhooks/wechat", params=query, data=b"<xml><oops")).status == 400
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>'
    assert (await wechat.post("/webhooks/wechat", params=query, data=bomb)).status == 400
    assert (await wechat.post("/webhooks/wechat", params=query, data=b"x" * 70000)).status == 413
    assert (await wechat.post("/webhooks/wechat", params=dict(query, signature="bad"), data=body)).status == 403


def test_long_answers_split_on_lines_within_the_byte_limit() -> None:
    from bot.channels.wechat.formatting import split_parts

    text = "\n".join(f"{n}. 申请材料名称很长很长的一项材料说明，原件及复印件各一份" for n in range(1, 120))
    parts = split_parts(text)
    assert all(len(p.encode()) <= 2047 for p in parts) and len(parts) > 1
    assert "\n".join(parts) == text  # nothing lost, cut only at line ends
