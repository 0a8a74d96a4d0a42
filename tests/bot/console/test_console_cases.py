"""The console's locked cases: who sees which, unlocking with CSRF, and the audit entry."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import ClientSession, CookieJar
from sqlalchemy import select

from bot.services.cases import parse_case
from bot.storage import AuditEntry

PASSWORD = "correct-horse-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


pytestmark = pytest.mark.usefixtures("quick_hashes")  # cheap argon2: these tests count tries


@asynccontextmanager
async def logged_in(url: str, assistant, role: str, department: str | None = None) -> AsyncIterator[ClientSession]:  # type: ignore[no-untyped-def]
    username = f"{role[:4]}{uuid.uuid4().hex[:8]}"
    await assistant.staff.add_user(username, PASSWORD, role, username, department)
    async with ClientSession(base_url=url, cookie_jar=CookieJar(unsafe=True)) as http:
        async with http.get("/staff/login") as page:
            csrf = CSRF.findall(await page.text())[0]
        response = await http.post("/staff/login", data={"csrf_token": csrf, "username": username,
                                                         "password": PASSWORD}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/staff/"
        http.username = username  # type: ignore[attr-defined]
        yield http


async def _locked_case(assistant) -> str:  # type: ignore[no-untyped-def]
    """A 市民政局 case (老年人优待证) locked by ten wrong tries from ten senders."""
    case_no = f"XA{uuid.uuid4().int % 10**12:012d}"
    problems: list = []
    record = parse_case({"case_no": case_no, "item_id": "mz-lnyd", "applicant": "钱九", "phone": "13322223333",
                         "status": "in_review", "updated_at": "2026-11-30T09:00:00"}, "t", problems)
    await assistant.workflows.cases.record([record])
    for n in range(10):
        await assistant.workflows.cases.verify(f"rest:attacker-{uuid.uuid4().hex}", case_no, f"{n:04d}")
    assert (await assistant.workflows.cases.verify("rest:applicant", case_no, "3333")).outcome == "case_locked"
    return case_no


async def test_staff_see_locked_cases_of_their_department_and_unlock_with_audit(server_url, assistant) -> None:  # type: ignore[no-untyped-def]
    case_no = await _locked_case(assistant)
    async with logged_in(server_url, assistant, "department", "市市场监督管理局") as market:
        page = await (await market.get("/staff/cases/locked")).text()
        assert case_no not in page  # another department's case
        csrf = CSRF.findall(page)[0]
        refused = await market.post("/staff/cases/locked", data={"csrf_token": csrf, "case_no": case_no},
                                    allow_redirects=False)
        assert refused.status == 403
    async with logged_in(server_url, assistant, "department", "市民政局") as civil:
        page = await (await civil.get("/staff/cases/locked")).text()
        assert case_no in page and "老年人优待证办理" in page and "办件查询锁定" in page
        no_csrf = await civil.post("/staff/cases/locked", data={"case_no": case_no}, allow_redirects=False)
        assert no_csrf.status == 403
    assert (await assistant.workflows.cases.verify("rest:applicant", case_no, "3333")).outcome == "case_locked"

    async with logged_in(server_url, assistant, "supervisor") as supervisor:
        page = await (await supervisor.get("/staff/cases/locked")).text()
        assert case_no in page
        unlocked = await supervisor.post("/staff/cases/locked", data={"csrf_token": CSRF.findall(page)[0],
                                                                      "case_no": case_no}, allow_redirects=False)
        assert unlocked.status == 303
        after = await (await supervisor.get(unlocked.headers["Location"])).text()
        assert case_no not in after and "已解除锁定" in after
        username = supervisor.username  # type: ignore[attr-defined]
    assert (await assistant.workflows.cases.verify("rest:applicant", case_no, "3333")).outcome == "ok"
    async with assistant.database.reader() as session:
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "case_unlock",
                                                                  AuditEntry.target == case_no))).all()
    assert [e.username for e in entries] == [username]
