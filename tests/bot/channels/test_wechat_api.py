"""zwbot as a client of WeChat's API: the access token's life, one refresher across workers (Redis),
and installing the menu — against the local fake of api.weixin.qq.com."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from bot.channels.wechat.api import WeChatApi
from tests.conftest import PROJECT_DIR
from tests.fakes.wechat_api import APP_ID, SECRET, FakeWeChatApi

REDIS_URL = os.environ.get("ZWBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest_asyncio.fixture
async def fake():  # type: ignore[no-untyped-def]
    server = await FakeWeChatApi().start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def redis():  # type: ignore[no-untyped-def]
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield client
    await client.aclose()


async def test_the_token_is_reused_and_refreshed_once_when_wechat_calls_it_expired(fake) -> None:  # type: ignore[no-untyped-def]
    api = WeChatApi(fake.url, APP_ID, SECRET)
    try:
        await api.send_text("openid-1", "第一条")
        await api.send_text("openid-1", "第二条")
        assert fake.tokens_issued == 1  # cached for its lifetime
        fake.expire_token()
        await api.send_text("openid-1", "第三条")
        assert fake.tokens_issued == 2  # refreshed once, and the message still went
        assert fake.texts_to("openid-1") == ["第一条", "第二条", "第三条"]
    finally:
        await api.close()


async def test_several_workers_share_one_token_through_redis(fake, redis) -> None:  # type: ignore[no-untyped-def]
    app_id_key = f"zwbot:wechat:access_token:{APP_ID}"
    await redis.delete(app_id_key)
    workers = [WeChatApi(fake.url, APP_ID, SECRET, Redis.from_url(REDIS_URL)) for _ in range(4)]
    try:
        tokens = await asyncio.gather(*(worker.token() for worker in workers))
        assert len(set(tokens)) == 1 and fake.tokens_issued == 1  # one fetch, whoever asked first
        assert 0 < await redis.ttl(app_id_key) <= 7200
        fake.expire_token()
        await asyncio.gather(*(worker.send_text(f"openid-{n}", "通知") for n, worker in enumerate(workers)))
        assert fake.tokens_issued == 2  # all four met the expired token; one of them refreshed it
    finally:
        for worker in workers:
            await worker.close()
            await worker.redis.aclose()  # type: ignore[union-attr]
        await redis.delete(app_id_key)


async def _zwbot(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", *args, cwd=PROJECT_DIR,
                                                   env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_menu_push_installs_the_yaml_menu_without_zwbot_fields(fake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"ZWBOT_WECHAT_TOKEN": "t", "ZWBOT_WECHAT_APPID": APP_ID, "ZWBOT_WECHAT_SECRET": SECRET,
           "ZWBOT_WECHAT_API_BASE": fake.url, "ZWBOT_REDIS_URL": ""}
    code, output = await _zwbot("wechat", "menu", "--push", env=env)
    assert code == 0, output
    [call] = fake.calls("menu/create")
    menu = json.loads(call.body)
    assert "办事指南".encode() in call.body  # UTF-8, not \\u escapes
    names = [button["name"] for button in menu["button"]]
    assert names == ["办事指南", "办件进度", "投诉建议"]
    assert "payload" not in call.body.decode()  # zwbot's own field stays with zwbot
    assert menu["button"][1] == {"type": "click", "name": "办件进度", "key": "ZWBOT_PROGRESS"}

    too_many = tmp_path / "menu.yml"
    too_many.write_text("menu:\n  button:\n" + "".join(
        f"    - {{type: click, name: 菜单{n}, key: K{n}, payload: /greet}}\n" for n in range(4)), encoding="utf-8")
    code, output = await _zwbot("wechat", "menu", "--push", "--file", str(too_many), env=env)
    assert code == 1 and "一级菜单最多 3 个" in output and "Traceback" not in output
    code, output = await _zwbot("wechat", "menu", "--push", env={**env, "ZWBOT_WECHAT_TOKEN": ""})
    assert code == 1 and "ZWBOT_WECHAT_TOKEN" in output
