"""Staff accounts, login sessions and the audit log of staff actions.

Passwords are stored as argon2 hashes; a session cookie carries a random token whose SHA-256 is
stored, with the CSRF token of that session and its expiry (extended on use).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from bot.storage import AuditEntry, Database, StaffSession, StaffUser

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


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffService:
    def __init__(self, database: Database, session_minutes: int = 30) -> None:
        self.database = database
        self.session_lifetime = timedelta(minutes=session_minutes)

    async def add_user(self, username: str, password: str, role: str, display_name: str = "",
                       department: str | None = None) -> None:
        if role not in ROLES:
            raise ValueError(f"角色应为 {'/'.join(ROLES)} 之一")
        if role == "department" and not department:
            raise ValueError("部门工作人员必须指定部门")
        if len(password) < 8:
            raise ValueError("密码至少 8 位")
        async with self.database.session() as session, session.begin():
            user = await session.get(StaffUser, username) or StaffUser(username=username)
            user.display_name = display_name or username
            user.password_hash = _hasher.hash(password)
            user.role, user.department, user.active = role, department, True
            session.add(user)

    async def count(self) -> int:
        async with self.database.session() as session:
            return len((await session.scalars(select(StaffUser.username))).all())

    async def login(self, username: str, password: str) -> tuple[str, LoginSession] | None:
        """A new session token for the right password, else None (same answer for unknown users)."""
        async with self.database.session() as session, session.begin():
            user = await session.get(StaffUser, username)
            try:
                _hasher.verify(user.password_hash if user else _DUMMY, password)
            except (VerificationError, InvalidHashError):
                return None
            if user is None or not user.active:
                return None
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            session.add(StaffSession(token_hash=_hash_token(token), username=username, csrf_token=csrf,
                                     expires_at=datetime.now(timezone.utc) + self.session_lifetime))
            session.add(AuditEntry(username=username, action="login", target=username))
            return token, LoginSession(_member(user), csrf)

    async def session(self, token: str) -> LoginSession | None:
        """The live session of this token (its expiry pushed forward), or None when unknown or expired."""
        now = datetime.now(timezone.utc)
        async with self.database.session() as session, session.begin():
            row = await session.get(StaffSession, _hash_token(token))
            if row is None:
                return None
            expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=timezone.utc)
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


_DUMMY = _hasher.hash("timing-equaliser")  # verify something even for unknown users
