"""The HTTP API in Rasa's shapes: `/health`, `/model/parse` and the REST channel
`/webhooks/rest/webhook` (which the web chat page uses too)."""

from __future__ import annotations

import orjson
from aiohttp import web

from bot.channels import ASSISTANT, CHANNELS
from bot.channels.http_errors import json_error, json_response, read_json_object
from bot.channels.websocket import events_until_closed
from bot.services.live import citizen_topic

MAX_SENDER_CHARS = 128


async def health(request: web.Request) -> web.Response:
    report = await request.app[ASSISTANT].health()
    return json_response({**report, "channels": request.app.get(CHANNELS, {})})


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
    sender, message = data.get("sender", "default"), data.get("message")
    if not isinstance(sender, (str, int)) or isinstance(sender, bool) or str(sender).strip() == "":
        return json_error(400, "字段 sender 必须是非空字符串")
    if not isinstance(message, str):
        return json_error(400, "字段 message 必须是字符串")
    sender = str(sender)[:MAX_SENDER_CHARS]
    assistant = request.app[ASSISTANT]
    replies = await assistant.handle(message, sender, "rest")
    waiting = [notice.message for notice in await assistant.notifications("rest", sender)]
    return json_response([r.as_dict(sender) for r in waiting + replies])


async def rest_notifications(request: web.Request) -> web.Response:
    """What is waiting for one web-chat citizen (case status changes, replies); the page polls this."""
    sender = request.query.get("sender", "").strip()[:MAX_SENDER_CHARS]
    if not sender:
        return json_error(400, "缺少参数 sender")
    waiting = await request.app[ASSISTANT].notifications("rest", sender)
    return json_response([notice.message.as_dict(sender) for notice in waiting])


async def rest_live(request: web.Request) -> web.StreamResponse:
    """A websocket that pushes a web-chat citizen's notifications (staff replies) the moment they exist."""
    sender = request.query.get("sender", "").strip()[:MAX_SENDER_CHARS]
    if not sender:
        return json_error(400, "缺少参数 sender")
    assistant = request.app[ASSISTANT]
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    async def send_waiting() -> None:
        waiting = await assistant.notifications("rest", sender)
        if waiting:
            await socket.send_str(orjson.dumps([notice.message.as_dict(sender) for notice in waiting]).decode())

    async with assistant.live.subscribe(citizen_topic("rest", sender)) as queue:
        await send_waiting()
        async for _ in events_until_closed(socket, queue):
            await send_waiting()
    return socket


def add_routes(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_post("/model/parse", model_parse)
    app.router.add_post("/webhooks/rest/webhook", rest_webhook)
    app.router.add_get("/webhooks/rest/notifications", rest_notifications)
    app.router.add_get("/webhooks/rest/live", rest_live)
