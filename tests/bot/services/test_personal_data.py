"""Personal numbers a citizen types are masked before anything is stored; a ticket's contact phone is
kept encrypted, shown masked in lists and answers and in full to staff on the ticket's page."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import ClientSession
from sqlalchemy import String, Text, select

from actions.sdk import Tracker
from bot.core.agent import ActionServices
from bot.services.turns import TurnLog
from bot.storage import Base, Rating, Ticket, UnansweredQuestion

ID_CARD = "610102198507154417"
PHONE = "13766554433"


async def say(http, sender: str, message: str) -> str:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert response.status == 200
    return "\n".join(r["text"] for r in await response.json())


async def stored_texts(database) -> str:  # type: ignore[no-untyped-def]
    """Every text column of every table, as one string."""
    found = []
    async with database.reader() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if columns:
                for row in (await session.execute(select(*columns))).all():
                    found.extend(str(value) for value in row if value)
    return "\n".join(found)


def database_files(url: str) -> bytes:
    """The raw bytes of a SQLite database: its file and write-ahead log."""
    path = Path(url.split(":///", 1)[1])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def test_typed_numbers_are_not_stored_in_clear_and_staff_see_the_phone(
        http, server_url, assistant, settings, sender) -> None:  # type: ignore[no-untyped-def]
    await say(http, sender, f"我要投诉，窗口复印了我的身份证{ID_CARD}没有还给我，还让我打{PHONE}")
    await say(http, sender, "二楼")
    await say(http, sender, "今天上午")
    readback = await say(http, sender, PHONE)
    assert PHONE not in readback and "137****4433" in readback
    received = await say(http, sender, "确认")
    number = re.search(r"TS\d{8}-\d{4,}", received).group(0)  # type: ignore[union-attr]
    await say(http, sender, f"我的银行卡6222 0212 3456 7890 123怎么办？身份证{ID_CARD}")
    await assistant.turn_log.flush()
    await assistant.agent.trackers.flush()

    texts = await stored_texts(assistant.database)
    for secret in (ID_CARD, PHONE, "6222 0212 3456 7890 123"):
        assert secret not in texts
    assert "610102************" in texts and "137****4433" in texts  # what kind of number it was stays visible
    if settings.database_url.startswith("sqlite"):
        raw = database_files(settings.database_url)
        assert ID_CARD.encode() not in raw and PHONE.encode() not in raw

    async with assistant.database.reader() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.phone.startswith("enc1:") and "610102************" in ticket.content
    listed = [t for t in await assistant.workflows.tickets.list() if t.number == number]
    assert listed[0].phone_masked == "137****4433" and listed[0].phone == ""
    assert listed[0].as_dict()["phone"] == "137****4433"

    await assistant.staff.add_user("privacy-admin", "long-enough-1", "admin", "管理员")
    login = await assistant.staff.login("privacy-admin", "long-enough-1")
    async with ClientSession(base_url=server_url, cookies={"zwbot_staff": login.token}) as staff:
        page = await (await staff.get(f"/staff/tickets/{number}")).text()
    assert PHONE in page and ID_CARD not in page


async def test_handoff_messages_are_masked(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    await say(http, sender, "转人工")
    await say(http, sender, f"我的身份证是{ID_CARD}，电话{PHONE}")
    handoff_id = await assistant.workflows.handoffs.open_for("rest", sender)
    history = await assistant.workflows.handoffs.history(await assistant.workflows.handoffs.get(handoff_id))
    said = [line["text"] for line in history if line["author"] == "citizen"][-1]
    assert said == "我的身份证是610102************，电话137****4433"
    await assistant.workflows.handoffs.release(handoff_id, "staff1")


def _parse(text: str, entities: list[dict], candidates: list[dict]) -> dict:
    return {"text": text, "intent": {"name": "ask_guide", "confidence": 0.9}, "entities": entities,
            "guide": {"item_id": None, "aspect": None, "candidates": candidates}}


async def test_unanswered_questions_keep_their_department(assistant, sender) -> None:  # type: ignore[no-untyped-def]
    workflows = assistant.workflows
    turn_log = TurnLog(assistant.database)
    services = ActionServices(assistant.knowledge, workflows.cases, workflows.tickets, workflows.ratings,
                              workflows.handoffs, assistant.agent.domain.data, assistant.agent.config, turn_log)
    department = [{"entity": "department", "value": "市民政局", "start": 0, "end": 3}]
    weak = [{"item_id": "sz-dlwj", "score": 2.8, "mention": None}]
    questions = {
        "民政局能办离婚冷静期撤回吗": _parse("民政局能办离婚冷静期撤回吗", department, weak),  # the department named wins
        "老人证丢了能补吗": _parse("老人证丢了能补吗", [], [{"item_id": "mz-lnyd", "score": 3.0, "mention": "老人证"}]),
        "公积金提前取出来": _parse("公积金提前取出来", [], [{"item_id": "gj-tq", "score": 13.0, "mention": None}]),
        "帮我订一张去北京的机票": _parse("帮我订一张去北京的机票", [], weak),  # a weak guess is no department
    }
    for parse in questions.values():
        services.log_unanswered(Tracker(sender, "rest", {}, parse), "no_item")
    await turn_log.flush()
    async with assistant.database.reader() as session:
        rows = (await session.scalars(select(UnansweredQuestion).where(UnansweredQuestion.sender == sender))).all()
    assert {row.text: row.department for row in rows} == {
        "民政局能办离婚冷静期撤回吗": "市民政局", "老人证丢了能补吗": assistant.knowledge.item("mz-lnyd")["department"],
        "公积金提前取出来": assistant.knowledge.item("gj-tq")["department"], "帮我订一张去北京的机票": None}


async def test_a_rating_reason_is_masked(assistant, sender) -> None:  # type: ignore[no-untyped-def]
    ticket = await assistant.workflows.ratings.rate(1, subject=f"answer:{sender}", channel="rest", sender=sender,
                                                    reason=f"让我报身份证{ID_CARD}", department="市民政局", dedupe_key=f"rating-{sender}")
    async with assistant.database.reader() as session:
        rating = await session.scalar(select(Rating).where(Rating.sender == sender))
    assert rating.reason == "让我报身份证610102************"
    assert ticket is not None and ID_CARD not in ticket.content
