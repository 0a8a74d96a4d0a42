"""Answering guide questions (办事指南): which item, which aspect, and the answer from its record."""

from __future__ import annotations

import re
from typing import Any

from actions.centre import weekday_hours
from actions.guide_text import GuideText
from actions.sdk import Action, Dispatcher, Services, Tracker
from bot.nlu.retrieval import compact
from bot.nlu.text import normalize

_FOLLOW_UP_MARKERS = ("那", "这个", "它", "该", "还要", "还需要", "另外", "那么")
_CHOICE = re.compile(r"^\s*(?:第|选|回复)?\s*([1-9一二三四五六七八九])\s*(?:个|项|条|号)?\s*[。.!！]?\s*$")
_CHINESE_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", 1)}
# Words in a material's name or notes that say a proxy brings it (config.yml dialogue.proxy_material_words).


def names_item(candidate: dict[str, Any], services: Services) -> bool:
    """Does the question name the candidate (its name, an alias, a citizen's word for it), rather than
    share a keyword with it ("法律依据呢" shares 法律 with 法律援助申请) or merely resemble it?"""
    mention = candidate.get("mention")
    if not mention:
        return False
    record = services.knowledge.item(candidate["item_id"]) or {}
    return compact(normalize(mention)) not in {compact(normalize(k)) for k in record.get("keywords") or []}


def tells_situation(candidate: dict[str, Any], services: Services) -> bool:
    """Does the question name the candidate only by a word of the citizen's situation (dialogue.situation_words:
    "退休了能办吗" while 失业保险金 is discussed asks about the applicant, not about 办理退休)?"""
    mention = compact(normalize(candidate.get("mention") or ""))
    return bool(mention) and any(mention == compact(normalize(word))
                                 for group in services.config.dialogue.situation_words for word in group)


def choice_number(text: str) -> int | None:
    """'2', '第二个', '选3' → the number; None when the text is not a numbered choice."""
    match = _CHOICE.match(text)
    if not match:
        return None
    token = match.group(1)
    return int(token) if token.isdigit() else _CHINESE_DIGITS[token]


def answer_item(dispatcher: Dispatcher, services: Services, item_id: str, aspect: str,
                proxy: bool = False, question: str = "") -> dict[str, Any]:
    """Say what the record of `item_id` holds about `aspect`; return the slots to set.

    `proxy`: the citizen asks whether someone else may apply for the applicant; a conditions answer
    then adds the materials a proxy brings. `question`: what the citizen asked; a conditions answer adds
    the materials whose notes speak of their situation ("外地户口能办吗" → the 居住证 of 非西安市户籍 applicants)."""
    knowledge = services.knowledge
    record = knowledge.item(item_id)
    if record is None:
        dispatcher.utter("utter_unknown_item", item_id=item_id)
        return {"item_id": None}
    text = GuideText(services.domain_data["formats"], services.domain_data["aspect_labels"])
    department = knowledge.department(record.get("department", ""))
    values = text.values(record, aspect, department, knowledge.centre)
    buttons = follow_up_buttons(services, item_id, aspect)
    slots: dict[str, Any] = {"item_id": item_id, "aspect": aspect, "choices": None, "misses": 0}
    if aspect == "overview" and record.get("steps"):
        steps = record["steps"]
        dispatcher.utter("utter_theme", buttons=buttons, count=len(steps),
                         steps=text.theme_steps(record, knowledge.items), **values)
        slots["choices"] = [s.get("item") for s in steps if s.get("item")] or None
    elif aspect == "conditions" and proxy:
        brought = text.proxy_materials(record, services.config.dialogue.proxy_material_words)
        values["conditions"] = record.get("conditions") or services.domain_data["formats"]["conditions_unknown"]
        dispatcher.utter("utter_guide_proxy" if brought else "utter_guide_proxy_unlisted", buttons=buttons,
                         proxy_materials=brought, **values)
    elif aspect == "conditions" and not text.missing(record, aspect):
        situation = text.situation_materials(record, question, services.config.dialogue.situation_words)
        dispatcher.utter("utter_guide_conditions_situation" if situation else "utter_guide_conditions",
                         buttons=buttons, situation_materials=situation, **values)
    elif aspect != "overview" and text.missing(record, aspect):
        dispatcher.utter("utter_guide_missing", buttons=buttons, **values)
    else:
        dispatcher.utter(f"utter_guide_{aspect}", buttons=buttons, **values)
    return slots


def follow_up_buttons(services: Services, item_id: str, answered: str) -> list[dict[str, str]]:
    return [{"title": f["title"], "payload": f'/ask_guide{{"item_id": "{item_id}", "aspect": "{f["aspect"]}"}}'}
            for f in services.domain_data.get("follow_ups", []) if f["aspect"] != answered]


def offer_choices(dispatcher: Dispatcher, services: Services, item_ids: list[str]) -> dict[str, Any]:
    items = services.knowledge.items
    lines = "\n".join(services.domain_data["formats"]["choice_line"].format(
        n=n, name=items[i]["name"], department=items[i].get("department", "")) for n, i in enumerate(item_ids, 1))
    buttons = [{"title": f"{n}. {items[i]['name']}", "payload": str(n)} for n, i in enumerate(item_ids, 1)]
    dispatcher.utter("utter_choose_item", buttons=buttons, choices=lines)
    return {"choices": item_ids}


