"""Storage: the SQLAlchemy schema, the database connection and the Alembic migrations."""

from bot.storage.database import Database
from bot.storage.models import (Base, Case, CaseEvent, CaseSubscription, CentreInfo, Department, Item, Notification,
                                Rating, Ticket, TicketEvent, Turn, UnansweredQuestion, VerificationAttempt)

__all__ = ["Base", "Case", "CaseEvent", "CaseSubscription", "CentreInfo", "Database", "Department", "Item",
           "Notification", "Rating", "Ticket", "TicketEvent", "Turn", "UnansweredQuestion", "VerificationAttempt"]
