"""好差评: five levels as buttons (numbers on text-only channels); 不满意 or worse asks why.

A rating is always of one offer: the conversation was invited to rate an answer, a closed ticket or
a finished hand-off, whose unique subject ("answer:<uuid>", "ticket:<number>", "handoff:<id>") waits
in the `rating_subject` slot until rated. Each subject takes one rating."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from actions.complaints import refused_by_ticket_limit
from actions.forms import Form
from actions.sdk import Dispatcher, Services, Tracker
from bot.services.ratings import AlreadyRated
from bot.vocabulary import RatingLevel

LEVEL_WORDS = [("非常不满意", 1), ("很不满意", 1), ("基本满意", 3), ("还行", 3), ("一般", 3), ("不满意", 2),
               ("非常满意", 5), ("很满意", 5), ("满意", 4)]  # longest first where one contains another


def rating_buttons() -> list[dict[str, str]]:
    """The five 好差评 levels as numbered buttons, best first ("1" is 非常满意)."""
    return [{"title": f"{n}. {level.label}", "payload": f'/rate{{"level": {int(level)}}}'}
            for n, level in enumerate(sorted(RatingLevel, reverse=True), 1)]


def level_of(tracker: Tracker) -> int | None:
    payload = (tracker.latest_message.get("payload") or {}).get("level")
    if isinstance(payload, int) and 1 <= payload <= 5:
        return payload
    text = tracker.text.strip()
    digit = re.fullmatch(r"\s*([1-5])\s*[。.]?", text)
    if digit:
        return 6 - int(digit.group(1))  # "1" is the first button: 非常满意
    return next((level for word, level in LEVEL_WORDS if word in text), None)


class RatingForm(Form):
    name = "rating_form"
    own_intent = "rate"
    required_slots = ("level", "reason")
    free_text_slots = ("reason",)

    def slots_needed(self, values: dict[str, Any]) -> list[str]:
        needed = super().slots_needed(values)
        return [s for s in needed if s != "reason" or RatingLevel(values.get("level", 5)).opens_rectification]

    async def validate(self, slot: str, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> Any:
        if slot == "level":
            level = level_of(tracker)
            if level is None:
                dispatcher.utter("utter_rating_bad_level")
            return level
        return tracker.text.strip()[:1000] or None

    async def step(self, dispatcher: Dispatcher, tracker: Tracker, services: Services,
                   form: dict[str, Any]) -> dict[str, Any]:
        if not tracker.get_slot("rating_subject"):
            # Ratings are of a service this conversation was just given and invited to rate (an answer,
            # a closed ticket, a finished hand-off), never typed cold.
            dispatcher.utter("utter_rating_not_offered", phone=services.knowledge.centre.get("phone", ""))
            return {"form": None}
        changes = await super().step(dispatcher, tracker, services, form)
        form = changes.get("form") or {}
        if form.get("requested") == "level" and dispatcher.messages:
            dispatcher.messages[-1].buttons = rating_buttons()
        return changes

    async def submit(self, dispatcher: Dispatcher, tracker: Tracker, services: Services,
                     values: dict[str, Any]) -> dict[str, Any]:
        subject = tracker.get_slot("rating_subject")
        bad = RatingLevel(values["level"]).opens_rectification  # opens a 差评整改 ticket, which counts toward the citizen's ticket limits
        if bad and await refused_by_ticket_limit(dispatcher, tracker, services):
            return {}
        key = hashlib.sha256(f"{tracker.channel}|{tracker.sender_id}|{subject}|rating".encode()).hexdigest()
        try:
            ticket = await services.ratings.rate(values["level"], subject=subject, channel=tracker.channel,
                                                 sender=tracker.sender_id, reason=values.get("reason", ""),
                                                 department=tracker.get_slot("rating_department")
                                                 or services.config.dialogue.default_department,
                                                 dedupe_key=key)
        except AlreadyRated:
            dispatcher.utter("utter_rating_already")
            return {"rating_subject": None, "rating_department": None}
        if ticket is not None:
            await services.tickets.quota.opened(tracker.client)
            dispatcher.utter("utter_rating_bad_received", number=ticket.number)
        else:
            dispatcher.utter("utter_rating_thanks")
        return {"rating_subject": None, "rating_department": None}


def prefill_level(tracker: Tracker) -> dict[str, Any]:
    """"我要给个好评"/"非常满意" already says the level."""
    level = level_of(tracker)
    return {"level": level} if level is not None else {}
