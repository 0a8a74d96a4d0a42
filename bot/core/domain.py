"""domain.yml: intents, slots, the intent → action rules and every response text."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from actions.sdk import BotMessage


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
        return cls(list(document.get("intents") or []), rules, responses, data)

    def render(self, response: str, values: dict[str, Any]) -> BotMessage:
        variants = self.responses.get(response)
        if not variants:
            raise DomainError(f"domain.yml 中没有回复 {response}")
        variant = variants[0] if len(variants) == 1 else random.choice(variants)
        text = variant.get("text", "").format_map(_Values(values))
        buttons = [{"title": str(b["title"]), "payload": str(b["payload"])} for b in variant.get("buttons") or []]
        return BotMessage(text, buttons)

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
