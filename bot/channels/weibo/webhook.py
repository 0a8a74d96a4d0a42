"""`GET|POST /webhooks/weibo`: Weibo's fan-service message push (粉丝服务平台, JSON mode).

Every request carries `signature` = sha1 of the sorted app secret, timestamp (milliseconds) and
nonce. GET answers `echostr`; POST carries one message or event as JSON. Weibo waits 5 s and tries
three times, with no message id: a delivery is known by sender + created_at + content. The first
part of the answer goes back passively; the rest, and everything later, by `2/messages/reply.json`.

The signature covers only the query, so a timestamp more than `max_skew` seconds (default 300)
from now is refused, and each signed (timestamp, nonce) is remembered with its body's hash for
as long as it is fresh: the same URL with another body gets 403 (see replay.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from aiohttp import web

from bot.channels import ASSISTANT
from bot.channels.bodies import read_body
from bot.channels.passive import PassiveReplies
from bot.channels.replay import ReplayGuard, ReplayMemory, window_for
from bot.channels.weibo.formatting import passive_reply, weibo_parts
from bot.channels.weibo.pushes import MalformedPush, delivery_key, read_push
from bot.channels.weibo.settings import WeiboSettings

log = logging.getLogger(__name__)
CHANNEL = "weibo"
MAX_BODY_BYTES = 64 * 1024
WELCOME_EVENTS = {"follow", "subscribe", "scan_follow"}

SETTINGS = web.AppKey("weibo_settings", WeiboSettings)
REPLIES = web.AppKey("weibo_replies", PassiveReplies)
REPLAYS = web.AppKey("weibo_replays", ReplayGuard)


def replay_memory(settings: WeiboSettings) -> ReplayGuard:
    return ReplayMemory(window_for(settings.max_skew))


def signature_of(app_secret: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([app_secret, timestamp, nonce])).encode("utf-8", "surrogatepass")).hexdigest()


def _refusal(request: web.Request) -> web.Response | None:
    """403 unless the request is signed with our app secret (and recent, when the skew check is on)."""
    settings, query = request.app[SETTINGS], request.query
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    expected = signature_of(settings.app_secret, timestamp, nonce)
    # Bytes, not str: compare_digest refuses non-ASCII str, and a forged query may contain any.
    if not hmac.compare_digest(expected.encode(), query.get("signature", "").encode("utf-8", "surrogatepass")):
        return web.Response(status=403, text="invalid signature")
    if settings.max_skew and not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20
                                  and abs(time.time() * 1000 - int(timestamp)) <= settings.max_skew * 1000):
        return web.Response(status=403, text="stale timestamp")
    return None


async def verify_url(request: web.Request) -> web.Response:
    return _refusal(request) or web.Response(text=request.query.get("echostr", ""))


async def receive(request: web.Request) -> web.Response:
    refused = _refusal(request)
    if refused is not None:
        return refused
    body = await read_body(request, MAX_BODY_BYTES)
    if body is None:
        return web.Response(status=413, text="body too large")
    query = request.query
    if not await request.app[REPLAYS].admit(query.get("timestamp", ""), query.get("nonce", ""), body):
        return web.Response(status=403, text="replayed signature with a different body")
    try:
        push = read_push(body)
    except MalformedPush as error:
        return web.Response(status=400, text=str(error))
    fan = str(push["sender_id"])
    first = await request.app[REPLIES].answer(delivery_key(push), fan, lambda: _turn(request.app, push),
                                              request.app[ASSISTANT].shared)
    if first is None:
        return web.Response(text="")  # Weibo's "no reply": it neither shows anything nor retries
    return web.json_response(passive_reply(push, first))


def _what_was_said(push: dict[str, Any]) -> str | None:
    """The text a push stands for in the conversation; None: no turn."""
    if push["type"] == "text":
        return push.get("text") or ""
    if push["type"] == "event" and str((push.get("data") or {}).get("subtype", "")).lower() in WELCOME_EVENTS:
        return "/welcome"
    return None


def _notice_for(push: dict[str, Any]) -> str | None:
    """The fixed notice for what zwbot cannot read; events, mentions and unknown types get none
    (Weibo's documents ask receivers to ignore types they do not know)."""
    return {"voice": "utter_voice_needs_text", "image": "utter_text_only",
            "position": "utter_text_only"}.get(push["type"])


async def _turn(app: web.Application, push: dict[str, Any]) -> list[str]:
    assistant, fan = app[ASSISTANT], str(push["sender_id"])
    said = _what_was_said(push)
    if said is not None:
        replies = await assistant.handle(said, fan, CHANNEL)
    else:
        notice = _notice_for(push)
        replies = [assistant.response(notice)] if notice else []
    waiting = [notice.message for notice in await assistant.notifications(CHANNEL, fan)]
    return weibo_parts(assistant.as_text(waiting + replies))
