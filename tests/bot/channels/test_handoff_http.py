"""Hand-off over HTTP: after 转人工 the bot is silent; a staff reply reaches the web chat at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import orjson

from bot.services.handoff import StaffHours


async def say(http, sender: str, message: str) -> list[dict]:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert response.status == 200
    return await response.json()


async def test_silent_until_released_and_staff_reply_pushed(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    await say(http, sender, "老人证要带啥")
    started = await say(http, sender, "转人工")
    assert "已为您转接人工客服" in started[0]["text"]
    assert await say(http, sender, "你好，有人在吗") == []
    assert await say(http, sender, "老人证要带啥") == []
    handoff_id = await assistant.workflows.handoffs.open_for("rest", sender)
    queue = await assistant.workflows.handoffs.queue()
    assert any(h.id == handoff_id and h.status == "waiting" for h in queue)

    async with http.ws_connect("/webhooks/rest/live", params={"sender": sender}) as socket:
        await assistant.workflows.handoffs.reply(handoff_id, "staff1", "您好，我是工作人员<b>小王</b>")
        pushed = orjson.loads((await asyncio.wait_for(socket.receive(), 5)).data)
    assert pushed[0]["text"] == "【人工客服】您好，我是工作人员<b>小王</b>"

    history = await assistant.workflows.handoffs.history(await assistant.workflows.handoffs.get(handoff_id))
    assert [line["text"] for line in history if line["author"] == "citizen"][-2:] == ["你好，有人在吗", "老人证要带啥"]
    await assistant.workflows.handoffs.release(handoff_id, "staff1")
    back = await say(http, sender, "老人证要多久")
    texts = [m["text"] for m in back]
    assert any("人工服务已结束" in t for t in texts) and any("【老年人优待证办理】办理时限" in t for t in texts)


async def test_upset_citizen_is_offered_a_human_and_flagged(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    replies = await say(http, sender, "你们什么破服务，跑了三趟还办不了，态度恶劣，太过分了！")
    assert "转接人工客服" in replies[0]["text"] and replies[0]["buttons"][0]["title"] == "转人工"
    queue = await assistant.workflows.handoffs.queue()
    assert any(h.sender == sender and h.status == "flagged" for h in queue)
    assert "已为您转接人工客服" in (await say(http, sender, '/request_human{"reason": "upset"}'))[0]["text"]


def test_staff_hours_follow_the_official_calendar() -> None:
    hours = StaffHours()
    national_day = datetime(2026, 10, 1, 3, 0, tzinfo=timezone.utc)  # 11:00 in Xi'an, a public holiday
    assert not hours.open_at(national_day)
    assert hours.next_opening(national_day).date().isoformat() == "2026-10-08"
    assert hours.open_at(datetime(2026, 10, 10, 2, 0, tzinfo=timezone.utc))  # make-up Saturday, 10:00
    assert not hours.open_at(datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc))  # 20:00


async def test_outside_staff_hours_a_question_ticket_is_opened(http, assistant, sender, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import time

    monkeypatch.setattr(assistant.workflows.handoffs, "hours", StaffHours(time(0, 0), time(0, 0)))
    await say(http, sender, "我想办个火星移民证需要什么材料")
    replies = await say(http, sender, "转人工")
    assert "非工作时间" in replies[0]["text"] and "编号 ZX" in replies[0]["text"]
    assert await assistant.workflows.handoffs.open_for("rest", sender) is None
    tickets = [t for t in await assistant.workflows.tickets.list() if t.kind == "consultation"]
    assert any("火星移民证" in t.content for t in tickets)
    assert "非工作时间" in (await say(http, sender, "转人工"))[0]["text"]
    assert len([t for t in await assistant.workflows.tickets.list() if "火星移民证" in t.content]) == 1
