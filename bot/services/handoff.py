"""Hand-off to staff (转人工): the queue, the messages while staff own a conversation, and release.

While a hand-off is `waiting` or `active` the bot says nothing to that citizen. `flagged` marks an
upset citizen for staff attention without taking the conversation from the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select

from bot.services.calendar import is_working_day
from bot.services.live import LiveHub
from bot.services.notifications import Outbox
from bot.services.privacy import mask_personal
from bot.storage import Database, Handoff, HandoffMessage, Notification, Turn

OPEN = ("waiting", "active")
CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class StaffHours:
    start: time = time(9, 0)
    end: time = time(17, 0)
    every_day: bool = False  # True: weekends and holidays too

    def open_at(self, moment: datetime) -> bool:
        local = moment.astimezone(CHINA)
        return (self.every_day or is_working_day(local.date())[0]) and self.start <= local.time() < self.end

    def next_opening(self, moment: datetime) -> datetime:
        local = moment.astimezone(CHINA)
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        while not (self.every_day or is_working_day(day)[0]):
            day += timedelta(days=1)
        return datetime.combine(day, self.start, CHINA)


class HandoffService:
    def __init__(self, database: Database, live: LiveHub, outbox: Outbox, hours: StaffHours | None = None,
                 shared: bool = False) -> None:
        """`shared`: other workers open and release hand-offs too, so every turn asks the database."""
        self.database = database
        self.shared = shared
        self.live = live
        self.outbox = outbox
        self.hours = hours or StaffHours()
        self._open: dict[tuple[str, str], int] | None = None  # (channel, sender) → open hand-off id

    async def load(self) -> None:
        """Read which conversations staff own (at start-up, before the first turn)."""
        await self._open_index()

    async def _open_index(self) -> dict[tuple[str, str], int]:
        if self._open is None:
            async with self.database.session() as session:
                rows = (await session.execute(select(Handoff.channel, Handoff.sender, Handoff.id)
                                              .where(Handoff.status.in_(OPEN)))).all()
            self._open = {(channel, sender): handoff_id for channel, sender, handoff_id in rows}
        return self._open

    async def open_for(self, channel: str, sender: str) -> int | None:
        """The id of the hand-off that owns this conversation now, if any (the bot must stay silent)."""
        if self.shared:
            async with self.database.reader() as session:
                return await session.scalar(select(Handoff.id).where(
                    Handoff.channel == channel, Handoff.sender == sender, Handoff.status.in_(OPEN)).limit(1))
        return (await self._open_index()).get((channel, sender))

    async def open(self, channel: str, sender: str, reason: str, department: str | None,
                   mood: float = 0.0) -> tuple[int, bool]:
        """Put the conversation in the staff queue; (id, True) when it was not there already."""
        existing = await self.open_for(channel, sender)
        if existing is not None:
            return existing, False
        async with self.database.session() as session, session.begin():
            flagged = await session.scalar(select(Handoff).where(Handoff.channel == channel, Handoff.sender == sender,
                                                                 Handoff.status == "flagged"))
            handoff = flagged or Handoff(channel=channel, sender=sender)
            handoff.status, handoff.reason, handoff.department = "waiting", reason, department
            handoff.mood = max(handoff.mood or 0.0, mood)
            session.add(handoff)
            await session.flush()
            handoff_id = handoff.id
        (await self._open_index())[(channel, sender)] = handoff_id
        self.live.publish("staff", {"type": "handoff", "id": handoff_id})
        return handoff_id, True

    async def flag(self, channel: str, sender: str, mood: float, department: str | None) -> None:
        """Mark an upset citizen for staff attention (once per conversation)."""
        if await self.open_for(channel, sender) is not None:
            return
        async with self.database.session() as session, session.begin():
            existing = await session.scalar(select(Handoff).where(
                Handoff.channel == channel, Handoff.sender == sender, Handoff.status == "flagged"))
            if existing is None:
                session.add(Handoff(channel=channel, sender=sender, reason="upset", status="flagged", mood=mood,
                                    department=department))
        self.live.publish("staff", {"type": "flagged"})

    async def citizen_said(self, handoff_id: int, text: str) -> None:
        """What the citizen wrote while staff own the conversation, stored and shown with personal
        numbers masked (staff who need a phone ask for it in a ticket)."""
        text = mask_personal(text)
        async with self.database.session() as session, session.begin():
            session.add(HandoffMessage(handoff_id=handoff_id, author="citizen", text=text))
        self.live.publish("staff", {"type": "message", "id": handoff_id, "author": "citizen", "text": text})

    async def reply(self, handoff_id: int, staff: str, text: str) -> None:
        """A staff reply: stored, handed to the citizen's channel, and pushed to a waiting web page."""
        async with self.database.session() as session, session.begin():
            handoff = await session.get(Handoff, handoff_id)
            if handoff is None or handoff.status not in OPEN:
                raise LookupError(handoff_id)
            handoff.status, handoff.staff = "active", staff
            session.add(HandoffMessage(handoff_id=handoff_id, author=f"staff:{staff}", text=text))
            session.add(Notification(channel=handoff.channel, sender=handoff.sender, kind="staff_reply",
                                     data={"text": text}))
            channel, sender = handoff.channel, handoff.sender
        await self.outbox.mark(channel, sender)
        self.live.publish("staff", {"type": "message", "id": handoff_id, "author": f"staff:{staff}", "text": text})

    async def release(self, handoff_id: int, staff: str) -> None:
        """Give the conversation back to the bot (the citizen is told, and may rate the service)."""
        async with self.database.session() as session, session.begin():
            handoff = await session.get(Handoff, handoff_id)
            if handoff is None:
                raise LookupError(handoff_id)
            was_open = handoff.status in OPEN
            handoff.status, handoff.closed_at = "released", datetime.now(timezone.utc)
            handoff.staff = handoff.staff or staff
            if was_open:
                session.add(Notification(channel=handoff.channel, sender=handoff.sender, kind="handoff_released",
                                         data={"department": handoff.department} if handoff.department else {}))
            key = (handoff.channel, handoff.sender)
        (await self._open_index()).pop(key, None)
        if was_open:
            await self.outbox.mark(*key)
        self.live.publish("staff", {"type": "released", "id": handoff_id})

    async def queue(self, department: str | None = None) -> list[Handoff]:
        """Open and flagged hand-offs, newest first (one department's when given)."""
        async with self.database.session() as session:
            query = select(Handoff).where(Handoff.status.in_((*OPEN, "flagged"))).order_by(Handoff.created_at.desc())
            if department:
                query = query.where(Handoff.department == department)
            return list((await session.scalars(query)).all())

    async def get(self, handoff_id: int) -> Handoff | None:
        async with self.database.reader() as session:
            return await session.get(Handoff, handoff_id)

    async def history(self, handoff: Handoff) -> list[dict[str, Any]]:
        """The whole conversation: bot turns, then what was said while staff owned it, in time order."""
        async with self.database.session() as session:
            turns = (await session.scalars(select(Turn).where(Turn.channel == handoff.channel,
                                                              Turn.sender == handoff.sender)
                                           .order_by(Turn.id))).all()
            messages = (await session.scalars(select(HandoffMessage).where(HandoffMessage.handoff_id == handoff.id)
                                              .order_by(HandoffMessage.id))).all()
        # Rows are masked when written; masking again covers rows kept from before that.
        lines: list[dict[str, Any]] = []
        for turn in turns:
            if turn.reply:  # while staff owned the conversation the bot said nothing; those are below
                lines.append({"at": turn.created_at, "author": "citizen", "text": mask_personal(turn.text)})
                lines.append({"at": turn.created_at, "author": "bot", "text": mask_personal(turn.reply)})
        lines += [{"at": m.created_at, "author": m.author,
                   "text": mask_personal(m.text) if m.author == "citizen" else m.text} for m in messages]
        return sorted(lines, key=lambda line: line["at"].replace(tzinfo=None))
