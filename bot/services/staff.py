"""Staff accounts, login sessions and the audit log of staff actions.

Passwords are stored as argon2 hashes, checked in a worker thread (argon2 takes tens of milliseconds
of CPU on purpose; the event loop keeps serving citizens meanwhile). A session cookie carries a random
token whose SHA-256 is stored, with the CSRF token of that session and its expiry (extended on use).

Password guessing is limited like a bank card's PIN: too many wrong passwords for one account, or from
one address, within a window lock that account (or address) out for a while, even for the right
password. Every try is written to `login_attempts` before its password is checked, so tries sent at
the same moment cannot slip past the count.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update

from bot.configuration import LimitsConfig, StaffConsoleConfig
from bot.storage import AuditEntry, Database, LoginAttempt, StaffSession, StaffUser

ROLES = ("admin", "supervisor", "department")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class StaffMember:
    username: str
    display_name: str
    role: str
    department: str | None

    def may_see(self, department: str | None) -> bool:
        """Department staff see only their own department's work; admins and supervisors see all."""
        return self.role in ("admin", "supervisor") or (department is not None and department == self.department)


@dataclass(frozen=True)
class LoginSession:
    member: StaffMember
    csrf_token: str


@dataclass(frozen=True)
class LoginResult:
    """What a login try came to: "ok" (with the new session's cookie token), "wrong" or "locked"."""

    outcome: Literal["ok", "wrong", "locked"]
    token: str = ""
    session: LoginSession | None = None


@dataclass(frozen=True)
class LoginLimits:
    failures_per_account: int
    failures_per_address: int
    window: timedelta
    lockout: timedelta

    @classmethod
    def from_config(cls, limits: LimitsConfig) -> LoginLimits:
        """From config.yml's `limits:` block (login_failures_per_account, ..., login_lockout_minutes)."""
        return cls(limits.login_failures_per_account, limits.login_failures_per_address,
                   timedelta(minutes=limits.login_window_minutes), timedelta(minutes=limits.login_lockout_minutes))


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffService:
    def __init__(self, database: Database, console: StaffConsoleConfig | None = None,
                 limits: LoginLimits | None = None) -> None:
        self.database = database
        self.session_lifetime = timedelta(minutes=(console or StaffConsoleConfig()).session_minutes)
        self.limits = limits or LoginLimits.from_config(LimitsConfig())

    async def add_user(self, username: str, password: str, role: str, display_name: str = "",
                       department: str | None = None) -> None:
        if role not in ROLES:
            raise ValueError(f"角色应为 {'/'.join(ROLES)} 之一")
        if role == "department" and not department:
            raise ValueError("部门工作人员必须指定部门")
        if len(password) < 8:
            raise ValueError("密码至少 8 位")
        password_hash = await asyncio.to_thread(_hasher.hash, password)
        async with self.database.session() as session, session.begin():
            user = await session.get(StaffUser, username) or StaffUser(username=username)
            user.display_name = display_name or username
            user.password_hash = password_hash
            user.role, user.department, user.active = role, department, True
            session.add(user)

    async def count(self) -> int:
        async with self.database.session() as session:
            return len((await session.scalars(select(StaffUser.username))).all())

    async def login(self, username: str, password: str, address: str = "unknown") -> LoginResult:
        """Try a password from `address`. Unknown users and wrong passwords get the same "wrong";
        "locked" while the account or the address is locked out (the password is then not even checked)."""
        username, address = username[:64], address[:64]
        now = datetime.now(UTC)
        async with self.database.session() as session, session.begin():
            # The account's row lock (PostgreSQL) makes simultaneous tries on one account take turns here.
            user = await session.scalar(select(StaffUser).where(StaffUser.username == username).with_for_update())
            if await self._locked(session, username, address, now):
                return LoginResult("locked")
            attempt = LoginAttempt(username=username, address=address, success=False, created_at=now)
            session.add(attempt)
            await session.flush()
            attempt_id = attempt.id
            password_hash, active = (user.password_hash, user.active) if user else (_DUMMY, False)
        # No transaction is open while argon2 works.
        try:
            right: bool = await asyncio.to_thread(_hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            right = False
        if not (right and active and user is not None):
            await self._note_failure(username, address, now)
            return LoginResult("wrong")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with self.database.session() as session, session.begin():
            await session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
            session.add(StaffSession(token_hash=_hash_token(token), username=username, csrf_token=csrf,
                                     expires_at=datetime.now(UTC) + self.session_lifetime))
            session.add(AuditEntry(username=username, action="login", target=username, detail=address))
        return LoginResult("ok", token, LoginSession(_member(user), csrf))

    async def _locked(self, session: Any, username: str, address: str, now: datetime) -> bool:
        account, by_address = await self._recent_failures(session, username, address, now)
        limits = self.limits
        return (_locked_until(account, limits.failures_per_account, limits) > now
                or _locked_until(by_address, limits.failures_per_address, limits) > now)

    async def _recent_failures(self, session: Any, username: str, address: str,
                               now: datetime) -> tuple[list[datetime], list[datetime]]:
        """Wrong passwords (and tries still being checked) that may still lock: for the account since its
        last right password (the owner proved who they are), for the address regardless."""
        since = now - self.limits.window - self.limits.lockout
        last_success = await session.scalar(select(LoginAttempt.created_at).where(
            LoginAttempt.username == username, LoginAttempt.success.is_(True)).order_by(
            LoginAttempt.created_at.desc()).limit(1))
        account_since = max(since, _aware(last_success)) if last_success is not None else since
        return (await self._failures(session, LoginAttempt.username == username, account_since),
                await self._failures(session, LoginAttempt.address == address, since))

    @staticmethod
    async def _failures(session: Any, who: Any, since: datetime) -> list[datetime]:
        rows = await session.scalars(select(LoginAttempt.created_at).where(
            who, LoginAttempt.success.is_(False), LoginAttempt.created_at > since).order_by(LoginAttempt.created_at))
        return [_aware(moment) for moment in rows.all()]

    async def _note_failure(self, username: str, address: str, now: datetime) -> None:
        """After a wrong password: when it locked the account or the address, write that to the audit log."""
        limits = self.limits
        minutes, window = int(limits.lockout.total_seconds() // 60), int(limits.window.total_seconds() // 60)
        async with self.database.session() as session, session.begin():
            account, by_address = await self._recent_failures(session, username, address, now)
            if _locked_until(account, limits.failures_per_account, limits) > now:
                session.add(AuditEntry(username=username, action="login_locked", target=f"账号 {username}",
                                       detail=f"{window} 分钟内密码错误 {limits.failures_per_account} 次"
                                              f"（最近一次来自 {address}），锁定 {minutes} 分钟"))
            if _locked_until(by_address, limits.failures_per_address, limits) > now:
                session.add(AuditEntry(username=username, action="login_locked", target=f"地址 {address}",
                                       detail=f"{window} 分钟内该地址密码错误 {limits.failures_per_address} 次，"
                                              f"锁定 {minutes} 分钟"))

    async def session(self, token: str) -> LoginSession | None:
        """The live session of this token (its expiry pushed forward), or None when unknown or expired."""
        now = datetime.now(UTC)
        async with self.database.session() as session, session.begin():
            row = await session.get(StaffSession, _hash_token(token))
            if row is None:
                return None
            expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
            if expires <= now:
                await session.delete(row)
                return None
            user = await session.get(StaffUser, row.username)
            if user is None or not user.active:
                return None
            row.expires_at = now + self.session_lifetime
            return LoginSession(_member(user), row.csrf_token)

    async def logout(self, token: str) -> None:
        async with self.database.session() as session, session.begin():
            await session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash_token(token)))

    async def audit(self, username: str, action: str, target: str, detail: str = "") -> None:
        async with self.database.session() as session, session.begin():
            session.add(AuditEntry(username=username, action=action, target=target, detail=detail[:2000]))

    async def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        async with self.database.session() as session:
            return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))).all())


