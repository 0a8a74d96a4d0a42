"""Who a web-chat citizen is: a random id the server issued, proved by an HMAC-SHA256 token.

The page cannot keep a secret from its own citizen, but it can keep one from everybody else: the
server issues `sender` (128 random bits) with `token` = HMAC(key, sender), the page keeps both and
sends the token with every request. Knowing a sender id (it shows in the staff console) is not
enough to read that citizen's conversation or notifications. The key is `ZWBOT_WEBCHAT_SECRET`, else
a secret file made once in the state folder; changing it signs every page out (they get new ids).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.storage.cipher import load_secret

CHANNEL = "webchat"  # web-chat conversations live apart from the open REST channel's
TOKEN_HEADER = "X-Webchat-Token"
SOCKET_PROTOCOL_PREFIX = "zwbot-token."  # a browser's websocket can send the token only as a subprotocol
_SENDER = re.compile(r"wc-[0-9a-f]{32}")


@dataclass(frozen=True)
class Identity:
    sender: str
    token: str


class WebchatIdentities:
    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def configured(cls, state_dir: Path) -> WebchatIdentities:
        secret = os.environ.get("ZWBOT_WEBCHAT_SECRET", "").strip()
        return cls(secret.encode() if secret else load_secret(state_dir, "webchat"))

    def issue(self) -> Identity:
        """A new citizen: a fresh random sender id and its token."""
        sender = "wc-" + secrets.token_hex(16)
        return Identity(sender, self._sign(sender))

    def valid(self, sender: str, token: str) -> bool:
        return bool(_SENDER.fullmatch(sender)) and hmac.compare_digest(self._sign(sender).encode(),
                                                                        token.encode("utf-8", "replace"))

    def _sign(self, sender: str) -> str:
        return hmac.new(self._key, f"webchat-sender:{sender}".encode(), hashlib.sha256).hexdigest()


def looks_like_webchat_sender(sender: str) -> bool:
    """An id of the shape the web chat issues (refused on the open REST channel)."""
    return bool(_SENDER.fullmatch(sender))


def presented_token(request: web.Request) -> str | None:
    """The token a request carries: the header, or (websockets from a browser) the subprotocol."""
    token = request.headers.get(TOKEN_HEADER)
    if token is not None:
        return token.strip()
    for protocol in request.headers.get("Sec-WebSocket-Protocol", "").split(","):
        if protocol.strip().startswith(SOCKET_PROTOCOL_PREFIX):
            return protocol.strip()[len(SOCKET_PROTOCOL_PREFIX):]
    return None


IDENTITIES = web.AppKey("webchat_identities", WebchatIdentities)
