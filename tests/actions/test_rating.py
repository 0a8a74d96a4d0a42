"""好差评: a bad rating of an answer opens its 差评整改 ticket for the department of the item rated."""

from __future__ import annotations

import uuid


async def test_a_bad_rating_of_an_answer_goes_to_the_items_department(assistant) -> None:  # type: ignore[no-untyped-def]
    sender = f"rate-{uuid.uuid4().hex[:10]}"
    token = uuid.uuid4().hex[:8]
    for text in ("老人证在哪办", "谢谢", '/rate{"level": 1}'):
        await assistant.handle(text, sender)
    reply = "\n".join(m.text for m in await assistant.handle(f"回答太笼统了{token}", sender))
    assert "差评整改工单" in reply
    tickets = [t for t in await assistant.workflows.tickets.list() if token in t.content]
    assert len(tickets) == 1 and tickets[0].department == "市民政局", tickets


async def test_the_rating_follows_the_last_item_answered(assistant) -> None:  # type: ignore[no-untyped-def]
    sender = f"rate-{uuid.uuid4().hex[:10]}"
    token = uuid.uuid4().hex[:8]
    for text in ("老人证在哪办", "公积金提取要带什么", "谢谢", "5"):
        await assistant.handle(text, sender)
    await assistant.handle(f"材料说得不清楚{token}", sender)
    tickets = [t for t in await assistant.workflows.tickets.list() if token in t.content]
    assert len(tickets) == 1 and tickets[0].department == "西安住房公积金管理中心", tickets


async def test_a_bad_rating_of_a_closed_ticket_goes_to_the_ticket_department(assistant) -> None:  # type: ignore[no-untyped-def]
    sender = f"rate-{uuid.uuid4().hex[:10]}"
    token = uuid.uuid4().hex[:8]
    for text in (f"我要投诉，窗口让我来回跑了三趟{token}", "市民政局", "昨天", "不留"):
        await assistant.handle(text, sender)
    assert "您的投诉已登记" in "\n".join(m.text for m in await assistant.handle("确认", sender))
    ticket = next(t for t in await assistant.workflows.tickets.list() if token in t.content)
    await assistant.workflows.tickets.change_status(ticket.number, "已办结", "staff", "已核实并整改")
    notices = await assistant.notifications("rest", sender)
    assert any("已办结" in n.message.text for n in notices)
    await assistant.handle("5", sender)  # the fifth button: 非常不满意
    await assistant.handle(f"整改没有效果{token}x", sender)
    rectification = [t for t in await assistant.workflows.tickets.list() if f"{token}x" in t.content]
    assert len(rectification) == 1 and rectification[0].number.startswith("ZG")
    assert rectification[0].department == "市民政局"
