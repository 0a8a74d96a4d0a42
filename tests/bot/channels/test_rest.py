"""The HTTP API against a real server: shapes of /health, /model/parse, the REST webhook, and bad input."""

from __future__ import annotations

import asyncio
import re

import orjson
import pytest
from aiohttp import ClientSession, WSServerHandshakeError

from tests.conftest import app_with, serving


async def test_health_reports_version_and_database(http) -> None:  # type: ignore[no-untyped-def]
    response = await http.get("/health")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok" and body["version"]


async def test_parse_has_rasa_shape_and_guide(http) -> None:  # type: ignore[no-untyped-def]
    response = await http.post("/model/parse", json={"text": "老人证要带啥"})
    body = await response.json()
    assert body["text"] == "老人证要带啥"
    assert body["intent"]["name"] == "ask_guide" and 0 < body["intent"]["confidence"] <= 1
    assert body["intent_ranking"][0]["name"] == "ask_guide"
    assert body["guide"]["item_id"] == "mz-lnyd" and body["guide"]["aspect"] == "materials"
    candidate = body["guide"]["candidates"][0]
    assert candidate["item_id"] == "mz-lnyd" and candidate["name"] == "老年人优待证办理" and candidate["score"] > 0
    assert len(body["guide"]["candidates"]) <= 5
    assert body["mood"]["label"] in ("angry", "negative", "neutral", "positive")
    assert body["out_of_scope"] is False
    assert {"entity", "value", "start", "end"} <= set(body["entities"][0])


async def test_parse_out_of_scope(http) -> None:  # type: ignore[no-untyped-def]
    body = await (await http.post("/model/parse", json={"text": "帮我订一张明天去上海的机票"})).json()
    assert body["out_of_scope"] is True and body["guide"]["item_id"] is None


async def test_webhook_answers_in_rest_shape(http, sender) -> None:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": "老人证要带啥"})
    assert response.status == 200
    replies = await response.json()
    assert replies[0]["recipient_id"] == sender
    assert replies[0]["text"].startswith("【老年人优待证办理】")
    assert all({"title", "payload"} == set(b) for b in replies[0]["buttons"])


@pytest.mark.parametrize("body, reason", [
    (b"{not json", "JSON"),
    (b"", "为空"),
    (b"[1, 2]", "JSON 对象"),
    (b'{"sender": "a", "message": 5}', "message"),
    (b'{"sender": "a"}', "message"),
    (b'{"sender": ["a"], "message": "x"}', "sender"),
    (b'{"sender": "", "message": "x"}', "sender"),
    (b"\xff\xfe\x00", "UTF-8"),
])
async def test_bad_requests_get_400_with_reason(http, body: bytes, reason: str) -> None:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    error = await response.json()
    assert reason in error["error"]
    parse = await http.post("/model/parse", data=body, headers={"Content-Type": "application/json"})
    assert parse.status == 400


async def test_parse_rejects_wrong_types(http) -> None:  # type: ignore[no-untyped-def]
    response = await http.post("/model/parse", json={"text": None})
    assert response.status == 400 and "text" in (await response.json())["error"]


async def test_oversized_body_is_413(http) -> None:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", data=b'{"sender":"a","message":"' + b"a" * 400_000 + b'"}',
                               headers={"Content-Type": "application/json"})
    assert response.status == 413


