"""Property-based tests over every parser a platform webhook feeds with outside input: WeChat XML,
Weibo push JSON and Telegram updates. Whatever arrives, the parser answers with a value of the
documented shape or its own "malformed" error (the webhook's 400), never anything else; and the
live webhooks answer such input with 200/400/403/413, never 500.

The parsers get many examples; the live server a few dozen (each valid one runs a real turn).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from aiohttp import ClientSession
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Bot
from wechatpy import parse_message
from wechatpy.replies import TextReply

from bot.channels.telegram.updates import Incoming, read_update
from bot.channels.telegram.webhook import parse_update
from bot.channels.wechat.messages import MalformedMessage, WeChatMessage, read_message
from bot.channels.wechat.settings import WeChatSettings
from bot.channels.wechat.webhook import _notice_for as wechat_notice
from bot.channels.wechat.webhook import _what_was_said as wechat_said
from bot.channels.weibo.formatting import passive_reply
from bot.channels.weibo.pushes import MalformedPush, delivery_key, read_push
from bot.channels.weibo.webhook import _notice_for as weibo_notice
from bot.channels.weibo.webhook import _what_was_said as weibo_said
from tests.bot.channels.test_wechat import _plain_query
from tests.conftest import WEIBO_APP_SECRET
from tests.drivers.weibo import signed_query
from tests.fakes.telegram_bot_api import SECRET_TOKEN, TOKEN

PARSER = settings(max_examples=200, deadline=None, database=None)
LIVE = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- WeChat XML ---------------------------------------------------------------------------------

FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey",
          "Recognition", "MediaId", "PicUrl", "Format", "Encrypt", "xml", "a"]
KINDS = ["text", "voice", "image", "event", "location", "link", "video", "TEXT", ""]
EVENTS = ["subscribe", "unsubscribe", "CLICK", "SCAN", "VIEW", "TEMPLATESENDJOBFINISH", "LOCATION", "x"]
WECHAT_SETTINGS = WeChatSettings(token="t", aes_key=None, app_id="", secret="", api_base="", max_skew=0)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


field_text = st.one_of(
    st.text(max_size=40).map(_escaped),
    st.sampled_from(KINDS + EVENTS + ["oabc", "gh_xa_zwfw", "qrscene_1", "0", "-1", "1e9", "9" * 30]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=20).filter(lambda t: "]]>" not in t).map(lambda t: f"<![CDATA[{t}]]>"),
)
elements = st.recursive(
    field_text,
    lambda inner: st.lists(st.tuples(st.sampled_from(FIELDS), inner), max_size=5).map(
        lambda children: "".join(f"<{name}>{value}</{name}>" for name, value in children)),
    max_leaves=15,
)


def _mutated(draw: st.DrawFn, fields: dict[str, Any], odd: st.SearchStrategy[Any]) -> dict[str, Any]:
    """`fields` (a valid message) with a few of them dropped or given odd values, and some extra ones."""
    names = list(fields)
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        fields[name] = draw(odd)
    for name in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
        fields.pop(name, None)
    return fields


@st.composite
def wechat_xml(draw: st.DrawFn) -> str:
    """A message as WeChat sends it, with some fields dropped, given odd values or added, and
    sometimes garbage around it."""
    kind = draw(st.sampled_from(KINDS))
    fields = {"ToUserName": "gh_xa_zwfw", "FromUserName": draw(st.sampled_from(["o" + "a" * 27, "mycreate"])),
              "CreateTime": str(int(time.time())), "MsgType": kind,
              "Content": draw(st.text(max_size=30).map(_escaped)), "MsgId": str(draw(st.integers(0, 2**64))),
              "Event": draw(st.sampled_from(EVENTS)), "EventKey": draw(st.sampled_from(["", "ZWBOT_PROGRESS", "x"])),
              "Recognition": draw(st.text(max_size=20).map(_escaped))}
    fields = _mutated(draw, fields, elements)
    extra = draw(st.one_of(st.just(""), elements))
    inside = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items()) + extra
    prefix, suffix = draw(st.sampled_from([("", "")] * 6 + [("<?xml version='1.0'?>", ""), ("", "<extra/>"),
                                                              ("x", "")]))
    root = draw(st.sampled_from(["xml"] * 9 + ["doc"]))
    return f"{prefix}<{root}>{inside}</{root}>{suffix}"


def _check_wechat(xml: str) -> None:
    try:
        message = read_message(xml)
    except MalformedMessage as error:
        assert str(error)
        return
    assert isinstance(message, WeChatMessage)
    assert isinstance(message.source, str) and isinstance(message.target, str)
    assert isinstance(message.msg_id, int) and isinstance(message.create_time, int)
    assert isinstance(message.delivery_key, str) and message.source in message.delivery_key
    said = wechat_said(message, WECHAT_SETTINGS)
    assert said is None or isinstance(said, str)
    assert wechat_notice(message) in (None, "utter_voice_needs_text", "utter_text_only")
    # The reply goes back to exactly this sender, whatever the sender id looked like.
    reply = parse_message(TextReply(source=message.target, target=message.source, content="您好").render())
    assert reply.target == message.source and reply.source == message.target and reply.content == "您好"


@PARSER
@given(wechat_xml())
def test_wechat_xml_parses_into_a_checked_message_or_a_malformed_error(xml: str) -> None:
    _check_wechat(xml)


@PARSER
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("utf-8", "replace"))))
def test_any_text_parses_into_a_checked_message_or_a_malformed_error(text: str) -> None:
    _check_wechat(text)


@LIVE
@given(st.one_of(wechat_xml(), st.binary(max_size=500)))
async def test_the_live_wechat_webhook_never_answers_500(channel_server, body: str | bytes) -> None:  # type: ignore[no-untyped-def]
    data = body.encode() if isinstance(body, str) else body
    async with ClientSession(base_url=channel_server.url) as http:
        response = await http.post("/webhooks/wechat", params=_plain_query(), data=data)
        assert response.status in (200, 400, 403, 413), await response.text()


# --- Weibo push JSON ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
ids = st.one_of(st.integers(min_value=1, max_value=10**12), st.integers(1, 10**12).map(str))


@st.composite
def weibo_push(draw: st.DrawFn) -> dict[str, Any]:
    """A push as Weibo sends it, with some fields dropped, given odd JSON values or added."""
    kind = draw(st.sampled_from(["text", "event", "voice", "image", "position", "mention", "x"]))
    push = {"type": kind, "sender_id": draw(ids), "receiver_id": 1902538057,
            "created_at": "Mon Jul 16 18:09:20 +0800 2012", "text": draw(st.text(max_size=30)),
            "data": {"subtype": draw(st.sampled_from(["follow", "unfollow", "scan_follow", ""]))}}
    push = _mutated(draw, push, json_values)
    push.update(draw(st.dictionaries(st.text(max_size=8), json_values, max_size=2)))
    return push


def _check_weibo(body: bytes) -> None:
    try:
        push = read_push(body)
    except MalformedPush as error:
        assert str(error)
        return
    assert isinstance(delivery_key(push), str)
    said = weibo_said(push)
    assert said is None or isinstance(said, str)
    assert weibo_notice(push) in (None, "utter_voice_needs_text", "utter_text_only")
    json.dumps(passive_reply(push, "您好"))


@PARSER
@given(weibo_push())
def test_weibo_pushes_parse_or_are_malformed(push: dict[str, Any]) -> None:
    _check_weibo(json.dumps(push).encode())


@PARSER
@given(st.one_of(json_values.map(lambda value: json.dumps(value).encode()), st.binary(max_size=300)))
def test_any_weibo_body_parses_or_is_malformed(body: bytes) -> None:
    _check_weibo(body)


@LIVE
@given(weibo_push())
async def test_the_live_weibo_webhook_never_answers_500(channel_server, push: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    async with ClientSession(base_url=channel_server.url) as http:
        response = await http.post("/webhooks/weibo", params=signed_query(WEIBO_APP_SECRET), data=json.dumps(push))
        assert response.status in (200, 400, 403, 413), await response.text()


# --- Telegram updates ---------------------------------------------------------------------------

BOT = Bot(TOKEN)  # never connects: only used to build Update objects


@st.composite
def telegram_update(draw: st.DrawFn) -> dict[str, Any]:
    """An update as Telegram sends it (a message or a button press), with some fields at every level
    dropped, given odd JSON values or added."""
    chat_id = draw(st.integers(-(10**13), 10**13))
    chat = _mutated(draw, {"id": chat_id, "type": "private"}, json_values)
    user = _mutated(draw, {"id": abs(chat_id) + 1, "is_bot": False, "first_name": "市民"}, json_values)
    message = {"message_id": draw(st.integers(1, 10**6)), "date": int(time.time()), "chat": chat, "from": user,
               "text": draw(st.one_of(st.text(max_size=30), st.just("/start"), st.just("/start@bot x")))}
    if draw(st.booleans()):
        message[draw(st.sampled_from(["voice", "photo", "sticker", "entities", "location"]))] = draw(json_values)
    message = _mutated(draw, message, json_values)
    update: dict[str, Any] = {"update_id": draw(st.integers(0, 2**62))}
    if draw(st.booleans()):
        update["message"] = message
    else:
        query = {"id": "cq1", "from": user, "chat_instance": "ci", "message": message,
                 "data": draw(st.one_of(st.text(max_size=70), st.just("~b:unknown")))}
        update["callback_query"] = _mutated(draw, query, json_values)
    return _mutated(draw, update, json_values)


@PARSER
@given(telegram_update())
def test_telegram_updates_are_read_or_ignored(data: dict[str, Any]) -> None:
    update = parse_update(data, BOT)
    if update is None:
        return
    incoming = read_update(update)
    if incoming is not None:
        assert isinstance(incoming, Incoming) and isinstance(incoming.chat_id, str)
        assert incoming.text is None or isinstance(incoming.text, str)


@LIVE
@given(telegram_update())
async def test_the_live_telegram_webhook_never_answers_500(channel_server, data: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    if isinstance(data.get("update_id"), int):  # a new update each time: Telegram's ids only grow
        data["update_id"] = uuid.uuid4().int % 2**62
    async with ClientSession(base_url=channel_server.url) as http:
        response = await http.post("/webhooks/telegram", data=json.dumps(data),
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN,
                                            "Content-Type": "application/json"})
        assert response.status in (200, 400), await response.text()
