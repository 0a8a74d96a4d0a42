"""`GET|POST /webhooks/wechat`: URL verification, plain / compatible / safe (AES) modes.

A reply is given passively when the turn is ready within the time budget (well under WeChat's
5 s); otherwise zwbot answers `success` and delivers by the customer-service API. WeChat retries a
delivery up to three times: a retry joins the turn already running (dedupe by MsgId, events by
sender + time + event) and gets the same answer.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as EncryptedEcho
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from bot.channels import ASSISTANT
from bot.channels.passive import PassiveReplies
from bot.channels.wechat.delivery import CHANNEL
from bot.channels.wechat.formatting import wechat_parts
from bot.channels.wechat.settings import WeChatSettings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024

SETTINGS = web.AppKey("wechat_settings", WeChatSettings)
REPLIES = web.AppKey("wechat_replies", PassiveReplies)


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


def _what_was_said(message: Any, settings: WeChatSettings) -> str | None:
    """The text a WeChat message stands for in the conversation. None: no turn (a fixed notice, or
    an event that needs no answer)."""
    kind = message.type
    if kind == "text":
        return message.content
    if kind == "voice":
        return getattr(message, "recognition", None) or None
    if kind == "event":
        event = (message.event or "").lower()
        if event in ("subscribe", "subscribe_scan"):
            return "/welcome"
        if event == "click":
            return settings.click_payloads().get(message.key or "", "/welcome")
    return None


def _notice_for(message: Any) -> str | None:
    """The fixed notice for what zwbot cannot read (voice without text, images, …); events get none."""
    if message.type == "event":
        return None
    return "utter_voice_needs_text" if message.type == "voice" else "utter_text_only"


async def _answer(request: web.Request, message: Any) -> str | None:
    """The passive reply (first part), or None when there is none or the answer goes by the API."""
    key = str(message.id) if getattr(message, "id", None) else \
        f"{message.source}|{message.create_time}|{getattr(message, 'event', '')}"
    return await request.app[REPLIES].answer(key, message.source, lambda: _turn(request.app, message))


async def _turn(app: web.Application, message: Any) -> list[str]:
    """Run the turn once; its answer as WeChat text parts (the first one goes back passively)."""
    assistant = app[ASSISTANT]
    said = _what_was_said(message, app[SETTINGS])
    if said is not None:
        replies = await assistant.handle(said, message.source, CHANNEL)
    else:
        notice = _notice_for(message)
        replies = [assistant.response(notice)] if notice else []
    waiting = [notice.message for notice in await assistant.notifications(CHANNEL, message.source)]
    return wechat_parts(assistant.as_text(waiting + replies))
