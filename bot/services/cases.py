"""Cases (办件) from the approval system, and proving a citizen is the applicant before telling them.

Status changes arrive by `zwbot cases import` or `POST /api/cases`; each (case, updated_at) is
recorded once, so a repeated delivery changes nothing. When a status changes, every citizen who
asked to be told gets a `Notification` on their own channel.
"""

from __future__ import annotations

import csv
import hmac
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import case as case_when
from sqlalchemy import func, literal, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.configuration import LimitsConfig
from bot.services.importers import ImportProblem
from bot.services.notifications import Outbox
from bot.storage.models import case_number_key
from bot.storage import (
    Case,
    CaseEvent,
    CaseSubscription,
    Database,
    Notification,
    VerificationAttempt,
)

STATUSES = ("accepted", "in_review", "suspended", "approved", "rejected", "ready", "collected")
CSV_COLUMNS = ["case_no", "item_id", "applicant", "phone", "status", "accepted_at", "promised_at", "updated_at",
               "note"]
MAX_LENGTHS = {"case_no": 40, "item_id": 80, "applicant": 100, "phone": 20}  # the columns' sizes
TRY_WINDOW = timedelta(hours=1)
_VERIFY_LOCK_KEY = 0x7A776361  # PostgreSQL advisory lock serialising applicant checks ("zwca")


@dataclass(frozen=True)
class TryLimits:
    """Wrong tries allowed within TRY_WINDOW (config.yml `limits`)."""

    per_sender: int
    per_case: int
    per_client: int

    @classmethod
    def from_config(cls, limits: LimitsConfig) -> TryLimits:
        return cls(limits.case_wrong_tries_per_sender, limits.case_wrong_tries_per_case,
                   limits.case_wrong_tries_per_client)


@dataclass(frozen=True)
class Verification:
    """The outcome of an applicant check.

    ok: `case` is theirs. wrong: `tries_left` more for this sender. locked: this sender (or client
    address) has used its tries. case_locked: the case takes no tries from anyone for now;
    `item_id` says which item's department and window can help (None for an unknown number).
    """

    outcome: str  # ok | wrong | locked | case_locked
    case: Case | None = None
    tries_left: int = 0
    item_id: str | None = None


@dataclass(frozen=True)
class LockedCase:
    case_no: str
    item_id: str | None  # None: no such case (someone tried a number that does not exist)
    wrong_tries: int
    locked_until: datetime


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
    if record["phone"] and not (record["phone"].isascii() and record["phone"].isdigit()
                                and 7 <= len(record["phone"]) <= MAX_LENGTHS["phone"]):
        problems.append(ImportProblem(where, "phone", "手机号应为 7–20 位数字"))
    for name, longest in MAX_LENGTHS.items():
        if len(record[name]) > longest and name != "phone":
            problems.append(ImportProblem(where, name, f"最长 {longest} 个字符，实际为 {len(record[name])} 个"))
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
    record["updated_at"] = updated.astimezone(UTC) if updated else None
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
    try:
        for row in reader:
            record = parse_case(row, f"{path}:{reader.line_num}", problems)
            if record is not None:
                records.append(record)
    except csv.Error as error:  # e.g. a cell over the csv module's field size limit
        problems.append(ImportProblem(f"{path}:{reader.line_num}", "", f"无法解析：{error}"))
    return records, problems


