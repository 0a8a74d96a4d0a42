"""`GET|POST /webhooks/wechat`: URL verification, plain / compatible / safe (AES) modes.

A reply is given passively when the turn is ready within the time budget (well under WeChat's
5 s); otherwise zwbot answers `success` and delivers by the customer-service API. WeChat retries a
delivery up to three times: a retry joins the turn already running (dedupe by MsgId, events by
sender + time + event) and gets the same answer.
"""

from __future__ import annotations

import asyncio
import logging
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
from bot.channels.wechat.delivery import CHANNEL, send_parts
from bot.channels.wechat.formatting import MAX_PARTS, as_text, split_parts
from bot.channels.wechat.settings import WeChatSettings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
TURN_MEMORY_SECONDS = 60.0  # WeChat's three tries end within about 15 s

SETTINGS = web.AppKey("wechat_settings", WeChatSettings)
TURNS = web.AppKey("wechat_turns", dict)
API = web.AppKey("wechat_api", WeChatApi)
CLICKS = web.AppKey("wechat_clicks", dict)


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


def _what_was_said(message: Any, clicks: dict[str, str]) -> str | None:
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
            return clicks.get(message.key or "", "/welcome")
    return None


def _notice_for(message: Any) -> str | None:
    """The fixed notice for what zwbot cannot read (voice without text, images, …); events get none."""
    if message.type == "event":
        return None
    return "utter_voice_needs_text" if message.type == "voice" else "utter_text_only"


@dataclass
class _Delivery:
    """One citizen message and its turn, remembered while WeChat may still retry it."""

    turn: asyncio.Task[list[str]]
    by_api: bool = False  # the budget ran out: the whole answer goes by the customer-service API
    rest_sent: bool = False  # parts after the first went by the API


async def _answer(request: web.Request, message: Any) -> str | None:
    """The passive reply (first part), or None when there is none or the answer goes by the API."""
    app, settings = request.app, request.app[SETTINGS]
    key = str(message.id) if getattr(message, "id", None) else \
        f"{message.source}|{message.create_time}|{getattr(message, 'event', '')}"
    deliveries: dict[str, _Delivery] = app[TURNS]
    delivery = deliveries.get(key)
    if delivery is None:
        delivery = deliveries[key] = _Delivery(asyncio.ensure_future(_turn(app, message)))
        asyncio.get_running_loop().call_later(TURN_MEMORY_SECONDS, deliveries.pop, key, None)
    if delivery.by_api:
        return None
    try:
        parts = await asyncio.wait_for(asyncio.shield(delivery.turn), settings.budget)
    except asyncio.TimeoutError:
        if not delivery.by_api:
            delivery.by_api = True
            delivery.turn.add_done_callback(lambda done: _send_later(app, message.source, done, 0))
        return None
    except Exception:  # noqa: BLE001 - the turn failed (logged); WeChat gets no retry storm
        log.exception("WeChat turn failed")
        return None
    if not delivery.rest_sent:
        delivery.rest_sent = True
        _send_later(app, message.source, delivery.turn, 1)
    return parts[0] if parts else None


async def _turn(app: web.Application, message: Any) -> list[str]:
    """Run the turn once; its answer as WeChat text parts (the first one goes back passively)."""
    assistant = app[ASSISTANT]
    said = _what_was_said(message, app[CLICKS])
    if said is not None:
        replies = await assistant.handle(said, message.source, CHANNEL)
    else:
        notice = _notice_for(message)
        replies = [assistant.response(notice)] if notice else []
    waiting = [notice.message for notice in await assistant.notifications(CHANNEL, message.source)]
    text = "\n\n".join(as_text(m) for m in waiting + replies if isinstance(m, BotMessage))
    return split_parts(text)[:MAX_PARTS] if text else []


def _send_later(app: web.Application, openid: str, turn: asyncio.Task[list[str]], skip: int) -> None:
    """Send the turn's parts after the first `skip` by the customer-service API (in the background)."""
    if turn.cancelled() or turn.exception() is not None:
        return
    parts = turn.result()[skip:]
    if parts and API in app:
        asyncio.ensure_future(_send_quietly(app[API], openid, parts))


async def _send_quietly(api: WeChatApi, openid: str, parts: list[str]) -> None:
    try:
        await send_parts(api, openid, parts)
    except Exception:  # noqa: BLE001 - the answer is in the turn log; a failed push must not crash the loop
        log.exception("could not deliver a WeChat message to %s…", openid[:6])
