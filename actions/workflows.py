"""Starting the service workflows: complaints, suggestions, ratings; thanks that invite a rating."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from actions.complaints import remember_department
from actions.forms import Form
from actions.rating import rating_buttons
from actions.sdk import Action, Dispatcher, Services, Tracker


class StartForm(Action):
    """Begin `form`, with what the triggering message already says (`prefill`)."""

    def __init__(self, name: str, form: Form, prefill: Callable[[Tracker], dict[str, Any]] | None = None) -> None:
        self.name = name
        self.form = form
        self.prefill = prefill

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        form = self.form.new_state(self.prefill(tracker) if self.prefill else None)
        if "what" in form["values"]:
            remember_department(form["values"], tracker, services)
        return await self.form.step(dispatcher, tracker, services, form)


class ActionThank(Action):
    """"谢谢": after an answered question, invite a 好差评 rating (once per conversation)."""

    name = "action_thank"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        if tracker.get_slot("item_id") and not tracker.get_slot("rating_offered"):
            dispatcher.utter("utter_thank_and_rate", buttons=rating_buttons())
            item = services.knowledge.item(tracker.get_slot("item_id")) or {}
            # A subject of its own: this one offer takes one rating (RatingService refuses a second).
            return {"rating_offered": True, "rating_pending": True, "rating_subject": f"answer:{uuid.uuid4().hex}",
                    "rating_department": item.get("department")}
        dispatcher.utter("utter_thank")
        return {}
