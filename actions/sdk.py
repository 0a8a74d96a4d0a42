"""The surface actions are written against.

- `Tracker`: what is known of the conversation: the latest parse (the `/model/parse` dict) and slots.
- `Dispatcher`: how an action says something; texts come from domain.yml by response name.
- `Action`: a named step; `run` returns the slots it changes, and the engine applies them. The tracker
  an action is given is a read-only copy: changing it changes nothing (as with rasa-sdk's events).
- `Services`: the services layer an action may use (knowledge base, turn log).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Protocol

from bot.configuration import Configuration


@dataclass
class Tracker:
    """The conversation with one sender, as actions see it."""

    sender_id: str
    channel: str
    slots: Mapping[str, Any] = field(default_factory=dict)
    latest_message: dict[str, Any] = field(default_factory=dict)
    client: str | None = None  # the caller's network address, where the channel knows it (REST)

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)

    def snapshot(self) -> Tracker:
        """A copy an action cannot change behind the engine's back: read-only slots, deep-copied."""
        return replace(self, slots=MappingProxyType({name: _copied(value) for name, value in self.slots.items()}))

    def with_slots(self, **changes: Any) -> Tracker:
        """A read-only copy with some slots changed (what an action sees while it works out its result)."""
        return replace(self, slots=MappingProxyType({**self.slots, **changes}))

    @property
    def intent(self) -> str | None:
        return (self.latest_message.get("intent") or {}).get("name")

    @property
    def guide(self) -> dict[str, Any]:
        return self.latest_message.get("guide") or {}

    @property
    def text(self) -> str:
        return self.latest_message.get("text", "")

    def entity(self, name: str) -> str | None:
        return next((e["value"] for e in self.latest_message.get("entities", []) if e["entity"] == name), None)


class Message(Protocol):
    """What an action may see and change of a message it said (the engine's type is bot.core.messages.BotMessage)."""

    text: str
    buttons: list[dict[str, str]]
    response: str


def _copied(value: Any) -> Any:
    """A deep copy of a slot value (JSON-like: dicts, lists, scalars), several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {key: _copied(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_copied(inner) for inner in value]
    if isinstance(value, (str, int, float, bool, type(None), tuple)):
        return value
    return copy.deepcopy(value)


Renderer = Callable[[str, dict[str, Any]], Message]


class Dispatcher:
    """Collects what an action says. `render` turns a response name and values into a message."""

    def __init__(self, render: Renderer) -> None:
        self._render = render
        self.messages: list[Message] = []

    def utter(self, response: str, buttons: list[dict[str, str]] | None = None, **values: Any) -> None:
        message = self._render(response, values)
        if buttons:
            message.buttons = [*message.buttons, *buttons]
        self.messages.append(message)


class Services(Protocol):
    """What actions may use of the services layer (see bot.services)."""

    knowledge: Any  # bot.services.knowledge.KnowledgeBase snapshot
    cases: Any  # bot.services.cases.CaseService
    tickets: Any  # bot.services.tickets.TicketService
    ratings: Any  # bot.services.ratings.RatingService
    handoffs: Any  # bot.services.handoff.HandoffService
    domain_data: dict[str, Any]  # formats, aspect_labels, follow_ups, centre_topics, labels from domain.yml
    config: Configuration  # config.yml, typed (bot.configuration)

    def log_unanswered(self, tracker: Tracker, reason: str) -> None: ...


class Action:
    """A named step of the dialogue. Subclasses set `name` and implement `run`."""

    name = ""

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        """Say what is needed through `dispatcher`; return the slots to change ({name: value})."""
        raise NotImplementedError