@pytest.mark.parametrize("message, expected", [
    ("", "没有输入内容"),
    ("   \n\t ", "没有输入内容"),
    ("😀😀👍", "只能看懂文字"),
    ("\x00\x07\x1b", "没有输入内容"),
    ("老人证" + "\x00" * 3 + "要带啥", "老年人优待证办理"),
    ("老人证要带啥" + "啊" * 10_000, "老年人优待证办理"),
    ('/ask_guide{"item_id": "no-such-item", "aspect": "fee"}', "没有找到编号为 no-such-item 的事项"),
    ('/ask_guide{"item_id": "mz-lnyd", "aspect": "fee"}', "【老年人优待证办理】收费标准"),
    ("/ask_guide{broken json", "请问您要办理哪个事项"),
    ("Ｈｅｌｌｏ，老人證要帶啥？", "老年人优待证办理"),
])
async def test_odd_messages_get_a_clear_reply(http, sender, message: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert response.status == 200
    text = "\n".join(r["text"] for r in await response.json())
    assert expected in text


async def test_one_citizens_messages_are_answered_in_order(http, sender) -> None:  # type: ignore[no-untyped-def]
    first = http.post("/webhooks/rest/webhook", json={"sender": sender, "message": "老人证要带啥"})
    second = http.post("/webhooks/rest/webhook", json={"sender": sender, "message": "那要多久？"})
    replies = await asyncio.gather(first, second)
    texts = ["\n".join(r["text"] for r in await reply.json()) for reply in replies]
    assert "材料" in texts[0] and "时限" in texts[1] and "老年人优待证办理" in texts[1]


async def test_every_turn_is_stored(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.storage import Turn, UnansweredQuestion

    await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": "老人证要带啥"})
    await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": "那要多久？"})
    await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": "帮我点个外卖"})
    await assistant.turn_log.flush()
    async with assistant.database.session() as session:
        turns = (await session.scalars(select(Turn).where(Turn.sender == sender).order_by(Turn.id))).all()
        unanswered = (await session.scalars(select(UnansweredQuestion)
                                            .where(UnansweredQuestion.sender == sender))).all()
    assert [t.text for t in turns] == ["老人证要带啥", "那要多久？", "帮我点个外卖"]
    assert turns[0].channel == "rest" and turns[0].intent == "ask_guide"
    assert (turns[0].item_id, turns[0].aspect) == ("mz-lnyd", "materials")
    assert (turns[1].item_id, turns[1].aspect) == ("mz-lnyd", "time_limit")  # the follow-up's item
    assert "老年人优待证办理" in turns[0].reply and turns[0].latency_ms > 0
    assert not turns[2].answered and [u.text for u in unanswered] == ["帮我点个外卖"]


async def test_a_request_without_sender_is_refused(http) -> None:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", json={"message": "老人证要带啥"})
    assert response.status == 400 and "sender" in (await response.json())["error"]


# ---- web chat identities ----

async def _webchat_identity(http) -> dict:  # type: ignore[no-untyped-def]
    response = await http.post("/webchat/session")
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    return await response.json()


async def _notify(assistant, channel: str, sender: str, text: str) -> None:  # type: ignore[no-untyped-def]
    from bot.storage import Notification

    async with assistant.database.session() as session, session.begin():
        session.add(Notification(channel=channel, sender=sender, kind="staff_reply", data={"text": text}))
    await assistant.workflows.outbox.mark(channel, sender)


async def test_web_chat_identity_is_issued_and_required(http, assistant) -> None:  # type: ignore[no-untyped-def]
    me = await _webchat_identity(http)
    other = await _webchat_identity(http)
    assert re.fullmatch(r"wc-[0-9a-f]{32}", me["sender"]) and me["sender"] != other["sender"]
    headers = {"X-Webchat-Token": me["token"]}
    answered = await http.post("/webhooks/rest/webhook", json={"sender": me["sender"], "message": "老人证要带啥"},
                               headers=headers)
    assert answered.status == 200 and "老年人优待证办理" in (await answered.json())[0]["text"]
    assert await assistant.turn_log.last_message_at("webchat", me["sender"]) is not None

    await _notify(assistant, "webchat", me["sender"], "您好，这是给您的答复")
    for refused in ({}, {"X-Webchat-Token": other["token"]}, {"X-Webchat-Token": "0" * 64}):
        stolen = await http.get("/webhooks/rest/notifications", params={"sender": me["sender"]}, headers=refused)
        assert stolen.status == 403 and "error" in await stolen.json()
        posted = await http.post("/webhooks/rest/webhook", json={"sender": me["sender"], "message": "1"},
                                 headers=refused)
        assert posted.status == 403
    mine = await (await http.get("/webhooks/rest/notifications", params={"sender": me["sender"]},
                                 headers=headers)).json()
    assert [m["text"] for m in mine] == ["【人工客服】您好，这是给您的答复"]


async def test_the_open_rest_channel_never_reaches_a_web_chat_citizen(http, assistant) -> None:  # type: ignore[no-untyped-def]
    me = await _webchat_identity(http)
    await _notify(assistant, "webchat", me["sender"], "只给网页上的这位群众")
    # The same id on the REST channel without the token: refused, and nothing is handed out.
    assert (await http.get("/webhooks/rest/notifications", params={"sender": me["sender"]})).status == 403
    with pytest.raises(WSServerHandshakeError) as refused:
        await http.ws_connect("/webhooks/rest/live", params={"sender": me["sender"]})
    assert refused.value.status == 403
    waiting = await assistant.notifications("webchat", me["sender"])
    assert [n.message.text for n in waiting] == ["【人工客服】只给网页上的这位群众"]


async def test_live_socket_takes_the_token_as_subprotocol(http, assistant) -> None:  # type: ignore[no-untyped-def]
    me = await _webchat_identity(http)
    protocol = "zwbot-token." + me["token"]
    async with http.ws_connect("/webhooks/rest/live", params={"sender": me["sender"]}, protocols=[protocol]) as socket:
        assert socket.protocol == protocol
        await _notify(assistant, "webchat", me["sender"], "实时送达")
        pushed = orjson.loads((await asyncio.wait_for(socket.receive(), 5)).data)
    assert pushed[0]["text"] == "【人工客服】实时送达"
    with pytest.raises(WSServerHandshakeError) as refused:
        await http.ws_connect("/webhooks/rest/live", params={"sender": me["sender"]},
                              protocols=["zwbot-token." + "f" * 64])
    assert refused.value.status == 403


async def test_rest_api_key_when_configured(settings, assistant, monkeypatch, sender) -> None:  # type: ignore[no-untyped-def]
    app = app_with(settings, assistant, monkeypatch, {"ZWBOT_REST_API_KEY": "integration-key"})
    async with serving(app) as url, ClientSession(base_url=url) as http:
        body = {"sender": sender, "message": "老人证要带啥"}
        assert (await http.post("/webhooks/rest/webhook", json=body)).status == 401
        assert (await http.post("/webhooks/rest/webhook", json=body, headers={"X-API-Key": "wrong"})).status == 401
        assert (await http.get("/webhooks/rest/notifications", params={"sender": sender})).status == 401
        assert (await http.post("/webhooks/rest/webhook", json=body, headers={"X-API-Key": "integration-key"})).status == 200
        bearer = await http.post("/webhooks/rest/webhook", json=body, headers={"Authorization": "Bearer integration-key"})
        assert bearer.status == 200
        # The web chat page has no API key: its own token is its credential.
        me = await _webchat_identity(http)
        page = await http.post("/webhooks/rest/webhook", json={"sender": me["sender"], "message": "你好"},
                               headers={"X-Webchat-Token": me["token"]})
        assert page.status == 200


async def test_webchat_secret_file_is_private_and_stable(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.channels.webchat.identity import WebchatIdentities

    monkeypatch.delenv("ZWBOT_WEBCHAT_SECRET", raising=False)
    first = WebchatIdentities.configured(tmp_path)
    issued = first.issue()
    assert (tmp_path / "webchat.secret").stat().st_mode & 0o777 == 0o600
    assert WebchatIdentities.configured(tmp_path).valid(issued.sender, issued.token)  # a restart keeps it
    monkeypatch.setenv("ZWBOT_WEBCHAT_SECRET", "another-key")
    assert not WebchatIdentities.configured(tmp_path).valid(issued.sender, issued.token)
