"""Handlers of the staff console."""

from __future__ import annotations

import hmac
import secrets
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import orjson
from aiohttp import web

from bot.assistant import Assistant
from bot.channels import ASSISTANT
from bot.channels.websocket import events_until_closed
from bot.services.calendar import working_days_between
from bot.services.importers import ImportBatch
from bot.services.importers.csv_template import record_from_row, row_from_record
from bot.services.knowledge import save_item
from bot.services.statistics import CentreReport, centre_report
from bot.services.staff import LoginSession
from bot.services.tickets import KINDS, STATUSES, today
from bot.services.unanswered import UnansweredService

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "zwbot_staff"
LOGIN_CSRF_COOKIE = "zwbot_login_csrf"
LABELS = {
    "roles": {"admin": "管理员", "supervisor": "督办", "department": "部门工作人员"},
    "reasons": {"request": "群众要求", "misses": "连续未答", "upset": "情绪激动"},
    "statuses": {"flagged": "情绪预警", "waiting": "等待接入", "active": "人工服务中", "released": "已交还"},
    "authors": {"citizen": "群众", "bot": "智能助手", "staff": "工作人员"},
    "kinds": {"complaint": "投诉", "suggestion": "建议", "rectification": "差评整改", "consultation": "咨询"},
    "ticket_statuses": STATUSES,
}
assert set(LABELS["kinds"]) == set(KINDS)

_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                autoescape=jinja2.select_autoescape(default=True, default_for_string=True))


