"""The HTTP API against a real server: shapes of /health, /model/parse, the REST webhook, and bad input."""

from __future__ import annotations

import asyncio

import pytest


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
