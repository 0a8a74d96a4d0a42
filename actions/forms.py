"""Forms: ask for a few slots one at a time, check each answer, then act on them all.

A form keeps its answers in the `form` slot ({"name", "id", "requested", "values"}); the engine
sends every message to the active form until it submits or the citizen cancels.
"""

from __future__ import annotations

import uuid
from typing import Any

from actions.sdk import Action, Dispatcher, Services, Tracker


class Form(Action):
    """Subclasses set `name` and `required_slots`, and implement `validate` and `submit`.

    The question for slot `s` is the response `utter_ask_<form name>_<s>`.
    """

    required_slots: tuple[str, ...] = ()
    # A message of one of these intents that does not answer the question leaves the form: the
    # citizen has moved on ("老人证要带啥" while zwbot waits for a case number).
    new_topic_intents = frozenset({"ask_guide", "ask_centre", "greet", "thank", "goodbye", "chitchat",
                                   "complain", "suggest", "query_progress", "rate"})

    def start(self, tracker: Tracker, prefilled: dict[str, Any] | None = None) -> None:
        tracker.slots["form"] = {"name": self.name, "id": uuid.uuid4().hex, "requested": None,
                                 "values": dict(prefilled or {})}

    async def validate(self, slot: str, dispatcher: Dispatcher, tracker: Tracker,
                       services: Services) -> Any:
        """The value of `slot` in the latest message, or None (after saying what is wrong)."""
        text = tracker.text.strip()
        return text or None

    async def submit(self, dispatcher: Dispatcher, tracker: Tracker, services: Services,
                     values: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    own_intent = ""  # the intent that opens this form

    def looks_like_answer(self, slot: str, text: str) -> bool:
        """A wrong answer that is still an answer ("电话是12345") keeps the form open."""
        return False

    def slots_needed(self, values: dict[str, Any]) -> list[str]:
        return [slot for slot in self.required_slots if slot not in values]

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        form = tracker.slots.get("form") or {}
        if form.get("name") != self.name:
            self.start(tracker)
            form = tracker.slots["form"]
        values = form["values"]
        requested = form.get("requested")
        if requested:
            said = len(dispatcher.messages)
            value = await self.validate(requested, dispatcher, tracker, services)
            if value is None and not self.looks_like_answer(requested, tracker.text) and \
                    tracker.intent in self.new_topic_intents - {self.own_intent}:
                del dispatcher.messages[said:]
                return {"form": None, "reprocess": True}
            if value is None:  # validate has said what was wrong: ask again
                dispatcher.utter(f"utter_ask_{self.name}_{requested}", **self.prompt_values(values, services))
                return {"form": form}
            values[requested] = value
        needed = self.slots_needed(values)
        if needed:
            form["requested"] = needed[0]
            dispatcher.utter(f"utter_ask_{self.name}_{needed[0]}", **self.prompt_values(values, services))
            return {"form": form}
        changes = await self.submit(dispatcher, tracker, services, values)
        return {"form": None, **changes}

    def prompt_values(self, values: dict[str, Any], services: Services) -> dict[str, Any]:
        """Values the questions may show (e.g. a summary before confirming)."""
        return dict(values)
