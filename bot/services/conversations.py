"""The tracker store's table: each conversation's slots (an open form, the item talked about, what
was offered), encrypted at rest because form answers hold what citizens typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage import Conversation, Database
from bot.storage.cipher import FieldCipher

ConversationKey = tuple[str, str]  # (channel, sender)


class ConversationStore:
    def __init__(self, database: Database, cipher: FieldCipher) -> None:
        self.database = database
        self.cipher = cipher

    async def load(self, key: ConversationKey) -> tuple[dict[str, Any], datetime] | None:
        """The stored slots of a conversation and when they were written, or None."""
        async with self.database.reader() as session:
            row = await session.get(Conversation, key)
        if row is None:
            return None
        try:
            slots = orjson.loads(self.cipher.decrypt(row.slots))
        except (ValueError, orjson.JSONDecodeError):
            return None  # another key or a damaged row: the conversation starts afresh
        updated = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
        return (slots if isinstance(slots, dict) else {}), updated

    async def save(self, conversations: dict[ConversationKey, dict[str, Any]]) -> None:
        """Write these conversations' slots (insert or replace), in one transaction."""
        if not conversations:
            return
        now = datetime.now(UTC)
        rows = [{"channel": channel, "sender": sender, "updated_at": now,
                 "slots": self.cipher.encrypt(orjson.dumps(slots, default=str).decode())}
                for (channel, sender), slots in conversations.items()]
        dialect = postgresql if self.database.dialect == "postgresql" else sqlite
        statement = dialect.insert(Conversation)
        statement = statement.on_conflict_do_update(
            index_elements=[Conversation.channel, Conversation.sender],
            set_={"slots": statement.excluded.slots, "updated_at": statement.excluded.updated_at})
        async with self.database.session() as session, session.begin():
            await session.execute(statement, rows)

    async def recent(self, seconds: float) -> list[ConversationKey]:
        """Conversations written within the last `seconds` (older ones start afresh anyway)."""
        since = datetime.now(UTC) - timedelta(seconds=seconds)
        async with self.database.reader() as session:
            rows = await session.execute(select(Conversation.channel, Conversation.sender)
                                         .where(Conversation.updated_at >= since))
            return [(channel, sender) for channel, sender in rows.all()]
