"""Button payloads as inline-keyboard `callback_data`, which Telegram limits to 64 bytes.

A payload that fits is sent as it is. A longer one (e.g. `/ask_guide{"item_id": …, "aspect": …}`)
travels as a short token mapped back to the payload. The map is kept in this process (bounded) and,
when several workers serve the bot, in the workers' shared coordination (Redis) too, so a press
that reaches another worker than the one that sent the button still works. A token that is known
nowhere (a restart of a single process, a press long after the button was sent) resolves to nothing
and the citizen is asked to say what they need instead.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable

from bot.services.coordination import Coordination, CoordinationUnavailable

log = logging.getLogger(__name__)
MAX_CALLBACK_BYTES = 64
TOKEN_PREFIX = "~b:"  # a payload starting with this is always tokenised, so the two never mix
MAX_TOKENS = 10_000
SHARED_TOKEN_SECONDS = 30 * 86400  # a button in a chat stays pressable; a month covers real use


def callback_data(payload: str) -> str:
    """What a button for `payload` carries: the payload itself, or its token (same payload, same token)."""
    if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(TOKEN_PREFIX):
        return payload
    digest = hashlib.sha256(payload.encode()).digest()[:15]
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode()


class ButtonPayloads:
    """The tokens handed out: the most recently used `limit` of them here, and every one of them in
    `shared()` (the workers' coordination, None for a single process)."""

    def __init__(self, limit: int = MAX_TOKENS, shared: Callable[[], Coordination | None] = lambda: None) -> None:
        self.limit = limit
        self.shared = shared
        self._payloads: OrderedDict[str, str] = OrderedDict()
        self._unshared: dict[str, str] = {}

    def data_for(self, payload: str) -> str:
        """The callback_data of a button for `payload`, remembering the payload when it is a token.
        Call `share()` before the button is sent, so that every worker knows it."""
        data = callback_data(payload)
        if data != payload:
            self._payloads[data] = payload
            self._payloads.move_to_end(data)
            while len(self._payloads) > self.limit:
                self._payloads.popitem(last=False)
            self._unshared[data] = payload
        return data

    async def share(self) -> None:
        """Give the tokens made since the last call to the other workers; raises
        CoordinationUnavailable when Redis cannot be reached (the buttons would not work elsewhere)."""
        shared, unshared = self.shared(), self._unshared
        self._unshared = {}
        if shared is None:
            return
        for data, payload in unshared.items():
            await shared.put(f"telegram:button:{data}", payload.encode(), SHARED_TOKEN_SECONDS)

    async def payload_of(self, data: str) -> str | None:
        """The payload a pressed button stands for; None for a token no worker knows (any more)."""
        if not data.startswith(TOKEN_PREFIX):
            return data
        payload = self._payloads.get(data)
        shared = self.shared()
        if payload is not None or shared is None:
            return payload
        try:
            kept = await shared.get(f"telegram:button:{data}")
        except CoordinationUnavailable:
            log.warning("telegram: Redis is unreachable; button token %s cannot be looked up", data)
            return None
        return None if kept is None else kept.decode()
