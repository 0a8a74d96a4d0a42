"""The staff console in real Chromium: login, tickets, escaping, CSRF, department scope, live replies."""

from __future__ import annotations

import asyncio
import shutil
import uuid

import aiohttp
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
HOSTILE = '<script>document.title="hacked"</script><img src=x onerror="document.title=\'hacked\'">'


@pytest.fixture
async def browser():  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
async def accounts(assistant):  # type: ignore[no-untyped-def]
    suffix = uuid.uuid4().hex[:6]
    users = {"admin": (f"admin{suffix}", "admin", None), "civil": (f"mz{suffix}", "department", "市民政局"),
             "market": (f"sj{suffix}", "department", "市市场监督管理局")}
    for username, role, department in users.values():
        await assistant.staff.add_user(username, "correct-horse-1", role, username, department)
    return {key: value[0] for key, value in users.items()}


async def login(browser, server_url: str, username: str):  # type: ignore[no-untyped-def]
    page = await (await browser.new_context()).new_page()
    await page.goto(server_url + "/staff/")
    assert page.url.endswith("/staff/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", "correct-horse-1")
    await page.click("main button[type=submit]")
    await page.wait_for_url(server_url + "/staff/")
    return page


async def test_login_ticket_escaping_and_department_scope(browser, server_url, assistant, accounts) -> None:  # type: ignore[no-untyped-def]
    tickets = assistant.workflows.tickets
    civil, _ = await tickets.create("complaint", "窗口态度差 " + HOSTILE, department="市民政局", channel="rest",
                                    sender="c1", dedupe_key=uuid.uuid4().hex)
    market, _ = await tickets.create("complaint", "营业执照窗口排队太久", department="市市场监督管理局",
                                     channel="rest", sender="c2", dedupe_key=uuid.uuid4().hex)

    page = await login(browser, server_url, accounts["civil"])
    await page.goto(f"{server_url}/staff/tickets")
    assert civil.number in await page.content() and market.number not in await page.content()
    await page.click(f"text={civil.number}")
    text = await page.locator(".citizen-text").inner_text()
    assert "<script>" in text and await page.title() != "hacked"
    assert await page.locator(".citizen-text script, .citizen-text img").count() == 0

    await page.select_option("select[name=status]", "处理中")
    await page.fill("textarea[name=reply]", "已联系当事窗口核实")
    await page.click("main form button[type=submit]")
    assert "处理中" in await page.locator("h2").inner_text()

    forbidden = await page.goto(f"{server_url}/staff/tickets/{market.number}")
    assert forbidden.status == 403 and "本部门" in await page.content()

    admin = await login(browser, server_url, accounts["admin"])
    await admin.goto(f"{server_url}/staff/audit")
    assert civil.number in await admin.content()


async def test_a_form_without_its_csrf_token_is_refused(browser, server_url, assistant, accounts) -> None:  # type: ignore[no-untyped-def]
    number, _ = await assistant.workflows.tickets.create("suggestion", "多开窗口", department="市民政局",
                                                         channel="rest", sender="c3", dedupe_key=uuid.uuid4().hex)
    page = await login(browser, server_url, accounts["civil"])
    status = await page.evaluate("""async (url) => {
        const response = await fetch(url, {method: "POST", body: new URLSearchParams({status: "已办结"})});
        return response.status;
    }""", f"{server_url}/staff/tickets/{number.number}")
    assert status == 403
    assert (await assistant.workflows.tickets.get(number.number)).status == "待受理"


async def test_wrong_password_and_logged_out_requests(browser, server_url, accounts) -> None:  # type: ignore[no-untyped-def]
    page = await (await browser.new_context()).new_page()
    await page.goto(server_url + "/staff/login")
    await page.fill("input[name=username]", accounts["admin"])
    await page.fill("input[name=password]", "wrong-password")
    await page.click("main button[type=submit]")
    assert "用户名或密码错误" in await page.content()
    async with aiohttp.ClientSession() as session:
        async with session.get(server_url + "/staff/tickets", allow_redirects=False) as response:
            assert response.status == 303 and response.headers["Location"] == "/staff/login"


async def test_staff_reply_typed_in_the_console_appears_on_the_citizen_page(browser, server_url, accounts) -> None:  # type: ignore[no-untyped-def]
    citizen = await (await browser.new_context()).new_page()
    await citizen.goto(server_url + "/")
    await citizen.fill("#text", "老人证要带啥")
    await citizen.click("#send")
    await citizen.locator(".msg.bot").nth(1).wait_for()
    await citizen.fill("#text", "转人工")
    await citizen.click("#send")
    await citizen.get_by_text("已为您转接人工客服").wait_for()

    staff = await login(browser, server_url, accounts["admin"])
    await staff.click("text=查看")
    await staff.get_by_text("老人证要带啥").first.wait_for()
    await staff.fill("textarea[name=text]", "您好，我是工作人员，请问还需要什么帮助？")
    await staff.click("#reply button[type=submit]")
    await citizen.get_by_text("【人工客服】您好，我是工作人员，请问还需要什么帮助？").wait_for(timeout=5000)

    await citizen.fill("#text", "我想问问公积金")
    await citizen.click("#send")
    await staff.get_by_text("我想问问公积金").wait_for(timeout=5000)
    await staff.click("text=结束人工服务，交还智能助手")
    await citizen.get_by_text("人工服务已结束").wait_for(timeout=5000)


