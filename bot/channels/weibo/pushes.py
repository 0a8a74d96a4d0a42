"""Reading a Weibo push (the POST body of the fan-service message push, JSON mode) into a checked dict.

Weibo's pushes are flat: `type`, `sender_id`, `receiver_id`, `created_at`, `text` and a small `data`
object. Anything else is refused with a short reason (the webhook answers 400) before a turn sees
it; JSON nested deeper than real pushes ever are is refused too, so neither parsing nor printing
a push can recurse without bound.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

MAX_DEPTH = 16  # a real push is 2 deep (the push, its `data`)


class MalformedPush(ValueError):
    """The body is not a push zwbot can read; str() is a short reason for the 400."""


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels (iteratively: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children = list(current.values())
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def is_user_id(value: Any) -> bool:
    """Weibo user ids are numbers (sent as JSON numbers or digit strings)."""
    return (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63) or \
        (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20)


def read_push(body: bytes) -> dict[str, Any]:
    """The push in `body`. Raises MalformedPush."""
    try:
        # orjson refuses nesting deeper than 1,024 levels with an error, not a RecursionError.
        push = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedPush("body is not JSON") from error
    if not isinstance(push, dict):
        raise MalformedPush("a push must be a JSON object")
    if _deeper_than(push, MAX_DEPTH):
        raise MalformedPush("body is nested too deeply")
    if not isinstance(push.get("type"), str) or not is_user_id(push.get("sender_id")) \
            or not is_user_id(push.get("receiver_id")):
        raise MalformedPush("a push needs type, and sender_id and receiver_id as Weibo user ids")
    if not isinstance(push.get("data") or {}, dict) or not isinstance(push.get("text") or "", str):
        raise MalformedPush("data must be an object and text a string")
    created = push.get("created_at")
    if created is not None and (isinstance(created, bool) or not isinstance(created, (str, int))):
        raise MalformedPush("created_at must be a date text")
    return push


def delivery_key(push: dict[str, Any]) -> str:
    """What Weibo's retries of a push share: it sends no message id, so sender + created_at + content."""
    return "|".join([str(push["sender_id"]), str(push.get("created_at", "")), push["type"], push.get("text") or "",
                     json.dumps(push.get("data") or {}, sort_keys=True, ensure_ascii=False)])
