"""Button payloads as inline-keyboard `callback_data`, which Telegram limits to 64 bytes.

A payload that fits is sent as it is. A longer one (e.g. `/ask_guide{"item_id": …, "aspect": …}`)
travels as a short token that this process maps back to the payload; the map is bounded, so a
button pressed after a restart or long after it was sent resolves to nothing and the citizen is
asked to say what they need instead.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict

MAX_CALLBACK_BYTES = 64
TOKEN_PREFIX = "~b:"  # a payload starting with this is always tokenised, so the two never mix
MAX_TOKENS = 10_000


def callback_data(payload: str) -> str:
    """What a button for `payload` carries: the payload itself, or its token (same payload, same token)."""
    if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(TOKEN_PREFIX):
        return payload
    digest = hashlib.sha256(payload.encode()).digest()[:15]
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode()


class ButtonPayloads:
    """The tokens this process has handed out, the most recently used `limit` of them."""

    def __init__(self, limit: int = MAX_TOKENS) -> None:
        self.limit = limit
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def data_for(self, payload: str) -> str:
        """The callback_data of a button for `payload`, remembering the payload when it is a token."""
        data = callback_data(payload)
        if data != payload:
            self._payloads[data] = payload
            self._payloads.move_to_end(data)
            while len(self._payloads) > self.limit:
                self._payloads.popitem(last=False)
        return data

    def payload_of(self, data: str) -> str | None:
        """The payload a pressed button stands for; None for a token this process no longer knows."""
        if not data.startswith(TOKEN_PREFIX):
            return data
        return self._payloads.get(data)