def _member(user: StaffUser) -> StaffMember:
    return StaffMember(user.username, user.display_name, user.role, user.department)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _locked_until(failures: list[datetime], threshold: int, limits: LoginLimits) -> datetime:
    """The end of the latest lockout these failures (oldest first) caused: `threshold` of them within the
    window lock for `lockout` from the one that reached it. The distant past when they never did."""
    until = datetime.min.replace(tzinfo=UTC)
    for last in range(threshold - 1, len(failures)):
        if failures[last] - failures[last - threshold + 1] <= limits.window:
            until = max(until, failures[last] + limits.lockout)
    return until


FIRST_ADMIN = "admin"


async def ensure_first_admin(staff: StaffService, state_dir: Path) -> Path | None:
    """On a first start (no staff account at all) create the admin account with a random password.

    The password goes only into `<state_dir>/admin-password.txt`, readable by the owner alone (0600),
    never into the log; the file's path is returned for the caller to print. None when accounts exist.
    """
    if await staff.count():
        return None
    password = secrets.token_urlsafe(12)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "admin-password.txt"
    path.unlink(missing_ok=True)  # an older file belongs to an admin of a database that is gone
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # whatever the umask
        handle.write(f"工作台管理员用户名：{FIRST_ADMIN}\n初始密码：{password}\n"
                     "请登录 /staff/ 后用 zwbot staff add-user 更换密码，并删除本文件。\n")
    await staff.add_user(FIRST_ADMIN, password, "admin", "管理员")
    return path


_DUMMY = _hasher.hash("timing-equaliser")  # verify something even for unknown users
