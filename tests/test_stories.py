"""Conversation stories (tests/stories/*.yml), played through every channel's wire format against a
real server (tests/drivers: how each platform talks).

A story is a list of steps; each step is what the citizen says (`user`, or a button `payload`)
and what zwbot's reply must (`contains`, `buttons`) and must not (`not_contains`) hold.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from aiohttp import ClientSession

from bot.services.cases import read_cases_csv
from tests.conftest import TEST_DATA, WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_TOKEN, WEIBO_APP_SECRET
from tests.drivers import StoryDriver
from tests.drivers.rest import RestDriver
from tests.drivers.telegram import TelegramDriver
from tests.drivers.wechat import WeChatDriver
from tests.drivers.weibo import WeiboDriver

STORIES = Path(__file__).resolve().parent / "stories"
CHANNELS = ["rest", "wechat", "weibo", "telegram"]


def _stories() -> list[Any]:
    cases = []
    for file in sorted(STORIES.glob("*.yml")):
        for story in yaml.safe_load(file.read_text(encoding="utf-8")):
            for channel in CHANNELS:
                cases.append(pytest.param(channel, story, id=f"{channel} · {file.stem}: {story['story']}"))
    return cases


@pytest_asyncio.fixture
async def drivers(channel_server) -> AsyncIterator[dict[str, StoryDriver]]:  # type: ignore[no-untyped-def]
    async with ClientSession(base_url=channel_server.url) as http:
        yield {"rest": RestDriver(http),
               "wechat": WeChatDriver(http, channel_server.wechat_api, WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID),
               "weibo": WeiboDriver(http, channel_server.weibo_api, WEIBO_APP_SECRET),
               "telegram": TelegramDriver(http, channel_server.telegram_api)}


@pytest_asyncio.fixture(autouse=True)
async def no_case_locked_between_stories(assistant) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """Every channel replays the same stories on the same cases, and the per-case limit counts wrong
    tries from everyone: each story starts with no wrong try counted against the sample cases."""
    records, _ = read_cases_csv(TEST_DATA / "cases.csv")
    for record in records:
        await assistant.workflows.cases.unlock(record["case_no"])
    yield


@pytest.mark.parametrize(("channel", "story"), _stories())
async def test_story(channel: str, story: dict[str, Any], drivers: dict[str, StoryDriver]) -> None:
    sender = f"story-{uuid.uuid4().hex[:10]}"
    for number, step in enumerate(story["steps"], 1):
        heard = await drivers[channel].say(sender, step)
        text = "\n".join(heard.texts)
        where = f"step {number} ({step.get('payload', step.get('user'))!r}) got:\n{text}\nbuttons: {heard.buttons}"
        for expected in step.get("contains", []):
            assert expected in text, f"missing {expected!r} — {where}"
        for unexpected in step.get("not_contains", []):
            assert unexpected not in text, f"unexpected {unexpected!r} — {where}"
        for title in step.get("buttons", []):
            bare = re.sub(r"^\d+\. ", "", title)  # text channels number the options themselves
            assert any(bare in offered for offered in heard.buttons), f"missing button {title!r} — {where}"
        if "replies" in step and (heard.counts_messages or step["replies"] == 0):
            assert len(heard.texts) == step["replies"], where
