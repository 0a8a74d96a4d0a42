"""好差评 satisfaction ratings: five levels; 不满意 or worse opens a 差评整改 ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.services.privacy import mask_personal
from bot.services.tickets import TicketService, TicketView
from bot.vocabulary import RatingLevel, TicketKind
from bot.storage import Database, Rating



@dataclass(frozen=True)
class RatingStats:
    counts: dict[str, int]
    total: int
    satisfaction_rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "total": self.total, "satisfaction_rate": self.satisfaction_rate}


class AlreadyRated(Exception):
    """This subject (one answer, ticket or hand-off) has its rating already."""


class RatingService:
    def __init__(self, database: Database, tickets: TicketService) -> None:
        self.database = database
        self.tickets = tickets

    async def rate(self, level: int, *, subject: str, channel: str, sender: str, reason: str = "",
                   department: str, dedupe_key: str) -> TicketView | None:
        """Store the one rating of `subject`; for 不满意/非常不满意 also open (once) a 差评整改 ticket and
        return it. Raises AlreadyRated when `subject` was rated before (by anyone): nothing changes.

        Subjects are unique per offer and offered to one conversation, whose turns run one at a
        time, so checking before writing cannot race with itself."""
        if level not in tuple(RatingLevel):
            raise ValueError(f"评价等级应为 1-5，实际为 {level}")
        subject = subject[:40]  # the column's width
        async with self.database.reader() as session:
            if await session.scalar(select(Rating.id).where(Rating.subject == subject).limit(1)) is not None:
                raise AlreadyRated(subject)
        ticket = None
        if RatingLevel(level).opens_rectification:
            ticket, _ = await self.tickets.create(TicketKind.RECTIFICATION, f"【{RatingLevel(level).label}】{reason}".strip(),
                                                  department=department, channel=channel, sender=sender,
                                                  dedupe_key=dedupe_key)
        async with self.database.session() as session, session.begin():
            existing = await session.scalar(select(Rating.id).where(Rating.subject == subject).limit(1))
            if existing is not None:
                raise AlreadyRated(subject)
            session.add(Rating(channel=channel, sender=sender, level=level, subject=subject,
                               reason=mask_personal(reason),
                               ticket_number=ticket.number if ticket else None))
        return ticket

    async def stats(self) -> RatingStats:
        async with self.database.session() as session:
            rows = (await session.execute(select(Rating.level, func.count()).group_by(Rating.level))).all()
        by_level = {level: int(count) for level, count in rows}
        total = sum(by_level.values())
        satisfied = sum(by_level.get(level, 0) for level in RatingLevel if level.satisfied)
        return RatingStats({level.label: by_level.get(level, 0) for level in RatingLevel}, total,
                           round(satisfied / total, 4) if total else None)
