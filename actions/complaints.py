"""投诉与建议: a form that collects what happened, reads it back, and commits a ticket."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from actions.forms import Form, asks_something
from actions.sdk import Dispatcher, Services, Tracker
from bot.services.privacy import mask_personal
from bot.services.tickets import mask_phone
from bot.vocabulary import TicketKind

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?\d{7,8})(?!\d)")
_SKIP = ("跳过", "不知道", "不清楚", "记不清", "记不得", "不记得", "忘了", "没有", "无", "不用", "不留", "不想留",
         "不方便", "算了吧", "不需要")
_CONFIRM = ("确认", "确定", "提交", "是的", "对", "好的", "没问题", "可以", "正确")
# A place in the centre ("B区12号窗口", "二楼大厅") or a body the knowledge base may not list ("区税务局").
_PLACE = re.compile(r"窗口|大厅|前台|咨询台|服务台|导办台|柜台|[A-Za-z]区|\d+号|[一二三四五六七八九十]+号|楼"
                    r"|(局|委|办|中心|所|队|院|站|厅|处|科|街道|社区|银行|公司|部门)$")
_QUESTION_WORD = re.compile(r"在哪|哪里|哪儿|哪个|怎么|咋|什么|啥|吗|呢|多少|多久|能不能|可不可以")
# An attempt at a phone number, right or wrong ("139 1234 0000", "电话是12345").
_PHONE_ANSWER = re.compile(r"[\d\s\-+()（）]+|.*(电话|手机|号码|座机|联系方式).*")
# A time or date as citizens say them ("昨天下午", "11月20日", "上周三", "两天前").
_TIME = re.compile(r"\d+\s*(号|日|月|年|点|时|分|[:：]|天前|周前|个月前)|\d{4}[-/.]\d{1,2}|[今昨前明后大]天|[上下]午|早上|早晨|中午|晚上|傍晚|凌晨|刚才|刚刚|上周|上个?月|上星期|这周|本周"
                   r"|周[一二三四五六日天末]|星期|礼拜|[一二三四五六七八九十两几]+(号|日|月|年|点|天前|周前|个月前)|前几天|那天|当天|最近|小时前|分钟前")


def declined(text: str) -> bool:
    return any(word in text for word in _SKIP) and not _MOBILE.search(text)


def route(tracker: Tracker, services: Services) -> tuple[str | None, int]:
    """The department a message points at, and how surely: 4 it names the department, 3 it names an
    item of it, 2 it is a letter whose topic maps to it (config.yml letters.topic_departments), 1 the
    item search leans to one of its items, 0 nothing (the form then files it with the default department)."""
    department = tracker.entity("department")
    if department:
        return department, 4
    candidates = tracker.guide.get("candidates") or []
    item = (services.knowledge.item(candidates[0]["item_id"]) or {}) if candidates else {}
    if candidates and candidates[0].get("mention") and item.get("department"):
        return item["department"], 3
    topic_department = (tracker.latest_message.get("letter") or {}).get("department")
    if topic_department and topic_department in services.knowledge.departments:
        return topic_department, 2
    if candidates and candidates[0]["score"] >= services.config.thresholds.min_item_score:
        return item.get("department"), 1
    return None, 0


def remember_department(values: dict[str, Any], tracker: Tracker, services: Services) -> None:
    """Keep the surest department any answer of the form pointed at."""
    department, sureness = route(tracker, services)
    if department and sureness >= values.get("department_sureness", 0):
        values["department"], values["department_sureness"] = department, sureness


class TicketForm(Form):
    """Shared by complaints and suggestions; `kind` is the ticket kind. Each answer is checked for what
    it should be: what happened is an account (a question is another matter), the department resolves to
    one or names a window, the time looks like a time, the phone is a phone; the last three may be
    declined ("跳过", "不清楚", "不留")."""

    kind = ""
    free_text_slots = ("what",)
    confirm_slot = "confirm"
    corrections = {"经过": "what", "事情": "what", "内容": "what", "建议": "what", "部门": "where", "窗口": "where",
                   "地点": "where", "时间": "when", "日期": "when", "电话": "phone", "手机": "phone", "号码": "phone"}
    announce = True

    async def validate(self, slot: str, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> Any:
        text = tracker.text.strip()
        values = tracker.slots["form"]["values"]
        if slot == "phone":
            if declined(text):
                return "declined"
            match = _MOBILE.search(text.replace(" ", "").replace("-", "")) or _LANDLINE.search(text)
            if not match:
                dispatcher.utter("utter_bad_phone")
                return None
            return match.group(1)
        if slot == "confirm":
            if any(word in text for word in _CONFIRM) or tracker.intent == "affirm":
                return "yes"
            dispatcher.utter("utter_ticket_confirm_again")
            return None
        if slot in self.optional_slots and declined(text):
            return ""
        if slot == "where":
            _, sureness = route(tracker, services)
            if sureness < 3 and not _PLACE.search(text):
                dispatcher.utter("utter_bad_where")
                return None
            remember_department(values, tracker, services)
        elif slot == "when" and not _TIME.search(text):
            dispatcher.utter("utter_bad_when")
            return None
        elif slot == "what":
            if len(text) < 2:
                dispatcher.utter("utter_ticket_too_short")
                return None
            remember_department(values, tracker, services)
        # The ticket keeps what happened, not the citizen's ID or card numbers; the read-back shows it as filed.
        return mask_personal(text[:2000])

    def looks_like_answer(self, slot: str, text: str) -> bool:
        return (slot == "phone" and bool(_PHONE_ANSWER.fullmatch(text))) or (slot == "when" and bool(_TIME.search(text))) \
            or (slot == "where" and bool(_PLACE.search(text)) and not asks_something(text)
                and not _QUESTION_WORD.search(text))  # "老人证窗口", not "老人证在哪办"

    def skipped_value(self, slot: str) -> Any:
        return "declined" if slot == "phone" else ""

    def prompt_values(self, values: dict[str, Any], services: Services) -> dict[str, Any]:
        formats = services.domain_data["formats"]
        phone = values.get("phone", "")
        return {**values, "where": values.get("where") or formats["not_given"],
                "when": values.get("when") or formats["not_given"],
                "phone_shown": formats["phone_declined"] if phone == "declined" else mask_phone(phone)}

    async def submit(self, dispatcher: Dispatcher, tracker: Tracker, services: Services,
                     values: dict[str, Any]) -> dict[str, Any]:
        if await refused_by_ticket_limit(dispatcher, tracker, services):
            return {}
        form_id = (tracker.slots.get("form") or {}).get("id", "")
        key = hashlib.sha256(f"{tracker.channel}|{tracker.sender_id}|{form_id}".encode()).hexdigest()
        phone = values.get("phone", "")
        ticket, created = await services.tickets.create(
            self.kind, values["what"], department=values.get("department") or services.config.dialogue.default_department, channel=tracker.channel, sender=tracker.sender_id,
            dedupe_key=key, place=values.get("where", ""), happened=values.get("when", ""),
            phone="" if phone == "declined" else phone)
        if created:
            await services.tickets.quota.opened(tracker.client)
        dispatcher.utter(f"utter_{self.kind}_received", number=ticket.number, department=ticket.department,
                         due=f"{ticket.due_at.year}年{ticket.due_at.month}月{ticket.due_at.day}日")
        return {"last_ticket": ticket.number}


async def refused_by_ticket_limit(dispatcher: Dispatcher, tracker: Tracker, services: Services) -> bool:
    """Has this citizen (or their machine) opened as many tickets as allowed for now? Then say so
    politely, with the centre's phone, and file nothing."""
    if not await services.tickets.quota.refuses(tracker.channel, tracker.sender_id, tracker.client):
        return False
    dispatcher.utter("utter_ticket_limit", phone=services.knowledge.centre.get("phone", ""))
    return True


