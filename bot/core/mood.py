"""The conversation's mood (办事群众心情指数): this message's mood plus what the conversation shows.

Signals: the message's own score, the recent scores, misses in a row (zwbot failed them), the
same item asked about again and again, and complaining. An upset citizen is offered a human at once.
Every threshold and weight is config.yml's `mood:` block (`escalate_at`, `conversation`).
"""

from __future__ import annotations

from typing import Any

from bot.configuration import MoodConfig


def conversation_mood(parse: dict[str, Any], slots: dict[str, Any], mood: MoodConfig) -> tuple[float, bool]:
    """(score 0–1, escalate) for the conversation after this message; updates the mood slots."""
    threshold, weights = mood.escalate_at, mood.conversation
    message = parse.get("mood") or {}
    score = float(message.get("score", 0.3))
    history = [*slots.get("mood_history", []), score][-max(weights.recent, 1):]
    slots["mood_history"] = history
    item_id = (parse.get("guide") or {}).get("item_id")
    asked = slots.setdefault("asked_items", {})
    if item_id:
        asked[item_id] = asked.get(item_id, 0) + 1
    repeats = max(asked.values(), default=0) - 1
    signals = (weights.per_miss * min(int(slots.get("misses", 0)), weights.max_misses)
               + weights.per_repeat * min(max(repeats - 1, 0), weights.max_repeats)
               + (weights.complaining if (parse.get("intent") or {}).get("name") == "complain" else 0.0))
    recent = sum(history) / len(history)
    overall = min(1.0, max(score, recent) + signals)
    return round(overall, 3), bool(message.get("escalate")) or overall >= threshold
