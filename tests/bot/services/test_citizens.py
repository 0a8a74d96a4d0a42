"""One citizen's data: exported whole, deleted without a trace (tickets stay, identity masked), and old
records purged after the retention period."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select, update

from bot.services.cases import parse_case
from bot.services.citizens import ERASED, CitizenData
from bot.storage import (
    Conversation,
    Handoff,
    LoginAttempt,
    Notification,
    Rating,
    Ticket,
    TicketEvent,
    Turn,
)
from bot.storage.cipher import load_cipher
from tests.bot.services.test_personal_data import database_files, stored_texts

COMPLAINT = "窗口的人把我的材料弄丢了还不承认"
WHERE = "三楼社保窗口"


def tag_of(sender: str) -> str:
    """Makes each text of this citizen one that no other test wrote; letters only, so no run of
    digits in it reads as a phone's last four."""
    return sender[-8:].translate(str.maketrans("0123456789", "ghijklmnop"))


async def say(http, sender: str, message: str) -> str:  # type: ignore[no-untyped-def]
    response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert response.status == 200
    return "\n".join(r["text"] for r in await response.json())


async def a_citizen_with_history(http, assistant, sender: str) -> str:  # type: ignore[no-untyped-def]
    """A citizen who asked, was not understood, complained, checked a case, talked to staff and rated."""
    problems: list = []
    case = parse_case({"case_no": "XA209901010007", "item_id": "mz-lnyd", "applicant": "钱九",
                       "phone": "13311110007", "status": "accepted", "updated_at": "2026-11-20T10:00:00"},
                      "test", problems)
    await assistant.workflows.cases.record([case])
    tag = tag_of(sender)
    await say(http, sender, f"老人证要带啥 {tag}")
    await say(http, sender, f"帮我订一张去北京的机票 {tag}")
    await say(http, sender, f"我要投诉，{COMPLAINT}")
    await say(http, sender, WHERE)
    await say(http, sender, "上周五")
    await say(http, sender, "13766554433")
    number = re.search(r"TS\d{8}-\d{4,}", await say(http, sender, "确认")).group(0)  # type: ignore[union-attr]
    await say(http, sender, "查询XA209901010007的进度")
    await say(http, sender, "0000")
    await say(http, sender, "转人工")
    await say(http, sender, f"我的材料到底在哪里 {tag}")
    handoff_id = await assistant.workflows.handoffs.open_for("rest", sender)
    await assistant.workflows.handoffs.reply(handoff_id, "staff1", f"我们马上帮您查 {tag}")
    await assistant.workflows.handoffs.release(handoff_id, "staff1")
    await assistant.workflows.cases.subscribe("XA209901010007", "rest", sender)
    await assistant.workflows.ratings.rate(4, subject=f"handoff:{handoff_id}", channel="rest", sender=sender,
                                           reason=f"工作人员很耐心 {tag}", department="市民政局", dedupe_key=f"rating-{sender}")
    await say(http, sender, f"我还想再问问 {tag}")  # an open form or conversation is kept in the tracker store
    await assistant.turn_log.flush()
    await assistant.agent.trackers.flush()
    return number


