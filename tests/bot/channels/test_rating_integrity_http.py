"""好差评 over the REST webhook: a rating only answers an offer made to this conversation, once;
tickets a citizen opens are limited per sender and per client address."""

from __future__ import annotations

import uuid

from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.storage import Rating, Ticket
from tests.conftest import app_with, serving


async def say(http, sender: str, message: str, headers: dict | None = None) -> str:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message},
                               headers=headers or {})
    assert response.status == 200
    return "\n".join(r["text"] for r in await response.json())


async def _counts(assistant, sender: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async with assistant.database.reader() as session:
        ratings = await session.scalar(select(func.count()).select_from(Rating).where(Rating.sender == sender))
        tickets = await session.scalar(select(func.count()).select_from(Ticket).where(Ticket.sender == sender))
    return int(ratings or 0), int(tickets or 0)


async def test_a_rating_typed_cold_is_politely_refused(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    for message in ('/rate{"level": 1}', "我要评价，非常不满意", '/rate{"level": 5}'):
        text = await say(http, sender, message)
        assert "目前没有待评价的服务" in text and "整改工单" not in text and "感谢您的评价" not in text
    assert await _counts(assistant, sender) == (0, 0)


async def test_one_offer_takes_one_rating_from_its_own_conversation(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    await say(http, sender, "食品经营许可要多久")
    assert "请为本次服务评价" in await say(http, sender, "谢谢")
    # Another conversation sending the same payload rates nothing.
    stranger = f"stranger-{uuid.uuid4().hex[:8]}"
    assert "目前没有待评价的服务" in await say(http, stranger, '/rate{"level": 1}')
    assert "感谢您的评价" in await say(http, sender, '/rate{"level": 4}')
    assert "目前没有待评价的服务" in await say(http, sender, '/rate{"level": 1}')
    assert await _counts(assistant, sender) == (1, 0) and await _counts(assistant, stranger) == (0, 0)
    async with assistant.database.reader() as session:
        subject = await session.scalar(select(Rating.subject).where(Rating.sender == sender))
    assert subject.startswith("answer:") and len(subject) > len("answer:") + 16  # unique to this offer


async def test_a_closed_ticket_is_rated_once(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    tickets = assistant.workflows.tickets
    ticket, _ = await tickets.create("suggestion", "周末多开窗口", department="市民政局", channel="rest",
                                     sender=sender, dedupe_key=uuid.uuid4().hex)
    await tickets.change_status(ticket.number, "已办结", "staff1", "已增开周末窗口")
    closed = await (await http.get("/webhooks/rest/notifications", params={"sender": sender})).json()
    assert "已办结" in closed[0]["text"] and closed[0]["buttons"]
    assert "感谢您的评价" in await say(http, sender, "1")
    assert "目前没有待评价的服务" in await say(http, sender, '/rate{"level": 2}')
    async with assistant.database.reader() as session:
        subjects = (await session.scalars(select(Rating.subject).where(Rating.sender == sender))).all()
    assert subjects == [f"ticket:{ticket.number}"]


async def test_tickets_per_sender_are_limited(assistant, sender) -> None:  # type: ignore[no-untyped-def]
    for n in range(10):
        await assistant.handle(f"建议第{n}号窗口周末也开放办理", sender, "rest")
        assert "您的建议已登记" in "\n".join(m.text for m in await assistant.handle("不留", sender, "rest"))
    await assistant.handle("建议大厅多放几把椅子给老人坐", sender, "rest")
    refused = "\n".join(m.text for m in await assistant.handle("不留", sender, "rest"))
    assert "已达到在线登记的上限" in refused and "029-86787000" in refused and "JY" not in refused
    assert await _counts(assistant, sender) == (0, 10)


async def test_tickets_per_client_address_are_limited(settings, assistant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = app_with(settings, assistant, monkeypatch, {"ZWBOT_TRUSTED_PROXIES": "127.0.0.1"})
    machine = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 200 + 1}"}
    async with serving(app) as url, ClientSession(base_url=url) as http:
        for n in range(30):  # a new sender every time: only the address ties them together
            one = f"flood-{uuid.uuid4().hex[:10]}"
            await say(http, one, f"建议第{n}号窗口周末也开放办理", machine)
            assert "您的建议已登记" in await say(http, one, "不留", machine)
        last = f"flood-{uuid.uuid4().hex[:10]}"
        await say(http, last, "建议大厅多放几把椅子给老人坐", machine)
        assert "已达到在线登记的上限" in await say(http, last, "不留", machine)
        assert await _counts(assistant, last) == (0, 0)
        other = f"citizen-{uuid.uuid4().hex[:10]}"
        await say(http, other, "建议大厅多放几把椅子给老人坐", {"X-Forwarded-For": "198.51.100.77"})
        assert "您的建议已登记" in await say(http, other, "不留", {"X-Forwarded-For": "198.51.100.77"})
