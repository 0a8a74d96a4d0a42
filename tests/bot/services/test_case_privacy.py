"""Applicant checks as an attacker would try them: many senders against one case, one machine
against many cases, parallel tries, a restart in between."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.services.cases import CaseService, TryLimits, parse_case
from bot.storage import VerificationAttempt


def _record(case_no: str, phone: str) -> dict:
    problems: list = []
    record = parse_case({"case_no": case_no, "item_id": "mz-lnyd", "applicant": "李四", "phone": phone,
                         "status": "suspended", "accepted_at": "2026-11-20", "updated_at": "2026-11-20T10:00:00",
                         "note": "缺少照片"}, "t", problems)
    assert not problems
    return record


@pytest.fixture
async def cases(database):  # type: ignore[no-untyped-def]
    service = CaseService(database)
    await service.record([_record("XA1", "13800001111"), _record("XA2", "13900002222")])
    return service


async def test_changing_sender_on_every_try_finds_nothing(cases) -> None:  # type: ignore[no-untyped-def]
    outcomes = [await cases.verify(f"rest:attacker-{n}", "XA1", f"{n:04d}") for n in range(1000, 1010)]
    assert [o.outcome for o in outcomes] == ["wrong"] * 9 + ["case_locked"]
    assert all(o.case is None for o in outcomes)
    # The right digits, from a fresh sender, now reveal nothing either; the reply says where to ask.
    right = await cases.verify("rest:attacker-x", "XA1", "1111")
    assert right.outcome == "case_locked" and right.case is None and right.item_id == "mz-lnyd"
    # A case nobody attacked still answers its applicant.
    other = await cases.verify("wechat:applicant", "XA2", "2222")
    assert other.outcome == "ok" and other.case.case_no == "XA2"


async def test_unknown_case_number_looks_like_a_wrong_try(cases) -> None:  # type: ignore[no-untyped-def]
    real = [await cases.verify(f"rest:r{n}", "XA1", "0000") for n in range(11)]
    unknown = [await cases.verify(f"rest:u{n}", "XA999", "0000") for n in range(11)]
    assert [(o.outcome, o.tries_left) for o in real] == [(o.outcome, o.tries_left) for o in unknown]
    assert unknown[-1].outcome == "case_locked" and unknown[-1].item_id is None


async def test_one_sender_keeps_five_tries_an_hour(cases) -> None:  # type: ignore[no-untyped-def]
    outcomes = [await cases.verify("rest:b", case_no, "0000") for case_no in ("XA1", "XA2", "XA1", "XA2", "XA1")]
    assert [o.outcome for o in outcomes] == ["wrong"] * 4 + ["locked"]
    assert [o.tries_left for o in outcomes[:4]] == [4, 3, 2, 1]
    assert (await cases.verify("rest:b", "XA2", "2222")).outcome == "locked"


async def test_one_client_address_cannot_sweep_many_cases(database) -> None:  # type: ignore[no-untyped-def]
    cases = CaseService(database, limits=TryLimits(per_sender=5, per_case=10, per_client=6))
    await cases.record([_record("XA1", "13800001111"), _record("XA2", "13900002222")])
    outcomes = [await cases.verify(f"rest:s{n}", f"XB{n}", "0000", client="203.0.113.7") for n in range(6)]
    assert [o.outcome for o in outcomes] == ["wrong"] * 5 + ["locked"]
    assert (await cases.verify("rest:new", "XA2", "2222", client="203.0.113.7")).outcome == "locked"
    elsewhere = await cases.verify("rest:new", "XA2", "2222", client="198.51.100.1")
    assert elsewhere.outcome == "ok"
    async with database.reader() as session:
        clients = (await session.scalars(select(VerificationAttempt.client))).all()
    assert clients.count("203.0.113.7") == 6


async def test_parallel_tries_are_counted_one_by_one(cases, database) -> None:  # type: ignore[no-untyped-def]
    outcomes = await asyncio.gather(*(cases.verify(f"rest:p{n}", "XA1", f"{n:04d}") for n in range(2000, 2040)))
    assert not any(o.outcome == "ok" for o in outcomes)
    async with database.reader() as session:
        compared = await session.scalar(select(func.count()).select_from(VerificationAttempt)
                                        .where(VerificationAttempt.case_no == "XA1"))
    assert compared == 10  # the other 30 were refused without looking at the digits


async def test_wrong_tries_survive_a_restart(cases, database) -> None:  # type: ignore[no-untyped-def]
    for n in range(10):
        await cases.verify(f"rest:a{n}", "XA1", "0000")
    restarted = CaseService(database)
    assert (await restarted.verify("rest:applicant", "XA1", "1111")).outcome == "case_locked"


async def test_staff_see_locked_cases_and_unlock_them(cases) -> None:  # type: ignore[no-untyped-def]
    for n in range(12):
        await cases.verify(f"rest:a{n}", "XA1", "0000")
    await cases.verify("rest:x", "XA2", "0000")
    locked = await cases.locked_cases()
    assert [(c.case_no, c.item_id, c.wrong_tries) for c in locked] == [("XA1", "mz-lnyd", 10)]
    soon = datetime.now(UTC) + timedelta(minutes=59)
    assert soon < locked[0].locked_until <= soon + timedelta(minutes=1, seconds=5)
    assert await cases.unlock("XA1") == 10
    assert await cases.locked_cases() == []
    assert (await cases.verify("rest:applicant", "XA1", "1111")).outcome == "ok"