async def test_export_holds_everything_and_delete_leaves_no_trace(http, assistant, settings, sender) -> None:  # type: ignore[no-untyped-def]
    number = await a_citizen_with_history(http, assistant, sender)
    data = CitizenData(assistant.database, load_cipher(settings.state_dir))

    exported = orjson.loads(orjson.dumps(await data.export("rest", sender)))  # JSON-ready
    tag = tag_of(sender)
    assert [t["text"] for t in exported["turns"]][:2] == [f"老人证要带啥 {tag}", f"帮我订一张去北京的机票 {tag}"]
    assert any(q["text"] == f"帮我订一张去北京的机票 {tag}" for q in exported["unanswered_questions"])
    [ticket] = exported["tickets"]
    assert ticket["number"] == number and ticket["phone"] == "13766554433" and COMPLAINT in ticket["content"]
    assert ticket["events"][0]["status"] == "待受理" and "dedupe_key" not in ticket
    [handoff] = exported["handoffs"]
    assert [m["text"] for m in handoff["messages"]] == [f"我的材料到底在哪里 {tag}", f"我们马上帮您查 {tag}"]
    assert {n["kind"] for n in exported["notifications"]} >= {"staff_reply", "handoff_released"}
    assert [r["reason"] for r in exported["ratings"]] == [f"工作人员很耐心 {tag}"]
    assert [s["case_no"] for s in exported["case_subscriptions"]] == ["XA209901010007"]
    assert [(a["case_no"], a["success"]) for a in exported["verification_attempts"]] == [("XA209901010007", False)]
    assert isinstance(exported["conversation"]["slots"], dict)

    removal = await data.delete("rest", sender)
    assert removal.deleted["turns"] >= 10 and removal.deleted["handoff_messages"] == 2
    assert removal.deleted["conversations"] == 1 and removal.anonymised == {"tickets": 1, "ratings": 1}

    texts = await stored_texts(assistant.database)
    assert tag not in texts  # in every text the citizen wrote (and staff's replies to them), and their id
    assert "13766554433" not in texts
    if settings.database_url.startswith("sqlite"):
        assert sender.encode() not in database_files(settings.database_url)

    async with assistant.database.reader() as session:
        kept = await session.scalar(select(Ticket).where(Ticket.number == number))
        events = (await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == kept.id))).all()
    assert kept.sender.startswith(ERASED) and kept.phone == "" and COMPLAINT in kept.content
    assert kept.place == WHERE and kept.status == "待受理" and len(events) == 1
    assert (await assistant.workflows.tickets.get(number)).phone_masked == ""
    async with assistant.database.reader() as session:
        rating = await session.scalar(select(Rating).where(Rating.sender.like(ERASED + "%"), Rating.level == 4))
    assert rating.subject == "handoff:erased" and rating.reason == ""
    empty = await data.export("rest", sender)
    assert all(not empty[name] for name in ("turns", "tickets", "handoffs", "ratings", "notifications"))


async def test_purge_deletes_only_what_is_older_than_the_retention(http, assistant, sender) -> None:  # type: ignore[no-untyped-def]
    await a_citizen_with_history(http, assistant, sender)
    other = sender + "-recent"
    await say(http, other, "老人证要带啥")
    await assistant.turn_log.flush()
    await assistant.agent.trackers.flush()
    long_ago = datetime.now(UTC) - timedelta(days=200)
    async with assistant.database.session() as session, session.begin():
        for table in (Turn, Notification):
            await session.execute(update(table).where(table.sender == sender).values(created_at=long_ago))
        await session.execute(update(Conversation).where(Conversation.sender == sender).values(updated_at=long_ago))
        await session.execute(update(Handoff).where(Handoff.sender == sender).values(closed_at=long_ago))
        session.add(LoginAttempt(username="old-guess", address="10.0.0.9", success=False, created_at=long_ago))

    counts = await CitizenData(assistant.database).purge(timedelta(days=180))
    assert counts["turns"] >= 10 and counts["handoffs"] == 1 and counts["handoff_messages"] == 2
    assert counts["conversations"] >= 1 and counts["notifications"] >= 2 and counts["login_attempts"] >= 1
    async with assistant.database.reader() as session:
        assert (await session.scalars(select(Turn).where(Turn.sender == sender))).all() == []
        assert await session.get(Conversation, ("rest", sender)) is None
        assert [t.text for t in (await session.scalars(select(Turn).where(Turn.sender == other))).all()] == [
            "老人证要带啥"]
        assert await session.get(Conversation, ("rest", other)) is not None
        assert await session.scalar(select(Ticket).where(Ticket.sender == sender)) is not None  # tickets are kept
