"""Every action the dialogue can run, by name."""

from __future__ import annotations

from actions.centre import ActionAnswerCentre
from actions.conversation import ActionAffirm, ActionOutOfScope, ActionUtterWithCentre
from actions.guide import ActionAnswerGuide, ActionSelectChoice
from actions.sdk import Action


def builtin_actions() -> dict[str, Action]:
    actions: list[Action] = [ActionAnswerGuide(), ActionSelectChoice(), ActionAnswerCentre(), ActionOutOfScope(),
                             ActionAffirm()]
    return {action.name: action for action in actions}


def response_action(response: str) -> Action:
    """The action that just says `response` (with the centre's phone numbers and hours at hand)."""
    return ActionUtterWithCentre(response)
