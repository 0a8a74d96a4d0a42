"""Turning zwbot's messages into what WeChat can show: plain text in parts of at most 2,047 bytes."""

from __future__ import annotations

from bot.channels.plain_text import split_lines, utf8_bytes

MAX_PART_BYTES = 2047  # a passive reply must stay under 2,048 bytes of UTF-8
MAX_PARTS = 5  # WeChat lets us send at most 5 customer-service messages after one citizen message


def wechat_parts(text: str) -> list[str]:
    """`text` as WeChat messages: cut at line ends into at most MAX_PARTS parts."""
    return split_lines(text, MAX_PART_BYTES, utf8_bytes)[:MAX_PARTS] if text else []
