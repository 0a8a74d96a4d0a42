"""Brute-forcing a case's last four digits over the REST webhook, as an outsider would: a new sender
for every try, one machine for many cases, a restart in between. Runs on its own assistant and
database so its locks do not reach other tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest_asyncio
from aiohttp import ClientSession

from bot.assistant import Assistant
from bot.config import Settings
from bot.server import create_app
from bot.services.cases import read_cases_csv
from tests.conftest import TEST_DATA, serving

ATTACKED, UNTOUCHED = "XA202611200002", "XA202611200003"  # applicants' phones end 1111 and 2222
CASE_FACTS = ("补正材料", "缺少近期一寸免冠照片", "受理日期", "2026年11月20日", "不予许可")


@pytest_asyncio.fixture
async def own_settings(settings: Settings, new_database_url) -> Settings:  # type: ignore[no-untyped-def]
    return replace(settings, database_url=await new_database_url())


async def _start(settings: Settings) -> Assistant:
    assistant = await Assistant.start(settings)
    records, _ = read_cases_csv(TEST_DATA / "cases.csv")
    await assistant.workflows.cases.record(records)
    return assistant


@pytest_asyncio.fixture
async def site(own_settings: Settings) -> AsyncIterator[tuple[Assistant, ClientSession]]:
    assistant = await _start(own_settings)
    async with serving(create_app(own_settings, assistant)) as url, ClientSession(base_url=url) as http:
        yield assistant, http
    await assistant.close()


async def _try(http: ClientSession, sender: str, case_no: str, digits: str, headers: dict | None = None) -> str:
    said = []
    for message in (f"查询办件{case_no}", digits):
        response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message},
                                   headers=headers or {})
        assert response.status == 200
        said.extend(r["text"] for r in await response.json())
    return "\n".join(said)


async def test_new_sender_every_try_reveals_nothing(site) -> None:  # type: ignore[no-untyped-def]
    _, http = site
    replies = [await _try(http, f"attacker-{n}", ATTACKED, f"{n:04d}") for n in range(1100, 1112)]
    right = await _try(http, "attacker-right", ATTACKED, "1111")
    for text in replies + [right]:
        assert not any(fact in text for fact in CASE_FACTS), text
    assert "还可以再试 4 次" in replies[0]
    # Locked for everyone, and told where to ask instead: the department's window and phone.
    assert "暂停在线查询" in right and "市民政局" in right and "二楼B区" in right and "029-" in right
    # A case nobody attacked still answers its applicant.
    assert "不予许可的原因" in await _try(http, "applicant-3", UNTOUCHED, "2222")


async def test_unknown_case_number_is_answered_like_a_wrong_try(site) -> None:  # type: ignore[no-untyped-def]
    _, http = site
    real = await _try(http, "probe-a", ATTACKED, "0000")
    unknown = await _try(http, "probe-b", "XA209912310001", "0000")
    assert real.replace(ATTACKED, "<no>") == unknown.replace("XA209912310001", "<no>")


async def test_one_machine_cannot_sweep_many_cases(site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, http = site
    monkeypatch.setenv("ZWBOT_TRUSTED_PROXIES", "127.0.0.1")
    sweeper = {"X-Forwarded-For": "203.0.113.9"}
    texts = [await _try(http, f"sweep-{n}", f"XA2099{n:08d}", "0000", sweeper) for n in range(31)]
    assert "验证失败次数过多" in texts[29] and "验证失败次数过多" in texts[30]
    assert "不予许可的原因" not in await _try(http, "sweep-x", UNTOUCHED, "2222", sweeper)
    citizen = {"X-Forwarded-For": "198.51.100.2"}
    assert "不予许可的原因" in await _try(http, "applicant-3", UNTOUCHED, "2222", citizen)


async def test_wrong_tries_survive_a_restart(own_settings) -> None:  # type: ignore[no-untyped-def]
    assistant = await _start(own_settings)
    for n in range(10):
        await assistant.handle(f"查询办件{ATTACKED}", f"before-{n}", "rest")
        await assistant.handle("0000", f"before-{n}", "rest")
    await assistant.close()
    restarted = await _start(own_settings)
    try:
        await restarted.handle(f"查询办件{ATTACKED}", "after", "rest")
        text = "\n".join(m.text for m in await restarted.handle("1111", "after", "rest"))
    finally:
        await restarted.close()
    assert "暂停在线查询" in text and "补正材料" not in text


async def test_notify_me_only_for_the_case_this_conversation_proved(site) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.storage import CaseSubscription

    assistant, http = site

    async def say(message: str) -> str:
        response = await http.post("/webhooks/rest/webhook", json={"sender": "applicant-3", "message": message})
        return "\n".join(r["text"] for r in await response.json())

    assert "请先查询您的办件进度" in await say(f'/notify_me{{"case_no": "{UNTOUCHED}"}}')
    assert "不予许可的原因" in await _try(http, "applicant-3", UNTOUCHED, "2222")
    assert "请先查询您的办件进度" in await say('/notify_me{"case_no": "XA202611200004"}')  # someone else's case
    assert "状态有变化时" in await say(f'/notify_me{{"case_no": "{UNTOUCHED}"}}')
    async with assistant.database.reader() as session:
        subscribed = (await session.scalars(select(CaseSubscription.case_no)
                                            .where(CaseSubscription.sender == "applicant-3"))).all()
    assert subscribed == [UNTOUCHED]
