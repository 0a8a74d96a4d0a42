"""Long answers cut at line ends into parts a platform accepts (WeChat, Weibo, Telegram)."""

from __future__ import annotations

from collections.abc import Callable


def utf8_bytes(text: str) -> int:
    return len(text.encode())


def split_lines(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Parts of at most `limit` (as `size` measures), cut at line ends; inside a line only when one
    line alone is too long. Joining the parts with newlines gives back the text."""
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        candidate = line if current is None else f"{current}\n{line}"
        if size(candidate) <= limit:
            current = candidate
            continue
        if current is not None:
            parts.append(current)
        while size(line) > limit:
            cut = len(line)
            while size(line[:cut]) > limit:
                cut -= 1
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current:
        parts.append(current)
    return parts
