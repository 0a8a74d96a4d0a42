"""Staff logins: lockout after repeated wrong passwords, argon2 off the event loop, the first admin."""

from __future__ import annotations

import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.services import staff as staff_module
from bot.configuration import LimitsConfig
from bot.services.staff import LoginLimits, StaffService, ensure_first_admin
from bot.storage import AuditEntry, Database, LoginAttempt

PASSWORD = "correct-horse-1"


pytestmark = pytest.mark.usefixtures("quick_hashes")  # cheap argon2: these tests count tries


@pytest.fixture
async def staff(database):  # type: ignore[no-untyped-def]
    service = StaffService(database)
    await service.add_user("wang", PASSWORD, "admin", "王")
    await service.add_user("li", PASSWORD, "department", "李", "市民政局")
    return service


async def _audit(database: Database, action: str) -> list[AuditEntry]:
    async with database.reader() as session:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(staff, database) -> None:  # type: ignore[no-untyped-def]
    outcomes = [(await staff.login("wang", f"guess-{n}", f"198.51.100.{n}")).outcome for n in range(10)]
    assert outcomes == ["wrong"] * 10
    assert (await staff.login("wang", PASSWORD, "203.0.113.9")).outcome == "locked"
    assert (await staff.login("li", PASSWORD, "203.0.113.9")).outcome == "ok"  # other accounts go on
    [locked] = await _audit(database, "login_locked")
    assert locked.target == "账号 wang" and "10" in locked.detail

    # Fifteen minutes after the lock began, the right password works again.
    async with database.session() as session, session.begin():
        await session.execute(update(LoginAttempt).where(LoginAttempt.username == "wang").values(
            created_at=datetime.now(UTC) - timedelta(minutes=16)))
    result = await staff.login("wang", PASSWORD, "203.0.113.9")
    assert result.outcome == "ok" and result.session is not None and result.session.member.role == "admin"
    assert await staff.session(result.token) is not None


async def test_thirty_wrong_passwords_from_one_address_lock_that_address(staff, database) -> None:  # type: ignore[no-untyped-def]
    for n in range(30):
        assert (await staff.login(f"nobody{n}", "guess", "192.0.2.7")).outcome == "wrong"
    assert (await staff.login("wang", PASSWORD, "192.0.2.7")).outcome == "locked"
    assert (await staff.login("wang", PASSWORD, "192.0.2.8")).outcome == "ok"
    assert [entry.target for entry in await _audit(database, "login_locked")] == ["地址 192.0.2.7"]


async def test_a_right_password_clears_the_accounts_count(database) -> None:  # type: ignore[no-untyped-def]
    staff = StaffService(database, limits=LoginLimits.from_config(LimitsConfig(login_failures_per_account=3)))
    await staff.add_user("zhao", PASSWORD, "supervisor")
    for _ in range(2):
        assert (await staff.login("zhao", "typo", "192.0.2.1")).outcome == "wrong"
    assert (await staff.login("zhao", PASSWORD, "192.0.2.1")).outcome == "ok"
    for _ in range(2):
        assert (await staff.login("zhao", "typo", "192.0.2.1")).outcome == "wrong"
    assert (await staff.login("zhao", PASSWORD, "192.0.2.1")).outcome == "ok"
    assert (await staff.login("ghost", PASSWORD, "192.0.2.1")).outcome == "wrong"  # unknown users look the same


async def test_password_hashes_are_checked_off_the_event_loop(staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    threads: list[bool] = []

    class Watched:
        def verify(self, password_hash: str, password: str) -> bool:
            threads.append(threading.current_thread() is threading.main_thread())
            return real.verify(password_hash, password)

    real = staff_module._hasher
    monkeypatch.setattr(staff_module, "_hasher", Watched())
    assert (await staff.login("wang", PASSWORD, "192.0.2.50")).outcome == "ok"
    assert (await staff.login("wang", "nope", "192.0.2.50")).outcome == "wrong"
    assert threads == [False, False]


async def test_the_first_admin_password_goes_only_to_an_owner_only_file(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    staff = StaffService(database)
    path = await ensure_first_admin(staff, tmp_path / "state")
    assert path == tmp_path / "state" / "admin-password.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = path.read_text(encoding="utf-8").split("初始密码：")[1].split()[0]
    assert (await staff.login("admin", password, "192.0.2.60")).outcome == "ok"
    assert await ensure_first_admin(staff, tmp_path / "state") is None  # accounts exist: nothing new
    assert path.read_text(encoding="utf-8").count(password) == 1
