"""Storage: the SQLAlchemy schema, the database connection and the Alembic migrations."""

from bot.storage.database import Database
from bot.storage.models import (AuditEntry, Base, Case, CaseEvent, CaseSubscription, CentreInfo, Conversation,
                                Department, Handoff, HandoffMessage, HealthCheck, Item, LoginAttempt, Notification,
                                Rating, StaffSession, StaffUser, Ticket, TicketCounter, TicketEvent, Turn,
                                UnansweredQuestion, VerificationAttempt)

__all__ = ["AuditEntry", "Base", "Case", "CaseEvent", "CaseSubscription", "CentreInfo", "Conversation", "Database",
           "Department", "Handoff", "HandoffMessage", "HealthCheck", "Item", "LoginAttempt", "Notification", "Rating",
           "StaffSession", "StaffUser", "Ticket", "TicketCounter", "TicketEvent", "Turn", "UnansweredQuestion",
           "VerificationAttempt"]
