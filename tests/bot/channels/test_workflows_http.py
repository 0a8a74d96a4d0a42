"""Workflows over HTTP: the approval system's API, notifications reaching the web chat, one ticket per complaint."""

from __future__ import annotations

import pytest


async def say(http, sender: str, message: str) -> str:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert response.status == 200
    return "\n".join(r["text"] for r in await response.json())


async def test_api_needs_its_key(http, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ZWBOT_API_KEY", raising=False)
    assert (await http.post("/api/cases", json={})).status == 503
    monkeypatch.setenv("ZWBOT_API_KEY", "test-key")
    assert (await http.post("/api/cases", json={}, headers={"X-API-Key": "wrong"})).status == 401
    bad = await http.post("/api/cases", json={"case_no": "X"}, headers={"X-API-Key": "test-key"})
    assert bad.status == 400 and any("status" in p for p in (await bad.json())["problems"])
    broken = await http.post("/api/cases", data=b"{", headers={"X-API-Key": "test-key"})
    assert broken.status == 400


async def test_status_change_reaches_the_subscribed_citizen(http, sender, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZWBOT_API_KEY", "test-key")
    case = {"case_no": "XA202611260099", "item_id": "mz-lnyd", "applicant": "周八", "phone": "13311112222",
            "status": "accepted", "accepted_at": "2026-11-26", "updated_at": "2026-11-26T09:00:00+08:00"}
    headers = {"Authorization": "Bearer test-key"}
    first = await http.post("/api/cases", json=case, headers=headers)
    assert (await first.json()) == {"recorded": 1, "duplicates": 0}
    assert "手机号码后四位" in await say(http, sender, "查询XA202611260099的进度")
    assert "办理状态：已受理" in await say(http, sender, "2222")
    assert "通知您" in await say(http, sender, "办好了通知我")
    ready = dict(case, status="ready", updated_at="2026-11-26T15:00:00+08:00")
    response = await http.post("/api/cases", json=[ready, ready], headers=headers)
    assert (await response.json()) == {"recorded": 1, "duplicates": 1}
    waiting = await (await http.get("/webhooks/rest/notifications", params={"sender": sender})).json()
    assert len(waiting) == 1 and "【老年人优待证办理】" in waiting[0]["text"] and "待领取" in waiting[0]["text"]
    assert await (await http.get("/webhooks/rest/notifications", params={"sender": sender})).json() == []
    assert (await http.get("/webhooks/rest/notifications")).status == 400


async def test_a_complaint_makes_one_ticket_even_when_confirmed_twice(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    before = len(await assistant.workflows.tickets.list())
    await say(http, sender, "我要投诉，窗口工作人员玩手机不理人")
    await say(http, sender, "跳过")
    await say(http, sender, "昨天下午")
    await say(http, sender, "不留")
    first = await say(http, sender, "确认")
    second = await say(http, sender, "确认")
    assert "工单编号 TS" in first and "已经登记过了" in second
    tickets = await assistant.workflows.tickets.list()
    assert len(tickets) == before + 1
    number = first.split("工单编号 ")[1].split("，")[0]
    assert "状态：待受理" in await say(http, sender, f"{number}处理得怎么样了")
    assert "只能由提交人" in await say(http, "someone-else", f"{number}处理得怎么样了")


@pytest.mark.parametrize("level_text, expected", [("1", "感谢您的评价"), ("非常不满意", "哪里不满意")])
async def test_rating_after_thanks(http, sender, level_text: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    await say(http, sender, "食品经营许可要多久")
    assert "请为本次服务评价" in await say(http, sender, "谢谢")
    assert expected in await say(http, sender, level_text)
