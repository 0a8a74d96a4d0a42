"""The agent: one citizen message in, zwbot's messages out.

A turn: take the sender's lock, understand the text (or a button payload), pick the action
(domain.yml rules; a numbered reply to offered choices picks one), run it, keep the slots, log the turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from actions.complaints import route
from actions.forms import INTERRUPTED, Form
from actions.guide import choice_number
from actions.rating import level_of, rating_buttons
from actions.registry import builtin_actions, response_action
from actions.sdk import Action, Dispatcher, Tracker
from bot.configuration import Configuration
from bot.core.messages import BotMessage
from bot.core.domain import Domain
from bot.core.mood import conversation_mood
from bot.core.tracker_store import TrackerStore
from bot.nlu import Interpreter
from bot.nlu.text import clean, has_content
from bot.services.cases import CaseService
from bot.services.coordination import CoordinationUnavailable
from bot.services.handoff import HandoffService
from bot.services.knowledge import KnowledgeBase
from bot.services.notifications import Outbox
from bot.services.ratings import RatingService
from bot.services.tickets import TicketService
from bot.services.turns import TurnLog, TurnRecord, UnansweredRecord

log = logging.getLogger(__name__)
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<json>\{.*)?$", re.DOTALL)
MAX_TEXT_CHARS = 10_000
FORM_INTENTS = frozenset({"complain", "suggest", "rate", "query_progress"})  # intents that open a form
MAX_PAYLOAD_CHARS = 1_000  # our own buttons' payloads are a few dozen characters


@dataclass
class UserMessage:
    text: str
    sender_id: str
    channel: str = "rest"
    client: str | None = None  # the caller's network address where the channel knows it (REST)


@dataclass
class Notice:
    """A notification worded for its citizen. `values` fill the channel's own layouts (WeChat templates)."""

    id: int
    sender: str
    kind: str  # case_status | ticket_update | staff_reply | handoff_released
    values: dict[str, Any]
    message: BotMessage


@dataclass
class ActionServices:
    """What actions get of the services layer (see actions.sdk.Services)."""

    knowledge: KnowledgeBase
    cases: CaseService
    tickets: TicketService
    ratings: RatingService
    handoffs: HandoffService
    domain_data: dict[str, Any]
    config: Configuration
    turn_log: TurnLog
    unanswered: list[str] = field(default_factory=list)

    def log_unanswered(self, tracker: Tracker, reason: str) -> None:
        """Keep the question for staff, with the department it seemed to be about so that department's
        staff see it: the department named, else the best item candidate's when it is named or scores
        well enough to be taken as asked about; None (centre-wide) for a question about nothing we know."""
        self.unanswered.append(reason)
        department, _ = route(tracker, self)
        self.turn_log.record_unanswered(UnansweredRecord(tracker.channel, tracker.sender_id, tracker.text, reason,
                                                         department or None))


@dataclass
class Workflows:
    """The services behind the citizen's workflows."""

    cases: CaseService
    tickets: TicketService
    ratings: RatingService
    handoffs: HandoffService
    outbox: Outbox


# The slots the engine itself keeps (actions' slots are checked as they are returned).
ENGINE_SLOTS = frozenset({"form", "paused_forms", "offered", "unclear_message", "mood", "mood_history", "asked_items",
                          "upset_offered", "rating_pending", "rating_subject", "rating_department"})


