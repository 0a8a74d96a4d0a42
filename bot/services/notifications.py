"""The outbox: what is waiting to be told to citizens on their channels.

Services add `Notification` rows in their own transactions and then `mark` the recipient; a turn
asks `waiting` (a set lookup, no database) before collecting, so the hot path stays free of queries.
With several workers (`shared`) another worker may have added the row, so a turn always asks the table.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.services.live import LiveHub, citizen_topic, outbox_topic
from bot.storage import Database, Notification


class Outbox:
    def __init__(self, database: Database, live: LiveHub, shared: bool = False) -> None:
        self.database = database
        self.live = live
        self.shared = shared
        self._waiting: set[tuple[str, str]] | None = None

    async def load(self) -> None:
        """Read who has undelivered notifications (at start-up, before the first turn)."""
        await self._recipients()

    async def _recipients(self) -> set[tuple[str, str]]:
        if self._waiting is None:  # what earlier runs left undelivered
            async with self.database.session() as session:
                rows = (await session.execute(select(Notification.channel, Notification.sender)
                                              .where(Notification.delivered.is_(False)))).all()
            self._waiting = {(channel, sender) for channel, sender in rows}
        return self._waiting

    async def mark(self, channel: str, sender: str) -> None:
        """A notification for this citizen was committed: wake their page and their channel's courier
        (which pushes it on platforms that allow that), or collect it on their next turn."""
        (await self._recipients()).add((channel, sender))
        self.live.publish(citizen_topic(channel, sender), {"type": "notification"})
        self.live.publish(outbox_topic(channel), {"type": "notification", "sender": sender})

    async def collect(self, channel: str, sender: str | None = None) -> list[Notification]:
        """Undelivered notifications of a channel (of one sender), oldest first; marked delivered."""
        recipients = await self._recipients()
        if sender is not None and (channel, sender) not in recipients and not self.shared:
            return []
        async with self.database.session() as session, session.begin():
            query = select(Notification).where(Notification.channel == channel, Notification.delivered.is_(False))
            if sender is not None:
                query = query.where(Notification.sender == sender)
            # Two collectors (a turn and a courier) must not both take a row (PostgreSQL; SQLite has one writer).
            query = query.order_by(Notification.id).with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            for row in rows:
                row.delivered = True
        for row in rows:
            recipients.discard((row.channel, row.sender))
        if sender is not None:
            recipients.discard((channel, sender))
        return rows

    async def restore(self, ids: list[int]) -> None:
        """Notifications a channel could not deliver wait again (for the citizen's next message)."""
        if not ids:
            return
        async with self.database.session() as session, session.begin():
            rows = (await session.execute(update(Notification).where(Notification.id.in_(ids))
                                          .values(delivered=False).returning(Notification.channel,
                                                                             Notification.sender))).all()
        (await self._recipients()).update((channel, sender) for channel, sender in rows)
