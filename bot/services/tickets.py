"""Tickets: complaints (投诉), suggestions (建议), rectifications of bad ratings (差评整改) and
questions left for staff outside their hours (咨询).

A ticket is committed before its number is given out, and a `dedupe_key` makes a repeated
submission return the ticket it already made. Status runs 待受理 → 处理中 → 已答复 → 已回访 → 已办结.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.services.calendar import add_working_days
from bot.services.notifications import Outbox
from bot.storage import Database, Notification, Ticket, TicketEvent

KINDS = {"complaint": "TS", "suggestion": "JY", "rectification": "ZG", "consultation": "ZX"}  # kind → prefix
STATUSES = ("待受理", "处理中", "已答复", "已回访", "已办结")
CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class TicketView:
    """A ticket as lists and answers show it (phone masked)."""

    number: str
    kind: str
    status: str
    department: str
    content: str
    created_at: datetime
    due_at: date
    overdue: bool
    phone_masked: str

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "kind": self.kind, "status": self.status, "department": self.department,
                "created": self.created_at.isoformat(), "due": self.due_at.isoformat(), "overdue": self.overdue,
                "phone": self.phone_masked, "content": self.content}


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else ("*" * len(phone))


def today() -> date:
    return datetime.now(CHINA).date()


def view(ticket: Ticket, on: date | None = None) -> TicketView:
    on = on or today()
    return TicketView(ticket.number, ticket.kind, ticket.status, ticket.department, ticket.content,
                      ticket.created_at, ticket.due_at, ticket.status != "已办结" and ticket.due_at < on,
                      mask_phone(ticket.phone))


class TicketService:
    def __init__(self, database: Database, due_working_days: dict[str, int] | None = None,
                 outbox: Outbox | None = None) -> None:
        self.database = database
        self.outbox = outbox
        self.due_working_days = {"complaint": 5, "suggestion": 10, "rectification": 5, "consultation": 1,
                                 **(due_working_days or {})}

    async def create(self, kind: str, content: str, *, department: str, channel: str, sender: str, dedupe_key: str,
                     place: str = "", happened: str = "", phone: str = "") -> tuple[TicketView, bool]:
        """The ticket for this submission, and whether it was created now (False: it existed already)."""
        if kind not in KINDS:
            raise ValueError(f"unknown ticket kind {kind!r}")
        existing = await self._by_key(dedupe_key)
        if existing is not None:
            return view(existing), False
        opened = today()
        due = add_working_days(opened, self.due_working_days[kind]).day
        for _ in range(5):  # another worker may take the same number at the same moment: take the next
            async with self.database.session() as session:
                try:
                    async with session.begin():
                        number = await self._next_number(session, kind, opened)
                        ticket = Ticket(number=number, kind=kind, status=STATUSES[0], department=department,
                                        content=content, place=place, happened=happened, phone=phone,
                                        channel=channel, sender=sender, dedupe_key=dedupe_key, due_at=due)
                        session.add(ticket)
                        await session.flush()
                        session.add(TicketEvent(ticket_id=ticket.id, status=STATUSES[0], note="", actor="citizen"))
                    return view(ticket), True
                except IntegrityError:
                    existing = await self._by_key(dedupe_key)
                    if existing is not None:
                        return view(existing), False
        raise RuntimeError("could not allocate a ticket number")

    async def _by_key(self, dedupe_key: str) -> Ticket | None:
        async with self.database.reader() as session:
            return await session.scalar(select(Ticket).where(Ticket.dedupe_key == dedupe_key))

    @staticmethod
    async def _next_number(session, kind: str, on: date) -> str:  # type: ignore[no-untyped-def]
        prefix = f"{KINDS[kind]}{on:%Y%m%d}-"
        last = await session.scalar(select(func.max(Ticket.number)).where(Ticket.number.like(prefix + "%")))
        sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
        return f"{prefix}{sequence:04d}"

    async def get(self, number: str) -> TicketView | None:
        async with self.database.reader() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number.upper()))
            return view(ticket) if ticket else None

    async def owner(self, number: str) -> tuple[str, str] | None:
        async with self.database.reader() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number.upper()))
            return (ticket.channel, ticket.sender) if ticket else None

    async def list(self, department: str | None = None) -> list[TicketView]:
        async with self.database.reader() as session:
            query = select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc())
            if department:
                query = query.where(Ticket.department == department)
            return [view(t) for t in (await session.scalars(query)).all()]

    async def events(self, number: str) -> list[TicketEvent]:
        async with self.database.session() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number.upper()))
            if ticket is None:
                return []
            return list((await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                               .order_by(TicketEvent.id))).all())

    async def change_status(self, number: str, status: str, actor: str, note: str = "") -> TicketView:
        """Move a ticket along its flow; a reply (`note`) is delivered to the citizen on their channel."""
        if status not in STATUSES:
            raise ValueError(f"状态应为 {'/'.join(STATUSES)} 之一")
        async with self.database.session() as session, session.begin():
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number.upper()))
            if ticket is None:
                raise LookupError(number)
            ticket.status = status
            session.add(TicketEvent(ticket_id=ticket.id, status=status, note=note, actor=actor))
            session.add(Notification(channel=ticket.channel, sender=ticket.sender, kind="ticket_update",
                                     data={"number": ticket.number, "status": status, "reply": note}))
            changed = view(ticket)
            recipient = (ticket.channel, ticket.sender)
        if self.outbox is not None:
            await self.outbox.mark(*recipient)
        return changed
