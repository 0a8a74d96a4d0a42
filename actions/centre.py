"""Questions about the service centre itself: address, hours, holidays, parking, transport, phone."""

from __future__ import annotations

from typing import Any

from actions.sdk import Action, Dispatcher, Services, Tracker


def as_text(value: Any) -> str:
    """A centre.yml value (text, list or mapping of texts) as lines a citizen can read."""
    if isinstance(value, dict):
        return "\n".join(as_text(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(as_text(v) for v in value)
    return "" if value is None else str(value)


def weekday_hours(centre: dict[str, Any]) -> str:
    hours = centre.get("hours")
    if isinstance(hours, dict):
        return str(hours.get("weekday") or next(iter(hours.values()), ""))
    return as_text(hours)


class ActionAnswerCentre(Action):
    """ask_centre: answer from centre.yml the field the question's cue words point to."""

    name = "action_answer_centre"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        centre = services.knowledge.centre
        text = tracker.text
        fields = [topic["field"] for topic in services.domain_data.get("centre_topics", [])
                  if any(cue in text for cue in topic["cues"])] or ["address", "hours", "phone"]
        answers = [as_text(centre.get(f)) for f in fields if centre.get(f)]
        if not answers:
            answers = [services.domain_data["formats"]["centre_unknown"].format(phone=centre.get("phone", ""))]
        dispatcher.utter("utter_centre", name=centre.get("name", ""), answer="\n".join(answers))
        return {"misses": 0}
