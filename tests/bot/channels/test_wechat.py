"""The WeChat channel against Tencent's published test vectors, the real wire format, and a fake of
WeChat's API that checks what zwbot sends it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest_asyncio
import xmltodict
from aiohttp import ClientSession
from sqlalchemy import func, select, update
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import to_text

from bot.services.cases import parse_case
from bot.services.knowledge import save_item
from bot.storage import Notification, Turn
from tests.conftest import WECHAT_AES_KEY as AES_KEY, WECHAT_APP_ID as APP_ID, WECHAT_ENV, WECHAT_TOKEN as TOKEN
from tests.conftest import app_with, serving
from tests.drivers.wechat import WeChatDriver, text_message

SAMPLE_ENCRYPT = ("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
                  "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZ"
                  "fJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3"
                  "LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn"
                  "28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
SAMPLE_BODY = (f"<xml><ToUserName><![CDATA[{APP_ID}]]></ToUserName><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt>"
               "<AgentID><![CDATA[218]]></AgentID></xml>")
SAMPLE_QUERY = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813",
                "nonce": "1372623149", "encrypt_type": "aes"}
VERIFY_QUERY = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
                "nonce": "263014780",
                "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}


@pytest_asyncio.fixture
async def wechat(channel_server):  # type: ignore[no-untyped-def]
    """An HTTP client of the server whose WeChat channel is keyed with Tencent's sample secrets."""
    async with ClientSession(base_url=channel_server.url) as session:
        yield session


@pytest_asyncio.fixture
async def citizen(wechat, channel_server):  # type: ignore[no-untyped-def]
    return WeChatDriver(wechat, channel_server.wechat_api, TOKEN, AES_KEY, APP_ID)


def _openid() -> str:
    return f"o{uuid.uuid4().hex[:27]}"


