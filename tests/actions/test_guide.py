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
    ("失业金怎么领", "退休了能办吗", "【失业保险金申领】申请条件"),  # 退休 tells who asks; it names no item here
])
async def test_an_aspect_asked_alone_stays_on_the_item(assistant, first: str, follow_up: str,
                                                       answer: str) -> None:  # type: ignore[no-untyped-def]
    reply = await _conversation(assistant, first, follow_up)
    assert reply.startswith(answer), reply


async def test_an_item_named_outright_switches_and_the_answer_names_it(assistant) -> None:  # type: ignore[no-untyped-def]
    reply = await _conversation(assistant, "老人证要带啥", "残疾证要多久")
    assert reply.startswith("【残疾人证办理（新办、换领）】办理时限"), reply


async def test_a_situation_word_asked_about_itself_still_switches(assistant) -> None:  # type: ignore[no-untyped-def]
    reply = await _conversation(assistant, "失业金怎么领", "办理退休要带什么材料")
    assert reply.startswith("【职工基本养老保险待遇申领（办理退休）】需要准备以下"), reply


async def test_when_two_items_fit_the_situation_zwbot_asks_which(assistant) -> None:  # type: ignore[no-untyped-def]
    """A small eatery may be a sole trader's or a company's: both are offered, then the chosen one stays."""
    sender = f"guide-{uuid.uuid4().hex[:10]}"
    messages = await assistant.handle("想开个小饭馆，营业执照怎么办", sender)
    titles = [b["title"] for m in messages for b in m.buttons]
    assert any("个体工商户设立登记" in t for t in titles) and any("企业设立登记" in t for t in titles), titles
    choice = next(n for n, t in enumerate(titles, 1) if "个体工商户设立登记" in t)
    reply = "\n".join(m.text for m in await assistant.handle(str(choice), sender))
    assert reply.startswith("【个体工商户设立登记】") and "6. 办理流程" in reply  # the key facts and the steps
    reply = "\n".join(m.text for m in await assistant.handle("营业执照要带什么材料", sender))
    assert reply.startswith("【个体工商户设立登记】需要准备以下"), reply


async def test_a_bare_aspect_with_nothing_discussed_is_not_our_business(assistant) -> None:  # type: ignore[no-untyped-def]
    assert "不在政务服务范围内" in await _conversation(assistant, "要多少钱")


async def test_a_situation_question_gets_the_conditions_and_the_materials_for_that_situation(assistant) -> None:  # type: ignore[no-untyped-def]
    reply = await _conversation(assistant, "老人证怎么办", "外地户口能办吗")
    assert reply.startswith("【老年人优待证办理】申请条件") and "与您的情况有关的材料" in reply
    assert "西安市居住证" in reply and "代办人居民身份证" not in reply  # that material is another situation's


async def test_a_proxy_question_is_answered_from_the_guide_never_with_a_bare_ok(assistant) -> None:  # type: ignore[no-untyped-def]
    reply = await _conversation(assistant, "老人证要带啥", "我替我爹去办，不是他本人去，行不行")
    assert "请他人代为办理时，还需提供" in reply and "代办人居民身份证" in reply
    assert not reply.startswith("好的")
