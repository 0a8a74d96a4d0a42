"""办件进度: a citizen's own case, told only after they prove to be its applicant."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from actions.forms import Form
from actions.sdk import Action, Dispatcher, Services, Tracker
from bot.configuration import CaseNumbersConfig
from bot.nlu.case_numbers import CaseNumbers, number_key
from bot.nlu.text import normalize
from bot.services.calendar import add_working_days

# Answering "请提供您的受理编号" the citizen may use any approval system's format; phones and
# landlines (the default not_patterns) still are no case numbers.
_ANSWERED = CaseNumbers(CaseNumbersConfig(patterns=[r"[A-Za-z]{0,6}\d{6,30}"]))
_TICKET_NO = re.compile(r"(TS|JY|ZG)\d{8}-\d{4}", re.IGNORECASE)
_LAST_FOUR = re.compile(r"(?<!\d)(\d{4})(?!\d)|(?<!\d)1\d{6}(\d{4})(?!\d)")


def sender_key(tracker: Tracker) -> str:
    return f"{tracker.channel}:{tracker.sender_id}"


class ProgressForm(Form):
    """Asks the case number (unless the message had it), then the last four digits of the phone."""

    name = "progress_form"
    own_intent = "query_progress"
    required_slots = ("case_no", "phone_last4")
    announce = True

    def looks_like_answer(self, slot: str, text: str) -> bool:
        return any(c.isdigit() for c in text)

    def also_answered(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        last_four = tracker.entity("phone_last4") if slot == "case_no" else None
        return {"phone_last4": last_four} if last_four else {}  # "XA… 尾号1234": both answers in one message

    async def validate(self, slot: str, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> Any:
        text = tracker.text.strip()
        if slot == "case_no":
            found = await case_number_in(tracker, services) or _ANSWERED.first(normalize(text))
            if not found:
                dispatcher.utter("utter_progress_bad_case_no")
                return None
            return found
        match = _LAST_FOUR.search(text.replace(" ", ""))
        if not match:
            dispatcher.utter("utter_progress_bad_last4")
            return None
        return match.group(1) or match.group(2)

    async def submit(self, dispatcher: Dispatcher, tracker: Tracker, services: Services,
                     values: dict[str, Any]) -> dict[str, Any]:
        verification = await services.cases.verify(sender_key(tracker), values["case_no"], values["phone_last4"],
                                                   client=tracker.client)
        if verification.outcome == "locked":
            dispatcher.utter("utter_progress_locked", phone=services.knowledge.centre.get("phone", ""))
            return {}
        if verification.outcome == "case_locked":
            dispatcher.utter("utter_progress_case_locked", case_no=values["case_no"],
                             **where_to_ask(verification.item_id, services))
            return {}
        if verification.outcome == "wrong":
            dispatcher.utter("utter_progress_wrong", tries_left=verification.tries_left)
            again = {**self.new_state({"case_no": values["case_no"]}), "requested": "phone_last4"}
            dispatcher.utter("utter_ask_progress_form_phone_last4")
            return {"form": again}
        tell_case(dispatcher, services, verification.case)
        return {"verified_case": verification.case.case_no}


def where_to_ask(item_id: str | None, services: Services) -> dict[str, Any]:
    """Who can tell the applicant about a case in person: the department of its item (window and
    phone from the knowledge base), else the centre's own consultation desk and phone."""
    centre = services.knowledge.centre
    item = services.knowledge.item(item_id or "") or {}
    department = services.knowledge.department(item.get("department", "")) or {}
    location = "".join((item.get("location") or {}).get(k, "") for k in ("hall", "floor", "window"))
    return {"department": item.get("department") or centre.get("name", ""),
            "location": location or department.get("window") or services.domain_data["formats"]["centre_desk"],
            "phone": item.get("phone") or department.get("phone") or centre.get("phone", "")}