class CaseService:
    def __init__(self, database: Database, outbox: Outbox | None = None, limits: TryLimits | None = None) -> None:
        self.database = database
        self.outbox = outbox
        self.limits = limits or TryLimits.from_config(LimitsConfig())

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
                    case.number_key = case_number_key(record["case_no"])[:MAX_LENGTHS["case_no"]]
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

    async def find_number(self, spellings: list[str]) -> str | None:
        """The case number of the first of `spellings` (number keys, see case_numbers) that the cases
        table holds, however the approval system writes it; None when it holds none of them.

        Only for recognising a number a citizen typed: telling anything of the case still needs
        `verify`."""
        keys = [key for key in dict.fromkeys(spellings) if key and len(key) <= MAX_LENGTHS["case_no"]]
        if not keys:
            return None
        async with self.database.reader() as session:
            rows = (await session.execute(select(Case.number_key, Case.case_no)
                                          .where(Case.number_key.in_(keys)))).all()
        numbers: dict[str, list[str]] = {}
        for key, case_no in rows:
            numbers.setdefault(key or "", []).append(case_no)
        for key in keys:
            found = numbers.get(key, [])
            if len(found) == 1 or key in found:
                return found[0] if len(found) == 1 else key
        return None

    @staticmethod
    async def _case_of(session: AsyncSession, typed: str) -> tuple[str, Case | None]:
        """The case a typed number means (compared as number keys) and the number tries count under:
        the case's own number, else the typed number's key, so every spelling of one number shares
        one limit."""
        key = case_number_key(typed)
        found = (await session.scalars(select(Case).where(Case.number_key == key).limit(2))).all()
        case = found[0] if len(found) == 1 else next((c for c in found if c.case_no == typed), None)
        return (case.case_no if case else key[:MAX_LENGTHS["case_no"]]), case

    async def verify(self, sender_key: str, case_no: str, last_four: str, client: str | None = None) -> Verification:
        """Is `sender_key` the applicant of `case_no`? Every try is written before this returns.

        Wrong tries within an hour are limited three ways (config.yml `limits`): per sender (then
        "locked"), per client address where the channel knows one (then "locked"), and per case
        number from everyone together (then "case_locked": the case reveals nothing, even to the right
        digits, until the hour has passed or staff unlock it). An unknown case number is counted and
        answered exactly like a wrong try on a real one. While a sender or case is locked nothing is
        compared and nothing is recorded, so a locked case cannot leak its digits through the timing
        of its unlocking.
        """
        if await self._over_own_limits(sender_key, client):  # cheap refusal on the reader
            return Verification("locked")
        async with self.database.session() as session, session.begin():
            if self.database.dialect == "postgresql":
                # Count-then-insert must not interleave across workers (many parallel tries would
                # all see the count below the limit).
                await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _VERIFY_LOCK_KEY})
            now = datetime.now(UTC)
            case_no, case = await self._case_of(session, case_no)
            by_sender, by_client, by_case = await self._wrong_counts(session, now, sender_key, client, case_no)
            if by_sender >= self.limits.per_sender or (client is not None and by_client >= self.limits.per_client):
                return Verification("locked")
            if by_case >= self.limits.per_case:
                return Verification("case_locked", item_id=case.item_id if case else None)
            success = case is not None and hmac.compare_digest(case.phone[-4:].encode(), last_four.encode())
            session.add(VerificationAttempt(sender_key=sender_key[:160], case_no=case_no[:40], success=success,
                                            client=client[:64] if client else None, created_at=now))
        if success:
            return Verification("ok", case)
        left = self.limits.per_sender - by_sender - 1
        if left <= 0 or (client is not None and by_client + 1 >= self.limits.per_client):
            return Verification("locked")
        if by_case + 1 >= self.limits.per_case:
            return Verification("case_locked", item_id=case.item_id if case else None)
        return Verification("wrong", tries_left=left)

    async def _over_own_limits(self, sender_key: str, client: str | None) -> bool:
        async with self.database.reader() as session:
            by_sender, by_client, _ = await self._wrong_counts(session, datetime.now(UTC), sender_key,
                                                               client, None)
        return by_sender >= self.limits.per_sender or (client is not None and by_client >= self.limits.per_client)

    @staticmethod
    async def _wrong_counts(session: AsyncSession, now: datetime, sender_key: str, client: str | None,
                            case_no: str | None) -> tuple[int, int, int]:
        """Wrong tries of the last hour: of this sender, of this client address, of this case (the
        case count leaves out tries staff cleared by unlocking it)."""
        attempt = VerificationAttempt
        wanted = [attempt.sender_key == sender_key]
        if client is not None:
            wanted.append(attempt.client == client)
        if case_no is not None:
            wanted.append(attempt.case_no == case_no)

        def tally(condition: Any) -> Any:
            return func.coalesce(func.sum(case_when((condition, 1), else_=0)), 0)

        row = (await session.execute(select(
            tally(attempt.sender_key == sender_key),
            tally(attempt.client == client) if client is not None else literal(0),
            tally((attempt.case_no == case_no) & attempt.cleared.is_(False)) if case_no is not None else literal(0),
        ).where(attempt.success.is_(False), attempt.created_at >= now - TRY_WINDOW, or_(*wanted)))).one()
        return int(row[0]), int(row[1]), int(row[2])

    async def locked_cases(self) -> list[LockedCase]:
        """Case numbers locked right now by wrong tries from everyone together, longest-locked last."""
        now = datetime.now(UTC)
        async with self.database.reader() as session:
            rows = (await session.execute(
                select(VerificationAttempt.case_no, VerificationAttempt.created_at)
                .where(VerificationAttempt.success.is_(False), VerificationAttempt.cleared.is_(False),
                       VerificationAttempt.created_at >= now - TRY_WINDOW))).all()
            tries: dict[str, list[datetime]] = {}
            for case_no, moment in rows:
                tries.setdefault(case_no, []).append(_aware(moment))
            locked = {case_no: sorted(moments, reverse=True) for case_no, moments in tries.items()
                      if len(moments) >= self.limits.per_case}
            items = dict((await session.execute(select(Case.case_no, Case.item_id)
                                                .where(Case.case_no.in_(list(locked))))).all()) if locked else {}
        # Locked until the limit-th newest wrong try leaves the hour.
        result = [LockedCase(case_no, items.get(case_no), len(moments),
                             moments[self.limits.per_case - 1] + TRY_WINDOW)
                  for case_no, moments in locked.items()]
        return sorted(result, key=lambda c: c.locked_until, reverse=True)

    async def unlock(self, case_no: str) -> int:
        """Let `case_no` be checked again (staff saw the applicant): its wrong tries stop counting
        against the case. They still count against the senders and addresses that made them.
        Returns how many tries were cleared."""
        async with self.database.session() as session, session.begin():
            result = await session.execute(update(VerificationAttempt)
                                           .where(VerificationAttempt.case_no == case_no,
                                                  VerificationAttempt.success.is_(False),
                                                  VerificationAttempt.cleared.is_(False))
                                           .values(cleared=True))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def subscribe(self, case_no: str, channel: str, sender: str) -> None:
        async with self.database.session() as session:
            try:
                async with session.begin():
                    session.add(CaseSubscription(case_no=case_no, channel=channel, sender=sender))
            except IntegrityError:
                pass  # already subscribed


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
