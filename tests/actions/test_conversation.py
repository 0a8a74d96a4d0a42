"""The confidence policy: a form starts only on a sure intent or after the citizen confirms."""

from __future__ import annotations

import uuid


async def test_an_unsure_complaint_asks_first_and_keeps_what_was_said(assistant) -> None:  # type: ignore[no-untyped-def]
    sender = f"conv-{uuid.uuid4().hex[:10]}"
    messages = await assistant.handle("办事太难了", sender)
    reply = "\n".join(m.text for m in messages)
    titles = [b["title"] for m in messages for b in m.buttons]
    assert "您是想" in reply and "我要投诉" in titles and titles[-1] == "转人工" and len(titles) <= 4
    assert "部门或窗口" not in reply and "发生了什么" not in reply  # no form before the citizen says so
    pressed = "\n".join(m.text for m in await assistant.handle(str(titles.index("我要投诉") + 1), sender))
    assert "我来帮您登记投诉，共 3 个问题" in pressed and "是在哪个部门或窗口" in pressed


async def test_a_sure_complaint_starts_its_form_at_once(assistant) -> None:  # type: ignore[no-untyped-def]
    reply = "\n".join(m.text for m in await assistant.handle("我要投诉", f"conv-{uuid.uuid4().hex[:10]}"))
    assert "您是想" not in reply and "共 4 个问题" in reply


async def test_the_kept_message_is_used_by_the_next_turn_only(assistant) -> None:  # type: ignore[no-untyped-def]
    sender = f"conv-{uuid.uuid4().hex[:10]}"
    await assistant.handle("办事太难了", sender)
    await assistant.handle("老人证要带啥", sender)
    reply = "\n".join(m.text for m in await assistant.handle("/complain", sender))
    assert "请您具体说说发生了什么" in reply  # the old message is not taken for this complaint


async def test_business_words_in_a_message_read_as_not_business_are_asked_about(assistant) -> None:  # type: ignore[no-untyped-def]
    """"我对社保窗口有意见" reads as not business to the classifier, but 社保 and 窗口 are the centre's:
    zwbot asks (with a complaint among the choices) instead of saying it cannot help."""
    sender = f"conv-{uuid.uuid4().hex[:10]}"
    messages = await assistant.handle("我对社保窗口有意见", sender)
    reply = "\n".join(m.text for m in messages)
    titles = [b["title"] for m in messages for b in m.buttons]
    assert "您是想" in reply and "不在政务服务范围内" not in reply and "我要投诉" in titles, (reply, titles)
    pressed = "\n".join(m.text for m in await assistant.handle(str(titles.index("我要投诉") + 1), sender))
    assert "我来帮您登记投诉" in pressed


async def test_an_everyday_request_is_still_declined_without_choices(assistant) -> None:  # type: ignore[no-untyped-def]
    messages = await assistant.handle("帮我推荐一家附近好吃的火锅店", f"conv-{uuid.uuid4().hex[:10]}")
    assert "不在政务服务范围内" in "\n".join(m.text for m in messages) and not any(m.buttons for m in messages)
