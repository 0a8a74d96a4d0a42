"""`GET|POST /webhooks/wechat`: URL verification, plain / compatible / safe (AES) modes.

A reply is given passively when the turn is ready within the time budget (well under WeChat's
5 s); otherwise zwbot answers `success` and delivers by the customer-service API. WeChat retries a
delivery up to three times: a retry joins the turn already running (dedupe by sender + MsgId,
events by sender + time + event) and gets the same answer.

Plain mode signs only the query, so each signed (timestamp, nonce) is remembered with its body's
hash while the timestamp is fresh: the same URL with another body gets 403 (see replay.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as EncryptedEcho
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply  # type: ignore[import-untyped]

from bot.channels import ASSISTANT
from bot.channels.bodies import read_body
from bot.channels.passive import PassiveReplies
from bot.channels.replay import ReplayGuard, ReplayMemory, window_for
from bot.channels.wechat.delivery import CHANNEL
from bot.channels.wechat.formatting import wechat_parts
from bot.channels.wechat.messages import MalformedMessage, WeChatMessage, read_message
from bot.channels.wechat.settings import WeChatSettings

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024

SETTINGS = web.AppKey("wechat_settings", WeChatSettings)
REPLIES = web.AppKey("wechat_replies", PassiveReplies)
REPLAYS = web.AppKey("wechat_replays", ReplayGuard)


def replay_memory(settings: WeChatSettings) -> ReplayGuard:
    return ReplayMemory(window_for(settings.max_skew))


def _digits(text: str) -> bool:
    """A plausible timestamp: str.isdigit() also accepts "²", and int() refuses 4,300+ digits."""
    return text.isascii() and text.isdigit() and len(text) <= 20


def _plain_signature_ok(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """Tencent's plain-mode signature: sha1 of the sorted token, timestamp and nonce, compared in
    constant time (wechatpy's check_signature compares with !=)."""
    parts = sorted(part.encode("utf-8", "surrogatepass") for part in (token, timestamp, nonce))
    expected = hashlib.sha1(b"".join(parts)).hexdigest().encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass"))


def _fresh(settings: WeChatSettings, timestamp: str) -> bool:
    if settings.max_skew == 0:
        return True
    return _digits(timestamp) and abs(time.time() - int(timestamp)) <= settings.max_skew


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
        elif not _plain_signature_ok(settings.token, signature, timestamp, nonce):
            return web.Response(status=403, text="invalid signature")
    except InvalidSignatureException:
        return web.Response(status=403, text="invalid signature")
    except Exception:  # noqa: BLE001 - an echostr that does not decrypt
        return web.Response(status=400, text="malformed echostr")
    return web.Response(text=echostr if isinstance(echostr, str) else echostr.decode())


async def receive(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    query = request.query
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    body = await read_body(request, MAX_BODY_BYTES)
    if body is None:
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
        elif not _plain_signature_ok(settings.token, query.get("signature", ""), timestamp, nonce):
            return web.Response(status=403, text="invalid signature")
        else:
            xml = body.decode("utf-8")
    except InvalidSignatureException:
        return web.Response(status=403, text="invalid signature")
    except Exception:  # noqa: BLE001 - bad encoding, broken ciphertext or envelope: the sender's fault
        return web.Response(status=400, text="malformed message")
    # Plain mode only: in safe mode msg_signature covers the ciphertext, so another body cannot
    # pass, and a retry WeChat encrypted afresh must not look like one. After the signature check,
    # so nobody can fill the memory or claim a pair first.
    if crypto is None and not await request.app[REPLAYS].admit(timestamp, nonce, body):
        return web.Response(status=403, text="replayed signature with a different body")
    try:
        message = read_message(xml if isinstance(xml, str) else xml.decode("utf-8"))
    except (MalformedMessage, UnicodeDecodeError) as error:
        return web.Response(status=400, text=f"malformed message: {error}")
    text = await _answer(request, message)
    if text is None:
        return web.Response(text="success")
    reply = TextReply(source=message.target, target=message.source, content=text).render()
    if crypto is not None:
        reply = crypto.encrypt_message(reply, nonce, timestamp)
    return web.Response(text=reply, content_type="application/xml")


def _what_was_said(message: WeChatMessage, settings: WeChatSettings) -> str | None:
    """The text a WeChat message stands for in the conversation. None: no turn (a fixed notice, or
    an event that needs no answer)."""
    if message.kind == "text":
        return message.content
    if message.kind == "voice":
        return message.recognition or None
    if message.kind == "event":
        if message.event in ("subscribe", "subscribe_scan"):
            return "/welcome"
        if message.event == "click":
            return settings.click_payloads().get(message.event_key or "", "/welcome")
    return None


def _notice_for(message: WeChatMessage) -> str | None:
    """The fixed notice for what zwbot cannot read (voice without text, images, …); events get none."""
    if message.kind == "event":
        return None
    return "utter_voice_needs_text" if message.kind == "voice" else "utter_text_only"


async def _answer(request: web.Request, message: WeChatMessage) -> str | None:
    """The passive reply (first part), or None when there is none or the answer goes by the API."""
    return await request.app[REPLIES].answer(message.delivery_key, message.source,
                                             lambda: _turn(request.app, message), request.app[ASSISTANT].shared)


async def _turn(app: web.Application, message: WeChatMessage) -> list[str]:
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
