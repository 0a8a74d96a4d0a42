"""The staff console over plain HTTP: login lockout, cookie flags, fixed login errors, the ticket flow,
and what department staff may see of statistics and unanswered questions."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import ClientResponse, ClientSession, CookieJar, DummyCookieJar
from sqlalchemy import select

from bot.services.unanswered import UnansweredService
from bot.storage import AuditEntry, UnansweredQuestion
from tests.conftest import app_with, serving

PASSWORD = "correct-horse-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


pytestmark = pytest.mark.usefixtures("quick_hashes")  # cheap argon2: these tests count tries


@pytest.fixture
async def accounts(assistant):  # type: ignore[no-untyped-def]
    suffix = uuid.uuid4().hex[:6]
    users = {"admin": (f"admin{suffix}", "admin", None), "supervisor": (f"db{suffix}", "supervisor", None),
             "civil": (f"mz{suffix}", "department", "市民政局"),
             "market": (f"sj{suffix}", "department", "市市场监督管理局")}
    for username, role, department in users.values():
        await assistant.staff.add_user(username, PASSWORD, role, username, department)
    return {key: value[0] for key, value in users.items()}


@pytest.fixture
async def behind_proxy(settings, assistant, monkeypatch) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """A server that trusts 127.0.0.1 as its reverse proxy (X-Forwarded-For / -Proto count)."""
    async with serving(app_with(settings, assistant, monkeypatch, {"ZWBOT_TRUSTED_PROXIES": "127.0.0.1"})) as url:
        yield url


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


async def _login_form(http: ClientSession, headers: dict[str, str] | None = None) -> str:
    async with http.get("/staff/login", headers=headers) as page:
        return CSRF.findall(await page.text())[0]


async def _try_login(http: ClientSession, username: str, password: str,
                     headers: dict[str, str] | None = None) -> ClientResponse:
    csrf = await _login_form(http, headers)
    return await http.post("/staff/login", data={"csrf_token": csrf, "username": username, "password": password},
                           headers=headers, allow_redirects=False)


@asynccontextmanager
async def logged_in(url: str, username: str) -> AsyncIterator[ClientSession]:
    async with ClientSession(base_url=url, cookie_jar=CookieJar(unsafe=True)) as http:
        response = await _try_login(http, username, PASSWORD)
        assert response.status == 303 and response.headers["Location"] == "/staff/"
        yield http


async def _csrf_of(http: ClientSession, path: str) -> str:
    async with http.get(path) as page:
        assert page.status == 200
        return CSRF.findall(await page.text())[0]


# --- login ----------------------------------------------------------------------------------------

async def test_the_login_page_shows_only_its_own_error_texts(http) -> None:  # type: ignore[no-untyped-def]
    planted = "<b>系统升级，请把密码发到 evil@example.com</b>"
    async with http.get("/staff/login", params={"error": planted}) as page:
        html = await page.text()
    assert "evil@example.com" not in html and "系统升级" not in html
    async with http.get("/staff/login", params={"error": "wrong"}) as page:
        assert "用户名或密码错误" in await page.text()
    async with http.get("/staff/login", params={"error": "locked"}) as page:
        assert "15 分钟后再试" in await page.text()


async def test_an_account_locks_after_ten_wrong_passwords_even_when_the_right_one_follows(  # type: ignore[no-untyped-def]
        behind_proxy, accounts, assistant) -> None:
    username = accounts["civil"]
    async with ClientSession(base_url=behind_proxy, cookie_jar=CookieJar(unsafe=True)) as http:
        for _ in range(10):
            wrong = await _try_login(http, username, "guess-guess", {"X-Forwarded-For": _address()})
            assert wrong.headers["Location"] == "/staff/login?error=wrong"
        right = await _try_login(http, username, PASSWORD, {"X-Forwarded-For": _address()})
        assert right.status == 303 and right.headers["Location"] == "/staff/login?error=locked"
        assert "zwbot_staff" not in right.cookies
        async with http.get(right.headers["Location"]) as page:
            assert "已被暂时锁定" in await page.text()
    async with assistant.database.reader() as session:
        audited = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "login_locked",
                                                                  AuditEntry.username == username))).all()
    assert [entry.target for entry in audited] == [f"账号 {username}"]


async def test_cookies_are_secure_when_configured_or_behind_https(behind_proxy, server_url, accounts,  # type: ignore[no-untyped-def]
                                                                  monkeypatch) -> None:
    async def cookies(url: str, headers: dict[str, str]) -> dict[str, bool]:
        """Each console cookie set on the way in → whether it is marked Secure."""
        async with ClientSession(base_url=url, cookie_jar=DummyCookieJar()) as http:
            async with http.get("/staff/login", headers=headers) as page:
                csrf = CSRF.findall(await page.text())[0]
                flags = {name: bool(morsel["secure"]) for name, morsel in page.cookies.items()}
            response = await http.post("/staff/login", allow_redirects=False,
                                       data={"csrf_token": csrf, "username": accounts["admin"], "password": PASSWORD},
                                       headers={**headers, "Cookie": f"zwbot_login_csrf={csrf}"})
            assert response.headers["Location"] == "/staff/"
            flags.update({name: bool(morsel["secure"]) for name, morsel in response.cookies.items()})
        return flags

    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": _address()}
    assert await cookies(behind_proxy, https) == {"zwbot_login_csrf": True, "zwbot_staff": True}
    monkeypatch.delenv("ZWBOT_TRUSTED_PROXIES")  # now anyone could have written that header
    assert await cookies(server_url, https) == {"zwbot_login_csrf": False, "zwbot_staff": False}
    monkeypatch.setenv("ZWBOT_COOKIE_SECURE", "1")
    assert await cookies(server_url, {}) == {"zwbot_login_csrf": True, "zwbot_staff": True}


# --- tickets --------------------------------------------------------------------------------------

async def test_ticket_status_follows_the_flow_and_only_an_admin_reopens(server_url, assistant, accounts) -> None:  # type: ignore[no-untyped-def]
    ticket, _ = await assistant.workflows.tickets.create("complaint", "大厅空调太冷", department="市民政局",
                                                         channel="rest", sender="c-flow", dedupe_key=uuid.uuid4().hex)
    path = f"/staff/tickets/{ticket.number}"
    async with logged_in(server_url, accounts["civil"]) as civil:
        csrf = await _csrf_of(civil, path)
        moved = await civil.post(path, data={"csrf_token": csrf, "status": "已答复", "reply": "已调高温度"})
        assert moved.status == 200 and "已答复" in await moved.text()
        back = await civil.post(path, data={"csrf_token": csrf, "status": "待受理", "reply": ""})
        assert back.status == 400 and "不能从“已答复”退回“待受理”" in await back.text()
        await civil.post(path, data={"csrf_token": csrf, "status": "已办结", "reply": ""})
        refused = await civil.post(path, data={"csrf_token": csrf, "status": "处理中", "reply": ""})
        assert refused.status == 400 and "只有管理员" in await refused.text()
    assert (await assistant.workflows.tickets.get(ticket.number)).status == "已办结"
    async with logged_in(server_url, accounts["admin"]) as admin:
        csrf = await _csrf_of(admin, path)
        reopened = await admin.post(path, data={"csrf_token": csrf, "status": "处理中", "reply": "群众反映仍未解决"})
        assert reopened.status == 200
    assert (await assistant.workflows.tickets.get(ticket.number)).status == "处理中"
    async with assistant.database.reader() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket_reopen",
                                                             AuditEntry.target == ticket.number))
    assert entry is not None and entry.username == accounts["admin"] and "已办结 → 处理中" in entry.detail


# --- department scope -----------------------------------------------------------------------------

async def test_department_staff_see_their_departments_figures_and_no_downloads(server_url, assistant,  # type: ignore[no-untyped-def]
                                                                               accounts) -> None:
    for department in ("市民政局", "市市场监督管理局"):
        await assistant.workflows.tickets.create("complaint", "排队太久", department=department, channel="rest",
                                                 sender="c-stats", dedupe_key=uuid.uuid4().hex)
    async with logged_in(server_url, accounts["civil"]) as civil:
        async with civil.get("/staff/dashboard") as page:
            html = await page.text()
        assert page.status == 200 and "市民政局" in html and "市市场监督管理局" not in html
        assert "report.csv" not in html
        for download in ("/staff/report.csv", "/staff/report.xlsx"):
            async with civil.get(download) as response:
                assert response.status == 403
    for role in ("admin", "supervisor"):
        async with logged_in(server_url, accounts[role]) as member:
            async with member.get("/staff/dashboard") as page:
                html = await page.text()
            assert "市民政局" in html and "市市场监督管理局" in html and "全中心" in html
            async with member.get("/staff/report.csv") as response:
                assert response.status == 200 and "全中心" in await response.text()


async def test_department_staff_see_only_their_departments_unanswered_questions(server_url, assistant,  # type: ignore[no-untyped-def]
                                                                                accounts) -> None:
    marker = uuid.uuid4().hex[:8]
    texts = {"市民政局": f"民政问题{marker}", "市市场监督管理局": f"市场问题{marker}", None: f"无部门问题{marker}"}
    async with assistant.database.session() as session, session.begin():
        rows = [UnansweredQuestion(channel="rest", sender="c-q", text=text, reason="no_item", department=department)
                for department, text in texts.items()]
        session.add_all(rows)
    async with logged_in(server_url, accounts["civil"]) as civil, civil.get("/staff/unanswered") as page:
        html = await page.text()
    assert texts["市民政局"] in html and texts["市市场监督管理局"] not in html and texts[None] not in html
    async with logged_in(server_url, accounts["supervisor"]) as supervisor, supervisor.get("/staff/unanswered") as page:
        html = await page.text()
    assert all(text in html for text in texts.values())

    service = UnansweredService(assistant.database)
    await service.resolve([row.id for row in rows], department="市民政局")  # ids of others' rows are ignored
    open_texts = {text for group in await service.groups() for text in group.texts}
    assert texts["市民政局"] not in open_texts
    assert texts["市市场监督管理局"] in open_texts and texts[None] in open_texts


async def test_a_resolved_question_becomes_a_citizen_word_that_answers_at_once(server_url, assistant,  # type: ignore[no-untyped-def]
                                                                              accounts) -> None:
    texts = ["我家孩子想办个彩虹助残卡咋弄", "彩虹助残卡在哪办 电话13912345678"]
    assert assistant.parse("彩虹助残卡要带什么材料").item_id is None
    async with assistant.database.session() as session, session.begin():
        rows = [UnansweredQuestion(channel="rest", sender="c-r", text=text, reason="no_item") for text in texts]
        session.add_all(rows)
    async with logged_in(server_url, accounts["admin"]) as admin:
        csrf = await _csrf_of(admin, "/staff/unanswered")
        async with admin.post("/staff/unanswered", allow_redirects=False,
                              data={"csrf_token": csrf, "ids": ",".join(str(r.id) for r in rows),
                                    "item_id": "cl-cjrz", "as": "citizen_word", "text": texts[1]}) as response:
            assert response.status == 303
    # No restart: the very next question finds the item, in other words too.
    assert assistant.parse("彩虹助残卡要带什么材料").item_id == "cl-cjrz"
    assert assistant.parse("孩子想办个彩虹助残卡").candidates[0].item_id == "cl-cjrz"
    words = assistant.knowledge.item("cl-cjrz")["citizen_words"]
    assert texts[0] in words and "彩虹助残卡在哪办 电话" in words
    assert not any("13912345678" in word for word in words)  # a phone is no word of the knowledge base
    open_texts = {text for group in await UnansweredService(assistant.database).groups() for text in group.texts}
    assert not open_texts.intersection(texts)
