"""Reading a pushed WeChat message (decrypted XML) into plain checked values.

wechatpy's message objects convert their fields lazily and keep whatever xmltodict made of the XML
(a nested element becomes a dict, a repeated one a list), so a malformed push would fail only later,
inside the turn. Here every field zwbot uses is read and checked once; anything off is a
`MalformedMessage`, which the webhook answers with 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wechatpy import parse_message  # type: ignore[import-untyped]

# OpenIDs are 28 URL-safe base64 characters, account ids `gh_…`; this leaves room without letting
# markup, spaces or control characters into keys, logs or the reply XML.
_USER_ID = re.compile(r"[A-Za-z0-9_\-@.]{1,64}")
MAX_MSG_ID = 2**64


class MalformedMessage(ValueError):
    """The push is not a WeChat message zwbot can read; str() is a short reason for the 400."""


@dataclass(frozen=True)
class WeChatMessage:
    kind: str  # MsgType, lower case: text, voice, image, event, …
    source: str  # FromUserName: the citizen's OpenID
    target: str  # ToUserName: the account
    msg_id: int  # MsgId; 0 for events, which have none
    create_time: int  # CreateTime, seconds
    content: str | None = None  # text messages
    recognition: str | None = None  # voice messages, when speech recognition is on
    event: str | None = None  # events, lower case (wechatpy's names, e.g. subscribe_scan)
    event_key: str | None = None  # events: EventKey (the menu key of a CLICK)

    @property
    def delivery_key(self) -> str:
        """What WeChat's retries of this push share (Tencent: MsgId for messages, FromUserName +
        CreateTime for events). The sender is always part of it, so a push that reuses another
        citizen's MsgId never joins that citizen's turn."""
        if self.msg_id:
            return f"{self.source}|{self.msg_id}"
        return f"{self.source}|{self.create_time}|{self.event or ''}"


def _optional_text(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise MalformedMessage(f"{field} must be text")


def _user_id(value: Any, field: str) -> str:
    if isinstance(value, str) and _USER_ID.fullmatch(value):
        return value
    raise MalformedMessage(f"{field} is missing or not a WeChat id")


def _number(read: Any, field: str) -> int:
    """An integer field, 0 when absent; `read` fetches it (wechatpy converts on access, which may raise)."""
    try:
        value = read()
    except (TypeError, ValueError, OverflowError) as error:
        raise MalformedMessage(f"{field} must be a number") from error
    if value is None:
        return 0
    if not isinstance(value, int) or not 0 <= value < MAX_MSG_ID:
        raise MalformedMessage(f"{field} must be a number")
    return value


def read_message(xml: str) -> WeChatMessage:
    """The message in `xml` (already authenticated and decrypted). Raises MalformedMessage."""
    if not xml.strip():
        raise MalformedMessage("empty body")
    try:
        message = parse_message(xml)
    except Exception as error:  # expat, a missing <xml> or MsgType, odd shapes: all the sender's
        raise MalformedMessage("not a WeChat XML message (needs <xml> with MsgType)") from error
    if message is None:
        raise MalformedMessage("empty body")
    kind = message._data.get("MsgType")  # wechatpy keeps the raw fields in _data
    if not isinstance(kind, str) or not kind.strip():
        raise MalformedMessage("MsgType must be text")
    kind = kind.strip().lower()
    source = _user_id(message._data.get("FromUserName"), "FromUserName")
    target = _user_id(message._data.get("ToUserName"), "ToUserName")
    msg_id = _number(lambda: message.id, "MsgId")
    create_time = _number(lambda: message.time, "CreateTime")
    content = recognition = event = event_key = None
    if kind == "text":
        content = _optional_text(message._data.get("Content"), "Content") or ""
    elif kind == "voice":
        recognition = _optional_text(message._data.get("Recognition"), "Recognition")
    elif kind == "event":
        raw_event = _optional_text(message._data.get("Event"), "Event")
        # wechatpy renames some events (a QR-code subscribe is subscribe_scan); its name wins.
        named = getattr(message, "event", None)
        event = (named if isinstance(named, str) and named else raw_event or "").lower()
        event_key = _optional_text(message._data.get("EventKey"), "EventKey")
    return WeChatMessage(kind=kind, source=source, target=target, msg_id=msg_id, create_time=create_time,
                         content=content, recognition=recognition, event=event, event_key=event_key)
