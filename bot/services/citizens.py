"""What zwbot holds about one citizen, and for how long (个人信息保护法: the right to a copy, the right
to deletion, a retention period).

A citizen is a channel and a sender. `export` gathers everything held about them; `delete` removes it,
except that their tickets keep their facts (content, department, status, history) with the identity
replaced by a random marker and the contact phone emptied, and their 好差评 ratings keep their level and
the kind of thing rated (the centre's statistics) without identity, reason or which one it was. `purge` deletes what is older than the
retention period. On SQLite deleted rows are overwritten and the write-ahead log emptied, so the
removed texts are gone from the database files too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import (
    Base,
    CaseSubscription,
    Conversation,
    Database,
    Handoff,
    HandoffMessage,
    LoginAttempt,
    Notification,
    Rating,
    Ticket,
    TicketEvent,
    Turn,
    UnansweredQuestion,
    VerificationAttempt,
)
from bot.storage.cipher import FieldCipher

ERASED = "erased:"  # how a deleted citizen's tickets and ratings name their sender


@dataclass
class Removal:
    """How many rows of each kind were deleted, and how many were kept with the identity masked."""

    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"deleted": self.deleted, "anonymised": self.anonymised}


def citizen_reference(channel: str, sender: str) -> str:
    """How the audit log names a citizen: the channel and a digest of the sender, so the log does not
    keep the identity that `delete` removed, yet one who knows the sender can find the entry."""
    digest = hashlib.sha256(f"{channel}:{sender}".encode()).hexdigest()[:16]
    return f"{channel}:sha256:{digest}"


def _plain(row: Base) -> dict[str, Any]:
    """A row as JSON-ready values (dates as ISO 8601)."""
    values = {}
    for attribute in inspect(row).mapper.column_attrs:
        value = getattr(row, attribute.key)
        values[attribute.key] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return values


class CitizenData:
    def __init__(self, database: Database, cipher: FieldCipher | None = None) -> None:
        """`cipher` reads encrypted fields back (conversation slots, tickets' phones) for `export`."""
        self.database = database
        self.cipher = cipher

    def _clear(self, stored: str) -> str | None:
        """An encrypted field in clear; None when it cannot be read here (no key, or another key)."""
        try:
            return self.cipher.decrypt(stored) if self.cipher else (None if stored.startswith("enc1:") else stored)
        except ValueError:
            return None

    async def export(self, channel: str, sender: str) -> dict[str, Any]:
        """Everything held about the citizen, as JSON-ready values."""
        key = f"{channel}:{sender}"
        async with self.database.reader() as session:
            async def rows(table: Any, *conditions: Any) -> list[Any]:
                query = select(table).where(*conditions).order_by(*inspect(table).primary_key)
                return list((await session.scalars(query)).all())

            def mine(table: Any) -> tuple[Any, Any]:
                return table.channel == channel, table.sender == sender

            conversation = await session.get(Conversation, (channel, sender))
            handoffs = await rows(Handoff, *mine(Handoff))
            tickets = await rows(Ticket, *mine(Ticket))
            result: dict[str, Any] = {
                "channel": channel, "sender": sender, "exported_at": datetime.now(UTC).isoformat(),
                "turns": [_plain(r) for r in await rows(Turn, *mine(Turn))],
                "conversation": self._conversation(conversation) if conversation else None,
                "unanswered_questions": [_plain(r) for r in await rows(UnansweredQuestion, *mine(UnansweredQuestion))],
                "handoffs": [{**_plain(h), "messages": [_plain(m) for m in await rows(
                    HandoffMessage, HandoffMessage.handoff_id == h.id)]} for h in handoffs],
                "tickets": [{**_plain(t), "phone": self._clear(t.phone), "events": [_plain(e) for e in await rows(
                    TicketEvent, TicketEvent.ticket_id == t.id)]} for t in tickets],
                "ratings": [_plain(r) for r in await rows(Rating, *mine(Rating))],
                "notifications": [_plain(r) for r in await rows(Notification, *mine(Notification))],
                "case_subscriptions": [_plain(r) for r in await rows(CaseSubscription, *mine(CaseSubscription))],
                "verification_attempts": [_plain(r) for r in await rows(VerificationAttempt,
                                                                         VerificationAttempt.sender_key == key)],
            }
        for ticket in result["tickets"]:
            ticket.pop("dedupe_key", None)  # an internal digest, nothing the citizen told us
        return result

    def _conversation(self, row: Conversation) -> dict[str, Any]:
        clear = self._clear(row.slots)
        try:
            slots = orjson.loads(clear) if clear is not None else None
        except orjson.JSONDecodeError:
            slots = None
        return {"slots": slots, "updated_at": row.updated_at.isoformat(),
                **({} if slots is not None else {"note": "无法解密（缺少或不同的 ZWBOT_DATA_KEY）"})}

    async def delete(self, channel: str, sender: str) -> Removal:
        """Remove everything held about the citizen (in one transaction); tickets and ratings stay with
        the identity masked. Deleting a citizen zwbot does not know removes nothing and is no error."""
        removal = Removal()
        async with self.database.session() as session, session.begin():
            await _overwrite_deleted(session, self.database)
            handoff_ids = select(Handoff.id).where(Handoff.channel == channel, Handoff.sender == sender)
            removal.deleted["handoff_messages"] = await _affected(
                session, delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(handoff_ids)))
            for table in (Handoff, Turn, Conversation, UnansweredQuestion, Notification, CaseSubscription):
                removal.deleted[table.__tablename__] = await _affected(
                    session, delete(table).where(table.channel == channel, table.sender == sender))
            removal.deleted["verification_attempts"] = await _affected(session, delete(VerificationAttempt).where(
                VerificationAttempt.sender_key == f"{channel}:{sender}"))
            tickets = (await session.scalars(select(Ticket).where(Ticket.channel == channel,
                                                                  Ticket.sender == sender))).all()
            for ticket in tickets:
                marker = ERASED + secrets.token_hex(8)  # one per ticket: nothing links them back, or together
                ticket.sender, ticket.phone, ticket.dedupe_key = marker, "", marker
            removal.anonymised["tickets"] = len(tickets)
            ratings = (await session.scalars(select(Rating).where(Rating.channel == channel,
                                                                  Rating.sender == sender))).all()
            for rating in ratings:
                # The subject names an answer, hand-off or notification by id; SQLite may give a deleted
                # row's id to the next one, whose rating must not be refused as given already.
                kind = rating.subject.split(":", 1)[0]
                rating.sender, rating.reason, rating.subject = ERASED + secrets.token_hex(8), "", f"{kind}:erased"
            removal.anonymised["ratings"] = len(ratings)
        await _empty_write_ahead_log(self.database)
        return removal

    async def purge(self, older_than: timedelta) -> dict[str, int]:
        """Delete turns, conversations (by last use), unanswered questions, verification and login
        attempts, delivered notifications and released hand-offs (with their messages) older than
        `older_than`; returns how many rows of each table went."""
        cutoff = datetime.now(UTC) - older_than
        counts: dict[str, int] = {}
        async with self.database.session() as session, session.begin():
            await _overwrite_deleted(session, self.database)
            closed = select(Handoff.id).where(Handoff.status == "released", Handoff.closed_at < cutoff)
            counts["handoff_messages"] = await _affected(session, delete(HandoffMessage).where(
                HandoffMessage.handoff_id.in_(closed)))
            counts["handoffs"] = await _affected(session, delete(Handoff).where(Handoff.status == "released",
                                                                                Handoff.closed_at < cutoff))
            for table in (Turn, UnansweredQuestion, VerificationAttempt, LoginAttempt):
                counts[table.__tablename__] = await _affected(session, delete(table).where(table.created_at < cutoff))
            counts["conversations"] = await _affected(session, delete(Conversation).where(
                Conversation.updated_at < cutoff))
            counts["notifications"] = await _affected(session, delete(Notification).where(
                Notification.delivered.is_(True), Notification.created_at < cutoff))
        await _empty_write_ahead_log(self.database)
        return counts


async def _affected(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _overwrite_deleted(session: AsyncSession, database: Database) -> None:
    # SQLite otherwise leaves deleted rows' bytes in free pages of the file until they are reused.
    if database.dialect == "sqlite":
        await session.execute(text("PRAGMA secure_delete = ON"))


async def _empty_write_ahead_log(database: Database) -> None:
    # The WAL still holds the pages as they were before the delete; copy it back and truncate it.
    # Another process reading at this moment keeps the log from being emptied: harmless, it is emptied
    # at the next checkpoint, and secure_delete already overwrote the rows in the new page images.
    if database.dialect == "sqlite":
        async with database.engine.connect() as connection:
            await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
