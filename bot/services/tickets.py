"""Tickets: complaints (投诉), suggestions (建议), rectifications of bad ratings (差评整改) and
questions left for staff outside their hours (咨询).

A ticket is committed before its number is given out, and a `dedupe_key` makes a repeated
submission return the ticket it already made. Status runs 待受理 → 处理中 → 已答复 → 已回访 → 已办结.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Integer, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.configuration import LimitsConfig, TicketsConfig
from bot.services.calendar import add_working_days
from bot.services.intake import TicketQuota
from bot.services.notifications import Outbox
from bot.services.privacy import mask_personal
from bot.vocabulary import TicketKind, TicketStatus
from bot.storage import Database, Notification, Ticket, TicketCounter, TicketEvent
from bot.storage.cipher import PREFIX as ENCRYPTED
from bot.storage.cipher import FieldCipher

FLOW = tuple(TicketStatus)  # the order a ticket moves in
CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class TicketView:
    """A ticket as lists and answers show it (phone masked). `phone` holds the contact phone in clear
    only in the view of one ticket (`TicketService.get`, the staff detail page), never in lists."""

    number: str
    kind: str
    status: str
    department: str
    content: str
    created_at: datetime
    due_at: date
    overdue: bool
    phone_masked: str
    phone: str = field(default="", repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "kind": self.kind, "status": self.status, "department": self.department,
                "created": self.created_at.isoformat(), "due": self.due_at.isoformat(), "overdue": self.overdue,
                "phone": self.phone_masked, "content": self.content}


def flow_refusal(current: str, wanted: str, has_note: bool, may_reopen: bool = False) -> str | None:
    """Why a ticket may not move from `current` to `wanted` (a message for staff), or None when it may."""
    if wanted == current:
        return None if has_note else "状态未变化：如需答复群众，请填写答复内容"
    if current == TicketStatus.CLOSED:
        if wanted == "处理中" and may_reopen:
            return None
        return "工单已办结：只有管理员可以重新打开（改回“处理中”）"
    if FLOW.index(TicketStatus(wanted)) < FLOW.index(TicketStatus(current)):
        return f"工单只能按“{' → '.join(FLOW)}”向前推进，不能从“{current}”退回“{wanted}”"
    return None


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else ("*" * len(phone))


def today() -> date:
    return datetime.now(CHINA).date()


def view(ticket: Ticket, on: date | None = None, phone: str | None = None, reveal: bool = False) -> TicketView:
    """`ticket` as shown; `phone` is its contact phone in clear (default: the stored value when it is not
    encrypted), kept in the view only with `reveal`."""
    on = on or today()
    if phone is None:
        phone = "" if ticket.phone.startswith(ENCRYPTED) else ticket.phone
    masked = mask_phone(phone) if phone or not ticket.phone else "***"  # "***": encrypted, key not at hand
    return TicketView(ticket.number, ticket.kind, ticket.status, ticket.department, ticket.content,
                      ticket.created_at, ticket.due_at, ticket.status != "已办结" and ticket.due_at < on,
                      masked, phone if reveal else "")


class TicketService:
    def __init__(self, database: Database, due_working_days: Mapping[TicketKind, int] | None = None,
                 outbox: Outbox | None = None, cipher: FieldCipher | None = None,
                 quota: TicketQuota | None = None) -> None:
        """`cipher` encrypts contact phones at rest (`load_cipher(settings.state_dir)`); without it phones
        are stored as given and encrypted ones read as unknown. `quota`: how many tickets citizens may
        open (actions ask it before filing)."""
        self.database = database
        self.outbox = outbox
        self.cipher = cipher
        self.quota = quota or TicketQuota.from_config(database, LimitsConfig())
        self.due_working_days = {**TicketsConfig().due_working_days, **(due_working_days or {})}

    async def create(self, kind: str, content: str, *, department: str, channel: str, sender: str, dedupe_key: str,
                     place: str = "", happened: str = "", phone: str = "") -> tuple[TicketView, bool]:
        """The ticket for this submission, and whether it was created now (False: it existed already).

        Personal numbers in the citizen's texts are masked; the contact `phone` is stored encrypted."""
        if kind not in tuple(TicketKind):
            raise ValueError(f"unknown ticket kind {kind!r}")
        existing = await self._by_key(dedupe_key)
        if existing is not None:
            return self._view(existing), False
        content, place, happened = mask_personal(content), mask_personal(place), mask_personal(happened)
        stored_phone = self.cipher.encrypt(phone) if self.cipher else phone
        opened = today()
        due = add_working_days(opened, self.due_working_days[TicketKind(kind)]).day
        for _ in range(5):  # another worker may take the same number at the same moment: take the next
            async with self.database.session() as session:
                try:
                    async with session.begin():
                        number = await self._next_number(session, kind, opened)
                        ticket = Ticket(number=number, kind=kind, status=TicketStatus.PENDING, department=department,
                                        content=content, place=place, happened=happened, phone=stored_phone,
                                        channel=channel, sender=sender, dedupe_key=dedupe_key, due_at=due)
                        session.add(ticket)
                        await session.flush()
                        session.add(TicketEvent(ticket_id=ticket.id, status=TicketStatus.PENDING, note="", actor="citizen"))
                    return view(ticket, phone=phone), True
                except IntegrityError:
                    existing = await self._by_key(dedupe_key)
                    if existing is not None:
                        return self._view(existing), False
        raise RuntimeError("could not allocate a ticket number")

    async def _by_key(self, dedupe_key: str) -> Ticket | None:
        async with self.database.reader() as session:
            return await session.scalar(select(Ticket).where(Ticket.dedupe_key == dedupe_key))

    async def _next_number(self, session: AsyncSession, kind: str, on: date) -> str:
        """The next number of this kind and day, taken from its counter row inside the ticket's transaction.

        The counter is bumped by one atomic statement, so concurrent writers queue on its row and each get
        their own number; the row lock lasts until the ticket commits, so numbers have no gaps. A day's
        first ticket creates the row, seeded from tickets made before counters existed (compared as
        numbers: "-10000" is more than "-9999").
        """
        prefix = f"{TicketKind(kind).prefix}{on:%Y%m%d}"
        last = await session.scalar(update(TicketCounter).where(TicketCounter.prefix == prefix)
                                    .values(last=TicketCounter.last + 1).returning(TicketCounter.last))
        if last is None:
            digits = func.substr(Ticket.number, len(prefix) + 2)
            highest = (select(func.coalesce(func.max(cast(digits, Integer)), 0) + 1)
                       .where(Ticket.number.like(f"{prefix}-%")).scalar_subquery())
            dialect = postgresql if self.database.dialect == "postgresql" else sqlite
            insert = dialect.insert(TicketCounter).values(prefix=prefix, last=highest)
            last = await session.scalar(insert.on_conflict_do_update(
                index_elements=[TicketCounter.prefix], set_={"last": TicketCounter.last + 1},
            ).returning(TicketCounter.last))
        return f"{prefix}-{last:04d}"

    def _view(self, ticket: Ticket, reveal: bool = False) -> TicketView:
        return view(ticket, phone=self.clear_phone(ticket.phone), reveal=reveal)

    def clear_phone(self, stored: str) -> str:
        """A stored contact phone in clear ("" when it was encrypted with a key this service lacks)."""
        if not stored.startswith(ENCRYPTED):
            return stored
        try:
            return self.cipher.decrypt(stored) if self.cipher else ""
        except ValueError:
            return ""

    async def get(self, number: str) -> TicketView | None:
        """One ticket, with the contact phone in clear in `phone` for the staff detail page (callers that
        answer citizens use `phone_masked`)."""
        async with self.database.reader() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number.upper()))
            return self._view(ticket, reveal=True) if ticket else None

    async def owner(self, number: str) -> tuple[str, str] | None:
        async with self.database.reader() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number.upper()))
            return (ticket.channel, ticket.sender) if ticket else None

    async def list(self, department: str | None = None) -> list[TicketView]:
        async with self.database.reader() as session:
            query = select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc())
            if department:
                query = query.where(Ticket.department == department)
            return [self._view(t) for t in (await session.scalars(query)).all()]

    async def numbers_of(self, channel: str, senders: builtins.list[str],
                         kind: TicketKind) -> dict[str, builtins.list[str]]:
        """{sender: the numbers of their tickets of `kind`}, for the senders that have any."""
        found: dict[str, builtins.list[str]] = {}
        async with self.database.reader() as session:
            for start in range(0, len(senders), 500):
                rows = (await session.execute(select(Ticket.sender, Ticket.number).where(
                    Ticket.channel == channel, Ticket.kind == kind,
                    Ticket.sender.in_(senders[start:start + 500])).order_by(Ticket.id))).all()
                for sender, number in rows:
                    found.setdefault(sender, []).append(number)
        return found

    async def events(self, number: str) -> builtins.list[TicketEvent]:
        async with self.database.session() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number.upper()))
            if ticket is None:
                return []
            return list((await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                               .order_by(TicketEvent.id))).all())

    async def change_status(self, number: str, status: str, actor: str, note: str = "", *,
                            may_reopen: bool = False) -> TicketView:
        """Move a ticket along its flow; a reply (`note`) is delivered to the citizen on their channel.

        Only forward moves are allowed (skipping steps is fine); the same status with a `note` is a reply
        that does not move. A closed ticket goes back to 处理中 only with `may_reopen` (admins; the caller
        audits it). Raises ValueError with a message for staff when the move is refused, LookupError for
        an unknown number.
        """
        if status not in FLOW:
            raise ValueError(f"状态应为 {'/'.join(FLOW)} 之一")
        async with self.database.session() as session, session.begin():
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number.upper()).with_for_update())
            if ticket is None:
                raise LookupError(number)
            refusal = flow_refusal(ticket.status, status, bool(note), may_reopen)
            if refusal:
                raise ValueError(refusal)
            ticket.status = status
            session.add(TicketEvent(ticket_id=ticket.id, status=status, note=note, actor=actor))
            session.add(Notification(channel=ticket.channel, sender=ticket.sender, kind="ticket_update",
                                     data={"number": ticket.number, "status": status, "reply": note}))
            changed = self._view(ticket)
            recipient = (ticket.channel, ticket.sender)
        if self.outbox is not None:
            await self.outbox.mark(*recipient)
        return changed
