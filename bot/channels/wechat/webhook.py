"""`GET|POST /webhooks/wechat`: URL verification, plain / compatible / safe (AES) modes.

A reply is given passively when the turn is ready within the time budget (well under WeChat's
5 s); otherwise zwbot answers `success` and delivers by the customer-service API. WeChat retries a
delivery up to three times: a retry joins the turn already running (dedupe by MsgId, events by
sender + time + event) and gets the same answer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as EncryptedEcho
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from actions.sdk import BotMessage
from bot.channels import ASSISTANT
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.formatting import MAX_PARTS, as_text, split_parts

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
CHANNEL = "wechat"


@dataclass(frozen=True)
class WeChatSettings:
    token: str
    aes_key: str | None
    app_id: str
    secret: str
    api_base: str
    max_skew: int
    budget: float = 4.0


def wechat_settings() -> WeChatSettings | None:
    """From ZWBOT_WECHAT_*; None (channel off) without a token."""
    token = os.environ.get("ZWBOT_WECHAT_TOKEN", "")
    if not token:
        return None
    return WeChatSettings(token=token, aes_key=os.environ.get("ZWBOT_WECHAT_AES_KEY") or None,
                          app_id=os.environ.get("ZWBOT_WECHAT_APPID", ""),
                          secret=os.environ.get("ZWBOT_WECHAT_SECRET", ""),
                          api_base=os.environ.get("ZWBOT_WECHAT_API_BASE", "https://api.weixin.qq.com"),
                          max_skew=int(os.environ.get("ZWBOT_WECHAT_MAX_SKEW", "300")))


SETTINGS = web.AppKey("wechat_settings", WeChatSettings)
TURNS = web.AppKey("wechat_turns", dict)
API = web.AppKey("wechat_api", WeChatApi)


def _fresh(settings: WeChatSettings, timestamp: str) -> bool:
    if settings.max_skew == 0:
        return True
    return timestamp.isdigit() and abs(time.time() - int(timestamp)) <= settings.max_skew


async def verify_url(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    query = request.query
    signature, timestamp, nonce = query.get("signature", ""), query.get("timestamp", ""), query.get("nonce", "")
    echostr = query.get("echostr", "")
    if not _fresh(settings, timestamp):
        return web.Response(status=403, text="stale timestamp")
    try:
        if query.get("msg_signature") and settings.aes_key:
            # An encrypted echostr (the WXBizMsgCrypt verification): answer its plaintext.
            crypto = EncryptedEcho(settings.token, settings.aes_key, settings.app_id)
            echostr = crypto.check_signature(query["msg_signature"], timestamp, nonce, echostr)
        else:
            check_signature(settings.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        return web.Response(status=403, text="invalid signature")
    except Exception:  # noqa: BLE001 - an echostr that does not decrypt
        return web.Response(status=400, text="malformed echostr")
    return web.Response(text=echostr if isinstance(echostr, str) else echostr.decode())


async def receive(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    query = request.query
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return web.Response(status=413, text="body too large")
    body = await request.content.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return web.Response(status=413, text="body too large")
    if not _fresh(settings, timestamp):
        return web.Response(status=403, text="stale timestamp")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        return web.Response(status=400, text="DTDs are not accepted")
    crypto = WeChatCrypto(settings.token, settings.aes_key, settings.app_id) \
        if settings.aes_key and query.get("encrypt_type") == "aes" else None
    try:
        if crypto is not None:
            xml = crypto.decrypt_message(body.decode("utf-8"), query.get("msg_signature", ""), timestamp, nonce)
        else:
            check_signature(settings.token, query.get("signature", ""), timestamp, nonce)
            xml = body.decode("utf-8")
        message = parse_message(xml)
    except InvalidSignatureException:
        return web.Response(status=403, text="invalid signature")
    except Exception:  # noqa: BLE001 - malformed XML, bad encoding, broken ciphertext: the sender's fault
        return web.Response(status=400, text="malformed message")
    text = await _answer(request, message)
    if text is None:
        return web.Response(text="success")
    reply = create_reply(text, message).render()
    if crypto is not None:
        reply = crypto.encrypt_message(reply, nonce, timestamp)
    return web.Response(text=reply, content_type="application/xml")


def _what_was_said(message: Any, request: web.Request) -> str | None:
    """The text a WeChat message stands for in the conversation (None: a fixed notice answers it)."""
    kind = message.type
    if kind == "text":
        return message.content
    if kind == "voice":
        return getattr(message, "recognition", None) or None
    if kind == "event":
        event = (message.event or "").lower()
        if event == "subscribe":
            return "/greet"
        if event == "click":
            return request.app[ASSISTANT].settings.pipeline.get("wechat_menu", {}).get(message.key, "/greet")
    return None


async def _answer(request: web.Request, message: Any) -> str | None:
    """The passive reply (first part), or None when the turn runs past the budget."""
    settings = request.app[SETTINGS]
    key = str(message.id) if getattr(message, "id", None) else \
        f"{message.source}|{message.create_time}|{getattr(message, 'event', '')}"
    turns: dict[str, asyncio.Task[list[str]]] = request.app[TURNS]
    task = turns.get(key)
    if task is None:
        task = asyncio.ensure_future(_turn(request, message))
        turns[key] = task
        _forget_later(turns, key)
    try:
        parts = await asyncio.wait_for(asyncio.shield(task), settings.budget)
    except asyncio.TimeoutError:
        task.add_done_callback(lambda done: _deliver_rest(request.app, message.source, done, 0))
        return None
    _deliver_later(request.app, message.source, parts[1:])
    return parts[0] if parts else None


async def _turn(request: web.Request, message: Any) -> list[str]:
    assistant = request.app[ASSISTANT]
    domain = assistant.agent.domain
    said = _what_was_said(message, request)
    if said is None:
        response = "utter_voice_needs_text" if message.type == "voice" else "utter_text_only"
        replies = [domain.render(response, {})]
    else:
        replies = await assistant.handle(said, message.source, CHANNEL)
    waiting = [m for _, m in await assistant.notifications(CHANNEL, message.source)]
    text = "\n\n".join(as_text(m) for m in waiting + replies if isinstance(m, BotMessage))
    return split_parts(text)[:MAX_PARTS] if text else []


def _forget_later(turns: dict[str, Any], key: str, after: float = 60.0) -> None:
    asyncio.get_running_loop().call_later(after, turns.pop, key, None)


def _deliver_later(app: web.Application, openid: str, parts: list[str]) -> None:
    if parts and API in app:
        asyncio.ensure_future(_send_all(app[API], openid, parts))


def _deliver_rest(app: web.Application, openid: str, done: asyncio.Task[list[str]], skip: int) -> None:
    if not done.cancelled() and done.exception() is None:
        _deliver_later(app, openid, done.result()[skip:])


async def _send_all(api: WeChatApi, openid: str, parts: list[str]) -> None:
    for part in parts:
        try:
            await api.send_text(openid, part)
        except Exception:  # noqa: BLE001 - the citizen's answer is logged; a failed push must not crash the loop
            log.exception("could not deliver a WeChat message to %s", openid[:6])
            return


def add_routes(app: web.Application) -> bool:
    """Add the WeChat routes when ZWBOT_WECHAT_TOKEN is set; True when the channel is on."""
    settings = wechat_settings()
    if settings is None:
        return False
    app[SETTINGS] = settings
    app[TURNS] = {}
    if settings.app_id and settings.secret:
        app[API] = WeChatApi(settings.api_base, settings.app_id, settings.secret)
    app.router.add_get("/webhooks/wechat", verify_url)
    app.router.add_post("/webhooks/wechat", receive)
    return True
