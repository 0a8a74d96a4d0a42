"""What a Telegram update means to zwbot, and running it as one turn; the webhook and polling both
hand their updates to `UpdateHandler.accept`.

Telegram delivers an update again when it did not get a 2xx in time, so each `update_id` runs at
most once (the last 10,000 are remembered). A chat's updates run one after another, in the order
they came, so its answers go out in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from telegram import Bot, Message, Update

from bot.assistant import Assistant
from bot.channels.telegram.buttons import ButtonPayloads
from bot.channels.telegram.delivery import CHANNEL, send_messages

log = logging.getLogger(__name__)
MAX_REMEMBERED_UPDATES = 10_000
SHUTDOWN_GRACE_SECONDS = 5.0
VOICE_KINDS = ("voice", "audio", "video_note")  # Telegram sends no transcription of these


@dataclass(frozen=True)
class Incoming:
    """One citizen action: `text` for a turn, or only a fixed `response`, or neither (a button
    Telegram wants acknowledged, nothing to answer)."""

    chat_id: str
    text: str | None = None
    response: str | None = None  # a domain.yml response name
    callback_query_id: str | None = None
    button: str | None = None  # a pressed button's callback_data, read back to its payload in the turn


def _chat_id(value: object) -> str | None:
    """A chat id as zwbot keys conversations; None for what Telegram never sends (Update.de_json
    does not check field types, so a forged update can put anything here)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _from_message(message: Message) -> Incoming | None:
    chat_id = _chat_id(getattr(message.chat, "id", None))
    if chat_id is None or not isinstance(message.text, (str, type(None))):
        return None
    if message.text is not None:
        words = message.text.split(maxsplit=1)
        # /start is what Telegram sends when someone opens the bot (also as /start@bot or with a deep link).
        if words and words[0].split("@", 1)[0] == "/start":
            return Incoming(chat_id, text="/welcome")
        return Incoming(chat_id, text=message.text)
    if any(getattr(message, kind) for kind in VOICE_KINDS):
        return Incoming(chat_id, response="utter_voice_needs_text")
    if message.effective_attachment:  # photos, stickers, files, locations, …
        return Incoming(chat_id, response="utter_text_only")
    return None  # service messages (members joined, pinned, …) need no answer


def read_update(update: Update) -> Incoming | None:
    """The citizen action an update stands for; None when it needs nothing (edits, service messages,
    updates of kinds zwbot does not use) or has a shape Telegram never sends."""
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else query.from_user
        chat_id = _chat_id(getattr(chat, "id", None))
        if chat_id is None or not isinstance(query.id, str) or not isinstance(query.data, (str, type(None))):
            return None
        if query.data is None:
            return Incoming(chat_id, callback_query_id=query.id)
        return Incoming(chat_id, button=query.data, callback_query_id=query.id)
    return _from_message(update.message) if isinstance(update.message, Message) else None


@dataclass
class _Chat:
    lock: asyncio.Lock
    users: int = 0


class UpdateHandler:
    def __init__(self, bot: Bot, payloads: ButtonPayloads) -> None:
        self.bot, self.payloads = bot, payloads
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._chats: dict[str, _Chat] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def accept(self, assistant: Assistant, update: Update) -> asyncio.Task[None] | None:
        """Start handling `update` in the background; None when it was seen before or needs nothing."""
        if update.update_id in self._seen:
            return None
        self._seen[update.update_id] = None
        if len(self._seen) > MAX_REMEMBERED_UPDATES:
            self._seen.popitem(last=False)
        incoming = read_update(update)
        if incoming is None:
            return None
        task = asyncio.get_running_loop().create_task(self._handle(assistant, incoming))
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Let running turns finish (briefly), then cancel what is left."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    @asynccontextmanager
    async def _in_order(self, chat_id: str) -> AsyncIterator[None]:
        chat = self._chats.setdefault(chat_id, _Chat(asyncio.Lock()))
        chat.users += 1
        try:
            async with chat.lock:  # asyncio.Lock is FIFO: turns run in arrival order
                yield
        finally:
            chat.users -= 1
            if chat.users == 0:
                del self._chats[chat_id]

    async def _handle(self, assistant: Assistant, incoming: Incoming) -> None:
        if incoming.callback_query_id is not None:
            await self._acknowledge(incoming.callback_query_id)
        if incoming.button is not None:
            payload = await self.payloads.payload_of(incoming.button)
            incoming = Incoming(incoming.chat_id, text=payload, callback_query_id=incoming.callback_query_id,
                                response="utter_button_expired" if payload is None else None)
        try:
            async with self._in_order(incoming.chat_id):
                if incoming.text is not None:
                    replies = await assistant.handle(incoming.text, incoming.chat_id, CHANNEL)
                elif incoming.response is not None:
                    replies = [assistant.response(incoming.response)]
                else:
                    return
                waiting = [notice.message for notice in await assistant.notifications(CHANNEL, incoming.chat_id)]
                await send_messages(self.bot, incoming.chat_id, waiting + replies, self.payloads)
        except Exception:  # noqa: BLE001 - one failed turn or send must not stop the channel
            log.exception("telegram: could not answer chat %s", incoming.chat_id)

    async def _acknowledge(self, callback_query_id: str) -> None:
        """Until a press is answered, Telegram shows a spinner on the button."""
        try:
            await self.bot.answer_callback_query(callback_query_id)
        except Exception:  # noqa: BLE001 - e.g. a press older than Telegram keeps; the turn still runs
            log.warning("telegram: could not answer callback query %s", callback_query_id, exc_info=True)
