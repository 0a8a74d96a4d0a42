"""The assistant: everything one zwbot process needs, built once at start-up.

Start-up order: migrate the database, load knowledge/ into it when it is empty, read the
knowledge base, train the NLU (seconds), then accept messages. Channels and the command line
talk to an `Assistant`; they never build the pieces themselves.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import datetime
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.core.messages import BotMessage
from bot import __version__
from bot.configuration import StaffHoursConfig
from bot.config import Settings
from bot.core.agent import Agent, Notice, UserMessage, Workflows
from bot.core.domain import Domain
from bot.core.tracker_store import TrackerStore
from bot.nlu import Interpreter, ParseResult
from bot.nlu.model import load_or_train
from bot.nlu.training_data import read_path
from bot.services.cases import CaseService, TryLimits
from bot.services.conversations import ConversationStore
from bot.services.coordination import Coordination, LocalCoordination, RedisCoordination
from bot.services.handoff import HandoffService, StaffHours
from bot.services.intake import TicketQuota
from bot.services.importers import ImportBatch, read_zwbot_folder
from bot.services.importers.citizen_words import FILE_NAME as CITIZEN_WORDS, read_citizen_words
from bot.services.knowledge import KnowledgeBase, KnowledgeService
from bot.services.live import LiveHub, RedisRelay
from bot.services.notifications import Outbox
from bot.services.ratings import RatingService
from bot.services.staff import LoginLimits, StaffService
from bot.services.tickets import TicketService
from bot.services.turns import TurnLog
from bot.storage import Database
from bot.storage.cipher import load_cipher

log = logging.getLogger(__name__)


@dataclass
class StartupReport:
    imported_items: int
    items: int
    train_seconds: float
    total_seconds: float


class Assistant:
    def __init__(self, settings: Settings, database: Database, knowledge_service: KnowledgeService,
                 knowledge: KnowledgeBase, interpreter: Interpreter, agent: Agent, turn_log: TurnLog,
                 workflows: Workflows, live: LiveHub, staff: StaffService, report: StartupReport) -> None:
        self.settings = settings
        self.database = database
        self.knowledge_service = knowledge_service
        self.knowledge = knowledge
        self.interpreter = interpreter
        self.agent = agent
        self.turn_log = turn_log
        self.workflows = workflows
        self.live = live
        self.staff = staff
        self.report = report

    @classmethod
    async def start(cls, settings: Settings) -> Assistant:
        started = time.perf_counter()
        database = Database(settings.database_url)
        knowledge_service = KnowledgeService(database)
        imported = await prepare_database(settings, database, knowledge_service)
        knowledge = await knowledge_service.load()
        train_started = time.perf_counter()
        interpreter = train_interpreter(settings, knowledge)
        train_seconds = time.perf_counter() - train_started
        domain = Domain.load(settings.domain_path)
        cipher = load_cipher(settings.state_dir)
        live = LiveHub()
        relay = RedisRelay(settings.redis_url, live) if settings.shared and settings.redis_url else None
        if relay is not None:
            await relay.start()
        outbox = Outbox(database, live, shared=settings.shared)
        config = settings.config
        cases = CaseService(database, outbox, TryLimits.from_config(config.limits))
        turn_log = TurnLog(database)
        turn_log.start()
        coordination = RedisCoordination.from_url(settings.redis_url) if settings.shared and settings.redis_url \
            else LocalCoordination()
        tickets = TicketService(database, config.tickets.due_working_days, outbox, cipher,
                                TicketQuota.from_config(database, config.limits, coordination))
        handoffs = HandoffService(database, live, outbox, staff_hours(config.staff_hours), shared=settings.shared)
        workflows = Workflows(cases, tickets, RatingService(database, tickets), handoffs, outbox)
        staff = StaffService(database, config.staff_console, LoginLimits.from_config(config.limits))
        await outbox.load()
        await handoffs.load()
        trackers = TrackerStore(ConversationStore(database, cipher), config.dialogue.tracker_idle_minutes * 60,
                                coordination=coordination, shared=settings.shared,
                                lease=config.limits.conversation_lock_seconds)
        await trackers.start()
        agent = Agent(interpreter, domain, knowledge, turn_log, workflows, config, trackers)
        report = StartupReport(imported, len(knowledge.items), train_seconds, time.perf_counter() - started)
        return cls(settings, database, knowledge_service, knowledge, interpreter, agent, turn_log, workflows, live,
                   staff, report)

    async def reload_knowledge(self) -> None:
        """Read the knowledge base again and rebuild the item index: an edit answers the very next question."""
        knowledge = await self.knowledge_service.load()
        # In a thread: a large catalogue's index is built by a child process, and the loop serves meanwhile.
        self.interpreter = await asyncio.to_thread(
            Interpreter.build, self.interpreter.model, read_path(self.settings.nlu_data_dir), knowledge.items,
            knowledge.department_aliases(), self.settings.config, self.settings.state_dir / "models")
        self.knowledge = knowledge
        self.agent.interpreter, self.agent.knowledge = self.interpreter, knowledge

    def parse(self, text: str) -> ParseResult:
        return self.interpreter.parse(text)

    async def handle(self, text: str, sender_id: str, channel: str = "rest",
                     client: str | None = None) -> list[BotMessage]:
        """zwbot's answer to one citizen message; `client` is the caller's address where known (REST)."""
        return await self.agent.handle(UserMessage(text, sender_id, channel, client))

    def response(self, name: str, **values: Any) -> BotMessage:
        """A response from domain.yml, for what a channel says without a turn (e.g. "text only, please")."""
        return self.agent.domain.render(name, values)

    def as_text(self, messages: list[BotMessage]) -> str:
        """`messages` as one text with buttons as numbered options (WeChat, Weibo)."""
        return self.agent.domain.as_text(messages)

    async def notifications(self, channel: str, sender: str | None = None) -> list[Notice]:
        """Messages waiting for citizens of `channel` (case status changes, ticket replies). None while
        the database is away: they stay waiting, and the answer of the turn (the busy answer, say)
        still goes out."""
        try:
            return await self.agent.notifications(channel, sender)
        except (SQLAlchemyError, OSError) as error:
            log.warning("notifications for %s not read: the database is unavailable (%s)", channel,
                        type(error).__name__)
            return []

    async def undelivered(self, notices: list[Notice]) -> None:
        """A channel could not deliver these: they wait for the citizen's next message."""
        await self.workflows.outbox.restore([notice.id for notice in notices])

    async def last_message_at(self, channel: str, sender: str) -> datetime | None:
        """When the citizen last wrote on `channel` (None: never)."""
        return await self.turn_log.last_message_at(channel, sender)

    @property
    def shared(self) -> Coordination | None:
        """The workers' coordination when several may serve (PostgreSQL and Redis), else None."""
        coordination = self.agent.trackers.coordination
        return coordination if isinstance(coordination, RedisCoordination) else None

    async def health(self) -> dict[str, Any]:
        database_ok = await self.database.writable(self.settings.config.limits.health_write_timeout_seconds)
        report: dict[str, Any] = {
            "status": "ok" if database_ok else "degraded",
            "version": __version__,
            "process": os.getpid(),  # which worker answered, with several
            "database": {"status": "ok" if database_ok else "down", "dialect": self.database.dialect},
            "knowledge_base": {"items": len(self.knowledge.items), "version": self.knowledge.version},
        }
        coordination = self.agent.trackers.coordination
        if isinstance(coordination, RedisCoordination):
            # Several workers: without Redis no turn may run (its conversation lock lives there).
            redis_ok = await coordination.ping()
            report["redis"] = {"status": "ok" if redis_ok else "down"}
            if not redis_ok:
                report["status"] = "degraded"
                log.error("Redis is unavailable: turns wait for it (the polite busy answer meanwhile)")
        return report

    async def close(self) -> None:
        """Write what is still queued (turns, conversations), then let go of the database."""
        await self.agent.trackers.close()
        await self.agent.trackers.coordination.close()
        if self.live.relay is not None:
            await self.live.relay.close()
        await self.turn_log.close()
        await self.database.close()