def fitting_alternatives(candidates: list[dict[str, Any]], services: Services) -> list[str]:
    """The best candidate and those of its `alternatives` (个体工商户 or 公司 for a small eatery) that fit the
    question nearly as well (dialogue.alternative_ratio of its score): zwbot asks which. Empty when the
    citizen named the best one outright by a longer name than any alternative's."""
    if not candidates:
        return []
    best = candidates[0]
    record = services.knowledge.item(best["item_id"]) or {}
    ratio = services.config.dialogue.alternative_ratio
    others = [c for c in candidates[1:] if c["item_id"] in (record.get("alternatives") or [])
              and c["score"] >= ratio * best["score"]
              and len(c.get("mention") or "") >= len(best.get("mention") or "")]
    return [best["item_id"], *(c["item_id"] for c in others)] if others else []


def close_candidates(candidates: list[dict[str, Any]], ratio: float) -> list[str]:
    """Ids of the candidates too close to the best one to pick it without asking (empty when clear)."""
    if len(candidates) < 2:
        return []
    best, runner_up = candidates[0], candidates[1]
    if len(best.get("mention") or "") > len(runner_up.get("mention") or ""):
        return []  # the citizen named the best one more fully than any other
    close = [c["item_id"] for c in candidates[:3] if c["score"] >= ratio * best["score"]]
    return close if len(close) > 1 else []


class ActionAnswerGuide(Action):
    """ask_guide: find the item (this question's, else the one last discussed) and answer the aspect."""

    name = "action_answer_guide"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        guide = tracker.guide
        aspect = guide.get("aspect") or "overview"
        proxy = bool(guide.get("proxy"))
        item_id = guide.get("item_id")
        candidates = guide.get("candidates") or []
        last_item = tracker.get_slot("item_id")
        # "退休了能办吗" while another item is discussed tells who asks; it does not name 办理退休.
        situation = bool(last_item and candidates) and aspect == "conditions" and tells_situation(candidates[0], services)
        named = bool(candidates) and names_item(candidates[0], services) and not situation
        if guide.get("from_payload"):
            return answer_item(dispatcher, services, item_id, aspect) if item_id else \
                answer_item(dispatcher, services, last_item, aspect) if last_item else \
                self._ask_which(dispatcher)
        department = tracker.entity("department")
        if department and not named:
            # "工商局在哪": about the department itself, unless the question or the conversation
            # is about one of its items.
            # A weak match ("工商局" → 个体工商户) is the department's name speaking, not an item.
            strong = candidates and candidates[0]["score"] >= 2 * services.config.thresholds.min_item_score
            found = services.knowledge.item(item_id) if item_id and strong else None
            last = services.knowledge.item(last_item) if last_item else None
            if not any(record and record.get("department") == department for record in (found, last)):
                return self._department(dispatcher, tracker, services, department)
        # A follow-up ("法律依据呢", "那要多久？") is about the item under discussion unless it names another.
        follow_up = item_id is None or guide.get("bare") or situation \
            or tracker.text.strip().startswith(_FOLLOW_UP_MARKERS)
        if last_item and not named and follow_up:
            return answer_item(dispatcher, services, last_item, aspect, proxy, tracker.text)
        if item_id is None:
            return self._miss(dispatcher, tracker, services)
        close = close_candidates(candidates, services.config.thresholds.close_candidates)
        alternatives = fitting_alternatives(candidates, services)
        if not close and last_item in alternatives:  # chosen a moment ago: not asked again
            return answer_item(dispatcher, services, last_item, aspect, proxy)
        close = close or alternatives
        if close:
            slots = offer_choices(dispatcher, services, close)
            return {**slots, "aspect": aspect}
        return answer_item(dispatcher, services, item_id, aspect, proxy, tracker.text)

    @staticmethod
    def _ask_which(dispatcher: Dispatcher) -> dict[str, Any]:
        dispatcher.utter("utter_ask_which_item")
        return {}

    @staticmethod
    def _department(dispatcher: Dispatcher, tracker: Tracker, services: Services, department: str) -> dict[str, Any]:
        """A question that names a department (maybe by its old name) but no item: where it sits, its phone."""
        record = services.knowledge.department(department) or {}
        mention = next((e for e in tracker.latest_message.get("entities", []) if e["entity"] == "department"), None)
        used = tracker.latest_message.get("text", "")[mention["start"]:mention["end"]] if mention else department
        note = ""
        if used in (record.get("aliases") or []) and used not in department:
            note = services.domain_data["formats"]["old_name_note"].format(alias=used, department=department)
        dispatcher.utter("utter_department", department=department, window=record.get("window", ""),
                         phone=record.get("phone", ""), old_name_note=note)
        return {"misses": 0, "item_id": None}

    @staticmethod
    def _miss(dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        services.log_unanswered(tracker, "no_item")
        return miss(dispatcher, tracker, services, "utter_no_item")


def miss(dispatcher: Dispatcher, tracker: Tracker, services: Services, response: str) -> dict[str, Any]:
    """Say `response`; after too many misses in a row also offer a human."""
    misses = int(tracker.get_slot("misses") or 0) + 1
    centre = services.knowledge.centre
    dispatcher.utter(response, phone=centre.get("phone", ""))
    if misses >= services.config.dialogue.misses_before_human:
        dispatcher.utter("utter_offer_human", phone=centre.get("phone", ""), hours=weekday_hours(centre))
        misses = 0
    return {"misses": misses, "last_question": tracker.text}


class ActionSelectChoice(Action):
    """A numbered reply ("2") to a list of choices: answer the chosen item."""

    name = "action_select_choice"

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        choices = tracker.get_slot("choices") or []
        number = choice_number(tracker.text)
        if number is None or not 1 <= number <= len(choices):
            dispatcher.utter("utter_choice_out_of_range", count=len(choices))
            return {}
        aspect = tracker.get_slot("aspect") or "overview"
        return answer_item(dispatcher, services, choices[number - 1], aspect)