class Agent:
    def __init__(self, interpreter: Interpreter, domain: Domain, knowledge: KnowledgeBase, turn_log: TurnLog,
                 workflows: Workflows, config: Configuration, trackers: TrackerStore | None = None) -> None:
        self.interpreter = interpreter
        self.domain = domain
        self.knowledge = knowledge
        self.turn_log = turn_log
        self.workflows = workflows
        self.config = config
        missing = ENGINE_SLOTS - domain.slots
        if missing:  # checked at start, not found out in the middle of a citizen's conversation
            raise ValueError(f"domain.yml: slots 缺少引擎使用的 {', '.join(sorted(missing))}")
        self.trackers = trackers or TrackerStore(None, config.dialogue.tracker_idle_minutes * 60)
        self.actions: dict[str, Action] = builtin_actions()

    def _action(self, name: str) -> Action:
        action = self.actions.get(name)
        if action is None:
            action = self.actions[name] = response_action(name)
        return action

    async def handle(self, message: UserMessage) -> list[BotMessage]:
        """zwbot's answer to one message. When the database cannot keep up (down, locked, or the
        conversation's lock and state not had within `busy_after_seconds`) the citizen gets the polite
        busy answer and the conversation stays exactly where it was, so the same message can be sent again."""
        started = time.perf_counter()
        key = (message.channel, message.sender_id)
        text = clean(message.text[:MAX_TEXT_CHARS])
        try:
            async with asyncio.timeout(self.config.limits.busy_after_seconds) as deadline:
                async with self.trackers.lock(key):
                    return await self._turn(message, key, text, started, deadline)
        except CoordinationUnavailable:
            log.error("turn of %s… not handled: Redis (the conversation locks) is unavailable", message.sender_id[:6])
            return [self._busy(message, text, started)]
        except (TimeoutError, SQLAlchemyError, OSError) as error:
            # One line per turn, not a traceback: in an outage every turn ends here.
            log.warning("turn of %s… not handled: the database is unavailable (%s: %s)", message.sender_id[:6],
                        type(error).__name__, str(error)[:200])
            return [self._busy(message, text, started)]

    def _busy(self, message: UserMessage, text: str, started: float) -> BotMessage:
        """The polite busy answer; the conversation stays where it was, so the message can be sent again."""
        busy = self.domain.render("utter_busy", {"phone": self.knowledge.centre.get("phone", "")})
        self._log(message, text, {"intent": {"name": "busy"}}, Tracker(message.sender_id, message.channel),
                  [busy], False, started, "fallback")
        return busy

    async def _turn(self, message: UserMessage, key: tuple[str, str], text: str, started: float,
                    deadline: asyncio.Timeout) -> list[BotMessage]:
        handoff = await self.workflows.handoffs.open_for(message.channel, message.sender_id)
        slots = await self.trackers.get(key) if handoff is None else {}
        # From here on the turn changes things (a form answer, a ticket, what staff see): it runs to its
        # end however slow the database is, since the busy answer would tell the citizen to send again
        # a message that was taken. Only waiting for the lock and the reads above give the busy answer.
        deadline.reschedule(None)
        if handoff is not None:
            # Staff own this conversation: the bot keeps quiet and staff see the message.
            if text:
                await self.workflows.handoffs.citizen_said(handoff, text)
            self._log(message, text, {"intent": {"name": "handoff"}}, Tracker(message.sender_id,
                      message.channel), [], True, started, "handoff")
            return []
        parse = self._understand(self._pressed_button(slots, text))
        tracker = Tracker(message.sender_id, message.channel, slots, parse, client=message.client)
        services = ActionServices(self.knowledge, self.workflows.cases, self.workflows.tickets,
                                  self.workflows.ratings, self.workflows.handoffs, self.domain.data,
                                  self.config, self.turn_log)
        dispatcher = Dispatcher(self.domain.render)
        if not text:
            dispatcher.utter("utter_empty_message")
        elif not has_content(text):
            dispatcher.utter("utter_text_only")
        else:
            late_case = self._late_case(tracker)
            await self._notice_mood(tracker, slots, dispatcher, services, offer=not late_case)
            asked_about = slots.get("unclear_message")
            await self._act(tracker, slots, dispatcher, services, "action_offer_late_case" if late_case else None)
            if slots.get("unclear_message") == asked_about:
                slots.pop("unclear_message", None)  # "您是想：" is answered by the turn after it only
        # Every message was made by the domain's renderer, so each is the engine's own type.
        replies = [reply for reply in dispatcher.messages if isinstance(reply, BotMessage)]
        self._remember_buttons(slots, replies)
        undeclared = set(slots) - self.domain.slots
        if undeclared:  # a slot an action made up: kept (the turn must not fail), but said loudly
            log.error("slots not declared in domain.yml: %s", ", ".join(sorted(undeclared)))
        await self.trackers.save(key, slots)
        self._log(message, text, parse, tracker, replies, not services.unanswered, started,
                  self.domain.outcome(replies))
        return replies

    def _unsure(self, tracker: Tracker) -> bool:
        """Would the message start a form (complaint, suggestion, rating, progress query) on an intent
        the classifier is not sure of? Then zwbot asks first (dialogue.act_on_confidence, act_margin)."""
        if tracker.intent not in FORM_INTENTS or "payload" in tracker.latest_message \
                or tracker.entity("case_no") or tracker.latest_message.get("letter"):
            return False
        ranking = tracker.latest_message.get("intent_ranking") or []
        confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)
        runner_up = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
        dialogue = self.config.dialogue
        return confidence < dialogue.act_on_confidence or confidence - runner_up < dialogue.act_margin

    def _late_case(self, tracker: Tracker) -> bool:
        """A complaint or progress question about one's own case taking too long, outside a form."""
        if tracker.get_slot("form") or tracker.intent not in ("complain", "query_progress") \
                or "payload" in tracker.latest_message:
            return False
        return any(cue in tracker.text for cue in self.config.dialogue.late_case_cues)

    async def _notice_mood(self, tracker: Tracker, slots: dict[str, Any], dispatcher: Dispatcher,
                           services: ActionServices, offer: bool = True) -> None:
        """An upset citizen is offered a human at once (unless the answer offers one among its choices:
        `offer` False), and flagged for staff (once per conversation)."""
        score, escalate = conversation_mood(tracker.latest_message, slots, self.config.mood)
        slots["mood"] = score
        if escalate and not slots.get("upset_offered") and tracker.intent != "request_human":
            slots["upset_offered"] = True
            item = self.knowledge.item(slots.get("item_id") or "") or {}
            await services.handoffs.flag(tracker.channel, tracker.sender_id, score,
                                         tracker.entity("department") or item.get("department"))
            if offer:
                dispatcher.utter("utter_offer_human_upset")

    @staticmethod
    def _pressed_button(slots: dict[str, Any], text: str) -> str:
        """A bare number answering the buttons just offered is that button (text channels show them
        as "回复 1 …"); an open form, a choice list or a pending rating reads numbers its own way."""
        offered = slots.get("offered")
        if not offered or slots.get("form") or slots.get("choices") or slots.get("rating_pending"):
            return text
        number = choice_number(text)
        return offered[number - 1] if number is not None and 1 <= number <= len(offered) else text

    @staticmethod
    def _remember_buttons(slots: dict[str, Any], messages: list[BotMessage]) -> None:
        offered = next((m.buttons for m in reversed(messages) if m.buttons), None)
        if offered:
            slots["offered"] = [button["payload"] for button in offered]
        else:
            slots.pop("offered", None)

    def _understand(self, text: str) -> dict[str, Any]:
        payload = _PAYLOAD.match(text)
        if payload and payload.group("intent") in self.domain.rules:
            return self._payload_parse(text, payload.group("intent"), payload.group("json"))
        if not has_content(text):
            return {"text": text, "intent": {"name": None, "confidence": 0.0}, "entities": []}
        return self.interpreter.parse(text).as_dict()

    @staticmethod
    def _payload_parse(text: str, intent: str, raw: str | None) -> dict[str, Any]:
        """A button's payload (`/ask_guide{"item_id": "...", "aspect": "..."}`) read as a parse; a
        payload that is not a small flat JSON object reads as no values (the action then asks)."""
        try:
            values = json.loads(raw) if raw and len(raw) <= MAX_PAYLOAD_CHARS else {}
        except (ValueError, RecursionError):  # malformed, or nested deeper than the decoder can go
            values = {}
        if not isinstance(values, dict):
            values = {}
        item_id = values.get("item_id") if isinstance(values.get("item_id"), str) else None
        aspect = values.get("aspect") if isinstance(values.get("aspect"), str) else None
        return {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [], "payload": values,
                "guide": {"item_id": item_id, "aspect": aspect, "candidates": [], "from_payload": True}}

    async def _act(self, tracker: Tracker, slots: dict[str, Any], dispatcher: Dispatcher, services: ActionServices,
                   chosen: str | None = None) -> None:
        """Run the action for the message (`chosen` by the turn, else by form, choices and rules) on a
        read-only copy of the tracker, and apply the slot changes it returns to `slots`."""
        intent = tracker.intent
        form = tracker.get_slot("form")
        if chosen:
            name = chosen
        elif form and intent != "request_human":
            name = form["name"]  # an open form gets every answer, whatever it sounds like
        elif slots.pop("rating_pending", None) and level_of(tracker) is not None:
            name = "action_start_rating"  # the answer to the rating buttons just offered
        elif tracker.get_slot("choices") and choice_number(tracker.text) is not None:
            name = "action_select_choice"
        elif self._unsure(tracker) or tracker.latest_message.get("doubtful_scope"):
            name = "action_clarify"
        else:
            name = self.domain.rules.get(intent or "", "action_out_of_scope")
        changes = await self._action(name).run(dispatcher, tracker.snapshot(), services)
        if changes.pop(INTERRUPTED, False):
            # Something else asked in the middle of a form: answer it as if no form were open, then
            # go on with the form (or, when the answer opened a form of its own, after that one).
            paused = [*slots.get("paused_forms", []), changes.pop("form", None) or form]
            slots.pop("form", None)
            changes = await self._action(self.domain.rules.get(intent or "", "action_out_of_scope")).run(
                dispatcher, tracker.snapshot(), services)
            slots["paused_forms"] = paused
        self._apply(slots, changes)
        waiting = slots.get("paused_forms")
        if waiting and not slots.get("form"):
            slots["form"] = resumed = waiting.pop()
            if not waiting:
                slots.pop("paused_forms")
            form_action = self._action(resumed["name"])
            if isinstance(form_action, Form):
                form_action.resume(dispatcher, tracker.snapshot(), services)

    @staticmethod
    def _apply(slots: dict[str, Any], changes: dict[str, Any]) -> None:
        for slot, value in changes.items():
            if value is None:
                slots.pop(slot, None)
            else:
                slots[slot] = value

    def _log(self, message: UserMessage, text: str, parse: dict[str, Any], tracker: Tracker,
             replies: list[BotMessage], answered: bool, started: float, outcome: str) -> None:
        intent = parse.get("intent") or {}
        # The item answered, which for a follow-up ("那要多久？") is the one carried over in the slots.
        guide_turn = outcome == "answered" and any(r.response.startswith("utter_guide_") for r in replies)
        self.turn_log.record_turn(TurnRecord(
            channel=message.channel, sender=message.sender_id[:128], text=text, intent=intent.get("name"),
            confidence=intent.get("confidence"),
            item_id=tracker.slots.get("item_id") if guide_turn else None,
            aspect=tracker.slots.get("aspect") if guide_turn else None,
            reply="\n".join(r.text for r in replies), answered=answered,
            latency_ms=(time.perf_counter() - started) * 1000, outcome=outcome))

    async def notifications(self, channel: str, sender: str | None = None) -> list[Notice]:
        """Undelivered notifications of `channel` (of one sender), worded from domain.yml, oldest first."""
        pending = await self.workflows.outbox.collect(channel, sender)
        labels = self.domain.data.get("labels", {}).get("case_status", {})
        messages = []
        for notification in pending:
            data = dict(notification.data)
            if notification.kind == "handoff_released":
                rating = self.domain.render("utter_handoff_released", data)
                rating.buttons = rating_buttons()
                messages.append(Notice(notification.id, notification.sender, notification.kind, data, rating))
                await self._expect_rating(notification.channel, notification.sender, f"handoff:{notification.id}",
                                          data.get("department"))
                continue
            if notification.kind == "case_status":
                case = await self.workflows.cases.get(data["case_no"])
                item = self.knowledge.item(case.item_id) if case else None
                data.update(status=labels.get(data["status"], data["status"]),
                            item_name=(item or {}).get("name", case.item_id if case else ""))
            message = self.domain.render(f"utter_notify_{notification.kind}", data)
            if notification.kind == "ticket_update" and data.get("status") == "已办结":
                # A closed ticket invites a 好差评 rating of how it was handled.
                message.buttons = rating_buttons()
                ticket = await self.workflows.tickets.get(str(data.get("number") or ""))
                await self._expect_rating(notification.channel, notification.sender, f"ticket:{data.get('number')}",
                                          ticket.department if ticket else None)
            messages.append(Notice(notification.id, notification.sender, notification.kind, data, message))
        return messages

    async def _expect_rating(self, channel: str, sender: str, subject: str, department: str | None) -> None:
        """The citizen was just shown rating buttons: their next "1"–"5" is a rating of `subject`, whose
        差评整改 ticket goes to `department` (the ticket's, the hand-off's; None: the default)."""
        key = (channel, sender)
        async with self.trackers.lock(key):
            slots = await self.trackers.get(key)
            slots.update(rating_pending=True, rating_subject=subject)
            if department:
                slots["rating_department"] = department
            else:
                slots.pop("rating_department", None)
            await self.trackers.save(key, slots)
