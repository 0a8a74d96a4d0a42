"""The Weibo channel against Weibo's documented examples, its JSON push, and a fake of its API that
reads the form body the way Weibo does."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from urllib.parse import parse_qs, unquote

import pytest_asyncio
from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.channels.weibo.formatting import encode_data
from bot.storage import Turn
from tests.conftest import WEIBO_APP_SECRET, app_with, serving
from tests.drivers.weibo import ACCOUNT_ID, WeiboDriver, created_at, fan_id_of, signed_query, text_push

# Weibo's documented URL check (粉丝服务平台 开发者接入指南).
DOCUMENTED = {"nonce": "57155157", "timestamp": "1397022061823", "echostr": "dnPdpTZz85",
              "signature": "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"}


@pytest_asyncio.fixture
async def weibo(channel_server):  # type: ignore[no-untyped-def]
    async with ClientSession(base_url=channel_server.url) as session:
        yield session


@pytest_asyncio.fixture
async def fan(weibo, channel_server):  # type: ignore[no-untyped-def]
    return WeiboDriver(weibo, channel_server.weibo_api, WEIBO_APP_SECRET)


def _fan_id() -> int:
    return uuid.uuid4().int % 10**10


async def test_weibos_documented_signature_example_verifies(settings, assistant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The example is from 2014: only with the timestamp check off does it test the signature math.
    app = app_with(settings, assistant, monkeypatch, {"ZWBOT_WEIBO_APP_SECRET": "xyz123xyz", "ZWBOT_WEIBO_MAX_SKEW": "0"})
    async with serving(app) as url, ClientSession(base_url=url) as http:
        answer = await http.get("/webhooks/weibo", params=DOCUMENTED)
        assert answer.status == 200 and await answer.text() == "dnPdpTZz85"
        changed = dict(DOCUMENTED, signature="90e4c22c90a58f26526c2dd5b6c56c8822edeaa2")
        assert (await http.get("/webhooks/weibo", params=changed)).status == 403
        assert (await http.get("/webhooks/weibo", params=dict(DOCUMENTED, nonce="57155158"))).status == 403


def test_passive_data_is_encoded_as_in_weibos_example() -> None:
    assert encode_data("中文消息") == "%7B%22text%22%3A%22%E4%B8%AD%E6%96%87%E6%B6%88%E6%81%AF%22%7D"


async def test_a_pushed_text_gets_a_passive_reply_whose_data_decodes_to_the_answer(weibo) -> None:  # type: ignore[no-untyped-def]
    push = text_push(_fan_id(), "老人证在哪里办")
    response = await weibo.post("/webhooks/weibo", params=signed_query(WEIBO_APP_SECRET), json=push)
    assert response.status == 200 and response.content_type == "application/json"
    reply = await response.json()
    assert reply["result"] is True and reply["type"] == "text"
    assert reply["receiver_id"] == push["sender_id"] and reply["sender_id"] == ACCOUNT_ID
    text = json.loads(unquote(reply["data"]))["text"]
    assert "【老年人优待证办理】办理地点" in text and len(text) < 300


async def test_unsigned_or_malformed_pushes_are_refused_with_a_reason(weibo) -> None:  # type: ignore[no-untyped-def]
    push = text_push(_fan_id(), "你好")
    assert (await weibo.post("/webhooks/weibo", json=push)).status == 403
    forged = dict(signed_query(WEIBO_APP_SECRET), signature="0" * 40)
    assert (await weibo.post("/webhooks/weibo", params=forged, json=push)).status == 403
    def signed() -> dict[str, str]:  # each push its own signed URL, as Weibo sends them
        return signed_query(WEIBO_APP_SECRET)

    not_json = await weibo.post("/webhooks/weibo", params=signed(), data=b"{type: text")
    assert not_json.status == 400 and "JSON" in await not_json.text()
    missing = await weibo.post("/webhooks/weibo", params=signed(), json={"type": "text", "text": "你好"})
    assert missing.status == 400 and "sender_id" in await missing.text()
    assert (await weibo.post("/webhooks/weibo", params=signed(), json=[1, 2])).status == 400
    huge_id = dict(push, sender_id="9" * 500)
    assert (await weibo.post("/webhooks/weibo", params=signed(), json=huge_id)).status == 400
    assert (await weibo.post("/webhooks/weibo", params=signed(), data=b"{" + b" " * 70000 + b"}")).status == 413


async def test_three_deliveries_of_one_message_make_one_turn(fan, assistant) -> None:  # type: ignore[no-untyped-def]
    fan_id = _fan_id()
    push = text_push(fan_id, "老人证要带什么材料")
    answers = await asyncio.gather(*(fan.push(push) for _ in range(3)))  # Weibo's three tries
    assert len(set(answers)) == 1 and "【老年人优待证办理】" in answers[0]
    await assistant.turn_log.flush()
    async with assistant.database.reader() as session:
        turns = await session.scalar(select(func.count()).select_from(Turn)
                                     .where(Turn.channel == "weibo", Turn.sender == str(fan_id)))
    assert turns == 1
    later = dict(push, created_at=created_at(time.time() + 5))  # the same words, sent again later: a new message
    assert await fan.push(later)


async def test_a_long_answer_continues_by_reply_json_with_the_form_encoded_once(fan, channel_server) -> None:  # type: ignore[no-untyped-def]
    sender = f"weibo-{uuid.uuid4().hex[:8]}"
    fan_id = fan_id_of(sender)
    heard = await fan.say(sender, {"user": "公积金提取要带什么材料"})
    fake = channel_server.weibo_api
    sent = fake.texts_to(str(fan_id))
    assert sent, "the rest of the answer goes by 2/messages/reply.json"
    assert all(len(text) < 300 for text in heard.texts)
    assert "住房公积金提取" in heard.texts[0]
    raw = [r for r in fake.calls("/2/messages/reply.json") if b"receiver_id=" + str(fan_id).encode() in r.body][0]
    form = parse_qs(raw.body.decode("ascii"))
    assert json.loads(form["data"][0]) == {"text": sent[0]}  # decoding once gives the JSON itself
    assert b"data=%7B%22text%22" in raw.body and b"%257B" not in raw.body
    assert form["type"] == ["text"] and form["access_token"] and form["save_sender_box"] == ["1"]


async def test_follow_welcomes_and_other_kinds_get_a_notice_or_nothing(fan) -> None:  # type: ignore[no-untyped-def]
    def event(kind: str, data: dict) -> dict:  # type: ignore[type-arg]
        return {"type": kind, "receiver_id": ACCOUNT_ID, "sender_id": _fan_id(), "created_at": created_at(),
                "text": "", "data": data}

    assert "感谢关注" in await fan.push(event("event", {"subtype": "follow"}))
    assert await fan.push(event("event", {"subtype": "unfollow"})) == ""
    assert "请用文字" in await fan.push(event("voice", {"vfid": 821804459, "tovfid": 412817357}))
    assert "只能看懂文字" in await fan.push(event("image", {"vfid": 821804459, "tovfid": 412817357}))
    assert await fan.push(event("mention", {})) == ""
    assert await fan.push(event("something_new", {})) == ""  # unknown types are ignored, as Weibo asks


async def test_a_ticket_update_reaches_the_fan_by_reply_json(fan, assistant, channel_server) -> None:  # type: ignore[no-untyped-def]
    sender = f"weibo-{uuid.uuid4().hex[:8]}"
    for said in ("我要建议，希望停车场晚上延长开放时间", "不留"):
        await fan.say(sender, {"user": said})
    heard = await fan.say(sender, {"user": "确认"})
    number = "\n".join(heard.texts).split("工单编号 ")[1].split("，")[0]
    fan_id = str(fan_id_of(sender))
    before = len(channel_server.weibo_api.texts_to(fan_id))
    await assistant.workflows.tickets.change_status(number, "处理中", "staff1", "已转交停车场管理方")
    await channel_server.weibo_api.wait_for(lambda: len(channel_server.weibo_api.texts_to(fan_id)) > before)
    [update] = channel_server.weibo_api.texts_to(fan_id)[before:]
    assert number in update and "处理中" in update


async def test_stale_timestamps_are_refused_when_the_skew_check_is_on(settings, assistant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = app_with(settings, assistant, monkeypatch,
                   {"ZWBOT_WEIBO_APP_SECRET": WEIBO_APP_SECRET, "ZWBOT_WEIBO_MAX_SKEW": "300"})
    async with serving(app) as url, ClientSession(base_url=url) as http:
        fresh = await http.get("/webhooks/weibo", params={**signed_query(WEIBO_APP_SECRET), "echostr": "ok"})
        assert await fresh.text() == "ok"
        old = str(int(time.time() * 1000) - 3_600_000)  # an hour ago, in milliseconds, correctly signed
        signature = hashlib.sha1("".join(sorted([WEIBO_APP_SECRET, old, "1"])).encode()).hexdigest()
        stale = await http.get("/webhooks/weibo", params={"timestamp": old, "nonce": "1", "signature": signature,
                                                          "echostr": "ok"})
        assert stale.status == 403 and "stale" in await stale.text()


async def test_health_says_which_channels_are_on(weibo, http) -> None:  # type: ignore[no-untyped-def]
    on = (await (await weibo.get("/health")).json())["channels"]
    assert on["weibo"] is True and on["wechat"] is True
    off = (await (await http.get("/health")).json())["channels"]
    assert off == {"rest": True, "wechat": False, "weibo": False, "telegram": False}
