"""Case numbers of any approval system, and the applicant check in one message."""

from __future__ import annotations

import uuid

import pytest

from bot.services.cases import parse_case
from tests.conftest import needs_corpora


async def _new_case(assistant, case_no: str, phone: str = "13344445555") -> str:  # type: ignore[no-untyped-def]
    problems: list = []
    record = parse_case({"case_no": case_no, "item_id": "mz-lnyd", "applicant": "测试", "phone": phone,
                         "status": "in_review", "accepted_at": "2026-11-20", "updated_at": "2026-11-20T10:00:00",
                         "note": ""}, "test", problems)
    assert not problems
    await assistant.workflows.cases.record([record])
    return case_no


async def _say(assistant, sender: str, text: str) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(m.text for m in await assistant.handle(text, sender))


def _digits(count: int) -> str:
    return f"{uuid.uuid4().int % 10**count:0{count}d}"


@pytest.mark.parametrize("number", [f"XA{'2026112' + _digits(4)}",  # 11 digits after XA
                                    f"SPJ{_digits(16)}",  # another system's letters
                                    f"61{_digits(18)}"])  # digits only
async def test_number_and_phone_digits_in_one_message_go_straight_to_the_answer(assistant, number: str) -> None:  # type: ignore[no-untyped-def]
    await _new_case(assistant, number)
    sender = f"p-{uuid.uuid4().hex[:8]}"
    reply = await _say(assistant, sender, f"查进度 {number.lower()} 手机尾号5555")
    assert f"受理编号 {number}" in reply and "审查中" in reply
    assert "请提供您的受理编号" not in reply and "手机号码后四位" not in reply


async def test_wrong_digits_in_one_message_are_a_wrong_try(assistant) -> None:  # type: ignore[no-untyped-def]
    number = await _new_case(assistant, f"QB{_digits(12)}")
    reply = await _say(assistant, f"p-{uuid.uuid4().hex[:8]}", f"{number} 尾号0000 查下进度")
    assert "不匹配" in reply and "审查中" not in reply


async def test_a_number_the_table_holds_is_found_however_it_is_spelt(assistant) -> None:  # type: ignore[no-untyped-def]
    # Stored with dashes, in a format no pattern knows (5 letters): found in the cases table.
    stored = f"ABCDE-{_digits(4)}-{_digits(3)}"
    await _new_case(assistant, stored)
    sender = f"p-{uuid.uuid4().hex[:8]}"
    reply = await _say(assistant, sender, f"帮我查下 {stored.replace('-', '').lower()} 的进度")
    assert "手机号码后四位" in reply
    reply = await _say(assistant, sender, "5555")
    assert f"受理编号 {stored}" in reply


async def test_every_spelling_of_a_number_shares_its_wrong_tries(assistant) -> None:  # type: ignore[no-untyped-def]
    number = await _new_case(assistant, f"XA{_digits(12)}")
    spellings = [number, number.lower(), f"{number[:6]}-{number[6:]}", f"{number[:2]} {number[2:]}"]
    outcomes = [await assistant.workflows.cases.verify(f"rest:a{n}", spellings[n % 4], "0000") for n in range(10)]
    assert outcomes[-1].outcome == "case_locked"
    assert (await assistant.workflows.cases.verify("rest:owner", number, "5555")).outcome == "case_locked"


@pytest.mark.parametrize("text", ["010-65666606，详细地址你知道吗？", "我的手机13912345678", "身份证号610102199001011234"])
def test_phones_and_identity_numbers_are_no_case_numbers(assistant, text: str) -> None:  # type: ignore[no-untyped-def]
    assert assistant.parse(text).entity("case_no") is None


async def test_a_bare_four_digit_number_is_never_goodbye(assistant) -> None:  # type: ignore[no-untyped-def]
    assert assistant.parse("1234").intent != "goodbye"
    reply = await _say(assistant, f"p-{uuid.uuid4().hex[:8]}", "1234")
    assert "再见" not in reply and "受理编号" in reply


@needs_corpora
async def test_a_landline_with_a_question_starts_no_progress_query(assistant) -> None:  # type: ignore[no-untyped-def]
    reply = await _say(assistant, f"p-{uuid.uuid4().hex[:8]}", "010-65666606，详细地址你知道吗？")
    assert "受理编号" not in reply and "手机号码后四位" not in reply


async def test_the_number_asked_for_may_come_with_the_phone_digits(assistant) -> None:  # type: ignore[no-untyped-def]
    number = await _new_case(assistant, f"ZW{_digits(9)}")
    sender = f"p-{uuid.uuid4().hex[:8]}"
    assert "请提供您的受理编号" in await _say(assistant, sender, "我想查下办件进度")
    reply = await _say(assistant, sender, f"{number}，手机后四位5555")
    assert f"受理编号 {number}" in reply and "审查中" in reply


async def test_an_upset_citizen_whose_case_is_late_is_offered_the_progress_lookup(assistant) -> None:  # type: ignore[no-untyped-def]
    sender = f"p-{uuid.uuid4().hex[:8]}"
    messages = await assistant.handle("我的事情怎么还没办好。。。都等了一个多月了！！！", sender)
    reply = "\n".join(m.text for m in messages)
    titles = [b["title"] for m in messages for b in m.buttons]
    assert "理解您着急的心情" in reply and titles == ["查询办件进度", "我要投诉", "转人工"]
    assert "部门或窗口" not in reply and reply.count("转接人工") == 0  # no form nobody asked for; one offer
    assert "请提供您的受理编号" in await _say(assistant, sender, "1")


async def test_the_late_case_lookup_carries_the_number_given(assistant) -> None:  # type: ignore[no-untyped-def]
    number = await _new_case(assistant, f"XA{'2026113' + _digits(5)}")
    sender = f"p-{uuid.uuid4().hex[:8]}"
    messages = await assistant.handle(f"{number}怎么还没办好！！等了一个多月了", sender)
    assert messages[-1].buttons[0]["payload"].endswith(number)
    assert "手机号码后四位" in await _say(assistant, sender, "1")
    assert "审查中" in await _say(assistant, sender, "5555")


async def test_a_complaint_about_staff_opens_the_announced_form_and_a_human_is_offered_once(assistant) -> None:  # type: ignore[no-untyped-def]
    sender = f"p-{uuid.uuid4().hex[:8]}"
    reply = await _say(assistant, sender, "窗口那个工作人员态度太差了！！！骂人")
    assert "我来帮您登记投诉" in reply and "转接人工" in reply
    reply = await _say(assistant, sender, "市民政局，气死我了！！！")
    assert "转接人工" not in reply
