"""Cases (办件) from the approval system, and proving a citizen is the applicant before telling them.

Status changes arrive by `zwbot cases import` or `POST /api/cases`; each (case, updated_at) is
recorded once, so a repeated delivery changes nothing. When a status changes, every citizen who
asked to be told gets a `Notification` on their own channel.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.services.importers import ImportProblem
from bot.services.notifications import Outbox
from bot.storage import Case, CaseEvent, CaseSubscription, Database, Notification, VerificationAttempt

STATUSES = ("accepted", "in_review", "suspended", "approved", "rejected", "ready", "collected")
CSV_COLUMNS = ["case_no", "item_id", "applicant", "phone", "status", "accepted_at", "promised_at", "updated_at",
               "note"]
MAX_WRONG_TRIES = 5
TRY_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Verification:
    outcome: str  # ok | wrong | locked
    case: Case | None = None
    tries_left: int = 0


def parse_case(raw: dict[str, Any], where: str, problems: list[ImportProblem]) -> dict[str, Any] | None:
    """Check one case record (CSV row or API JSON) and convert its fields; None when it is unusable."""
    def text(name: str) -> str:
        value = raw.get(name)
        return "" if value is None else str(value).strip()

    record: dict[str, Any] = {name: text(name) for name in ("case_no", "item_id", "applicant", "phone", "status",
                                                            "note")}
    before = len(problems)
    for name in ("case_no", "item_id", "phone", "status"):
        if not record[name]:
            problems.append(ImportProblem(where, name, "必填字段为空"))
    if record["status"] and record["status"] not in STATUSES:
        problems.append(ImportProblem(where, "status", f"状态应为 {'/'.join(STATUSES)} 之一，实际为 {record['status']!r}"))
    if record["phone"] and (not record["phone"].isdigit() or len(record["phone"]) < 7):
        problems.append(ImportProblem(where, "phone", "手机号应为数字"))
    for name in ("accepted_at", "promised_at"):
        value = text(name)
        try:
            record[name] = date.fromisoformat(value[:10]) if value else None
        except ValueError:
            problems.append(ImportProblem(where, name, f"日期格式应为 YYYY-MM-DD，实际为 {value!r}"))
    value = text("updated_at")
    try:
        updated = datetime.fromisoformat(value) if value else None
    except ValueError:
        updated = None
        problems.append(ImportProblem(where, "updated_at", f"时间格式应为 ISO 8601，实际为 {value!r}"))
    if value == "":
        problems.append(ImportProblem(where, "updated_at", "必填字段为空"))
    if updated is not None and updated.tzinfo is None:
        updated = updated.replace(tzinfo=timezone(timedelta(hours=8)))  # the approval system's local time
    # Stored in UTC: SQLite keeps no offset, and comparisons must mean the same instant everywhere.
    record["updated_at"] = updated.astimezone(timezone.utc) if updated else None
    return record if len(problems) == before else None


def read_cases_csv(path: Path) -> tuple[list[dict[str, Any]], list[ImportProblem]]:
    problems: list[ImportProblem] = []
    try:
        content = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return [], [ImportProblem(str(path), "", f"无法读取：{error}")]
    reader = csv.DictReader(io.StringIO(content, newline=""))
    missing = set(CSV_COLUMNS) - set(reader.fieldnames or [])
    if missing:
        return [], [ImportProblem(f"{path}:1", ",".join(sorted(missing)), "表头缺少列")]
    records = []
    for row in reader:
        record = parse_case(row, f"{path}:{reader.line_num}", problems)
        if record is not None:
            records.append(record)
    return records, problems


class CaseService:
    def __init__(self, database: Database, outbox: Outbox | None = None) -> None:
        self.database = database
        self.outbox = outbox
        self._wrong: dict[str, list[datetime]] = {}
        self._attempts: list[dict[str, Any]] = []

    async def record(self, records: list[dict[str, Any]]) -> int:
        """Store status changes (checked records); returns how many were new. Repeats change nothing."""
        new = 0
        for record in sorted(records, key=lambda r: r["updated_at"]):
            if await self._record_one(record):
                new += 1
        return new

    async def _record_one(self, record: dict[str, Any]) -> bool:
        async with self.database.session() as session:
            try:
                async with session.begin():
                    case = await session.get(Case, record["case_no"], with_for_update=True)
                    late = case is not None and _aware(case.updated_at) > record["updated_at"]
                    changed = case is None or (not late and case.status != record["status"])
                    if case is None:
                        case = Case(case_no=record["case_no"])
                        session.add(case)
                    if not late:  # an older change arriving late is kept in the history only
                        for name in ("item_id", "applicant", "phone", "status", "note", "updated_at"):
                            setattr(case, name, record[name])
                        for name in ("accepted_at", "promised_at"):
                            if record[name] is not None:
                                setattr(case, name, record[name])
                    await session.flush()
                    # Unique per (case, updated_at): a repeated delivery fails here and changes nothing.
                    session.add(CaseEvent(case_no=record["case_no"], status=record["status"], note=record["note"],
                                          updated_at=record["updated_at"]))
                    await session.flush()
                    notified = await self._notify_subscribers(session, case) if changed else []
                for channel, sender in notified:
                    if self.outbox is not None:
                        await self.outbox.mark(channel, sender)
                return True
            except IntegrityError:
                return False

    async def _notify_subscribers(self, session, case: Case) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
        subscribers = (await session.scalars(select(CaseSubscription).where(
            CaseSubscription.case_no == case.case_no))).all()
        for subscriber in subscribers:
            session.add(Notification(channel=subscriber.channel, sender=subscriber.sender, kind="case_status",
                                     data={"case_no": case.case_no, "status": case.status}))
        return [(s.channel, s.sender) for s in subscribers]

    async def get(self, case_no: str) -> Case | None:
        async with self.database.reader() as session:
            return await session.get(Case, case_no)

    async def verify(self, sender_key: str, case_no: str, last_four: str) -> Verification:
        """Is `sender_key` the applicant of `case_no`? Five wrong tries in an hour lock further tries.

        Wrong tries are counted in this process (the attempts table keeps the record, written in the
        background with the turn log), so a busy hour costs one read per try.
        """
        now = datetime.now(timezone.utc)
        recent = [moment for moment in self._wrong.get(sender_key, []) if now - moment < TRY_WINDOW]
        if len(recent) >= MAX_WRONG_TRIES:
            self._wrong[sender_key] = recent
            return Verification("locked")
        async with self.database.reader() as session:
            case = await session.get(Case, case_no)
        success = case is not None and case.phone[-4:] == last_four
        self._attempts.append({"sender_key": sender_key, "case_no": case_no, "success": success, "created_at": now})
        if success:
            return Verification("ok", case)
        recent.append(now)
        self._wrong[sender_key] = recent
        left = MAX_WRONG_TRIES - len(recent)
        return Verification("locked" if left <= 0 else "wrong", tries_left=max(left, 0))

    async def load_attempts(self) -> None:
        """Wrong tries of the last hour, from the attempts table (at start-up)."""
        since = datetime.now(timezone.utc) - TRY_WINDOW
        async with self.database.session() as session:
            rows = (await session.execute(select(VerificationAttempt.sender_key, VerificationAttempt.created_at)
                                          .where(VerificationAttempt.success.is_(False),
                                                 VerificationAttempt.created_at >= since))).all()
        for key, moment in rows:
            self._wrong.setdefault(key, []).append(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))

    def take_attempts(self) -> list[dict[str, Any]]:
        """The attempts made since the last call (the turn log writes them)."""
        attempts, self._attempts = self._attempts, []
        return attempts

    async def subscribe(self, case_no: str, channel: str, sender: str) -> None:
        async with self.database.session() as session:
            try:
                async with session.begin():
                    session.add(CaseSubscription(case_no=case_no, channel=channel, sender=sender))
            except IntegrityError:
                pass  # already subscribed


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
