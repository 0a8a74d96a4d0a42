"""The conversation's mood (办事群众心情指数): this message's mood plus what the conversation shows.

Signals: the message's own score, the recent scores, misses in a row (zwbot failed them), the
same item asked about again and again, and complaining. An upset citizen is offered a human at once.
"""

from __future__ import annotations

from typing import Any


def conversation_mood(parse: dict[str, Any], slots: dict[str, Any], settings: dict[str, Any]) -> tuple[float, bool]:
    """(score 0–1, escalate) for the conversation after this message; updates the mood slots."""
    message = parse.get("mood") or {}
    score = float(message.get("score", 0.3))
    history = [*slots.get("mood_history", []), score][-5:]
    slots["mood_history"] = history
    item_id = (parse.get("guide") or {}).get("item_id")
    asked = slots.setdefault("asked_items", {})
    if item_id:
        asked[item_id] = asked.get(item_id, 0) + 1
    repeats = max(asked.values(), default=0) - 1
    signals = (0.1 * min(int(slots.get("misses", 0)), 3) + 0.08 * min(max(repeats - 1, 0), 3)
               + (0.1 if (parse.get("intent") or {}).get("name") == "complain" else 0.0))
    recent = sum(history) / len(history)
    overall = min(1.0, max(score, recent) + signals)
    threshold = float(settings.get("escalate_at", 0.7))
    return round(overall, 3), bool(message.get("escalate")) or overall >= threshold