def _plain_query(timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """A signed plain-mode query; a new nonce each time, as WeChat sends (zwbot remembers pairs)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(uuid.uuid4().int % 10**9)
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce}


def _event(openid: str, event: str, key: str = "", extra: str = "") -> str:
    return (f"<xml><ToUserName><![CDATA[gh_xa_zwfw]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey>{extra}</xml>")


def _voice(openid: str, recognition: str | None) -> str:
    heard = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
    return (f"<xml><ToUserName><![CDATA[gh_xa_zwfw]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
            f"<MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format>{heard}"
            f"<MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>")


def _content(reply_xml: str) -> str:
    return parse_message(reply_xml).content if reply_xml else ""


# --- Tencent's published vectors ---------------------------------------------------------------

async def test_tencent_sample_message_gets_an_encrypted_reply_to_its_sender(wechat) -> None:  # type: ignore[no-untyped-def]
    response = await wechat.post("/webhooks/wechat", params=SAMPLE_QUERY, data=SAMPLE_BODY.encode())
    assert response.status == 200
    body = await response.text()
    envelope = xmltodict.parse(body)["xml"]
    plain = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(body, envelope["MsgSignature"],
                                                                  envelope["TimeStamp"], envelope["Nonce"])
    reply = parse_message(to_text(plain))
    assert reply.type == "text" and reply.target == "mycreate" and reply.source == APP_ID
    assert "智能助手" in reply.content  # the sample says "hello": answered as a greeting


async def test_url_verification_and_bad_signatures(wechat) -> None:  # type: ignore[no-untyped-def]
    response = await wechat.get("/webhooks/wechat", params=VERIFY_QUERY)
    assert response.status == 200 and (await response.text()).isdigit()  # the sample's decrypted echostr
    plain = await wechat.get("/webhooks/wechat", params={**_plain_query("1409659813", "42"), "echostr": "abc"})
    assert (await plain.text()) == "abc"
    forged = dict(SAMPLE_QUERY, msg_signature="0" * 40)
    assert (await wechat.post("/webhooks/wechat", params=forged, data=SAMPLE_BODY.encode())).status == 403
    assert (await wechat.get("/webhooks/wechat", params=dict(VERIFY_QUERY, msg_signature="1" * 40))).status == 403


# --- plain mode, retries and bad input ------------------------------------------------------------

async def test_plain_mode_retry_and_bad_bodies(wechat) -> None:  # type: ignore[no-untyped-def]
    query = _plain_query()
    body = text_message(_openid(), "老人证要带啥", uuid.uuid4().int % 10**18).encode()
    first = await (await wechat.post("/webhooks/wechat", params=query, data=body)).text()
    again = await (await wechat.post("/webhooks/wechat", params=query, data=body)).text()
    assert "【老年人优待证办理】" in first and first == again  # one turn, the same answer
    assert (await wechat.post("/webhooks/wechat", params=_plain_query(), data=b"<xml><oops")).status == 400
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>'
    assert (await wechat.post("/webhooks/wechat", params=_plain_query(), data=bomb)).status == 400
    assert (await wechat.post("/webhooks/wechat", params=_plain_query(), data=b"x" * 70000)).status == 413
    assert (await wechat.post("/webhooks/wechat", params=dict(query, signature="bad"), data=body)).status == 403


async def test_a_stale_timestamp_is_refused_when_the_skew_check_is_on(settings, assistant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = app_with(settings, assistant, monkeypatch, {"ZWBOT_WECHAT_TOKEN": TOKEN, "ZWBOT_WECHAT_MAX_SKEW": "300"})
    async with serving(app) as url, ClientSession(base_url=url) as http:
        body = text_message(_openid(), "你好", 1).encode()
        stale = await http.post("/webhooks/wechat", params=_plain_query(str(int(time.time()) - 3600)), data=body)
        fresh = await http.post("/webhooks/wechat", params=_plain_query(), data=body)
        assert stale.status == 403 and fresh.status == 200


async def test_the_same_msgid_three_times_makes_one_turn_and_one_ticket(citizen, assistant, channel_server) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    for said in ("我要投诉，三号窗口的工作人员一直在玩手机", "跳过", "今天上午", "不留"):
        await citizen.say(openid, {"user": said})
    tickets_before = len(await assistant.workflows.tickets.list())
    confirm = text_message(openid, "确认", uuid.uuid4().int % 10**18)
    answers = await asyncio.gather(*(citizen.post(confirm) for _ in range(3)))  # WeChat's three tries
    contents = {_content(answer) for answer in answers}
    assert len(contents) == 1 and "工单编号 TS" in contents.pop()
    assert len(await assistant.workflows.tickets.list()) == tickets_before + 1
    await assistant.turn_log.flush()
    async with assistant.database.reader() as session:
        confirmations = await session.scalar(select(func.count()).select_from(Turn).where(
            Turn.channel == "wechat", Turn.sender == openid, Turn.text == "确认"))
    assert confirmations == 1
    await channel_server.wechat_api.settle()
    assert channel_server.wechat_api.texts_to(openid) == []  # a short answer goes passively only


# --- long answers -------------------------------------------------------------------------------

async def test_a_long_materials_answer_arrives_whole_in_parts_of_at_most_2047_bytes(citizen, assistant) -> None:  # type: ignore[no-untyped-def]
    base = dict(assistant.knowledge.item("gj-tq"))
    materials = [{"name": f"第{n}项证明材料：申请人及共同申请人的相关证明文件（加盖单位公章）", "form": "原件及复印件",
                  "copies": 2, "required": True} for n in range(1, 46)]
    record = {**base, "id": "test-long-materials", "name": "测试用长清单事项", "aliases": ["长清单测试"],
              "materials": materials}
    assert await save_item(assistant.knowledge_service, assistant.knowledge, record) == []
    await assistant.reload_knowledge()
    heard = await citizen.say(_openid(), {"user": "测试用长清单事项要带什么材料"})
    assert len(heard.texts) > 1  # passive reply plus customer-service messages
    assert all(len(text.encode()) <= 2047 for text in heard.texts)
    whole = "\n".join(heard.texts)
    assert all(f"第{n}项证明材料" in whole for n in range(1, 46))


def test_splitting_keeps_every_line_and_cuts_only_at_line_ends() -> None:
    from bot.channels.plain_text import split_lines, utf8_bytes

    text = "\n".join(f"{n}. 申请材料名称很长很长的一项材料说明，原件及复印件各一份" for n in range(1, 120))
    parts = split_lines(text, 2047, utf8_bytes)
    assert all(len(p.encode()) <= 2047 for p in parts) and len(parts) > 1
    assert "\n".join(parts) == text
    one_long_line = "很" * 1000  # 3,000 bytes and no line end: cut between characters, never inside one
    assert "".join(split_lines(one_long_line, 2047, utf8_bytes)) == one_long_line


async def test_past_the_time_budget_the_answer_comes_by_the_customer_service_api(settings, assistant, monkeypatch, channel_server) -> None:  # type: ignore[no-untyped-def]
    from bot.channels.wechat.webhook import REPLIES

    app = app_with(settings, assistant, monkeypatch,
                   {**WECHAT_ENV, "ZWBOT_WECHAT_API_BASE": channel_server.wechat_api.url})
    app[REPLIES].budget = 0.0  # as if the turn took longer than WeChat waits
    async with serving(app) as url, ClientSession(base_url=url) as http:
        openid = _openid()
        body = text_message(openid, "老人证在哪办", uuid.uuid4().int % 10**18).encode()
        first = await http.post("/webhooks/wechat", params=_plain_query(), data=body)
        assert await first.text() == "success"
        await channel_server.wechat_api.wait_for(lambda: channel_server.wechat_api.texts_to(openid))
        retry = await http.post("/webhooks/wechat", params=_plain_query(), data=body)
        assert await retry.text() == "success"  # the retry does not run the turn again
        await channel_server.wechat_api.settle()
        sent = channel_server.wechat_api.texts_to(openid)
        assert len(sent) == 1 and "【老年人优待证办理】办理地点" in sent[0]


# --- events, voice and other message kinds --------------------------------------------------------

async def test_subscribe_welcomes_and_menu_clicks_start_their_intent(citizen) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    welcome = _content(await citizen.post(_event(openid, "subscribe")))
    assert "感谢关注" in welcome and "办件进度" in welcome and "回复 1：" in welcome
    progress = _content(await citizen.post(_event(openid, "CLICK", "ZWBOT_PROGRESS")))
    assert "受理编号" in progress
    complaint = _content(await citizen.post(_event(_openid(), "CLICK", "ZWBOT_COMPLAIN")))
    assert "发生了什么" in complaint  # the menu press carries no complaint yet: it asks
    assert await citizen.post(_event(openid, "unsubscribe")) == ""  # nothing to say to someone leaving
    assert await citizen.post(_event(openid, "TEMPLATESENDJOBFINISH", extra="<Status>success</Status>")) == ""


async def test_numbered_options_answer_like_buttons(citizen) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    first = await citizen.say(openid, {"user": "老人证要带啥"})
    number = next(n for n, title in enumerate(first.buttons, 1) if title == "要多久")
    answer = await citizen.say(openid, {"user": str(number)})
    assert "【老年人优待证办理】办理时限" in "\n".join(answer.texts)


async def test_voice_uses_recognition_and_other_kinds_get_a_text_only_notice(citizen) -> None:  # type: ignore[no-untyped-def]
    heard = _content(await citizen.post(_voice(_openid(), "老年人优待证在哪里办")))
    assert "【老年人优待证办理】办理地点" in heard
    assert "请用文字" in _content(await citizen.post(_voice(_openid(), None)))
    image = (f"<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[{_openid()}]]></FromUserName>"
             f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
             "<PicUrl><![CDATA[http://example.invalid/a.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>"
             f"<MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>")
    assert "只能看懂文字" in _content(await citizen.post(image))


# --- notifications: 48-hour window, templates ------------------------------------------------------

async def _ticket_for(citizen, openid: str) -> str:  # type: ignore[no-untyped-def]
    for said in ("我要建议，希望大厅多放几把椅子", "不留"):
        await citizen.say(openid, {"user": said})
    heard = await citizen.say(openid, {"user": "确认"})
    return "\n".join(heard.texts).split("工单编号 ")[1][:16].split("，")[0]


async def test_a_ticket_update_within_48_hours_is_a_customer_service_message(citizen, assistant, channel_server) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    number = await _ticket_for(citizen, openid)
    fake = channel_server.wechat_api
    before = len(fake.texts_to(openid))
    await assistant.workflows.tickets.change_status(number, "处理中", "staff1", "已转交后勤部门")
    await fake.wait_for(lambda: len(fake.texts_to(openid)) > before)
    sent = fake.texts_to(openid)[before:]
    assert len(sent) == 1 and number in sent[0] and "处理中" in sent[0]
    raw = fake.calls("message/custom/send")[-1]
    expected = {"touser": openid, "msgtype": "text", "text": {"content": sent[0]}}
    assert raw.body == json.dumps(expected, ensure_ascii=False).encode()  # UTF-8 JSON, Chinese unescaped


async def _waiting_for(assistant, openid: str, limit: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Until a notification for `openid` is back in the outbox (the courier tried and put it back)."""
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        async with assistant.database.reader() as session:
            waiting = await session.scalar(select(func.count()).select_from(Notification).where(
                Notification.sender == openid, Notification.delivered.is_(False)))
        if waiting:
            return
        assert asyncio.get_running_loop().time() < deadline, "the notification was not put back"
        await asyncio.sleep(0.05)


async def _silent_for_49_hours(assistant, openid: str) -> None:  # type: ignore[no-untyped-def]
    await assistant.turn_log.flush()
    async with assistant.database.session() as session, session.begin():
        await session.execute(update(Turn).where(Turn.sender == openid)
                              .values(created_at=datetime.now(timezone.utc) - timedelta(hours=49)))


async def test_after_48_hours_a_ticket_update_is_a_template_message(citizen, assistant, channel_server) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    number = await _ticket_for(citizen, openid)
    await _silent_for_49_hours(assistant, openid)
    fake = channel_server.wechat_api
    await assistant.workflows.tickets.change_status(number, "已答复", "staff1", "已增加座椅")
    await fake.wait_for(lambda: fake.templates_to(openid))
    [template] = fake.templates_to(openid)
    assert not any("已答复" in text for text in fake.texts_to(openid))
    assert template["template_id"] == "TPL-TICKET"  # from ZWBOT_WECHAT_TEMPLATE_TICKET_UPDATE
    assert template["data"]["keyword1"] == {"value": number} and template["data"]["keyword2"] == {"value": "已答复"}
    assert template["data"]["remark"] == {"value": "已增加座椅"}


async def test_when_wechat_says_the_window_is_shut_a_template_message_goes_instead(citizen, assistant, channel_server) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    number = await _ticket_for(citizen, openid)
    fake = channel_server.wechat_api
    fake.window_closed.add(openid)  # five customer-service messages already went since the citizen wrote
    await assistant.workflows.tickets.change_status(number, "处理中", "staff1", "已转交后勤部门")
    await fake.wait_for(lambda: fake.templates_to(openid))
    [template] = fake.templates_to(openid)
    assert template["data"]["keyword2"] == {"value": "处理中"}


async def test_a_notice_wechat_could_not_take_comes_with_the_next_answer(citizen, assistant, channel_server) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    number = await _ticket_for(citizen, openid)
    fake = channel_server.wechat_api
    fake.down = True
    try:
        await assistant.workflows.tickets.change_status(number, "处理中", "staff1", "已转交后勤部门")
        await fake.wait_for(lambda: any(openid.encode() in call.body for call in fake.calls("custom/send")))
        await _waiting_for(assistant, openid)
    finally:
        fake.down = False
    assert not any("处理中" in text for text in fake.texts_to(openid))
    later = await citizen.say(openid, {"user": "你好"})
    assert "处理中" in "\n".join(later.texts) and number in "\n".join(later.texts)


async def test_after_48_hours_without_a_template_the_notice_waits_for_the_next_message(citizen, assistant, channel_server) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    await citizen.say(openid, {"user": "我要找人工客服"})
    handoff_id = await assistant.workflows.handoffs.open_for("wechat", openid)
    assert handoff_id is not None
    await _silent_for_49_hours(assistant, openid)
    fake = channel_server.wechat_api
    await assistant.workflows.handoffs.reply(handoff_id, "staff1", "您好，我是窗口工作人员小李")
    await fake.settle()
    await _waiting_for(assistant, openid)
    assert fake.templates_to(openid) == [] and not any("小李" in text for text in fake.texts_to(openid))
    later = await citizen.say(openid, {"user": "在吗"})  # staff own the conversation: only their reply comes
    assert later.texts == ["【人工客服】您好，我是窗口工作人员小李"]


async def test_a_case_status_change_reaches_the_subscribed_wechat_citizen(citizen, assistant, channel_server) -> None:  # type: ignore[no-untyped-def]
    def case(status: str, updated_at: str) -> dict:  # type: ignore[type-arg]
        raw = {"case_no": "XA202611260177", "item_id": "mz-lnyd", "applicant": "吴九", "phone": "13355556666",
               "status": status, "accepted_at": "2026-11-26", "updated_at": updated_at}
        return parse_case(raw, "test", [])  # type: ignore[return-value]

    openid = _openid()
    await assistant.workflows.cases.record([case("accepted", "2026-11-26T09:00:00+08:00")])
    await citizen.say(openid, {"user": "查询XA202611260177的进度"})
    answer = await citizen.say(openid, {"user": "6666"})
    number = next(n for n, title in enumerate(answer.buttons, 1) if title == "办好了通知我")
    assert "通知您" in "\n".join((await citizen.say(openid, {"user": str(number)})).texts)
    await assistant.workflows.cases.record([case("ready", "2026-11-26T15:00:00+08:00")])
    await channel_server.wechat_api.wait_for(lambda: channel_server.wechat_api.texts_to(openid))
    [notice] = channel_server.wechat_api.texts_to(openid)
    assert "【办件进度提醒】" in notice and "XA202611260177" in notice and "待领取" in notice


async def test_compatible_mode_messages_are_read_from_their_encrypted_part(citizen, wechat) -> None:  # type: ignore[no-untyped-def]
    openid = _openid()
    plain = text_message(openid, "老人证多少钱", uuid.uuid4().int % 10**18)
    timestamp, nonce = str(int(time.time())), "1234"
    encrypted = xmltodict.parse(citizen.crypto.encrypt_message(plain, nonce, timestamp))["xml"]
    # 兼容模式: the plaintext fields and the Encrypt field side by side, both signatures in the query.
    body = plain.replace("</xml>", f"<Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>")
    query = {**_plain_query(timestamp, nonce), "msg_signature": encrypted["MsgSignature"], "encrypt_type": "aes"}
    response = await wechat.post("/webhooks/wechat", params=query, data=body.encode())
    assert response.status == 200
    reply = xmltodict.parse(await response.text())["xml"]
    decrypted = to_text(citizen.crypto.decrypt_message(await response.text(), reply["MsgSignature"],
                                                      reply["TimeStamp"], reply["Nonce"]))
    assert "【老年人优待证办理】收费标准" in parse_message(decrypted).content
