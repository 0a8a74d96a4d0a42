"""How many tickets a citizen may open: complaints, suggestions and 差评整改 tickets from ratings
(config.yml `limits`: tickets_per_sender_per_day, tickets_per_client_per_hour).

Per sender the count comes from the tickets table (the last 24 hours), so it holds across restarts
and workers. Per client address (REST / web chat callers) it is counted in this process only: the
address is not stored with a ticket, and the limit is there to stop one machine flooding staff
with tickets under ever new sender ids, which a per-process count does (N workers allow N times).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.configuration import LimitsConfig
from bot.services.coordination import Coordination, LocalCoordination
from bot.vocabulary import TicketKind
from bot.storage import Database, Ticket

SENDER_WINDOW = timedelta(days=1)
CLIENT_WINDOW_SECONDS = 3600.0


class TicketQuota:
    @classmethod
    def from_config(cls, database: Database, limits: LimitsConfig,
                    coordination: Coordination | None = None) -> TicketQuota:
        return cls(database, limits.tickets_per_sender_per_day, limits.tickets_per_client_per_hour, coordination)

    def __init__(self, database: Database, per_sender_per_day: int, per_client_per_hour: int,
                 coordination: Coordination | None = None) -> None:
        """`coordination`: where tickets per address are counted (Redis: by every worker together)."""
        self.database = database
        self.per_sender = per_sender_per_day
        self.per_client = per_client_per_hour
        self.coordination: Coordination = coordination or LocalCoordination()

    async def refuses(self, channel: str, sender: str, client: str | None) -> bool:
        """True when this citizen (or their machine) has opened as many tickets as allowed for now."""
        if client is not None and await self.coordination.count(
                f"tickets:client:{client}", CLIENT_WINDOW_SECONDS, add=False) >= self.per_client:
            return True
        since = datetime.now(UTC) - SENDER_WINDOW
        async with self.database.reader() as session:
            opened = await session.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.channel == channel, Ticket.sender == sender, Ticket.kind.in_(TicketKind.from_citizen()),
                Ticket.created_at >= since))
        return int(opened or 0) >= self.per_sender

    async def opened(self, client: str | None) -> None:
        """A ticket was filed for a caller at `client` (counted against the address)."""
        if client is not None:
            await self.coordination.count(f"tickets:client:{client}", CLIENT_WINDOW_SECONDS, add=True)
