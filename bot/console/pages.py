"""The console's foundations: pages, login sessions, CSRF and roles."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.assistant import Assistant
from bot.channels import ASSISTANT
from bot.channels.client import client_address, is_https
from bot.services.staff import LoginSession
from bot.vocabulary import TicketKind, TicketStatus

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "zwbot_staff"
LOGIN_CSRF_COOKIE = "zwbot_login_csrf"
LABELS = {
    "roles": {"admin": "管理员", "supervisor": "督办", "department": "部门工作人员"},
    "reasons": {"request": "群众要求", "misses": "连续未答", "upset": "情绪激动"},
    "statuses": {"flagged": "情绪预警", "waiting": "等待接入", "active": "人工服务中", "released": "已交还"},
    "authors": {"citizen": "群众", "bot": "智能助手", "staff": "工作人员"},
    "kinds": {kind.value: kind.label for kind in TicketKind},
    "ticket_statuses": [status.value for status in TicketStatus],
}

_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                autoescape=jinja2.select_autoescape(default=True, default_for_string=True))


def render(template: str, http_status: int = 200, **values: Any) -> web.Response:
    html = _templates.get_template(template).render(**LABELS, **values)
    return web.Response(text=html, status=http_status, content_type="text/html",
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'"})


def assistant_of(request: web.Request) -> Assistant:
    return request.app[ASSISTANT]


async def current(request: web.Request) -> LoginSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    return await assistant_of(request).staff.session(token) if token else None


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


# The login page says only these fixed texts: `?error=` carries a code, never words to show.
LOGIN_ERRORS = {
    "wrong": "用户名或密码错误",
    "locked": "密码错误次数过多，该账号或本机已被暂时锁定，请 {minutes} 分钟后再试；如非本人操作，请联系管理员",
}


def cookies_secure(request: web.Request) -> bool:
    """Cookies go over HTTPS only when ZWBOT_COOKIE_SECURE=1, or when this request came over HTTPS
    (directly, or as a trusted proxy's X-Forwarded-Proto says)."""
    return os.environ.get("ZWBOT_COOKIE_SECURE", "").strip() == "1" or is_https(request)


def set_console_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="Strict", path="/staff", secure=cookies_secure(request))


async def login_page(request: web.Request) -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    error = LOGIN_ERRORS.get(request.query.get("error", ""))
    if error:
        error = error.format(minutes=int(assistant_of(request).staff.limits.lockout.total_seconds() // 60))
    response = render("login.html", me=None, csrf=token, error=error)
    set_console_cookie(request, response, LOGIN_CSRF_COOKIE, token)
    return response


async def login(request: web.Request) -> web.Response:
    form = await form_with_csrf(request, request.cookies.get(LOGIN_CSRF_COOKIE, ""))
    result = await assistant_of(request).staff.login(form.get("username", ""), form.get("password", ""),
                                                     client_address(request))
    if result.outcome != "ok":
        raise web.HTTPSeeOther(f"/staff/login?error={result.outcome}")
    response = web.HTTPSeeOther("/staff/")
    set_console_cookie(request, response, SESSION_COOKIE, result.token)
    raise response


async def logout(request: web.Request) -> web.Response:
    login_session = await require(request)
    await form_with_csrf(request, login_session.csrf_token)
    await assistant_of(request).staff.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(SESSION_COOKIE, path="/staff", secure=cookies_secure(request), httponly=True,
                        samesite="Strict")
    raise response
