"""Conversation-level actions: out of scope, affirm, the human contact and holding answers."""

from __future__ import annotations

from typing import Any

from actions.centre import weekday_hours
from actions.guide import answer_item, miss
from actions.sdk import Action, Dispatcher, Services, Tracker


class ActionOutOfScope(Action):
    """Not the centre's business: say what zwbot can help with; count it as a miss. A bare aspect
    question ("收费吗") that the interpreter could not place is a follow-up when an item was just discussed."""

    name = "action_out_of_scope"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        last_item, aspect = tracker.get_slot("item_id"), tracker.guide.get("aspect")
        if last_item and aspect:  # "要多少钱" right after a guide answer asks about that item
            return answer_item(dispatcher, services, last_item, aspect, bool(tracker.guide.get("proxy")), tracker.text)
        services.log_unanswered(tracker, "out_of_scope")
        return miss(dispatcher, tracker, services, "utter_out_of_scope")


class ActionClarify(Action):
    """"您是想：" — the message would open a form on an intent the classifier is unsure of: offer the
    likeliest intents (an item by its name for a guide question) and a human, and act on the choice.
    The message is kept, so a complaint chosen starts from what it said."""

    name = "action_clarify"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        titles = services.domain_data["labels"]["intent_choices"]
        buttons: list[dict[str, str]] = []
        for ranked in tracker.latest_message.get("intent_ranking") or []:
            intent = ranked["name"]
            if intent == "ask_guide":
                candidates = tracker.guide.get("candidates") or []
                if candidates:
                    item = candidates[0]
                    buttons.append({"title": titles["ask_guide_item"].format(name=item["name"]),
                                    "payload": f'/ask_guide{{"item_id": "{item["item_id"]}", "aspect": "overview"}}'})
                    continue
            if intent in titles and intent != "request_human":
                buttons.append({"title": titles[intent], "payload": f"/{intent}"})
            if len(buttons) == 3:
                break
        buttons.append({"title": titles["request_human"], "payload": '/request_human{"reason": "unsure"}'})
        dispatcher.utter("utter_clarify", buttons=buttons)
        return {"unclear_message": tracker.text[:2000]}


class ActionAffirm(Action):
    """"好的/是的" after a list of choices picks nothing; after an answer it asks what next."""

    name = "action_affirm"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        if tracker.get_slot("last_ticket"):
            dispatcher.utter("utter_ticket_already", number=tracker.get_slot("last_ticket"))
            return {}
        choices = tracker.get_slot("choices") or []
        if len(choices) == 1:
            return answer_item(dispatcher, services, choices[0], tracker.get_slot("aspect") or "overview")
        dispatcher.utter("utter_affirm")
        return {}


class ActionUtterWithCentre(Action):
    """Any response that mentions the centre's phone numbers and hours (filled from centre.yml)."""

    def __init__(self, response: str) -> None:
        self.name = response
        self.response = response

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        centre = services.knowledge.centre
        dispatcher.utter(self.response, phone=centre.get("phone", ""), complaint_phone=centre.get("complaint_phone", ""),
                         hours=weekday_hours(centre))
        return {"misses": 0}
