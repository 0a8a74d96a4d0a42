"""Follow-ups: an aspect asked alone is about the item under discussion; naming another item switches."""

from __future__ import annotations

import uuid

import pytest


async def _conversation(assistant, *texts: str) -> str:  # type: ignore[no-untyped-def]
    sender = f"guide-{uuid.uuid4().hex[:10]}"
    reply = ""
    for text in texts:
        reply = "\n".join(m.text for m in await assistant.handle(text, sender))
    return reply


@pytest.mark.parametrize(("first", "follow_up", "answer"), [
    ("老人证要带啥", "法律依据呢", "【老年人优待证办理】设定依据"),  # 法律 is a word of 法律援助申请, not its name
    ("食品经营许可证要带什么", "法律依据呢", "【食品经营许可】设定依据"),
    ("老人证要带啥", "那要多久？", "【老年人优待证办理】办理时限"),
    ("社保卡丢了怎么补", "要多少钱", "【社会保障卡申领（补换）】收费标准"),  # alone, no business of ours
    ("老人证在哪办", "别人能代办吗", "【老年人优待证办理】申请条件"),
])
async def test_an_aspect_asked_alone_stays_on_the_item(assistant, first: str, follow_up: str,
                                                       answer: str) -> None:  # type: ignore[no-untyped-def]
    reply = await _conversation(assistant, first, follow_up)
    assert reply.startswith(answer), reply


async def test_an_item_named_outright_switches_and_the_answer_names_it(assistant) -> None:  # type: ignore[no-untyped-def]
    reply = await _conversation(assistant, "老人证要带啥", "营业执照要多久")
    assert reply.startswith("【企业设立登记（营业执照核发）】办理时限"), reply


async def test_a_bare_aspect_with_nothing_discussed_is_not_our_business(assistant) -> None:  # type: ignore[no-untyped-def]
    assert "不在政务服务范围内" in await _conversation(assistant, "要多少钱")
