"""Locked cases (办件查询锁定): case numbers that took too many wrong last-four tries from everyone
together and now reveal nothing online. Staff who have seen the applicant in person unlock one;
every unlock is in the audit log. Department staff see only cases of their department's items."""

from __future__ import annotations

from datetime import timedelta, timezone

from aiohttp import web

from bot.console.pages import assistant_of, forbidden, form_with_csrf, render, require

CHINA = timezone(timedelta(hours=8))


async def locked_cases(request: web.Request) -> web.Response:
    login_session = await require(request)
    assistant = assistant_of(request)
    if request.method == "POST":
        form = await form_with_csrf(request, login_session.csrf_token)
        case_no = form.get("case_no", "").strip()
        locked = {case.case_no: case for case in await assistant.workflows.cases.locked_cases()}
        if case_no not in locked:
            raise web.HTTPSeeOther("/staff/cases/locked")  # unlocked meanwhile (or never locked): nothing to do
        if not login_session.member.may_see(_department(assistant, locked[case_no].item_id)):
            return forbidden(login_session)
        cleared = await assistant.workflows.cases.unlock(case_no)
        await assistant.staff.audit(login_session.member.username, "case_unlock", case_no,
                                    f"清除 {cleared} 次错误验证")
        raise web.HTTPSeeOther("/staff/cases/locked?done=1")
    rows = []
    for case in await assistant.workflows.cases.locked_cases():
        department = _department(assistant, case.item_id)
        if not login_session.member.may_see(department):
            continue
        item = assistant.knowledge.item(case.item_id or "") or {}
        rows.append({"case_no": case.case_no, "item": item.get("name") or case.item_id, "department": department,
                     "wrong_tries": case.wrong_tries,
                     "locked_until": case.locked_until.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")})
    # The page's own fixed text, never words from the URL.
    return render("cases_locked.html", me=login_session.member, csrf=login_session.csrf_token, cases=rows,
                  unlocked=request.query.get("done") == "1")


def _department(assistant, item_id: str | None) -> str | None:  # type: ignore[no-untyped-def]
    item = assistant.knowledge.item(item_id or "") or {}
    return item.get("department")
