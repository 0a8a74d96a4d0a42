"""Two workers on one PostgreSQL database and one Redis: a citizen's conversation, a hand-off and a staff
reply work whichever worker each step reaches (runs in the suite's PostgreSQL pass; SQLite is one process only)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import pytest_asyncio

from bot.assistant import Assistant
from bot.config import Settings

REDIS_URL = os.environ.get("ZWBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest_asyncio.fixture
async def two_workers(settings: Settings, assistant: Assistant) -> AsyncIterator[tuple[Assistant, Assistant]]:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (this is the SQLite pass)")
    shared = replace(settings, redis_url=REDIS_URL)
    first = await Assistant.start(shared)
    second = await Assistant.start(shared)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_a_complaint_goes_on_across_workers_and_is_filed_once(two_workers) -> None:  # type: ignore[no-untyped-def]
    sender = f"shared-{uuid.uuid4().hex[:10]}"
    steps = [("我要投诉", "请您具体说说发生了什么"),
             (f"窗口工作人员让我跑了三趟，材料一次没说清楚（{sender}）", "是在哪个部门或窗口"),
             ("市民政局", "大概是什么时间"),
             ("昨天下午", "请留一个联系电话"),
             ("13912345678", "请核对您的投诉"),
             ("确认", "您的投诉已登记")]
    for n, (text, expected) in enumerate(steps):
        worker = two_workers[n % 2]
        reply = "\n".join(m.text for m in await worker.handle(text, sender))
        assert expected in reply, (n, text, reply)
        if expected == "请核对您的投诉":
            assert "市民政局" in reply and "昨天下午" in reply and "139****5678" in reply
    filed = [t for t in await two_workers[0].workflows.tickets.list() if sender in t.content]
    assert len(filed) == 1 and filed[0].department == "市民政局"


async def test_a_follow_up_on_the_other_worker_stays_on_the_item(two_workers) -> None:  # type: ignore[no-untyped-def]
    sender = f"shared-{uuid.uuid4().hex[:10]}"
    await two_workers[0].handle("老人证要带啥", sender)
    reply = "\n".join(m.text for m in await two_workers[1].handle("那要多久？", sender))
    assert reply.startswith("【老年人优待证办理】办理时限"), reply


async def test_a_staff_reply_on_one_worker_reaches_the_citizen_on_the_other(two_workers) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from bot.services.live import citizen_topic

    console, chat = two_workers  # staff work on the first worker; the citizen's page is on the second
    sender = f"shared-{uuid.uuid4().hex[:10]}"
    assert "转接人工客服" in "\n".join(m.text for m in await chat.handle("转人工", sender))
    handoff_id = await console.workflows.handoffs.open_for("rest", sender)
    assert handoff_id is not None
    assert not await chat.handle("我的社保卡丢了", sender)  # staff own it now: the bot stays quiet there too
    assert chat.live.relay is not None
    await asyncio.wait_for(chat.live.relay.subscribed.wait(), 5)
    async with chat.live.subscribe(citizen_topic("rest", sender)) as page:
        await console.workflows.handoffs.reply(handoff_id, "wang", "您好，社保卡补办请带身份证到3号窗口")
        event = await asyncio.wait_for(page.get(), 5)
    assert event["type"] == "notification"
    told = [notice.message.text for notice in await chat.notifications("rest", sender)]
    assert any("社保卡补办请带身份证到3号窗口" in text for text in told), told
    await console.workflows.handoffs.release(handoff_id, "wang")
    reply = "\n".join(m.text for m in await chat.handle("老人证要带啥", sender))
    assert reply.startswith("【老年人优待证办理】")  # given back: the bot answers on the other worker again
