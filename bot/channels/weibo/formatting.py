"""Weibo's wire format for answers: plain text in parts under 300 characters, and the passive
reply whose `data` is the URL-encoded JSON of the text."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from bot.channels.plain_text import split_lines

MAX_PART_CHARS = 299  # Weibo: a private message must be under 300 Chinese characters


def weibo_parts(text: str) -> list[str]:
    return split_lines(text, MAX_PART_CHARS) if text else []


def encode_data(text: str) -> str:
    """`data` of a passive reply: the JSON {"text": …}, UTF-8 URL-encoded (Weibo's own example:
    {"text":"中文消息"} → %7B%22text%22%3A%22%E4%B8%AD%E6%96%87%E6%B6%88%E6%81%AF%22%7D)."""
    return quote(json.dumps({"text": text}, ensure_ascii=False, separators=(",", ":")), safe="")


def passive_reply(push: dict[str, Any], text: str) -> dict[str, Any]:
    """The reply to `push`: to its sender, from the account it was sent to (ids as Weibo sent them)."""
    return {"result": True, "receiver_id": push["sender_id"], "sender_id": push["receiver_id"], "type": "text",
            "data": encode_data(text)}
