"""Database tables.

A knowledge-base item keeps its searchable columns (id, name, department, kind) as columns and the
whole guide record (materials, process, limits ...) as one JSON document, so that a guide field
added later needs no schema change while the record stays the single source answers come from.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class Item(Base):
    """A service item (事项) or a theme (主题); `record` is the full guide."""

    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    department: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class CentreInfo(Base):
    """Facts about the service centre itself (address, hours, parking ...): one row."""

    __tablename__ = "centre_info"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class Turn(Base):
    """One citizen message and zwbot's answer to it."""

    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    sender: Mapped[str] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(40), index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    item_id: Mapped[str | None] = mapped_column(String(80), index=True)
    aspect: Mapped[str | None] = mapped_column(String(20))
    reply: Mapped[str] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(Boolean, default=True)
    # What the turn was (bot.core.domain.TURN_OUTCOMES); None on turns logged before it was kept.
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class UnansweredQuestion(Base):
    """A question zwbot could not answer, kept for staff review."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(40))
    department: Mapped[str | None] = mapped_column(String(100), index=True)  # of the item it seemed to be about
    resolved: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


_CASE_NUMBER_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―－−_]+")  # blanks and (ASCII, full-width) dashes


def case_number_key(case_no: str) -> str:
    """The form case numbers are compared in (`Case.number_key`): upper case, no blanks or dashes."""
    return _CASE_NUMBER_SEPARATORS.sub("", case_no).upper()


class Case(Base):
    """A case (办件) as the approval system reports it; only its applicant may see it."""

    __tablename__ = "cases"

    case_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    # case_no upper case without blanks and dashes, as citizens' spellings are compared (case_number_key)
    number_key: Mapped[str | None] = mapped_column(String(40), index=True)
    item_id: Mapped[str] = mapped_column(String(80))
    applicant: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[date | None] = mapped_column(Date)
    promised_at: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class CaseEvent(Base):
    """One status change; (case, time) is unique so a repeated delivery changes nothing."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_no", "updated_at", name="uq_case_events_case_time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseSubscription(Base):
    """A citizen who asked to be told when their case changes status."""

    __tablename__ = "case_subscriptions"
    __table_args__ = (UniqueConstraint("case_no", "channel", "sender", name="uq_case_subscriptions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VerificationAttempt(Base):
    """A try at proving to be a case's applicant; wrong tries are counted per sender, per case and per
    client address over the last hour."""

    __tablename__ = "verification_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender_key: Mapped[str] = mapped_column(String(160), index=True)
    case_no: Mapped[str] = mapped_column(String(40), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    client: Mapped[str | None] = mapped_column(String(64), index=True)  # the REST caller's address
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)  # staff unlocked the case: no longer counted
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Notification(Base):
    """Something to tell a citizen on their own channel (a case's new status, a staff reply).

    It holds what happened (`kind`, `data`), not wording: the conversation core words it from
    domain.yml when the citizen's channel delivers it.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    sender: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ticket(Base):
    """A complaint (投诉), suggestion (建议) or rectification of a bad rating (差评整改)."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    department: Mapped[str] = mapped_column(String(100), index=True)
    content: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(Text, default="")
    happened: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(Text, default="")  # encrypted at rest (bot.storage.cipher)
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(128), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    due_at: Mapped[date] = mapped_column(Date, index=True)


class TicketEvent(Base):
    """A status change or reply on a ticket, with who did it."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Rating(Base):
    """A 好差评 satisfaction rating, 1 (非常不满意) … 5 (非常满意)."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(128))
    level: Mapped[int] = mapped_column(Integer, index=True)
    subject: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Handoff(Base):
    """A conversation handed to staff (or flagged for them). While `status` is waiting or active the
    bot stays silent to that citizen; staff release it back."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(128), index=True)
    department: Mapped[str | None] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # request | misses | upset
    status: Mapped[str] = mapped_column(String(20), index=True)  # flagged | waiting | active | released
    mood: Mapped[float] = mapped_column(Float, default=0.0)
    staff: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class HandoffMessage(Base):
    """What the citizen and staff said while staff owned the conversation."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[int] = mapped_column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(120))  # "citizen" or "staff:<username>"
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffUser(Base):
    __tablename__ = "staff_users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | supervisor | department
    department: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffSession(Base):
    """A logged-in browser: the cookie holds the token, the table only its hash."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), ForeignKey("staff_users.username", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEntry(Base):
    """Who did what in the staff console, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class TicketCounter(Base):
    """The last ticket number given out per prefix and day ("TS20261201" → 12345), bumped atomically."""

    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Conversation(Base):
    """The tracker store: one citizen's dialogue state (slots, an open form), encrypted at rest."""

    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    sender: Mapped[str] = mapped_column(String(128), primary_key=True)
    slots: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class LoginAttempt(Base):
    """A staff login try, counted per account and per address to lock out password guessing."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class HealthCheck(Base):
    """One row `/health` rewrites to prove the database takes writes."""

    __tablename__ = "health_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