class ComplaintForm(TicketForm):
    name = "complaint_form"
    own_intent = "complain"
    kind = TicketKind.COMPLAINT
    required_slots = ("what", "where", "when", "phone", "confirm")
    optional_slots = ("where", "when", "phone")


class SuggestionForm(TicketForm):
    name = "suggestion_form"
    own_intent = "suggest"
    kind = TicketKind.SUGGESTION
    required_slots = ("what", "phone")
    optional_slots = ("phone",)


_TRIGGER = re.compile(r"^(我|我们)?(要|想|想要)?(投诉|举报|反映|提(个|一个|点)?建议|有(个|一个|点)?建议|建议)(一下)?[：:，,。\s]*")


def prefill_from_message(tracker: Tracker) -> dict[str, Any]:
    """A complaint or suggestion told in its first message ("建议周末多开几个窗口") need not be asked again."""
    if "payload" in tracker.latest_message:  # a button or menu press ("/complain") says nothing yet …
        unclear = tracker.get_slot("unclear_message")  # … unless it answers "您是想：" about a message
        rest = _TRIGGER.sub("", unclear or "")
        return {"what": mask_personal(unclear[:2000])} if unclear and len(rest) >= 4 else {}
    text = tracker.text.strip()
    rest = _TRIGGER.sub("", text)
    return {"what": mask_personal(text[:2000])} if len(rest) >= 4 else {}
