"""Storage: the SQLAlchemy schema, the database connection and the Alembic migrations."""

from bot.storage.database import Database
from bot.storage.models import Base, CentreInfo, Department, Item, Turn, UnansweredQuestion

__all__ = ["Base", "CentreInfo", "Database", "Department", "Item", "Turn", "UnansweredQuestion"]
