"""Shared fixtures: one database per test run (SQLite, or PostgreSQL when ZWBOT_TEST_DATABASE_URL is
set), one started Assistant, and a real HTTP server on a free localhost port."""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from aiohttp import ClientSession, web
from sqlalchemy.engine import make_url

from bot.assistant import Assistant
from bot.config import Settings, load_settings, normalize_database_url
from bot.nlu import corpora
from bot.server import create_app
from bot.services.cases import read_cases_csv
from bot.storage import Database
from tests.fakes.telegram_bot_api import SECRET_TOKEN as TELEGRAM_SECRET_TOKEN, TOKEN as TELEGRAM_TOKEN, FakeTelegramBotApi
from tests.fakes.weibo_api import ACCESS_TOKEN as WEIBO_ACCESS_TOKEN, FakeWeiboApi
from tests.fakes.wechat_api import APP_ID as WECHAT_APP_ID, SECRET as WECHAT_SECRET, FakeWeChatApi

# What zwbot learns of everyday requests comes from the public corpora (bot/nlu/corpora.py); without them
# it knows only nlu_data's examples, and tests of what those corpora teach cannot hold.
needs_corpora = pytest.mark.skipif(not corpora.available(corpora.NONGOV),
                                   reason=f"the public corpora are not in {corpora.corpora_dir()} (ZWBOT_CORPORA_DIR)")

# Tencent's published sample secrets (WXBizMsgCrypt documentation and sample code).
WECHAT_TOKEN, WECHAT_AES_KEY = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("ZWBOT_SHARED_DIR", PROJECT_DIR.parent / "shared"))
TEST_DATA = Path(__file__).resolve().parent / "data"


async def _create_postgres_database(base_url: str) -> str:
    """A new empty PostgreSQL database beside the one in `base_url`; returns its async URL."""
    url = make_url(normalize_database_url(base_url))
    name = f"zwbot_test_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(user=url.username, password=url.password, host=url.host,
                                       port=url.port or 5432, database=url.database)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(database_url: str) -> None:
    url = make_url(database_url)
    connection = await asyncpg.connect(user=url.username, password=url.password, host=url.host,
                                       port=url.port or 5432, database="postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest_asyncio.fixture(scope="session")
async def new_database_url(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A factory of fresh, empty databases of the kind this run tests (dropped at the end)."""
    created: list[str] = []
    base = os.environ.get("ZWBOT_TEST_DATABASE_URL")

    async def make() -> str:
        if base:
            url = await _create_postgres_database(base)
            created.append(url)
            return url
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'zwbot.db'}"

    yield make
    for url in created:
        await _drop_postgres_database(url)


@pytest_asyncio.fixture
async def database(new_database_url):  # type: ignore[no-untyped-def]
    """A fresh, migrated database of its own for a service test."""
    db = Database(await new_database_url())
    await db.migrate()
    yield db
    await db.close()


@pytest.fixture
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters, for tests that count login tries rather than measure hashing."""
    from argon2 import PasswordHasher

    from bot.services import staff

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(staff, "_hasher", quick)
    monkeypatch.setattr(staff, "_DUMMY", quick.hash("timing-equaliser"))


ALWAYS_STAFFED = {"start": "00:00", "end": "24:00", "every_day": True}


@pytest_asyncio.fixture(scope="session")
async def settings(new_database_url, tmp_path_factory: pytest.TempPathFactory) -> Settings:  # type: ignore[no-untyped-def]
    """The project's settings on a fresh database; staff always on duty, so hand-off tests run at any hour."""
    base = load_settings(PROJECT_DIR, database_url=await new_database_url(), state_dir=tmp_path_factory.mktemp("state"))
    return replace(base, config=base.config.with_changes("staff_hours", **ALWAYS_STAFFED))


@pytest_asyncio.fixture(scope="session")
async def assistant(settings: Settings) -> AsyncIterator[Assistant]:
    """The started assistant, with the sample cases of tests/data/cases.csv imported."""
    started = await Assistant.start(settings)
    records, problems = read_cases_csv(TEST_DATA / "cases.csv")
    assert not problems
    await started.workflows.cases.record(records)
    yield started
    await started.close()


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Run `app` on a free localhost port for the block; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


def app_with(settings: Settings, assistant: Assistant, monkeypatch: pytest.MonkeyPatch,
             env: dict[str, str]) -> web.Application:
    """The app as `zwbot run` builds it with these environment variables set (channels read theirs now)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app(settings, assistant)


@pytest_asyncio.fixture(scope="session")
async def server_url(settings: Settings, assistant: Assistant) -> AsyncIterator[str]:
    """A real zwbot HTTP server on a free localhost port (no platform channels on)."""
    async with serving(create_app(settings, assistant)) as url:
        yield url


@pytest_asyncio.fixture
async def http(server_url: str) -> AsyncIterator[ClientSession]:
    async with ClientSession(base_url=server_url) as session:
        yield session


@pytest.fixture
def sender() -> str:
    """A new citizen for each test, so conversations do not leak into each other."""
    return f"test-{uuid.uuid4().hex[:12]}"


@dataclass
class ChannelServer:
    """A zwbot server with every channel on, each pointed at its platform's local fake."""

    url: str
    wechat_api: FakeWeChatApi
    telegram_api: FakeTelegramBotApi
    weibo_api: FakeWeiboApi


WECHAT_ENV = {"ZWBOT_WECHAT_TOKEN": WECHAT_TOKEN, "ZWBOT_WECHAT_AES_KEY": WECHAT_AES_KEY,
              "ZWBOT_WECHAT_APPID": WECHAT_APP_ID, "ZWBOT_WECHAT_SECRET": WECHAT_SECRET, "ZWBOT_WECHAT_MAX_SKEW": "0",
              "ZWBOT_WECHAT_TEMPLATE_TICKET_UPDATE": "TPL-TICKET"}

WEIBO_APP_SECRET = "weibo-test-app-secret"
WEIBO_ENV = {"ZWBOT_WEIBO_APP_SECRET": WEIBO_APP_SECRET, "ZWBOT_WEIBO_ACCESS_TOKEN": WEIBO_ACCESS_TOKEN}

TELEGRAM_ENV = {"ZWBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "ZWBOT_TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET_TOKEN,
                "ZWBOT_TELEGRAM_MODE": "webhook", "ZWBOT_TELEGRAM_WEBHOOK_URL": ""}


@pytest_asyncio.fixture(scope="session")
async def channel_server(settings: Settings, assistant: Assistant) -> AsyncIterator[ChannelServer]:
    wechat_api = await FakeWeChatApi().start()
    telegram_api = await FakeTelegramBotApi().start()
    weibo_api = await FakeWeiboApi().start()
    with pytest.MonkeyPatch.context() as patch:
        app = app_with(settings, assistant, patch, {
            **WECHAT_ENV, "ZWBOT_WECHAT_API_BASE": wechat_api.url, **TELEGRAM_ENV,
            "ZWBOT_TELEGRAM_API_BASE": telegram_api.url, **WEIBO_ENV, "ZWBOT_WEIBO_API_BASE": weibo_api.url})
    async with serving(app) as url:
        yield ChannelServer(url, wechat_api, telegram_api=telegram_api, weibo_api=weibo_api)
    await wechat_api.stop()
    await telegram_api.stop()
    await weibo_api.stop()


@pytest.fixture(autouse=True)
def _every_slot_is_declared(caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    """Every conversation of every test holds only slots domain.yml declares (the agent logs any other)."""
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call")]
    undeclared = [r.getMessage() for r in records if r.getMessage().startswith("slots not declared")]
    assert not undeclared, undeclared
