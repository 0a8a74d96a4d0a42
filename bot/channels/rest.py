"""The HTTP API in Rasa's shapes: `/health`, `/model/parse` and the REST channel
`/webhooks/rest/webhook`.

Two kinds of caller share these URLs. Integrations speak on the "rest" channel with senders of
their own (behind `ZWBOT_REST_API_KEY` when it is set). The web chat page speaks on the "webchat"
channel with a server-issued sender and its token (bot.channels.webchat.identity); nothing said
on one channel can read or reach a conversation of the other."""

from __future__ import annotations

import hmac
import os

import orjson
from aiohttp import web

from bot.channels import ASSISTANT, CHANNELS
from bot.channels.client import client_address
from bot.channels.http_errors import json_error, json_response, read_json_object
from bot.channels.slow_clients import SOCKETS
from bot.channels.webchat.identity import CHANNEL as WEBCHAT
from bot.channels.webchat.identity import (
    IDENTITIES,
    SOCKET_PROTOCOL_PREFIX,
    looks_like_webchat_sender,
    presented_token,
)
from bot.channels.websocket import events_until_closed
from bot.services.live import citizen_topic

MAX_SENDER_CHARS = 128
API_KEY = web.AppKey("rest_api_key", str)  # ZWBOT_REST_API_KEY; "" leaves the REST channel open


async def health(request: web.Request) -> web.Response:
    report = await request.app[ASSISTANT].health()
    # 503 tells a load balancer to send citizens elsewhere: this process cannot keep what they send.
    return json_response({**report, "channels": request.app.get(CHANNELS, {})}, 200 if report["status"] == "ok" else 503)


async def model_parse(request: web.Request) -> web.Response:
    data = await read_json_object(request)
    if isinstance(data, web.Response):
        return data
    text = data.get("text")
    if not isinstance(text, str):
        return json_error(400, "字段 text 必须是字符串")
    return json_response(request.app[ASSISTANT].parse(text).as_dict())


async def rest_webhook(request: web.Request) -> web.Response:
    data = await read_json_object(request)
    if isinstance(data, web.Response):
        return data
    sender, message = data.get("sender"), data.get("message")
    if sender is None:
        return json_error(400, "缺少字段 sender（每位群众一个固定的会话编号）")
    if not isinstance(sender, (str, int)) or isinstance(sender, bool) or str(sender).strip() == "":
        return json_error(400, "字段 sender 必须是非空字符串")
    if not isinstance(message, str):
        return json_error(400, "字段 message 必须是字符串")
    sender = str(sender)[:MAX_SENDER_CHARS]
    channel = _channel_of(request, sender)
    if isinstance(channel, web.Response):
        return channel
    assistant = request.app[ASSISTANT]
    replies = await assistant.handle(message, sender, channel, client=client_address(request))
    waiting = [notice.message for notice in await assistant.notifications(channel, sender)]
    return json_response([r.as_dict(sender) for r in waiting + replies])


async def rest_notifications(request: web.Request) -> web.Response:
    """What is waiting for one citizen (case status changes, replies); the web chat page polls this."""
    sender = request.query.get("sender", "").strip()[:MAX_SENDER_CHARS]
    if not sender:
        return json_error(400, "缺少参数 sender")
    channel = _channel_of(request, sender)
    if isinstance(channel, web.Response):
        return channel
    waiting = await request.app[ASSISTANT].notifications(channel, sender)
    return json_response([notice.message.as_dict(sender) for notice in waiting])


async def rest_live(request: web.Request) -> web.StreamResponse:
    """A websocket that pushes a citizen's notifications (staff replies) the moment they exist.

    A browser cannot set headers on a websocket: the web chat sends its token as the subprotocol
    `zwbot-token.<token>`, which is echoed back."""
    sender = request.query.get("sender", "").strip()[:MAX_SENDER_CHARS]
    if not sender:
        return json_error(400, "缺少参数 sender")
    channel = _channel_of(request, sender)
    if isinstance(channel, web.Response):
        return channel
    assistant = request.app[ASSISTANT]
    token = presented_token(request)
    protocols = (SOCKET_PROTOCOL_PREFIX + token,) if token and "Sec-WebSocket-Protocol" in request.headers else ()
    async with request.app[SOCKETS].open(request, protocols=protocols) as socket:
        async def send_waiting() -> None:
            waiting = await assistant.notifications(channel, sender)
            if waiting:
                await socket.send_str(orjson.dumps([notice.message.as_dict(sender) for notice in waiting]).decode())

        async with assistant.live.subscribe(citizen_topic(channel, sender)) as queue:
            await send_waiting()
            async for _ in events_until_closed(socket, queue):
                await send_waiting()
    return socket


def _channel_of(request: web.Request, sender: str) -> str | web.Response:
    """Which conversation a request may speak for, or the refusal.

    With a web-chat token: the "webchat" conversation of `sender`, if the token is `sender`'s.
    Without one: the open REST channel (integrations), which requires `ZWBOT_REST_API_KEY` when it
    is set, and never takes a sender id of the web chat's shape (those belong to token holders)."""
    token = presented_token(request)
    if token is not None:
        if not request.app[IDENTITIES].valid(sender, token):
            return json_error(403, "网页咨询会话令牌无效，请刷新页面后重试")
        return WEBCHAT
    key = request.app[API_KEY]
    if key and not hmac.compare_digest(_presented_key(request).encode("utf-8", "replace"), key.encode()):
        return json_error(401, "缺少或错误的 API 密钥（X-API-Key 或 Authorization: Bearer）")
    if looks_like_webchat_sender(sender):
        return json_error(403, "网页咨询会话需要会话令牌")
    return "rest"


def _presented_key(request: web.Request) -> str:
    key = request.headers.get("X-API-Key")
    if key is not None:
        return key.strip()
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def add_routes(app: web.Application) -> None:
    app[API_KEY] = os.environ.get("ZWBOT_REST_API_KEY", "").strip()
    app.router.add_get("/health", health)
    app.router.add_post("/model/parse", model_parse)
    app.router.add_post("/webhooks/rest/webhook", rest_webhook)
    app.router.add_get("/webhooks/rest/notifications", rest_notifications)
    app.router.add_get("/webhooks/rest/live", rest_live)
