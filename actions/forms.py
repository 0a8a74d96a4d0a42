"""Forms: ask for a few slots one at a time, check each answer, then act on them all.

A form keeps its state in the `form` slot ({"name", "id", "requested", "values", "tries",
"cancelling"}); the engine sends every message to the active form until it submits or the citizen
cancels. What a citizen sends in the middle is not always an answer:

- a message that is clearly something else (a guide question, a progress query, an everyday request)
  interrupts: the form returns `INTERRUPTED`, the engine answers the message as if no form were open,
  and then `resume` asks the pending question again (a form opened by the interruption runs first;
  the interrupted ones wait in `paused_forms`). Nothing of it lands in a slot;
- a question about the form itself ("为什么要留电话") is explained, then the question is asked again;
- "取消" asks to confirm, and only a yes leaves the form;
- an answer the slot refuses is explained and asked again; an optional slot is skipped after
  `max_tries` refusals;
- at the read-back (`confirm_slot`) "时间改成前天下午" corrects one answer and reads back again.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import replace
from typing import Any

from actions.sdk import Action, Dispatcher, Services, Tracker

# The form gives way to the message; the engine answers it, then calls `Form.resume`.
INTERRUPTED = "interrupted"

CANCEL = re.compile(r"^\s*(取消|算了|不办了|不投诉了|不评了|不查了|退出|不用了|不弄了)(吧|了)?\s*[。！!]?\s*$")
_YES = re.compile(r"^\s*(是|是的|对|确定|确认|嗯|好|好的|取消|可以|行)\s*(吧|的|啊)?\s*[。！!]?\s*$")
_QUESTION = re.compile(r"[？?]\s*$|(吗|呢|么|嘛|啥|什么|怎么办|怎么弄|咋办|咋弄|在哪|哪里|哪儿|几点|多少钱|多久)\s*[。！!~～]*\s*$"
                       r"|^(请问|问一下|想问|咨询一下)")
_REQUEST = re.compile(r"^(帮我|给我|请帮|麻烦|推荐|订|预订|播放|导航|打开|查一下|搜一下|来一首|放一首)")
_WHY = re.compile(r"(为什么|为啥|干嘛|干吗|凭什么|有什么用|做什么用)[^，。,.]{0,8}(留|要|问|填|提供|给|说)"
                  r"|(留|要|问|填|提供)[^，。,.]{0,8}(干嘛|干吗|做什么|有什么用|为什么)")
_CORRECTION = re.compile(r"(?P<field>[\u4e00-\u9fff]{1,6}?)\s*(?:改成|改为|换成|更正为|应该是|应为|写成)\s*[：:]?\s*(?P<value>.+)$")
# What a citizen may ask about other than the form's own question (the engine's rules answer these).
OTHER_BUSINESS = frozenset({"ask_guide", "ask_centre", "query_progress", "notify_me", "complain", "suggest",
                            "out_of_scope", "chitchat", "greet", "welcome", "goodbye"})
# Intents that name another workflow outright: they interrupt even when not phrased as a question.
SWITCHES = frozenset({"query_progress", "complain", "suggest", "notify_me"})


def asks_something(text: str) -> bool:
    """A question or a request ("老人证要带啥", "推荐个饭店") — never an account of what happened."""
    text = text.strip()
    return bool(_QUESTION.search(text) or _REQUEST.search(text))


class Form(Action):
    """Subclasses set `name` and `required_slots`, and implement `validate` and `submit`.

    The question for slot `s` is the response `utter_ask_<form name>_<s>`; when `announce` is set,
    the first question follows `utter_start_<form name>` (what the form does, how many questions).
    """

    required_slots: tuple[str, ...] = ()
    optional_slots: tuple[str, ...] = ()  # skipped after `max_tries` refused answers
    free_text_slots: tuple[str, ...] = ()  # answered in the citizen's own words (what happened, why)
    confirm_slot: str | None = None  # the read-back, where an answer may be corrected
    corrections: dict[str, str] = {}  # word naming an answer in a correction ("时间改成…") → its slot
    announce = False
    max_tries = 2
    own_intent = ""  # the intent that opens this form

    def new_state(self, prefilled: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `form` slot of this form just started, with the answers the opening message gave."""
        return {"name": self.name, "id": uuid.uuid4().hex, "requested": None,
                "values": dict(prefilled or {}), "tries": {}}

    async def validate(self, slot: str, dispatcher: Dispatcher, tracker: Tracker,
                       services: Services) -> Any:
        """The value of `slot` in the latest message, or None (after saying what is wrong)."""
        text = tracker.text.strip()
        return text or None

    async def submit(self, dispatcher: Dispatcher, tracker: Tracker, services: Services,
                     values: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def also_answered(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        """Answers to later questions that the answer to `slot` gave too ("XA… 尾号1234")."""
        return {}

    def looks_like_answer(self, slot: str, text: str) -> bool:
        """A wrong answer that is still an answer ("电话是12345") is refused, not taken for another question."""
        return False

    def skipped_value(self, slot: str) -> Any:
        """What an optional slot holds when the citizen's answers were refused `max_tries` times."""
        return ""

    def slots_needed(self, values: dict[str, Any]) -> list[str]:
        return [slot for slot in self.required_slots if slot not in values]

    def prompt_values(self, values: dict[str, Any], services: Services) -> dict[str, Any]:
        """Values the questions may show (e.g. a summary before confirming)."""
        return dict(values)

    def ask(self, dispatcher: Dispatcher, form: dict[str, Any], services: Services) -> None:
        dispatcher.utter(f"utter_ask_{self.name}_{form['requested']}",
                         **self.prompt_values(form["values"], services))

    def title(self, services: Services) -> str:
        """What the form is called in a sentence ("投诉登记"), from domain.yml labels.forms."""
        return str(services.domain_data["labels"]["forms"].get(self.name, ""))

    def resume(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> None:
        """After an interruption was answered: say the form goes on, and ask its pending question."""
        form = tracker.slots.get("form") or {}
        if form.get("name") == self.name and form.get("requested"):
            dispatcher.utter("utter_form_resume", title=self.title(services))
            self.ask(dispatcher, form, services)

    async def run(self, dispatcher: Dispatcher, tracker: Tracker, services: Services) -> dict[str, Any]:
        form = tracker.get_slot("form") or {}
        return await self.step(dispatcher, tracker, services, form if form.get("name") == self.name
                               else self.new_state())

    async def step(self, dispatcher: Dispatcher, tracker: Tracker, services: Services,
                   form: dict[str, Any]) -> dict[str, Any]:
        """Take the latest message as the answer to `form`'s pending question (or as something else),
        and return the slots that change, the form's new state among them."""
        form = copy.deepcopy(form)
        form.setdefault("tries", {})
        # validate and submit read the form's answers from the tracker: show them the state being worked on.
        tracker = tracker.with_slots(form=form)
        values = form["values"]
        requested = form.get("requested")
        text = tracker.text.strip()
        if form.get("cancelling"):
            form["cancelling"] = False
            if _YES.search(text):
                dispatcher.utter("utter_form_cancelled")
                return {"form": None}
            self.resume(dispatcher, tracker, services)
            return {"form": form}
        if requested:
            if CANCEL.search(text):
                form["cancelling"] = True
                dispatcher.utter("utter_form_cancel_confirm", title=self.title(services))
                return {"form": form}
            if _WHY.search(text) and len(text) <= 30:
                dispatcher.utter(f"utter_why_{self.name}_{requested}")
                self.ask(dispatcher, form, services)
                return {"form": form}
            if self._interrupts(requested, tracker):
                return {"form": form, INTERRUPTED: True}
            if requested == self.confirm_slot and await self._correct(dispatcher, tracker, services, form):
                self.ask(dispatcher, form, services)
                return {"form": form}
            said = len(dispatcher.messages)
            value = await self.validate(requested, dispatcher, tracker, services)
            if value is None and tracker.intent in SWITCHES - {self.own_intent} \
                    and not self.looks_like_answer(requested, text):
                del dispatcher.messages[said:]  # not a wrong answer: another matter ("我要投诉")
                return {"form": form, INTERRUPTED: True}
            if value is None:
                tries = form["tries"][requested] = form["tries"].get(requested, 0) + 1
                if requested not in self.optional_slots or tries <= self.max_tries:
                    self.ask(dispatcher, form, services)  # validate has said what was wrong
                    return {"form": form}
                dispatcher.utter("utter_form_skipped")
                value = self.skipped_value(requested)
            values[requested] = value
            for slot, answer in self.also_answered(requested, tracker).items():
                values.setdefault(slot, answer)
        needed = self.slots_needed(values)
        if needed:
            if self.announce and requested is None and not form.get("announced"):
                form["announced"] = True
                questions = len([s for s in needed if s != self.confirm_slot])
                dispatcher.utter(f"utter_start_{self.name}", count=questions)
            form["requested"] = needed[0]
            self.ask(dispatcher, form, services)
            return {"form": form}
        changes = await self.submit(dispatcher, tracker, services, values)
        return {"form": None, **changes}

    def _interrupts(self, slot: str, tracker: Tracker) -> bool:
        """Is the message clearly another matter, whatever the pending question? A question or request
        of other business, or another workflow with its number ("查一下XA2026…的进度")."""
        intent, text = tracker.intent, tracker.text.strip()
        if intent == self.own_intent or self.looks_like_answer(slot, text):
            return False
        numbered = any(tracker.entity(name) for name in ("case_no", "ticket_no"))
        # "老人证在哪办" asks without a question mark: a guide question naming an item outright is one too.
        named = intent == "ask_guide" and any(c.get("mention") for c in (tracker.guide.get("candidates") or [])[:1])
        return (intent in OTHER_BUSINESS and (asks_something(text) or named)) or (intent in SWITCHES and numbered)

    async def _correct(self, dispatcher: Dispatcher, tracker: Tracker, services: Services,
                       form: dict[str, Any]) -> bool:
        """"时间改成前天下午" at the read-back: check the new answer as its slot would and keep it."""
        match = _CORRECTION.search(tracker.text.strip())
        if not match:
            return False
        slot = next((s for word, s in self.corrections.items() if word in match.group("field")), None)
        if slot is None:
            return False
        said = len(dispatcher.messages)
        answer = replace(tracker, latest_message={**tracker.latest_message, "text": match.group("value").strip()})
        value = await self.validate(slot, dispatcher, answer, services)
        if value is not None:
            del dispatcher.messages[said:]
            form["values"][slot] = value
            dispatcher.utter("utter_form_corrected")
        return True
