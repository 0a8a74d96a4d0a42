"""The statistics a centre reports each month: volume, answers, hand-offs, complaints, satisfaction.

One `CentreReport` feeds the console dashboard, `zwbot report` and the CSV/XLSX downloads.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import case, func, select

from bot.services.tickets import today
from bot.vocabulary import RatingLevel, TicketKind
from bot.storage import Database, Handoff, Rating, Ticket, TicketEvent, Turn

CHINA = timezone(timedelta(hours=8))
# What each turn was (domain.yml turn_outcomes), in the report's words.
OUTCOME_NAMES = {"answered": "智能助手直接解答", "form": "表单问答（投诉、建议、查进度、评价）", "handoff": "转人工请求",
                 "clarification": "澄清追问", "fallback": "未能解答", "smalltalk": "寒暄与其他"}
# Turns that asked zwbot something it had to answer; the others (forms, clarifications, small talk) did not.
QUESTION_OUTCOMES = ("answered", "fallback", "handoff")


@dataclass
class CentreReport:
    start: date
    end: date
    department: str | None = None  # None: the whole centre
    messages: int = 0
    answered: int = 0
    handoffs: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # turns by what they were (OUTCOME_NAMES)
    handoff_messages: int = 0  # citizen messages while staff owned the conversation
    messages_per_day: list[tuple[str, int]] = field(default_factory=list)
    top_items: list[tuple[str, str, int]] = field(default_factory=list)  # (id, name, count)
    tickets_by_kind: dict[str, int] = field(default_factory=dict)
    complaints_by_department: list[tuple[str, int]] = field(default_factory=list)
    closed_on_time: int = 0
    closed: int = 0
    overdue_open: int = 0
    ratings: dict[str, int] = field(default_factory=dict)

    @property
    def questions(self) -> int:
        """Turns that asked something of zwbot: answered, not answered, or handed to a human."""
        return sum(self.outcomes.get(outcome, 0) for outcome in QUESTION_OUTCOMES)

    @property
    def answered_share(self) -> float | None:
        """Share of the questions zwbot answered from the knowledge base without a human (form prompts,
        clarifications and small talk are no answers, and no questions either)."""
        return round(self.answered / self.questions, 4) if self.questions else None

    @property
    def outcome_breakdown(self) -> list[tuple[str, int]]:
        """(what the turns were, how many), in the report's words and order."""
        return [(name, self.outcomes.get(outcome, 0)) for outcome, name in OUTCOME_NAMES.items()]

    @property
    def satisfaction_rate(self) -> float | None:
        total = sum(self.ratings.values())
        satisfied = sum(self.ratings.get(level.label, 0) for level in RatingLevel if level.satisfied)
        return round(satisfied / total, 4) if total else None

    def rows(self) -> list[tuple[str, str, Any]]:
        """(section, measure, value): the report as a flat table for CSV and XLSX."""
        def share(value: float | None) -> str:
            return "—" if value is None else f"{value:.1%}"

        rows: list[tuple[str, str, Any]] = [
            ("概况", "统计期间", f"{self.start} 至 {self.end}"),
            ("概况", "统计范围", self.department or "全中心"),
            ("概况", "咨询消息数", self.messages),
            ("概况", "其中提问数", self.questions),
            ("概况", "智能助手直接解答数", self.answered),
            ("概况", "无需人工解答率", share(self.answered_share)),
            ("概况", "转人工会话数", self.handoffs),
            ("概况", "转人工期间群众消息数", self.handoff_messages),
            ("工单", "已办结工单数", self.closed),
            ("工单", "按期办结数", self.closed_on_time),
            ("工单", "当前超期未办结数", self.overdue_open),
        ]
        rows += [("消息构成", name, count) for name, count in self.outcome_breakdown]
        rows += [("工单", f"{TicketKind(kind).label}数", count) for kind, count in self.tickets_by_kind.items()]
        rows += [("投诉按部门", department, count) for department, count in self.complaints_by_department]
        rows += [("好差评", level.label, self.ratings.get(level.label, 0)) for level in RatingLevel]
        rows.append(("好差评", "满意率", share(self.satisfaction_rate)))
        rows += [("热门事项", name, count) for _, name, count in self.top_items]
        rows += [("每日咨询量", day, count) for day, count in self.messages_per_day]
        return rows

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["分类", "指标", "数值"])
        writer.writerows(self.rows())
        return "\ufeff" + buffer.getvalue()  # the BOM makes spreadsheet programs read UTF-8

    def xlsx(self) -> bytes:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "统计报表"
        sheet.append(["分类", "指标", "数值"])
        for row in self.rows():
            sheet.append(list(row))
        for column, width in (("A", 14), ("B", 36), ("C", 24)):
            sheet.column_dimensions[column].width = width
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time.min, CHINA).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time.min, CHINA).astimezone(UTC))


