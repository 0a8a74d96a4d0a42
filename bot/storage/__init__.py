"""Storage: the SQLAlchemy schema, the database connection and the Alembic migrations."""

from bot.storage.database import Database
from bot.storage.models import (AuditEntry, Base, Case, CaseEvent, CaseSubscription, CentreInfo, Department, Handoff,
                                HandoffMessage, Item, Notification, Rating, StaffSession, StaffUser, Ticket,
                                TicketEvent, Turn, UnansweredQuestion, VerificationAttempt)

__all__ = ["AuditEntry", "Base", "Case", "CaseEvent", "CaseSubscription", "CentreInfo", "Database", "Department",
           "Handoff", "HandoffMessage", "Item", "Notification", "Rating", "StaffSession", "StaffUser", "Ticket",
           "TicketEvent", "Turn", "UnansweredQuestion", "VerificationAttempt"]
