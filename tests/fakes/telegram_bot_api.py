"""A fake of the Telegram Bot API (api.telegram.org/bot<token>/<method>) for the calls zwbot makes.

Parameters are read as the Bot API reads them: a query string, application/x-www-form-urlencoded
(where objects such as reply_markup are JSON-serialized strings — what python-telegram-bot sends)
or application/json. What the Bot API documents as an error is one here too (empty or over-long
text, callback_data over 64 bytes, a malformed keyboard, getUpdates while a webhook is set, a
wrong token), answered in the Bot API's shape: `{"ok": false, "error_code": …, "description": …}`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.recorder import FakeServer, Recorded

TOKEN = "123456:TEST-TOKEN"
SECRET_TOKEN = "test-secret_token-1"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "西安政务服务", "username": "xa_zwfw_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
MAX_POLL_SECONDS = 2.0  # a long poll is cut short here so a test never waits on the fake
_SECRET_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class BotApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def _answer(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _refusal(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def read_parameters(entry: Recorded) -> dict[str, Any]:
    """The call's parameters; a form's values stay strings (objects in them are JSON strings)."""
    parameters: dict[str, Any] = dict(entry.query)
    content_type = entry.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not entry.body:
        return parameters
    if content_type == "application/json":
        body = json.loads(entry.body.decode("utf-8"))
        if not isinstance(body, dict):
            raise BotApiError(400, "Bad Request: parameters must be a JSON object")
        return {**parameters, **body}
    if content_type == "application/x-www-form-urlencoded":
        return {**parameters, **dict(parse_qsl(entry.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))}
    raise BotApiError(400, f"Bad Request: unsupported content type {content_type!r}")


def _object(value: Any, what: str) -> Any:
    """An object parameter: JSON text in a form, already an object in a JSON body."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise BotApiError(400, f"Bad Request: can't parse {what} JSON object") from None
    return value


def check_inline_keyboard(markup: Any) -> dict[str, Any]:
    """The InlineKeyboardMarkup as the Bot API accepts it, or the error it gives."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BotApiError(400, "Bad Request: can't parse inline keyboard markup JSON object")
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
            raise BotApiError(400, "Bad Request: can't parse inline keyboard button: Text must be non-empty")
        data = button.get("callback_data")
        if data is not None and (not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES):
            raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _chat_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BotApiError(400, "Bad Request: chat not found") from None


@dataclass
class FakeTelegramBotApi(FakeServer):
    token: str = TOKEN
    webhook_url: str = ""
    webhook_secret: str = ""
    # accepted sendMessage parameters (chat_id an int, reply_markup decoded; "raw": the request as sent)
    sent: list[dict[str, Any]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)  # callback_query_ids answered
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self.call)

    async def call(self, request: web.Request) -> web.Response:
        entry = await self.record(request)
        if request.match_info["token"] != self.token:
            return _refusal(401, "Unauthorized")
        method = getattr(self, f"_{request.match_info['method'].lower()}", None)  # method names ignore case
        if method is None:
            return _refusal(404, "Not Found")
        try:
            return _answer(await method(read_parameters(entry), entry))
        except BotApiError as error:
            return _refusal(error.code, error.description)
        except (UnicodeDecodeError, ValueError):
            return _refusal(400, "Bad Request: can't parse request parameters")

    # ---- the Bot API methods zwbot calls ----

    async def _getme(self, _: dict[str, Any], __: Recorded) -> dict[str, Any]:
        return BOT_USER

    async def _sendmessage(self, parameters: dict[str, Any], entry: Recorded) -> dict[str, Any]:
        chat_id = _chat_id(parameters.get("chat_id"))
        text = parameters.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MAX_TEXT:
            raise BotApiError(400, "Bad Request: message is too long")
        markup = parameters.get("reply_markup")
        if markup is not None:
            markup = check_inline_keyboard(_object(markup, "reply keyboard markup"))
        self.sent.append({**parameters, "chat_id": chat_id, "reply_markup": markup, "raw": entry})
        message = {"message_id": next(self._message_ids), "from": BOT_USER, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": "市民"}, "text": text}
        return {**message, "reply_markup": markup} if markup else message

    async def _answercallbackquery(self, parameters: dict[str, Any], _: Recorded) -> bool:
        if not parameters.get("callback_query_id"):
            raise BotApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.answered.append(str(parameters["callback_query_id"]))
        return True

    async def _setwebhook(self, parameters: dict[str, Any], _: Recorded) -> bool:
        url, secret = str(parameters.get("url", "")), str(parameters.get("secret_token", ""))
        if not url.startswith("https://"):
            raise BotApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if secret and not _SECRET_CHARS.match(secret):
            raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook_url, self.webhook_secret = url, secret
        return True

    async def _deletewebhook(self, _: dict[str, Any], __: Recorded) -> bool:
        self.webhook_url = self.webhook_secret = ""
        return True

    async def _getupdates(self, parameters: dict[str, Any], _: Recorded) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                   "use deleteWebhook to delete the webhook first")
        offset, timeout = int(parameters.get("offset") or 0), float(parameters.get("timeout") or 0)
        # An offset confirms every update before it: Telegram forgets them.
        self._updates = [update for update in self._updates if update["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), min(timeout, MAX_POLL_SECONDS))
            except asyncio.TimeoutError:
                pass
        return self._updates[: int(parameters.get("limit") or 100)]

    # ---- for tests ----

    def queue_update(self, update: dict[str, Any]) -> None:
        """An update for getUpdates to hand out (until an offset confirms it)."""
        self._updates.append(update)
        self._new_update.set()

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates no getUpdates offset has confirmed yet."""
        return list(self._updates)

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [message for message in self.sent if message["chat_id"] == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        return [message["text"] for message in self.messages_to(chat_id)]
