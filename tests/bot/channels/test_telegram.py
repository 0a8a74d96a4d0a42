"""The Telegram channel against a fake Bot API: the webhook's guards, button presses, long texts,
polling, and notifications pushed by the courier."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
import pytest_asyncio
from aiohttp import ClientSession

import actions.guide
from bot.assistant import Assistant
from bot.core.messages import BotMessage
from bot.channels.telegram.buttons import MAX_CALLBACK_BYTES, ButtonPayloads, callback_data
from bot.channels.telegram.formatting import MAX_TEXT, outgoing, utf16_units
from bot.services.coordination import RedisCoordination
from tests.conftest import TELEGRAM_ENV, app_with, serving
from tests.drivers.telegram import TelegramDriver, button_update, check_wire_format, new_chat_id, text_update
from tests.fakes.telegram_bot_api import SECRET_TOKEN, TOKEN, FakeTelegramBotApi

WELCOME = "感谢关注西安市政务服务中心"


@pytest_asyncio.fixture
async def telegram(channel_server) -> AsyncIterator[TelegramDriver]:  # type: ignore[no-untyped-def]
    async with ClientSession(base_url=channel_server.url) as http:
        yield TelegramDriver(http, channel_server.telegram_api)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for something zwbot does in the background (the courier, the poller)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def zwbot(settings, assistant, monkeypatch, env: dict[str, str]) -> AsyncIterator[ClientSession]:  # type: ignore[no-untyped-def]
    """A zwbot server started with exactly these Telegram variables (the others unset)."""
    for name in ("TOKEN", "SECRET_TOKEN", "API_BASE", "MODE", "WEBHOOK_URL"):
        monkeypatch.delenv(f"ZWBOT_TELEGRAM_{name}", raising=False)
    async with serving(app_with(settings, assistant, monkeypatch, env)) as url, ClientSession(base_url=url) as http:
        yield http


async def test_updates_without_the_secret_token_are_refused(telegram) -> None:  # type: ignore[no-untyped-def]
    chat = new_chat_id()
    assert await telegram.post(text_update(chat, "你好"), secret=None) == 403
    assert await telegram.post(text_update(chat, "你好"), secret="wrong-secret") == 403
    assert await telegram.post(text_update(chat, "你好"), secret=SECRET_TOKEN + "x") == 403
    await telegram.api.settle()
    assert telegram.api.messages_to(chat) == []


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400), (b"", 400), (b"\xff\xfe", 400), (b"[1, 2]", 400), (b'{"message": {"text": "hi"}}', 400),
    (b'{"update_id": "7", "message": {}}', 400), (b'{"update_id": 7, "message": "oops"}', 400),
    (b'{"update_id": 7, "callback_query": {"id": 1}}', 400), (b'{"update_id": 7, "x": "' + b"a" * 1_100_000 + b'"}', 413),
])
async def test_bad_bodies_get_a_clear_4xx(telegram, body: bytes, status: int) -> None:  # type: ignore[no-untyped-def]
    response = await telegram.http.post("/webhooks/telegram", data=io.BytesIO(body), headers={
        "X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN, "Content-Type": "application/json"})
    assert response.status == status
    assert (await response.json())["error"]  # a short reason, not a traceback


async def test_a_redelivered_update_runs_one_turn(telegram) -> None:  # type: ignore[no-untyped-def]
    chat = new_chat_id()
    update = text_update(chat, "老人证要带啥")
    statuses = await asyncio.gather(telegram.post(update), telegram.post(update))
    assert statuses == [200, 200]
    assert await telegram.post(update) == 200
    await telegram.api.settle()
    texts = telegram.api.texts_to(chat)
    assert len(texts) == 1 and "【老年人优待证办理】" in texts[0]


async def test_start_is_the_welcome_with_inline_buttons(telegram) -> None:  # type: ignore[no-untyped-def]
    heard = await telegram.say("citizen", {"user": "/start"})
    assert len(heard.texts) == 1 and WELCOME in heard.texts[0]
    assert heard.buttons == ["老年人优待证怎么办", "查办件进度", "我要投诉"]
    markup = telegram.api.sent[-1]["reply_markup"]
    assert markup == {"inline_keyboard": [[{"text": "老年人优待证怎么办", "callback_data": "老年人优待证怎么办"}],
                                          [{"text": "查办件进度", "callback_data": "/query_progress"}],
                                          [{"text": "我要投诉", "callback_data": "/complain"}]]}


async def test_pressing_an_inline_button_answers_it(telegram) -> None:  # type: ignore[no-untyped-def]
    chat = new_chat_id()
    assert await telegram.post(text_update(chat, "你好")) == 200
    await telegram.api.settle()
    press = button_update(chat, "政务中心几点上班")
    assert await telegram.post(press) == 200
    await telegram.api.settle()
    assert press["callback_query"]["id"] in telegram.api.answered
    assert "上午9:00-12:00" in telegram.api.texts_to(chat)[-1]


async def test_a_payload_over_64_bytes_travels_as_a_token(telegram, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    long_payload = '/ask_guide{"item_id": "gj-tq", "aspect": "fee", "via": "a payload longer than Telegram allows"}'
    assert len(long_payload.encode()) > MAX_CALLBACK_BYTES
    monkeypatch.setattr(actions.guide, "follow_up_buttons",
                        lambda *_: [{"title": "收费吗", "payload": long_payload}])
    heard = await telegram.say("citizen", {"user": "公积金提取"})
    assert heard.buttons == ["收费吗"]
    data = telegram.api.sent[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data != long_payload and len(data.encode()) <= MAX_CALLBACK_BYTES
    pressed = await telegram.say("citizen", {"payload": long_payload})
    assert "【住房公积金提取】收费标准" in pressed.texts[-1]


async def test_an_unknown_button_token_gets_a_polite_answer(telegram) -> None:  # type: ignore[no-untyped-def]
    chat = new_chat_id()
    press = button_update(chat, callback_data("/ask_guide" + "x" * 80))  # a token this process never handed out
    assert await telegram.post(press) == 200
    await telegram.api.settle()
    assert press["callback_query"]["id"] in telegram.api.answered
    assert telegram.api.texts_to(chat) == ["这个按钮已失效，请直接告诉我您要办的事项。"]


async def test_photos_and_voice_get_their_fixed_answers(telegram) -> None:  # type: ignore[no-untyped-def]
    chat = new_chat_id()
    photo = text_update(chat, "")
    del photo["message"]["text"]
    photo["message"]["photo"] = [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    voice = text_update(chat, "")
    del voice["message"]["text"]
    voice["message"]["voice"] = {"file_id": "AwAD", "file_unique_id": "AgAD", "duration": 3}
    assert await telegram.post(photo) == 200 and await telegram.post(voice) == 200
    await telegram.api.settle()
    assert telegram.api.texts_to(chat) == ["抱歉，我目前只能看懂文字。请用文字告诉我您要办的事项。",
                                           "抱歉，暂时无法识别语音，请用文字告诉我您要办的事项。"]


async def test_a_staff_reply_reaches_the_citizen_at_once_in_parts(telegram, assistant) -> None:  # type: ignore[no-untyped-def]
    heard = await telegram.say("citizen", {"user": "转人工"})
    assert "已为您转接人工客服" in heard.texts[0]
    chat = telegram.chats["citizen"]
    handoff_id = await assistant.workflows.handoffs.open_for("telegram", str(chat))
    before = len(telegram.api.texts_to(chat))
    await assistant.workflows.handoffs.reply(handoff_id, "staff1", "您好，我是工作人员<b>小王</b>")
    await until(lambda: len(telegram.api.texts_to(chat)) > before)
    assert telegram.api.texts_to(chat)[before:] == ["【人工客服】您好，我是工作人员<b>小王</b>"]

    long_reply = "\n".join(f"{n}. 请携带身份证原件及复印件，到二楼B区综合窗口办理，材料不齐的可先预约补正。" for n in range(1, 200))
    before = len(telegram.api.texts_to(chat))
    await assistant.workflows.handoffs.reply(handoff_id, "staff1", long_reply)
    await until(lambda: len(telegram.api.texts_to(chat)) > before)
    await telegram.api.settle()
    parts = telegram.api.messages_to(chat)[before:]
    assert len(parts) > 1 and all(utf16_units(part["text"]) <= MAX_TEXT for part in parts)
    assert "\n".join(part["text"] for part in parts) == f"【人工客服】{long_reply}"  # cut at line ends, nothing lost
    for part in parts:
        check_wire_format(part)
    await assistant.workflows.handoffs.release(handoff_id, "staff1")


def test_long_lines_and_emoji_stay_within_telegrams_count() -> None:
    text = "😀" * 3000 + "\n" + "办" * 5000  # 6,000 UTF-16 units, then one line longer than a message
    messages = outgoing([BotMessage(text, [{"title": "在哪办", "payload": "在哪办"}])], ButtonPayloads())
    assert all(utf16_units(m.text) <= MAX_TEXT for m in messages) and len(messages) == 4
    assert "".join(m.text for m in messages) == text.replace("\n", "")
    assert [m.keyboard is not None for m in messages] == [False, False, False, True]  # buttons under the last part


async def test_button_tokens_are_bounded() -> None:
    payloads = ButtonPayloads(limit=2)
    first, second, third = (payloads.data_for(f"/ask_guide{{\"item_id\": \"{n}\", \"note\": \"{'x' * 60}\"}}")
                            for n in range(3))
    assert await payloads.payload_of(first) is None and await payloads.payload_of(third) is not None
    assert await payloads.payload_of(second) == '/ask_guide{"item_id": "1", "note": "' + "x" * 60 + '"}'
    assert payloads.data_for("查办件进度") == "查办件进度" == await payloads.payload_of("查办件进度")


async def test_polling_mode_answers_updates_from_get_updates(settings, assistant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    api = await FakeTelegramBotApi(webhook_url="https://old.example.org/hook").start()
    chat = new_chat_id()
    api.queue_update(text_update(chat, "老人证要带啥"))
    try:
        env = {"ZWBOT_TELEGRAM_TOKEN": TOKEN, "ZWBOT_TELEGRAM_API_BASE": api.url, "ZWBOT_TELEGRAM_MODE": "polling"}
        async with zwbot(settings, assistant, monkeypatch, env) as http:
            await until(lambda: bool(api.texts_to(chat)))
            await until(lambda: not api.pending_updates)  # the next getUpdates confirmed it
            assert (await (await http.get("/health")).json())["channels"]["telegram"] is True
            assert (await http.post("/webhooks/telegram", json={})).status == 404  # no webhook in polling mode
        assert api.webhook_url == "" and api.calls("/deleteWebhook")
        assert len(api.texts_to(chat)) == 1 and "【老年人优待证办理】" in api.texts_to(chat)[0]
    finally:
        await api.stop()


async def test_webhook_url_is_registered_with_the_secret_at_start(settings, assistant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    api = await FakeTelegramBotApi().start()
    try:
        env = {"ZWBOT_TELEGRAM_TOKEN": TOKEN, "ZWBOT_TELEGRAM_SECRET_TOKEN": SECRET_TOKEN,
               "ZWBOT_TELEGRAM_API_BASE": api.url, "ZWBOT_TELEGRAM_WEBHOOK_URL": "https://zwbot.example.org/webhooks/telegram"}
        async with zwbot(settings, assistant, monkeypatch, env):
            assert api.webhook_url == "https://zwbot.example.org/webhooks/telegram"
            assert api.webhook_secret == SECRET_TOKEN
    finally:
        await api.stop()


@pytest.mark.parametrize("env", [{}, {"ZWBOT_TELEGRAM_TOKEN": TOKEN}, {"ZWBOT_TELEGRAM_TOKEN": TOKEN, "ZWBOT_TELEGRAM_MODE": "push"}],
                         ids=["no token", "webhook without secret", "unknown mode"])
async def test_the_channel_is_off_without_its_secrets(settings, assistant, monkeypatch, env) -> None:  # type: ignore[no-untyped-def]
    async with zwbot(settings, assistant, monkeypatch, env) as http:
        assert (await (await http.get("/health")).json())["channels"]["telegram"] is False
        response = await http.post("/webhooks/telegram", json={"update_id": 1},
                                   headers={"X-Telegram-Bot-Api-Secret-Token": ""})
        assert response.status == 404


async def test_a_wrong_token_is_refused_by_the_bot_api(settings, assistant, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    api = await FakeTelegramBotApi().start()
    try:
        env = {"ZWBOT_TELEGRAM_TOKEN": "999:WRONG", "ZWBOT_TELEGRAM_SECRET_TOKEN": SECRET_TOKEN,
               "ZWBOT_TELEGRAM_API_BASE": api.url}
        async with zwbot(settings, assistant, monkeypatch, env) as http:  # zwbot still starts
            assert (await (await http.get("/health")).json())["status"] == "ok"
        assert api.calls("/getMe") and "refused the token" in caplog.text
        assert "999:WRONG" not in caplog.text  # a secret never goes to the log
    finally:
        await api.stop()


@pytest_asyncio.fixture
async def redis_shared(monkeypatch) -> AsyncIterator[RedisCoordination]:  # type: ignore[no-untyped-def]
    """Workers' coordination in the machine's Redis, under a prefix of this test's own."""
    shared = RedisCoordination.from_url(os.environ.get("ZWBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    shared.prefix = f"zwbot-test-{uuid.uuid4().hex[:8]}:"
    if not await shared.ping():
        pytest.skip("no Redis")
    monkeypatch.setattr(Assistant, "shared", property(lambda self: shared))
    yield shared
    await shared.close()


async def test_a_redelivery_that_reaches_another_worker_runs_no_second_turn(settings, assistant, channel_server,
                                                                              monkeypatch, redis_shared) -> None:  # type: ignore[no-untyped-def]
    """Two workers (two apps, each with its own memory of updates) share Redis: the second one skips it."""
    fake = channel_server.telegram_api
    env = {**TELEGRAM_ENV, "ZWBOT_TELEGRAM_API_BASE": fake.url}
    chat = new_chat_id()
    update = text_update(chat, "老人证要带啥")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN}
    async with zwbot(settings, assistant, monkeypatch, env) as first, zwbot(settings, assistant, monkeypatch, env) as second:
        assert (await first.post("/webhooks/telegram", json=update, headers=headers)).status == 200
        assert (await second.post("/webhooks/telegram", json=update, headers=headers)).status == 200
        await fake.settle()
    texts = fake.texts_to(chat)
    assert len(texts) == 1 and "【老年人优待证办理】" in texts[0]


async def test_a_long_button_sent_by_one_worker_works_when_pressed_on_another(settings, assistant, channel_server,
                                                                                monkeypatch, redis_shared) -> None:  # type: ignore[no-untyped-def]
    long_payload = '/ask_guide{"item_id": "gj-tq", "aspect": "fee", "via": "a payload longer than Telegram allows"}'
    monkeypatch.setattr(actions.guide, "follow_up_buttons", lambda *_: [{"title": "收费吗", "payload": long_payload}])
    fake = channel_server.telegram_api
    env = {**TELEGRAM_ENV, "ZWBOT_TELEGRAM_API_BASE": fake.url}
    chat, headers = new_chat_id(), {"X-Telegram-Bot-Api-Secret-Token": SECRET_TOKEN}
    async with zwbot(settings, assistant, monkeypatch, env) as first, zwbot(settings, assistant, monkeypatch, env) as second:
        assert (await first.post("/webhooks/telegram", json=text_update(chat, "公积金提取"), headers=headers)).status == 200
        await fake.settle()
        data = fake.sent[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert data.startswith("~b:")  # a token, which only the first worker made
        assert (await second.post("/webhooks/telegram", json=button_update(chat, data), headers=headers)).status == 200
        await fake.settle()
    assert "【住房公积金提取】收费标准" in fake.texts_to(chat)[-1]
