"""转人工: hand the conversation to staff, or outside staff hours leave a question ticket."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from actions.sdk import Action, Dispatcher, Services, Tracker
from bot.vocabulary import TicketKind

REASONS = ("request", "misses", "upset")


class ActionRequestHuman(Action):
    name = "action_request_human"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        reason = (tracker.latest_message.get("payload") or {}).get("reason")
        reason = reason if reason in REASONS else "request"
        item = services.knowledge.item(tracker.get_slot("item_id") or "") or {}
        department = tracker.entity("department") or item.get("department")
        now = datetime.now(timezone.utc)
        hours = services.handoffs.hours
        if not hours.open_at(now):
            opening = hours.next_opening(now)
            key = hashlib.sha256(f"{tracker.channel}|{tracker.sender_id}|{opening:%Y%m%d}|zx".encode()).hexdigest()
            question = tracker.get_slot("last_question") or tracker.text
            ticket, _ = await services.tickets.create(
                TicketKind.CONSULTATION, question, department=department or services.config.dialogue.default_department, channel=tracker.channel, sender=tracker.sender_id,
                dedupe_key=key)
            dispatcher.utter("utter_handoff_after_hours", number=ticket.number,
                             opening=f"{opening.month}月{opening.day}日 {opening:%H:%M}")
            return {"misses": 0}
        await services.handoffs.open(tracker.channel, tracker.sender_id, reason, department,
                                     float(tracker.get_slot("mood") or 0.0))
        dispatcher.utter("utter_handoff_started")
        return {"misses": 0}
