"""What zwbot says: the message type the engine, the channels and the actions all speak.

It lives in the core because every channel renders it; actions build it through `Dispatcher`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class BotMessage:
    """One message to the citizen; channels render `buttons` in their own way."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    response: str = ""  # the domain.yml response it was worded from (what the turn was, for the statistics)

    def as_dict(self, recipient_id: str) -> dict[str, Any]:
        message: dict[str, Any] = {"recipient_id": recipient_id, "text": self.text}
        if self.buttons:
            message["buttons"] = self.buttons
        return message
