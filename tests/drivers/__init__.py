"""Story drivers: how a citizen talks to zwbot through one channel's wire format, for the
conversation stories (tests/stories/*.yml) that every channel must pass.

A driver's `say(sender, step)` sends one story step (`user` text, or a button `payload`) the way
that platform would and returns what the citizen saw as `Heard`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Heard:
    texts: list[str] = field(default_factory=list)  # one per message the citizen received
    buttons: list[str] = field(default_factory=list)  # titles of the buttons (or numbered options) offered
    counts_messages: bool = True  # False where the platform joins messages (a story's `replies` is then 0 or not)


class StoryDriver(Protocol):
    async def say(self, sender: str, step: dict[str, Any]) -> Heard: ...