async def prepare_database(settings: Settings, database: Database, knowledge_service: KnowledgeService) -> int:
    """Migrate the schema; on an empty knowledge base import knowledge/. Returns the items imported."""
    await database.migrate()
    if await knowledge_service.count_items() > 0:
        lexicon = read_citizen_words(settings.knowledge_dir / CITIZEN_WORDS, ImportBatch())
        adopted = await knowledge_service.adopt_citizen_words({word: ids for word, (ids, _) in lexicon.items()})
        if adopted:
            log.info("added the citizen words of knowledge/ to %d stored items", adopted)
        return 0
    batch = read_zwbot_folder(settings.knowledge_dir)
    if not batch.ok:
        raise RuntimeError("knowledge/ 有错误，无法导入：\n" + "\n".join(map(str, batch.problems[:20])))
    imported = await knowledge_service.store(batch)
    log.info("loaded %d items from %s", imported, settings.knowledge_dir)
    return imported


async def load_knowledge_base(settings: Settings) -> KnowledgeBase:
    """The knowledge base as `zwbot run` would see it (for commands that need no server)."""
    database = Database(settings.database_url)
    try:
        service = KnowledgeService(database)
        await prepare_database(settings, database, service)
        return await service.load()
    finally:
        await database.close()


def staff_hours(config: StaffHoursConfig) -> StaffHours:
    """config.yml's staff_hours ("09:00"–"17:00"); "00:00"–"24:00" means always."""
    return StaffHours(config.clock("start"), config.clock("end"), config.every_day)


def train_interpreter(settings: Settings, knowledge: KnowledgeBase) -> Interpreter:
    """The interpreter for this knowledge base: the saved model if it fits, else one trained in a child process."""
    data = read_path(settings.nlu_data_dir)
    aliases = knowledge.department_aliases()
    model = load_or_train(settings.state_dir / "models", data, knowledge.items, aliases, settings.config)
    return Interpreter.build(model, data, knowledge.items, aliases, settings.config, settings.state_dir / "models")