async def centre_report(database: Database, start: date, end: date, item_names: dict[str, str],
                        department: str | None = None) -> CentreReport:
    """Everything the centre reports for the days `start`..`end` (China time), inclusive.

    With `department`, only that department's share: questions about its items (the keys of
    `item_names` then name only its items), its hand-offs and tickets, and the ratings of its tickets.
    """
    since, until = _bounds(start, end)
    report = CentreReport(start, end, department=department)
    in_turns: tuple[Any, ...] = (Turn.created_at >= since, Turn.created_at < until)
    citizen_turns: tuple[Any, ...] = (*in_turns, Turn.intent != "handoff")
    handoffs: tuple[Any, ...] = (Handoff.created_at >= since, Handoff.created_at < until, Handoff.status != "flagged")
    in_period: tuple[Any, ...] = (Ticket.created_at >= since, Ticket.created_at < until)
    rated: tuple[Any, ...] = (Rating.created_at >= since, Rating.created_at < until)
    if department is not None:
        citizen_turns += (Turn.item_id.in_(list(item_names)),)
        in_turns += (Turn.item_id.in_(list(item_names)),)
        handoffs += (Handoff.department == department,)
        in_period += (Ticket.department == department,)
        rated += (Rating.subject.in_(select("ticket:" + Ticket.number).where(Ticket.department == department)),)
    async with database.session() as session:
        report.messages = int(await session.scalar(select(func.count()).select_from(Turn).where(*citizen_turns)) or 0)
        # A turn logged before outcomes were kept counts by its old flag (answered or not).
        outcome = func.coalesce(Turn.outcome, case((Turn.answered.is_(True), "answered"), else_="fallback"))
        report.outcomes = {str(kind): int(n) for kind, n in (await session.execute(
            select(outcome, func.count()).where(*citizen_turns).group_by(outcome))).all()}
        report.answered = report.outcomes.get("answered", 0)
        report.handoff_messages = int(await session.scalar(select(func.count()).select_from(Turn).where(
            *in_turns, Turn.intent == "handoff")) or 0)
        report.handoffs = int(await session.scalar(select(func.count()).select_from(Handoff).where(*handoffs)) or 0)
        moments = (await session.scalars(select(Turn.created_at).where(*citizen_turns))).all()
        per_day: dict[str, int] = {}
        for moment in moments:
            aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            day = aware.astimezone(CHINA).date().isoformat()
            per_day[day] = per_day.get(day, 0) + 1
        report.messages_per_day = sorted(per_day.items())
        top = (await session.execute(select(Turn.item_id, func.count()).where(
            *citizen_turns, Turn.item_id.is_not(None)).group_by(Turn.item_id)
            .order_by(func.count().desc()).limit(10))).all()
        report.top_items = [(str(item_id), item_names.get(str(item_id), str(item_id)), int(n)) for item_id, n in top]
        tickets = (await session.scalars(select(Ticket).where(*in_period))).all()
        closures = dict((await session.execute(select(TicketEvent.ticket_id, func.min(TicketEvent.created_at))
                                               .where(TicketEvent.status == "已办结")
                                               .group_by(TicketEvent.ticket_id))).all())
        ratings = (await session.execute(select(Rating.level, func.count()).where(*rated)
                                         .group_by(Rating.level))).all()
    by_department: dict[str, int] = {}
    for ticket in tickets:
        report.tickets_by_kind[ticket.kind] = report.tickets_by_kind.get(ticket.kind, 0) + 1
        if ticket.kind == TicketKind.COMPLAINT:
            by_department[ticket.department] = by_department.get(ticket.department, 0) + 1
        if ticket.status == "已办结":
            report.closed += 1
            closed_at = closures.get(ticket.id)
            if closed_at is not None:
                aware = closed_at if closed_at.tzinfo else closed_at.replace(tzinfo=UTC)
                report.closed_on_time += aware.astimezone(CHINA).date() <= ticket.due_at
        elif ticket.due_at < today():
            report.overdue_open += 1
    report.complaints_by_department = sorted(by_department.items(), key=lambda pair: -pair[1])
    counts = {level: int(n) for level, n in ratings}
    report.ratings = {level.label: counts.get(level, 0) for level in RatingLevel}
    return report
