"""Turning zwbot's messages into what WeChat can show: plain text in parts of at most 2,047 bytes."""

from __future__ import annotations

from actions.sdk import BotMessage

MAX_PART_BYTES = 2047  # a passive reply must stay under 2,048 bytes of UTF-8
MAX_PARTS = 5  # WeChat lets us send at most 5 customer-service messages after one citizen message


def as_text(message: BotMessage) -> str:
    """Buttons become numbered options the citizen can type ("回复 1 …")."""
    if not message.buttons:
        return message.text
    options = "\n".join(f"回复 {n}：{button['title'].split('. ', 1)[-1]}" for n, button in enumerate(message.buttons, 1))
    return f"{message.text}\n{options}"


def split_parts(text: str, limit: int = MAX_PART_BYTES) -> list[str]:
    """Parts of at most `limit` UTF-8 bytes, cut at line ends (inside a line only when one line is too long)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(line.encode()) > limit:  # a single line longer than a part: cut on characters
            cut = len(line)
            while len(line[:cut].encode()) > limit:
                cut -= 1
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        parts.append(current)
    return parts
