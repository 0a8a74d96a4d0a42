"""好差评 satisfaction ratings: five levels; 不满意 or worse opens a 差评整改 ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.services.tickets import TicketService, TicketView
from bot.storage import Database, Rating

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SATISFIED = (5, 4, 3)  # counted as satisfied in the satisfaction rate


@dataclass(frozen=True)
class RatingStats:
    counts: dict[str, int]
    total: int
    satisfaction_rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "total": self.total, "satisfaction_rate": self.satisfaction_rate}


class RatingService:
    def __init__(self, database: Database, tickets: TicketService) -> None:
        self.database = database
        self.tickets = tickets

    async def rate(self, level: int, *, subject: str, channel: str, sender: str, reason: str = "",
                   department: str = "市政务服务中心", dedupe_key: str) -> TicketView | None:
        """Store a rating; for 不满意/非常不满意 also open (once) a 差评整改 ticket and return it."""
        if level not in LEVELS:
            raise ValueError(f"评价等级应为 1-5，实际为 {level}")
        ticket = None
        if level <= 2:
            ticket, _ = await self.tickets.create("rectification", f"【{LEVELS[level]}】{reason}".strip(),
                                                  department=department, channel=channel, sender=sender,
                                                  dedupe_key=dedupe_key)
        async with self.database.session() as session, session.begin():
            existing = await session.scalar(select(Rating).where(Rating.sender == sender,
                                                                 Rating.subject == subject,
                                                                 Rating.channel == channel))
            if existing is None:
                session.add(Rating(channel=channel, sender=sender, level=level, subject=subject, reason=reason,
                                   ticket_number=ticket.number if ticket else None))
        return ticket

    async def stats(self) -> RatingStats:
        async with self.database.session() as session:
            rows = (await session.execute(select(Rating.level, func.count()).group_by(Rating.level))).all()
        by_level = {level: int(count) for level, count in rows}
        total = sum(by_level.values())
        satisfied = sum(by_level.get(level, 0) for level in SATISFIED)
        return RatingStats({name: by_level.get(level, 0) for level, name in LEVELS.items()}, total,
                           round(satisfied / total, 4) if total else None)