def tell_case(dispatcher: Dispatcher, services: Services, case: Any) -> None:
    """Everything the applicant may know of their case, in the words of domain.yml."""
    labels = services.domain_data["labels"]["case_status"]
    item = services.knowledge.item(case.item_id) or {}
    promised, provisional = promised_date(case, item)
    formats = services.domain_data["formats"]
    values = {"case_no": case.case_no, "item_name": item.get("name", case.item_id),
              "status": labels.get(case.status, case.status), "note": case.note or "",
              "accepted": _date(case.accepted_at), "promised": _date(promised),
              "provisional": formats["promised_provisional"] if provisional else "",
              "location": _location(item, services), "hours": item.get("hours", "")}
    dispatcher.utter("utter_case_status",
                     buttons=[{"title": formats["notify_me_button"], "payload": f'/notify_me{{"case_no": "{case.case_no}"}}'}]
                     if case.status not in ("ready", "collected", "rejected") else None, **values)
    detail = {"suspended": "utter_case_suspended", "rejected": "utter_case_rejected",
              "ready": "utter_case_ready"}.get(case.status)
    if detail:
        dispatcher.utter(detail, **values)


def promised_date(case: Any, item: dict[str, Any]) -> tuple[date | None, bool]:
    """The approval system's promised date, else acceptance + the item's committed working days.

    The flag is True when a year without an official holiday calendar made the date provisional.
    """
    if case.promised_at is not None:
        return case.promised_at, False
    days = item.get("committed_limit")
    if case.accepted_at is None or days is None:
        return None, False
    result = add_working_days(case.accepted_at, days)
    return result.day, not result.covered


def _date(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "—"


def _location(item: dict[str, Any], services: Services) -> str:
    location = item.get("location") or {}
    return "".join(location.get(k, "") for k in ("hall", "floor", "window")) or services.knowledge.centre.get("name", "")


class ActionNotifyMe(Action):
    """"办好了通知我": subscribe the citizen to status changes of the case they just proved is theirs."""

    name = "action_notify_me"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        verified = tracker.get_slot("verified_case")
        asked = (tracker.latest_message.get("payload") or {}).get("case_no") or tracker.entity("case_no") or verified
        case_no = verified if isinstance(asked, str) and verified and number_key(asked) == number_key(verified) \
            else None
        if not verified or case_no is None:  # only the case this conversation proved to be its own
            dispatcher.utter("utter_notify_needs_case")
            return {}
        await services.cases.subscribe(case_no, tracker.channel, tracker.sender_id)
        dispatcher.utter("utter_notify_subscribed", case_no=case_no)
        return {}


class ActionOfferLateCase(Action):
    """A citizen upset that their case takes so long: the progress lookup (of the case they named),
    a complaint and a human, as choices; no form starts before they choose."""

    name = "action_offer_late_case"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        case_no = await case_number_in(tracker, services)
        titles = services.domain_data["labels"]["late_case_choices"]
        dispatcher.utter("utter_late_case", buttons=[
            {"title": titles["progress"], "payload": f"查询办件进度 {case_no}" if case_no else "/query_progress"},
            {"title": titles["complain"], "payload": "/complain"},
            {"title": titles["human"], "payload": '/request_human{"reason": "upset"}'}])
        return {"upset_offered": True}


class ActionQueryProgress(Action):
    """query_progress: a ticket number → its status (to its own sender); otherwise the case form."""

    name = "action_query_progress"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        ticket_no = _TICKET_NO.search(tracker.text)
        if ticket_no:
            return await tell_ticket(dispatcher, tracker, services, ticket_no.group(0).upper())
        form = ProgressForm()
        case_no = await case_number_in(tracker, services)
        prefilled: dict[str, Any] = {"case_no": case_no} if case_no else {}
        last_four = tracker.entity("phone_last4")
        if case_no and last_four:  # "查进度 XA… 手机尾号1234": straight to the check
            prefilled["phone_last4"] = last_four
        return await form.step(dispatcher, tracker, services, form.new_state(prefilled))


async def case_number_in(tracker: Tracker, services: Services) -> str | None:
    """The case number in the latest message: one that fits config.yml `case_numbers` (found by the
    interpreter), else any number the cases table holds, however it was spelt."""
    found = tracker.entity("case_no")
    if found:
        return found.upper()
    return await services.cases.find_number(_ANSWERED.spellings(normalize(tracker.text)))


async def tell_ticket(dispatcher: Dispatcher, tracker: Tracker, services: Services, number: str) -> dict[str, Any]:
    owner = await services.tickets.owner(number)
    if owner != (tracker.channel, tracker.sender_id):
        dispatcher.utter("utter_ticket_not_yours", number=number, phone=services.knowledge.centre.get("phone", ""))
        return {}
    ticket = await services.tickets.get(number)
    dispatcher.utter("utter_ticket_status", number=ticket.number, status=ticket.status,
                     department=ticket.department, due=_date(ticket.due_at))
    return {}
