"""The engine's contract with actions: an action changes the conversation only by what it returns."""

from __future__ import annotations

from typing import Any

import pytest

from actions.sdk import Action, Dispatcher, Services, Tracker


class TamperingAction(Action):
    """Tries to change the conversation behind the engine's back, then returns one change."""

    name = "action_tamper"

    def __init__(self) -> None:
        self.refused = False

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        try:
            tracker.slots["item_id"] = "xa-mz-lnyd"  # type: ignore[index]
        except TypeError:
            self.refused = True
        asked = tracker.get_slot("asked_items")
        if isinstance(asked, list):
            asked.append("xa-mz-lnyd")  # a nested value: a copy, so this changes nothing either
        dispatcher.utter("utter_greet")
        return {"aspect": "fee"}


async def test_only_what_an_action_returns_changes_the_conversation(assistant, sender: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    await assistant.handle("公积金提取要带什么", sender)
    key = ("rest", sender)
    before = await assistant.agent.trackers.get(key)
    tamper = TamperingAction()
    monkeypatch.setitem(assistant.agent.actions, tamper.name, tamper)
    monkeypatch.setitem(assistant.agent.domain.rules, "greet", tamper.name)

    replies = await assistant.handle("你好", sender)

    after = await assistant.agent.trackers.get(key)
    assert replies and tamper.refused
    assert after["aspect"] == "fee"
    assert after.get("item_id") == before.get("item_id")
    assert after.get("asked_items") == before.get("asked_items")


def test_a_domain_without_the_engines_slots_is_refused_at_start(assistant) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.core.agent import Agent

    agent = assistant.agent
    lacking = replace(agent.domain, slots=agent.domain.slots - {"mood_history"})
    with pytest.raises(ValueError, match="mood_history"):
        Agent(agent.interpreter, lacking, agent.knowledge, agent.turn_log, agent.workflows, agent.config)
