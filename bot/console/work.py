"""The staff's daily work: the inbox, hand-off conversations, tickets, the audit log, live updates."""

from __future__ import annotations

import orjson
from aiohttp import web

from bot.channels.slow_clients import SOCKETS
from bot.channels.websocket import events_until_closed
from bot.console.pages import assistant_of, forbidden, form_with_csrf, render, require
from bot.services.calendar import working_days_between
from bot.services.staff import LoginSession
from bot.services.tickets import FLOW, flow_refusal, today
from bot.vocabulary import TicketStatus


def _scope(login_session: LoginSession) -> str | None:
    return login_session.member.department if login_session.member.role == "department" else None


async def inbox(request: web.Request) -> web.Response:
    login_session = await require(request)
    assistant = assistant_of(request)
    handoffs = await assistant.workflows.handoffs.queue(_scope(login_session))
    tickets = [t for t in await assistant.workflows.tickets.list(_scope(login_session)) if t.status != "已办结"]
    warn_days = assistant.settings.config.tickets.warn_working_days
    overdue = [t for t in tickets if t.overdue]
    near = [t for t in tickets if not t.overdue and working_days_between(today(), t.due_at) <= warn_days]
    return render("inbox.html", me=login_session.member, csrf=login_session.csrf_token, handoffs=handoffs,
                  overdue=overdue, near=near, warn_days=warn_days)


async def _handoff(request: web.Request, login_session: LoginSession):  # type: ignore[no-untyped-def]
    try:
        handoff_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    handoff = await assistant_of(request).workflows.handoffs.get(handoff_id)
    if handoff is None:
        raise web.HTTPNotFound()
    return handoff


async def conversation(request: web.Request) -> web.Response:
    login_session = await require(request)
    handoff = await _handoff(request, login_session)
    if not login_session.member.may_see(handoff.department):
        return forbidden(login_session)
    history = await assistant_of(request).workflows.handoffs.history(handoff)
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
        assistant = assistant_of(request)
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
    assistant = assistant_of(request)
    await assistant.workflows.handoffs.release(handoff.id, login_session.member.username)
    await assistant.staff.audit(login_session.member.username, "release", f"handoff:{handoff.id}")
    raise web.HTTPSeeOther("/staff/")


async def tickets_page(request: web.Request) -> web.Response:
    login_session = await require(request)
    kind, status = request.query.get("kind", ""), request.query.get("status", "")
    only_overdue = request.query.get("overdue") == "1"
    tickets = await assistant_of(request).workflows.tickets.list(_scope(login_session))
    tickets = [t for t in tickets if (not kind or t.kind == kind) and (not status or t.status == status)
               and (not only_overdue or t.overdue)]
    return render("tickets.html", me=login_session.member, csrf=login_session.csrf_token, tickets=tickets,
                  kind=kind, status=status, only_overdue=only_overdue)


async def ticket_page(request: web.Request) -> web.Response:
    login_session = await require(request)
    service = assistant_of(request).workflows.tickets
    ticket = await service.get(request.match_info["number"])
    if ticket is None:
        raise web.HTTPNotFound()
    if not login_session.member.may_see(ticket.department):
        return forbidden(login_session)
    may_reopen = login_session.member.role == "admin"
    if request.method == "POST":
        form = await form_with_csrf(request, login_session.csrf_token)
        status = form.get("status", ticket.status)
        reply = form.get("reply", "").strip()[:2000]
        try:
            await service.change_status(ticket.number, status, login_session.member.username, reply,
                                        may_reopen=may_reopen)
        except ValueError as refused:
            return render("error.html", 400, me=login_session.member, csrf=login_session.csrf_token,
                          title="无法保存", message=str(refused), back=f"/staff/tickets/{ticket.number}")
        reopened = ticket.status == TicketStatus.CLOSED and status != ticket.status
        await assistant_of(request).staff.audit(login_session.member.username,
                                              "ticket_reopen" if reopened else "ticket", ticket.number,
                                              f"{ticket.status} → {status} {reply}".strip())
        raise web.HTTPSeeOther(f"/staff/tickets/{ticket.number}")
    choices = [s.value for s in FLOW if flow_refusal(ticket.status, s, True, may_reopen) is None]
    return render("ticket.html", me=login_session.member, csrf=login_session.csrf_token, ticket=ticket,
                  events=await service.events(ticket.number), choices=choices)


async def audit_page(request: web.Request) -> web.Response:
    login_session = await require(request)
    if login_session.member.role == "department":
        return forbidden(login_session)
    entries = await assistant_of(request).staff.audit_log()
    return render("audit.html", me=login_session.member, csrf=login_session.csrf_token, entries=entries)


async def live(request: web.Request) -> web.WebSocketResponse:
    """Pushes console events (new hand-offs, messages) to a logged-in browser."""
    login_session = await require(request)
    assistant = assistant_of(request)
    async with request.app[SOCKETS].open(request) as socket, assistant.live.subscribe("staff") as queue:
        async for event in events_until_closed(socket, queue):
            if event["type"] in ("message", "handoff"):  # only what this member may see
                handoff = await assistant.workflows.handoffs.get(event["id"])
                if handoff is None or not login_session.member.may_see(handoff.department):
                    continue
            await socket.send_str(orjson.dumps(event).decode())
    return socket
