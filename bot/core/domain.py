"""domain.yml: intents, slots, the intent → action rules and every response text."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.messages import BotMessage


# What a turn can be, for the statistics (domain.yml `turn_outcomes` says which responses make which).
TURN_OUTCOMES = ("answered", "handoff", "form", "clarification", "fallback", "smalltalk")


class DomainError(ValueError):
    """domain.yml is missing something the engine needs; the message says what."""


class _Values(dict):
    """Leaves an unknown {placeholder} visible instead of failing the whole answer."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class Domain:
    intents: list[str]
    rules: dict[str, str]
    responses: dict[str, list[dict[str, Any]]]
    data: dict[str, Any]  # formats, aspect_labels, follow_ups, centre_topics
    outcomes: dict[str, list[str]] = field(default_factory=dict)  # turn outcome → response name prefixes
    slots: frozenset[str] = frozenset()  # every slot a conversation may hold

    @classmethod
    def load(cls, path: Path) -> Domain:
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise DomainError(f"无法读取 {path}：{error}") from error
        responses = document.get("responses") or {}
        rules = document.get("rules") or {}
        for intent, action in rules.items():
            if action.startswith("utter_") and action not in responses:
                raise DomainError(f"{path}: 规则 {intent} → {action} 没有对应的回复文本")
        data = {key: document.get(key) or {} for key in ("formats", "aspect_labels", "centre_topics", "labels")}
        data["follow_ups"] = document.get("follow_ups") or []
        outcomes = {str(k): [str(p) for p in v or []] for k, v in (document.get("turn_outcomes") or {}).items()}
        unknown = set(outcomes) - set(TURN_OUTCOMES)
        if unknown:
            raise DomainError(f"{path}: turn_outcomes 中有未知的类别 {sorted(unknown)}")
        unclassified = [name for name in responses if not any(name.startswith(p) for ps in outcomes.values() for p in ps)]
        if outcomes and unclassified:
            raise DomainError(f"{path}: 回复 {unclassified} 不属于 turn_outcomes 中的任何类别")
        return cls(list(document.get("intents") or []), rules, responses, data, outcomes,
                   frozenset(document.get("slots") or {}))

    def outcome(self, messages: list[BotMessage]) -> str:
        """What a turn was, from the responses it said: the first class of `turn_outcomes` (in their
        order) any of them belongs to; "smalltalk" for a turn that said nothing of them."""
        said = [m.response for m in messages]
        for outcome, prefixes in self.outcomes.items():
            if any(name.startswith(prefix) for name in said for prefix in prefixes):
                return outcome
        return "smalltalk"

    def render(self, response: str, values: dict[str, Any]) -> BotMessage:
        variants = self.responses.get(response)
        if not variants:
            raise DomainError(f"domain.yml 中没有回复 {response}")
        variant = variants[0] if len(variants) == 1 else random.choice(variants)
        text = variant.get("text", "").format_map(_Values(values))
        buttons = [{"title": str(b["title"]), "payload": str(b["payload"])} for b in variant.get("buttons") or []]
        return BotMessage(text, buttons, response)

    def as_text(self, messages: list[BotMessage]) -> str:
        """Messages for a channel that shows only text: each button becomes a numbered option
        (formats.button_option), which the agent reads back as that button when typed."""
        option = str((self.data.get("formats") or {}).get("button_option", "{number}. {title}"))
        blocks = []
        for message in messages:
            lines = [message.text] + [option.format(number=n, title=button["title"].split(". ", 1)[-1])
                                      for n, button in enumerate(message.buttons, 1)]
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)
