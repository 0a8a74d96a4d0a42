"""Every action the dialogue can run, by name."""

from __future__ import annotations

from actions.centre import ActionAnswerCentre
from actions.complaints import ComplaintForm, SuggestionForm, prefill_from_message
from actions.conversation import ActionAffirm, ActionClarify, ActionOutOfScope, ActionUtterWithCentre
from actions.guide import ActionAnswerGuide, ActionSelectChoice
from actions.handoff import ActionRequestHuman
from actions.progress import ActionNotifyMe, ActionOfferLateCase, ActionQueryProgress, ProgressForm
from actions.rating import RatingForm, prefill_level
from actions.sdk import Action
from actions.workflows import ActionThank, StartForm


def builtin_actions() -> dict[str, Action]:
    forms = [ProgressForm(), ComplaintForm(), SuggestionForm(), RatingForm()]
    actions: list[Action] = [
        ActionAnswerGuide(), ActionSelectChoice(), ActionAnswerCentre(), ActionOutOfScope(), ActionAffirm(), ActionClarify(),
        ActionQueryProgress(), ActionOfferLateCase(), ActionNotifyMe(), ActionThank(), ActionRequestHuman(),
        StartForm("action_start_complaint", ComplaintForm(), prefill_from_message),
        StartForm("action_start_suggestion", SuggestionForm(), prefill_from_message),
        StartForm("action_start_rating", RatingForm(), prefill_level),
        *forms,
    ]
    return {action.name: action for action in actions}


def response_action(response: str) -> Action:
    """The action that just says `response` (with the centre's phone numbers and hours at hand)."""
    return ActionUtterWithCentre(response)