def render(template: str, http_status: int = 200, **values: Any) -> web.Response:
    html = _templates.get_template(template).render(**LABELS, **values)
    return web.Response(text=html, status=http_status, content_type="text/html",
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'"})


def _assistant(request: web.Request) -> Assistant:
    return request.app[ASSISTANT]


async def current(request: web.Request) -> LoginSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    return await _assistant(request).staff.session(token) if token else None


async def require(request: web.Request) -> LoginSession:
    """The logged-in staff member; otherwise off to the login page."""
    login = await current(request)
    if login is None:
        raise web.HTTPSeeOther("/staff/login")
    return login


async def form_with_csrf(request: web.Request, expected: str) -> dict[str, str]:
    """The posted form, after checking its CSRF token; 403 without the right one."""
    form = await request.post()
    given = str(form.get("csrf_token", ""))
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise web.HTTPForbidden(text="CSRF 校验失败：请刷新页面后重试")
    return {k: str(v) for k, v in form.items()}


def forbidden(login: LoginSession) -> web.Response:
    return render("error.html", 403, me=login.member, csrf=login.csrf_token, title="403 无权访问",
                  message="您只能查看本部门的会话和工单。")


async def login_page(request: web.Request) -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render("login.html", me=None, csrf=token, error=request.query.get("error"))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/staff")
    return response


async def login(request: web.Request) -> web.Response:
    form = await form_with_csrf(request, request.cookies.get(LOGIN_CSRF_COOKIE, ""))
    result = await _assistant(request).staff.login(form.get("username", ""), form.get("password", ""))
    if result is None:
        raise web.HTTPSeeOther("/staff/login?error=用户名或密码错误")
    token, _ = result
    response = web.HTTPSeeOther("/staff/")
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/staff")
    raise response


async def logout(request: web.Request) -> web.Response:
    login_session = await require(request)
    await form_with_csrf(request, login_session.csrf_token)
    await _assistant(request).staff.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(SESSION_COOKIE, path="/staff")
    raise response


def _scope(login_session: LoginSession) -> str | None:
    return login_session.member.department if login_session.member.role == "department" else None


async def inbox(request: web.Request) -> web.Response:
    login_session = await require(request)
    assistant = _assistant(request)
    handoffs = await assistant.workflows.handoffs.queue(_scope(login_session))
    tickets = [t for t in await assistant.workflows.tickets.list(_scope(login_session)) if t.status != "已办结"]
    warn_days = int((assistant.settings.pipeline.get("tickets") or {}).get("warn_working_days", 1))
    overdue = [t for t in tickets if t.overdue]
    near = [t for t in tickets if not t.overdue and working_days_between(today(), t.due_at) <= warn_days]
    return render("inbox.html", me=login_session.member, csrf=login_session.csrf_token, handoffs=handoffs,
                  overdue=overdue, near=near, warn_days=warn_days)


async def _handoff(request: web.Request, login_session: LoginSession):  # type: ignore[no-untyped-def]
    try:
        handoff_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    handoff = await _assistant(request).workflows.handoffs.get(handoff_id)
    if handoff is None:
        raise web.HTTPNotFound()
    return handoff


async def conversation(request: web.Request) -> web.Response:
    login_session = await require(request)
    handoff = await _handoff(request, login_session)
    if not login_session.member.may_see(handoff.department):
        return forbidden(login_session)
    history = await _assistant(request).workflows.handoffs.history(handoff)
    return render("conversation.html", me=login_session.member, csrf=login_session.csrf_token, handoff=handoff,
                  history=history)


async def conversation_reply(request: web.Request) -> web.Response:
    login_session = await require(request)
    form = await form_with_csrf(request, login_session.csrf_token)
    handoff = await _handoff(request, login_session)
    if not login_session.member.may_see(handoff.department):
        return forbidden(login_session)
    text = form.get("text", "").strip()
    if text:
        assistant = _assistant(request)
        if handoff.status == "flagged":  # staff step into a flagged conversation: it becomes theirs
            await assistant.workflows.handoffs.open(handoff.channel, handoff.sender, "upset", handoff.department)
        await assistant.workflows.handoffs.reply(handoff.id, login_session.member.username, text[:2000])
        await assistant.staff.audit(login_session.member.username, "reply", f"handoff:{handoff.id}", text)
    if request.headers.get("X-Requested-With") == "fetch":
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther(f"/staff/conversations/{handoff.id}")


async def conversation_release(request: web.Request) -> web.Response:
    login_session = await require(request)
    await form_with_csrf(request, login_session.csrf_token)
    handoff = await _handoff(request, login_session)
    if not login_session.member.may_see(handoff.department):
        return forbidden(login_session)
    assistant = _assistant(request)
    await assistant.workflows.handoffs.release(handoff.id, login_session.member.username)
    await assistant.staff.audit(login_session.member.username, "release", f"handoff:{handoff.id}")
    raise web.HTTPSeeOther("/staff/")


async def tickets_page(request: web.Request) -> web.Response:
    login_session = await require(request)
    kind, status = request.query.get("kind", ""), request.query.get("status", "")
    only_overdue = request.query.get("overdue") == "1"
    tickets = await _assistant(request).workflows.tickets.list(_scope(login_session))
    tickets = [t for t in tickets if (not kind or t.kind == kind) and (not status or t.status == status)
               and (not only_overdue or t.overdue)]
    return render("tickets.html", me=login_session.member, csrf=login_session.csrf_token, tickets=tickets,
                  kind=kind, status=status, only_overdue=only_overdue)


async def ticket_page(request: web.Request) -> web.Response:
    login_session = await require(request)
    service = _assistant(request).workflows.tickets
    ticket = await service.get(request.match_info["number"])
    if ticket is None:
        raise web.HTTPNotFound()
    if not login_session.member.may_see(ticket.department):
        return forbidden(login_session)
    if request.method == "POST":
        form = await form_with_csrf(request, login_session.csrf_token)
        status = form.get("status", ticket.status)
        if status not in STATUSES:
            raise web.HTTPBadRequest(text="状态不正确")
        reply = form.get("reply", "").strip()[:2000]
        await service.change_status(ticket.number, status, login_session.member.username, reply)
        await _assistant(request).staff.audit(login_session.member.username, "ticket", ticket.number,
                                              f"{status} {reply}".strip())
        raise web.HTTPSeeOther(f"/staff/tickets/{ticket.number}")
    return render("ticket.html", me=login_session.member, csrf=login_session.csrf_token, ticket=ticket,
                  events=await service.events(ticket.number))


async def audit_page(request: web.Request) -> web.Response:
    login_session = await require(request)
    if login_session.member.role == "department":
        return forbidden(login_session)
    entries = await _assistant(request).staff.audit_log()
    return render("audit.html", me=login_session.member, csrf=login_session.csrf_token, entries=entries)


async def live(request: web.Request) -> web.WebSocketResponse:
    """Pushes console events (new hand-offs, messages) to a logged-in browser."""
    login_session = await require(request)
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    assistant = _assistant(request)
    async with assistant.live.subscribe("staff") as queue:
        async for event in events_until_closed(socket, queue):
            if event["type"] == "message":  # only what this member may see
                handoff = await assistant.workflows.handoffs.get(event["id"])
                if handoff is None or not login_session.member.may_see(handoff.department):
                    continue
            await socket.send_str(orjson.dumps(event).decode())
    return socket


def _period(request: web.Request) -> tuple[date, date]:
    """The ?from=&to= dates (default: this month so far); 400 when they are not dates."""
    try:
        end = date.fromisoformat(request.query["to"]) if request.query.get("to") else today()
        start = date.fromisoformat(request.query["from"]) if request.query.get("from") else end.replace(day=1)
    except ValueError:
        raise web.HTTPBadRequest(text="日期格式应为 YYYY-MM-DD") from None
    if end < start:
        raise web.HTTPBadRequest(text="截止日期早于起始日期")
    return start, end


async def _report(request: web.Request) -> CentreReport:
    assistant = _assistant(request)
    start, end = _period(request)
    names = {item_id: record["name"] for item_id, record in assistant.knowledge.items.items()}
    return await centre_report(assistant.database, start, end, names)


def _bars(title: str, pairs: list[tuple[str, int]]) -> dict[str, Any]:
    largest = max((value for _, value in pairs), default=0) or 1
    return {"title": title, "bars": [{"label": label, "value": value, "width": round(380 * value / largest)}
                                     for label, value in pairs]}


async def dashboard(request: web.Request) -> web.Response:
    login_session = await require(request)
    report = await _report(request)
    charts = [
        _bars("每日咨询量", report.messages_per_day[-31:]),
        _bars("热门事项", [(name, count) for _, name, count in report.top_items]),
        _bars("智能助手解答与转人工", [("直接解答", report.answered), ("未能解答", report.messages - report.answered),
                                    ("转人工", report.handoffs)]),
        _bars("好差评", list(report.ratings.items())),
        _bars("投诉按部门", report.complaints_by_department),
    ]
    return render("dashboard.html", me=login_session.member, csrf=login_session.csrf_token, report=report,
                  charts=charts)


async def report_download(request: web.Request) -> web.Response:
    await require(request)
    report = await _report(request)
    name = f"zwbot-report-{report.start}-{report.end}"
    if request.match_info["format"] == "xlsx":
        return web.Response(body=report.xlsx(), headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return web.Response(text=report.csv(), headers={"Content-Type": "text/csv; charset=utf-8",
                                                    "Content-Disposition": f'attachment; filename="{name}.csv"'})


EDITABLE = [("name", "事项名称", False), ("aliases", "别名（每行一个）", True), ("keywords", "关键词（每行一个）", True),
            ("department", "办理部门", False), ("kind", "事项类型", False), ("summary", "简介", True),
            ("conditions", "申请条件", True), ("materials", "申请材料（每行：名称;原件/复印件;份数;必要/可选;备注）", True),
            ("process", "办理流程（每行一步）", True), ("statutory_limit", "法定时限（工作日）", False),
            ("committed_limit", "承诺时限（工作日）", False), ("limit_note", "时限说明", False), ("fee", "收费", False),
            ("basis", "设定依据（每行一条）", True), ("hall", "办理大厅", False), ("floor", "楼层", False),
            ("window", "窗口", False), ("hours", "办公时间", False), ("phone", "咨询电话", False),
            ("complaint_phone", "监督投诉电话", False), ("online_url", "网上办理地址", False),
            ("online_note", "网上办理说明", False), ("visits", "到现场次数", False), ("result", "办理结果", False),
            ("source", "信息来源", False)]


def _may_edit(login_session: LoginSession, record: dict[str, Any]) -> bool:
    return login_session.member.role != "department" or record.get("department") == login_session.member.department


async def kb_list(request: web.Request) -> web.Response:
    login_session = await require(request)
    query = request.query.get("q", "").strip()
    items = [r for r in _assistant(request).knowledge.items.values()
             if (not query or query in r["name"] or query in r["id"]) and _may_edit(login_session, r)]
    return render("kb.html", me=login_session.member, csrf=login_session.csrf_token, items=items[:300], q=query)


async def kb_item(request: web.Request) -> web.Response:
    login_session = await require(request)
    assistant = _assistant(request)
    record = assistant.knowledge.item(request.match_info["id"])
    if record is None:
        raise web.HTTPNotFound()
    if not _may_edit(login_session, record):
        return forbidden(login_session)
    problems: list[str] = []
    if request.method == "POST":
        form = await form_with_csrf(request, login_session.csrf_token)
        batch = ImportBatch()
        edited = record_from_row({**form, "id": record["id"]}, record["id"], batch)
        # Fields the form does not show (themes' steps, sample questions ...) stay as they were.
        merged = {**record, **{k: v for k, v in edited.items() if k != "updated_at"}}
        problems = [f"{p.field}: {p.message}" for p in batch.problems]
        if not problems:
            problems = await save_item(assistant.knowledge_service, assistant.knowledge, merged)
        if not problems:
            await assistant.reload_knowledge()
            await assistant.staff.audit(login_session.member.username, "kb_edit", record["id"], record["name"])
            raise web.HTTPSeeOther(f"/staff/kb/{record['id']}?saved=1")
        row = {**row_from_record(record), **form}
    else:
        row = row_from_record(record)
    return render("kb_item.html", me=login_session.member, csrf=login_session.csrf_token, row=row, fields=EDITABLE,
                  problems=problems, saved=request.query.get("saved") == "1")


async def unanswered(request: web.Request) -> web.Response:
    login_session = await require(request)
    assistant = _assistant(request)
    service = UnansweredService(assistant.database)
    message = ""
    if request.method == "POST":
        form = await form_with_csrf(request, login_session.csrf_token)
        record = assistant.knowledge.item(form.get("item_id", "").strip())
        text = form.get("text", "").strip()[:200]
        if record is None or not text:
            message = "没有找到该事项编号，未保存。"
        elif not _may_edit(login_session, record):
            return forbidden(login_session)
        else:
            field = "aliases" if form.get("as") == "alias" else "questions"
            updated = {**record, field: [*(record.get(field) or []), text]}
            problems = await save_item(assistant.knowledge_service, assistant.knowledge, updated)
            if problems:
                message = "；".join(problems)
            else:
                ids = [int(i) for i in form.get("ids", "").split(",") if i.strip().isdigit()]
                await service.resolve(ids)
                await assistant.reload_knowledge()
                await assistant.staff.audit(login_session.member.username, f"kb_{field}", record["id"], text)
                raise web.HTTPSeeOther("/staff/unanswered")
    items = sorted((item_id, r["name"]) for item_id, r in assistant.knowledge.items.items())
    return render("unanswered.html", me=login_session.member, csrf=login_session.csrf_token,
                  groups=await service.groups(), items=items, message=message)


async def to_inbox(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/staff/")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/staff/login", login_page)
    app.router.add_post("/staff/login", login)
    app.router.add_post("/staff/logout", logout)
    app.router.add_get("/staff/", inbox)
    app.router.add_get("/staff", to_inbox)
    app.router.add_get("/staff/conversations/{id}", conversation)
    app.router.add_post("/staff/conversations/{id}/reply", conversation_reply)
    app.router.add_post("/staff/conversations/{id}/release", conversation_release)
    app.router.add_get("/staff/tickets", tickets_page)
    app.router.add_route("*", "/staff/tickets/{number}", ticket_page)
    app.router.add_get("/staff/audit", audit_page)
    app.router.add_get("/staff/dashboard", dashboard)
    app.router.add_get("/staff/kb", kb_list)
    app.router.add_route("*", "/staff/kb/{id}", kb_item)
    app.router.add_route("*", "/staff/unanswered", unanswered)
    app.router.add_get(r"/staff/report.{format:csv|xlsx}", report_download)
    app.router.add_get("/staff/ws", live)
    app.router.add_static("/staff/static", HERE / "static")
