"""The web chat page in real Chromium (Debian's), on a phone-sized screen."""

from __future__ import annotations

import re
import shutil

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture
async def page(server_url: str):  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
        page = await context.new_page()
        outside: list[str] = []
        page.on("request", lambda request: outside.append(request.url)
                if not request.url.startswith((server_url, "data:")) else None)
        await page.goto(server_url + "/")
        yield page
        assert not outside, f"the page fetched from outside: {outside}"
        await browser.close()


async def test_citizen_asks_and_gets_every_material(page) -> None:  # type: ignore[no-untyped-def]
    await page.fill("#text", "老人证要带啥")
    await page.click("#send")
    answer = page.locator(".msg.bot").nth(1)
    await answer.wait_for()
    text = await answer.inner_text()
    assert "【老年人优待证办理】" in text and "1. 申请人居民身份证" in text and "5. " in text


async def test_buttons_are_clickable_and_answer(page) -> None:  # type: ignore[no-untyped-def]
    await page.get_by_role("button", name="老年人优待证怎么办").click()
    await page.locator(".msg.bot").nth(1).wait_for()
    await page.get_by_role("button", name="要多久").first.click()
    reply = page.locator(".msg.bot").nth(2)
    await reply.wait_for()
    assert "办理时限" in await reply.inner_text()


async def test_citizen_text_is_shown_as_text_not_html(page) -> None:  # type: ignore[no-untyped-def]
    await page.fill("#text", "<img src=x onerror=\"document.title='hacked'\"><b>粗体</b>")
    await page.click("#send")
    await page.locator(".msg.bot").nth(1).wait_for()
    mine = page.locator(".msg.me").first
    assert "<b>粗体</b>" in await mine.inner_text()
    assert await page.locator(".msg img, .msg b").count() == 0
    assert await page.title() != "hacked"


async def test_page_fits_a_phone_screen(page) -> None:  # type: ignore[no-untyped-def]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    box = await page.locator("#send").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375 and box["y"] + box["height"] <= 740


async def test_staff_reply_reaches_the_page_under_its_server_issued_identity(page, assistant) -> None:  # type: ignore[no-untyped-def]
    await page.fill("#text", "转人工")
    await page.click("#send")
    await page.locator(".msg.bot").nth(1).wait_for()
    identity = await page.evaluate("JSON.parse(localStorage.getItem('zwbot-webchat-identity'))")
    assert re.fullmatch(r"wc-[0-9a-f]{32}", identity["sender"]) and len(identity["token"]) == 64
    handoff_id = await assistant.workflows.handoffs.open_for("webchat", identity["sender"])
    assert handoff_id is not None
    await page.reload()  # the same citizen after a reload: same identity, same live socket
    await page.locator(".msg.bot").first.wait_for()
    await assistant.workflows.handoffs.reply(handoff_id, "staff1", "您好，我是工作人员小王")
    pushed = page.locator(".msg.bot", has_text="【人工客服】您好，我是工作人员小王")
    await pushed.wait_for(timeout=10_000)
    again = await page.evaluate("JSON.parse(localStorage.getItem('zwbot-webchat-identity'))")
    assert again == identity