async def test_unanswered_question_becomes_an_alias_that_answers_at_once(browser, server_url, http, assistant,  # type: ignore[no-untyped-def]
                                                                         accounts) -> None:
    async def ask(text: str) -> str:
        response = await http.post("/webhooks/rest/webhook", json={"sender": uuid.uuid4().hex, "message": text})
        return "\n".join(r["text"] for r in await response.json())

    question = "我要办夕阳红卡需要什么材料"
    assert "没有找到" in await ask(question)
    assert "没有找到" in await ask("夕阳红卡要带什么材料")
    await assistant.turn_log.flush()
    # A question about no item we know belongs to no department: admins and supervisors sort those out.
    page = await login(browser, server_url, accounts["admin"])
    await page.goto(f"{server_url}/staff/unanswered")
    group = page.locator("form.group", has_text="夕阳红卡").first
    assert "2 次" in await group.inner_text()
    await group.locator("input[name=item_id]").fill("mz-lnyd")
    await group.locator("input[value=alias]").check()
    await group.locator("button[type=submit]").click()
    await page.wait_for_url(f"{server_url}/staff/unanswered")
    assert "【老年人优待证办理】" in await ask("夕阳红卡要带什么材料")


async def test_guide_edit_answers_the_next_question_and_is_audited(browser, server_url, http, accounts) -> None:  # type: ignore[no-untyped-def]
    page = await login(browser, server_url, accounts["civil"])
    await page.goto(f"{server_url}/staff/kb/mz-shtt")
    await page.fill("input[name=fee]", "不收费（已于本月核对）")
    await page.click("form.editor button[type=submit]")
    await page.get_by_text("已保存").wait_for()
    response = await http.post("/webhooks/rest/webhook", json={"sender": uuid.uuid4().hex,
                                                               "message": "社会团体成立登记收费吗"})
    assert "不收费（已于本月核对）" in (await response.json())[0]["text"]
    await page.fill("input[name=committed_limit]", "三天")
    await page.click("form.editor button[type=submit]")
    assert "committed_limit" in await page.content()
    forbidden = await page.goto(f"{server_url}/staff/kb/sj-qysl")
    assert forbidden.status == 403
    admin = await login(browser, server_url, accounts["admin"])
    await admin.goto(f"{server_url}/staff/audit")
    assert "kb_edit" in await admin.content() and accounts["civil"] in await admin.content()


async def test_dashboard_and_report_downloads(browser, server_url, accounts) -> None:  # type: ignore[no-untyped-def]
    page = await login(browser, server_url, accounts["admin"])
    await page.goto(f"{server_url}/staff/dashboard")
    assert await page.locator("svg.chart").count() >= 3
    assert "咨询消息" in await page.content()
    async with page.expect_download() as download:
        await page.click("text=下载 Excel")
    path = await (await download.value).path()
    import io
    from pathlib import Path

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(Path(path).read_bytes())).active.values)
    assert rows[0] == ("分类", "指标", "数值") and any(row[1] == "满意率" for row in rows)
    csv_text = await page.evaluate("async () => (await fetch('/staff/report.csv?from=2026-11-01&to=2026-11-30')).text()")
    assert "咨询消息数" in csv_text


async def test_a_new_handoff_shows_a_notice_and_never_reloads_a_page_being_typed_in(browser, server_url, http,  # type: ignore[no-untyped-def]
                                                                                     assistant, accounts) -> None:
    ticket, _ = await assistant.workflows.tickets.create("suggestion", "希望增加自助打印机", department="市民政局",
                                                         channel="rest", sender="c-notice", dedupe_key=uuid.uuid4().hex)
    async def listening(count: int) -> None:
        while assistant.live.subscribers("staff") != count:
            await asyncio.sleep(0.05)

    before = assistant.live.subscribers("staff")
    inbox = await login(browser, server_url, accounts["admin"])
    await inbox.close()
    await asyncio.wait_for(listening(before), 10)
    page = await inbox.context.new_page()
    await page.goto(f"{server_url}/staff/tickets/{ticket.number}")
    await asyncio.wait_for(listening(before + 1), 10)  # this page's live socket is open
    await page.evaluate("window.notReloaded = true")
    await page.fill("textarea[name=reply]", "您好，已记录您的建议，正在")
    response = await http.post("/webhooks/rest/webhook", json={"sender": uuid.uuid4().hex, "message": "转人工"})
    assert "已为您转接人工客服" in (await response.json())[0]["text"]
    notice = page.locator("#live-notice")
    await notice.wait_for(timeout=5000)
    assert "有新的转人工会话，点击刷新" in await notice.inner_text()
    assert await page.evaluate("window.notReloaded") is True
    assert await page.input_value("textarea[name=reply]") == "您好，已记录您的建议，正在"
    await notice.click()
    await page.wait_for_load_state()
    assert await page.evaluate("window.notReloaded") is None
