"""The engine's contract with actions: an action changes the conversation only by what it returns."""

from __future__ import annotations

import asyncio
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


async def test_a_turn_slower_than_the_busy_limit_once_under_way_is_answered_not_dropped(
        assistant, sender: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The busy answer says "your message was not handled": it may only be given before the turn has
    done anything. A turn that started, however slow its writes, finishes and gives its own answer,
    or the citizen would send again a message that was already taken (a form answer counted twice)."""
    agent = assistant.agent
    monkeypatch.setattr(agent, "config", agent.config.with_changes("limits", busy_after_seconds=0.2))
    save = agent.trackers.save

    async def slow_save(key, slots):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.5)  # a database slow to write, past the busy limit
        await save(key, slots)

    monkeypatch.setattr(agent.trackers, "save", slow_save)
    started = assistant.as_text(await assistant.handle("我要投诉，窗口工作人员态度恶劣，让我跑了三趟", sender))
    assert "系统繁忙" not in started and "部门或窗口" in started
    assert "什么时间" in assistant.as_text(await assistant.handle("二楼3号窗口", sender))
