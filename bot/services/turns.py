"""The turn log: every message and its answer, and the questions zwbot could not answer.

Turns are written in batches by one background task so that a busy hour costs one commit per
batch, not one per message. `close()` flushes what is queued, so a clean shutdown loses nothing.
ID-card, bank-card and phone numbers in texts are masked as they are queued: none is ever stored.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, insert, select

from bot.services.privacy import mask_personal
from bot.storage import Database, Turn, UnansweredQuestion

log = logging.getLogger(__name__)


@dataclass
class TurnRecord:
    channel: str
    sender: str
    text: str
    intent: str | None
    confidence: float | None
    item_id: str | None
    aspect: str | None
    reply: str
    answered: bool
    latency_ms: float
    outcome: str | None = None  # answered | handoff | form | clarification | fallback | smalltalk (bot.core.domain)
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass
class UnansweredRecord:
    channel: str
    sender: str
    text: str
    reason: str
    department: str | None = None  # of the item the question seemed to be about (scopes the console)
    resolved: bool = False
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class TurnLog:
    """Queues turns and unanswered questions; a background task writes them in batches."""

    def __init__(self, database: Database, flush_interval: float = 0.2, batch_size: int = 500) -> None:
        self.database = database
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self._turns: list[dict] = []
        self._unanswered: list[dict] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()

    def record_turn(self, turn: TurnRecord) -> None:
        """Queue a turn; personal numbers in its text and reply are masked before anything keeps them."""
        row = dict(turn.__dict__)  # flat fields: no need for asdict's deep copy
        row["text"], row["reply"] = mask_personal(row["text"]), mask_personal(row["reply"])
        self._turns.append(row)
        if len(self._turns) >= self.batch_size:
            self._wake.set()

    def record_unanswered(self, question: UnansweredRecord) -> None:
        """Queue a question zwbot could not answer (personal numbers masked)."""
        row = dict(question.__dict__)
        row["text"] = mask_personal(row["text"])
        self._unanswered.append(row)

    async def last_message_at(self, channel: str, sender: str) -> datetime | None:
        """When this citizen last wrote (platforms allow free replies only for a while after that)."""
        for turn in reversed(self._turns):  # still queued: newer than anything written
            if turn["channel"] == channel and turn["sender"] == sender:
                return turn["created_at"]
        async with self.database.reader() as session:
            latest = await session.scalar(select(func.max(Turn.created_at))
                                          .where(Turn.channel == channel, Turn.sender == sender))
        if latest is not None and latest.tzinfo is None:  # SQLite keeps no zone; we write UTC
            latest = latest.replace(tzinfo=timezone.utc)
        return latest

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def flush(self) -> None:
        """Write what is queued; when it returns, everything recorded before the call is written."""
        async with self._flushing:  # wait for a flush in flight: it holds rows taken before this call
            await self._write_queued()

    async def _write_queued(self) -> None:
        turns, self._turns = self._turns, []
        unanswered, self._unanswered = self._unanswered, []
        if not turns and not unanswered:
            return
        try:
            async with self.database.session() as session, session.begin():
                for table, rows in ((Turn, turns), (UnansweredQuestion, unanswered)):
                    if rows:
                        await session.execute(insert(table), rows)
        except Exception:
            # Put them back so a passing database hiccup loses nothing; the next flush retries.
            log.exception("could not write %d turns; will retry", len(turns))
            self._turns[:0] = turns
            self._unanswered[:0] = unanswered

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.flush_interval)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self.flush()

    async def close(self) -> None:
        """Stop the background task and write what is queued."""
        if self._task is not None:
            # A batch being written is held by the task alone: cancelling it mid-write would drop it.
            async with self._flushing:
                self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.flush()
