"""Cases, tickets and ratings in the database."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.services.cases import CaseService, parse_case, read_cases_csv
from bot.services.live import LiveHub
from bot.services.notifications import Outbox
from bot.services.ratings import RatingService
from bot.services.tickets import TicketService
from tests.conftest import TEST_DATA


def _record(**changes: str) -> dict:
    raw = {"case_no": "XA1", "item_id": "sj-qysl", "applicant": "张三", "phone": "13912345678",
           "status": "accepted", "accepted_at": "2026-11-02", "promised_at": "", "updated_at": "2026-11-02T09:00:00",
           "note": "", **changes}
    problems: list = []
    record = parse_case(raw, "t", problems)
    assert not problems, problems
    return record


async def test_csv_import_and_repeats_change_nothing(database) -> None:  # type: ignore[no-untyped-def]
    records, problems = read_cases_csv(TEST_DATA / "cases.csv")
    assert not problems and len(records) == 5
    service = CaseService(database)
    assert await service.record(records) == 5
    assert await service.record(records) == 0
    case = await service.get("XA202611200002")
    assert case.status == "suspended" and "一寸免冠照片" in case.note


async def test_bad_csv_rows_are_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("case_no,item_id,applicant,phone,status,accepted_at,promised_at,updated_at,note\n"
                   "XA1,sj-qysl,甲,139,done,2026-13-01,,yesterday,\n", encoding="utf-8")
    _, problems = read_cases_csv(bad)
    assert {(p.where, p.field) for p in problems} >= {(f"{bad}:2", "status"), (f"{bad}:2", "phone"),
                                                       (f"{bad}:2", "accepted_at"), (f"{bad}:2", "updated_at")}


async def test_status_changes_notify_subscribers_once(database) -> None:  # type: ignore[no-untyped-def]
    outbox = Outbox(database, LiveHub())
    service = CaseService(database, outbox)
    await service.record([_record()])
    await service.subscribe("XA1", "rest", "citizen")
    await service.subscribe("XA1", "rest", "citizen")
    await service.record([_record(status="ready", updated_at="2026-11-05T10:00:00")])
    await service.record([_record(status="ready", updated_at="2026-11-05T10:00:00")])  # repeated delivery
    await service.record([_record(status="in_review", updated_at="2026-11-03T10:00:00")])  # late, older
    assert (await service.get("XA1")).status == "ready"
    waiting = await outbox.collect("rest", "citizen")
    assert [(n.kind, n.data["status"]) for n in waiting] == [("case_status", "ready")]
    assert await outbox.collect("rest", "citizen") == []
    assert await Outbox(database, LiveHub()).collect("rest", "citizen") == []  # a restart finds nothing left


async def test_applicant_check_and_lockout(database) -> None:  # type: ignore[no-untyped-def]
    service = CaseService(database)
    await service.record([_record()])
    assert (await service.verify("rest:a", "XA1", "5678")).outcome == "ok"
    outcomes = [(await service.verify("rest:b", "XA1", "0000")) for _ in range(5)]
    assert [o.outcome for o in outcomes] == ["wrong"] * 4 + ["locked"]
    assert [o.tries_left for o in outcomes[:4]] == [4, 3, 2, 1]
    sixth = await service.verify("rest:b", "XA1", "5678")
    assert sixth.outcome == "locked" and sixth.case is None  # even the right digits now
    assert (await service.verify("rest:c", "NOPE", "5678")).outcome == "wrong"  # unknown looks the same


async def test_tickets_are_numbered_per_day_and_never_duplicated(database) -> None:  # type: ignore[no-untyped-def]
    tickets = TicketService(database, {"complaint": 5})
    first, created = await tickets.create("complaint", "态度差", department="市民政局", channel="rest", sender="a",
                                          dedupe_key="k1", phone="13912345678")
    again, created_again = await tickets.create("complaint", "态度差", department="市民政局", channel="rest",
                                                sender="a", dedupe_key="k1")
    assert created and not created_again and again.number == first.number
    assert first.number.startswith("TS") and first.number.endswith("-0001")
    results = await asyncio.gather(*(tickets.create("suggestion", f"建议{n}", department="市民政局", channel="rest",
                                                    sender="b", dedupe_key=f"s{n}") for n in range(4)))
    assert sorted(t.number[-4:] for t, _ in results) == ["0001", "0002", "0003", "0004"]
    listed = await tickets.list()
    assert len(listed) == 5 and listed[-1].phone_masked == "139****5678"
    changed = await tickets.change_status(first.number, "已答复", "staff1", "已批评教育当事人")
    assert changed.status == "已答复"
    with pytest.raises(ValueError):
        await tickets.change_status(first.number, "乱写", "staff1")


async def test_ratings_stats_and_rectification(database) -> None:  # type: ignore[no-untyped-def]
    tickets = TicketService(database)
    ratings = RatingService(database, tickets)
    for n, level in enumerate((5, 5, 4, 3, 2, 1)):
        ticket = await ratings.rate(level, subject=f"answer:{n}", channel="rest", sender=f"u{n}", reason="排队太久",
                                    department="市民政局", dedupe_key=f"r{n}")
        assert (ticket is not None) == (level <= 2)
    stats = await ratings.stats()
    assert stats.total == 6 and stats.counts["非常满意"] == 2 and stats.satisfaction_rate == round(4 / 6, 4)
    rectifications = [t for t in await tickets.list() if t.kind == "rectification"]
    assert len(rectifications) == 2 and all(t.due_at > date(2026, 1, 1) for t in rectifications)
