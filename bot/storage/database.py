"""The database connection: one async engine per process, migrated with Alembic."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.storage.models import HealthCheck

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Database:
    """Owns the engine and hands out sessions. `url` is an async SQLAlchemy URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            database_file = url.split(":///", 1)[-1]
            if database_file and database_file != ":memory:":
                Path(database_file).parent.mkdir(parents=True, exist_ok=True)
            # One connection writes: SQLite has one writer at a time anyway, and a single connection can
            # never deadlock two transactions that both want to write (they queue in the pool instead).
            # Reads go through their own connections, which WAL lets run beside the writer.
            # A locked database answers within seconds ("系统繁忙"), not after half a minute.
            self.engine: AsyncEngine = create_async_engine(url, connect_args={"timeout": 5}, pool_size=1,
                                                           max_overflow=0, pool_timeout=60)
            self.read_engine: AsyncEngine = create_async_engine(url, connect_args={"timeout": 5}, pool_size=4,
                                                                max_overflow=4, pool_timeout=60)
            for engine in (self.engine, self.read_engine):
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            # No pre-ping: it costs a round trip (and a transaction) on every checkout, several per turn.
            # A connection a restarted server closed fails on its first use instead; SQLAlchemy then
            # discards the whole pool, so one turn per worker gets the busy answer and the next ones
            # connect afresh. A short connect timeout keeps a server that does not answer from holding
            # a citizen's turn.
            self.engine = create_async_engine(url, pool_size=10, max_overflow=10, connect_args={"timeout": 3})
            self.read_engine = self.engine
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        """A session that may write."""
        return self.sessions()

    def reader(self) -> AsyncSession:
        """A session for reading only (on SQLite it never waits for the writer)."""
        return self.read_sessions()

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def writable(self, timeout: float = 2.0) -> bool:
        """Does the database take a write within `timeout` seconds? (A real one: a read-only,
        full or locked database answers SELECT 1 but cannot keep a citizen's complaint.)"""
        try:
            async with asyncio.timeout(timeout), self.sessions() as session, session.begin():
                await session.merge(HealthCheck(id=1, checked_at=datetime.now(timezone.utc)))
            return True
        except Exception:  # noqa: BLE001 - health reports any failure as "down"
            return False

    async def close(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the turn writer commit while readers keep reading.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
