"""Telegram: each step is an Update POSTed to /webhooks/telegram with the secret-token header, as
Telegram's servers send it. A button payload is pressed as the inline button that carries it (a
callback_query) when the last answer offered one, else typed. What the citizen sees is what zwbot
sent to the fake Bot API with sendMessage for their chat."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import ClientSession

from bot.channels.telegram.buttons import callback_data
from tests.drivers import Heard
from tests.fakes.telegram_bot_api import SECRET_TOKEN, FakeTelegramBotApi

_update_ids = itertools.count(int(time.time()) % 10**6 * 1000)
_chat_ids = itertools.count(7_000_000_000 + int(time.time()) % 10**6 * 100)


def citizen(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "市民", "language_code": "zh-hans"}


def text_update(chat_id: int, text: str, update_id: int | None = None) -> dict[str, Any]:
    """A private-chat text message as Telegram delivers it (a leading /command marked as one)."""
    message: dict[str, Any] = {"message_id": next(_update_ids) % 10**6, "from": citizen(chat_id), "date": int(time.time()),
                               "chat": {"id": chat_id, "type": "private", "first_name": "市民"}, "text": text}
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0].split("{", 1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id if update_id is not None else next(_update_ids), "message": message}


def button_update(chat_id: int, data: str, update_id: int | None = None) -> dict[str, Any]:
    """A press of an inline button carrying `data`, on a message zwbot sent to the chat."""
    message = {"message_id": 1000, "from": {"id": 123456, "is_bot": True, "first_name": "西安政务服务"},
               "date": int(time.time()), "chat": {"id": chat_id, "type": "private", "first_name": "市民"}, "text": "…"}
    query = {"id": f"cq{next(_update_ids)}", "from": citizen(chat_id), "message": message,
             "chat_instance": f"ci{chat_id}", "data": data}
    return {"update_id": update_id if update_id is not None else next(_update_ids), "callback_query": query}


def new_chat_id() -> int:
    return next(_chat_ids)


class TelegramDriver:
    def __init__(self, http: ClientSession, api: FakeTelegramBotApi) -> None:
        self.http, self.api = http, api
        self.chats: dict[str, int] = {}  # story sender → Telegram chat id
        self.offered: dict[int, list[str]] = {}  # chat → callback_data of the buttons last offered

    async def post(self, update: dict[str, Any], secret: str | None = SECRET_TOKEN) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with self.http.post("/webhooks/telegram", json=update, headers=headers) as response:
            return response.status

    async def say(self, sender: str, step: dict[str, Any]) -> Heard:
        if sender not in self.chats:
            self.chats[sender] = new_chat_id()
        chat_id = self.chats[sender]
        already, answered = len(self.api.messages_to(chat_id)), len(self.api.answered)
        pressed = "payload" in step and callback_data(step["payload"]) in self.offered.get(chat_id, [])
        if pressed:
            update = button_update(chat_id, callback_data(step["payload"]))
        else:
            update = text_update(chat_id, step.get("payload", step.get("user")))
        assert await self.post(update) == 200
        await self.api.settle()
        if pressed:
            assert update["callback_query"]["id"] in self.api.answered[answered:], "the button press was not answered"
        sent = self.api.messages_to(chat_id)[already:]
        for message in sent:
            check_wire_format(message)
        self.offered[chat_id] = [button["callback_data"] for message in sent if message["reply_markup"]
                                 for row in message["reply_markup"]["inline_keyboard"] for button in row]
        titles = [button["text"] for message in sent if message["reply_markup"]
                  for row in message["reply_markup"]["inline_keyboard"] for button in row]
        return Heard([message["text"] for message in sent], titles)


def check_wire_format(message: dict[str, Any]) -> None:
    """The sendMessage request as the Bot API documents it: the citizen's chat_id, plain text (no
    parse_mode: zwbot's text would lose its <, > and &) of 1–4,096 characters, and reply_markup an
    InlineKeyboardMarkup of one button per row, each a text and a callback_data of 1–64 bytes."""
    raw = message["raw"]
    form = dict(parse_qsl(raw.body.decode("utf-8"))) \
        if raw.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded") \
        else json.loads(raw.body.decode("utf-8"))
    assert set(form) <= {"chat_id", "text", "reply_markup"}, f"unexpected parameters {sorted(form)}"
    assert str(form["chat_id"]) == str(message["chat_id"])
    assert 1 <= len(form["text"].encode("utf-16-le")) // 2 <= 4096
    if "reply_markup" in form:
        markup = json.loads(form["reply_markup"]) if isinstance(form["reply_markup"], str) else form["reply_markup"]
        buttons = [row[0] for row in markup["inline_keyboard"]]
        assert markup == {"inline_keyboard": [[{"text": b["text"], "callback_data": b["callback_data"]}] for b in buttons]}
        assert all(b["text"] and 1 <= len(b["callback_data"].encode()) <= 64 for b in buttons)
