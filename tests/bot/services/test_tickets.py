"""Ticket numbers past 9,999 a day, with concurrent writers, and the status flow."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from bot.services.tickets import TicketService, today
from bot.vocabulary import TicketKind
from bot.storage import Database, Ticket, TicketCounter


async def _create(tickets: TicketService, kind: str = "complaint", sender: str = "a"):  # type: ignore[no-untyped-def]
    ticket, created = await tickets.create(kind, "窗口态度差", department="市民政局", channel="rest", sender=sender,
                                           dedupe_key=uuid.uuid4().hex)
    assert created
    return ticket


async def _old_tickets(database: Database, kind: str, numbers: list[str]) -> None:
    """Tickets as an earlier version numbered them, before the day's counter existed."""
    async with database.session() as session, session.begin():
        for number in numbers:
            session.add(Ticket(number=number, kind=kind, status="待受理", department="市民政局", content="旧工单",
                               channel="rest", sender="old", dedupe_key=uuid.uuid4().hex, due_at=date(2030, 1, 1)))


async def test_the_ten_thousandth_and_later_tickets_of_a_day_get_their_own_numbers(database) -> None:  # type: ignore[no-untyped-def]
    tickets = TicketService(database)
    prefix = f"TS{today():%Y%m%d}"
    await _old_tickets(database, "complaint", [f"{prefix}-9998", f"{prefix}-9999"])
    numbers = [(await _create(tickets)).number for _ in range(3)]
    assert numbers == [f"{prefix}-10000", f"{prefix}-10001", f"{prefix}-10002"]
    async with database.session() as session, session.begin():  # much later that day
        counter = await session.get(TicketCounter, prefix)
        counter.last = 12344
    assert (await _create(tickets)).number == f"{prefix}-12345"
    assert (await _create(tickets, "suggestion")).number == f"JY{today():%Y%m%d}-0001"  # each kind counts alone


async def test_a_new_counter_starts_after_the_highest_old_number_compared_as_a_number(database) -> None:  # type: ignore[no-untyped-def]
    prefix = f"ZG{today():%Y%m%d}"
    await _old_tickets(database, "rectification", [f"{prefix}-9999", f"{prefix}-10000", f"{prefix}-0007"])
    assert (await _create(TicketService(database), "rectification")).number == f"{prefix}-10001"


async def test_concurrent_creates_get_distinct_consecutive_numbers(database) -> None:  # type: ignore[no-untyped-def]
    tickets = TicketService(database)
    made = await asyncio.gather(*(_create(tickets, "consultation", f"c{n}") for n in range(20)))
    prefix = f"{TicketKind.CONSULTATION.prefix}{today():%Y%m%d}-"
    assert sorted(t.number for t in made) == [f"{prefix}{n:04d}" for n in range(1, 21)]
    async with database.reader() as session:
        stored = (await session.scalars(select(Ticket.number).where(Ticket.kind == "consultation"))).all()
    assert len(stored) == 20


async def test_status_moves_forward_only_and_only_an_admin_reopens(database) -> None:  # type: ignore[no-untyped-def]
    tickets = TicketService(database)
    number = (await _create(tickets)).number
    assert (await tickets.change_status(number, "处理中", "staff1")).status == "处理中"
    with pytest.raises(ValueError, match="不能从“处理中”退回“待受理”"):
        await tickets.change_status(number, "待受理", "staff1")
    with pytest.raises(ValueError, match="状态未变化"):
        await tickets.change_status(number, "处理中", "staff1")
    assert (await tickets.change_status(number, "处理中", "staff1", "正在核实")).status == "处理中"  # a reply only
    assert (await tickets.change_status(number, "已办结", "staff1", "已办结")).status == "已办结"  # skipping ahead
    with pytest.raises(ValueError, match="只有管理员"):
        await tickets.change_status(number, "处理中", "staff1")
    with pytest.raises(ValueError):
        await tickets.change_status(number, "待受理", "admin", may_reopen=True)
    assert (await tickets.change_status(number, "处理中", "admin", may_reopen=True)).status == "处理中"
    events = [(e.status, e.actor) for e in await tickets.events(number)]
    assert events == [("待受理", "citizen"), ("处理中", "staff1"), ("处理中", "staff1"), ("已办结", "staff1"),
                      ("处理中", "admin")]
