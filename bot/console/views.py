"""Handlers of the staff console, by route."""

from __future__ import annotations

from aiohttp import web

from bot.console.cases import locked_cases
from bot.console.guides import kb_item, kb_list, unanswered
from bot.console.pages import HERE, login, login_page, logout
from bot.console.reports import dashboard, report_download
from bot.console.work import (audit_page, conversation, conversation_release, conversation_reply, inbox, live,
                              ticket_page, tickets_page)


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
    app.router.add_route("*", "/staff/cases/locked", locked_cases)
    app.router.add_get("/staff/dashboard", dashboard)
    app.router.add_get("/staff/kb", kb_list)
    app.router.add_route("*", "/staff/kb/{id}", kb_item)
    app.router.add_route("*", "/staff/unanswered", unanswered)
    app.router.add_get(r"/staff/report.{format:csv|xlsx}", report_download)
    app.router.add_get("/staff/ws", live)
    app.router.add_static("/staff/static", HERE / "static")
