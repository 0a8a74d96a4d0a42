"""The dashboard and the report downloads (CSV, Excel)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from bot.console.pages import assistant_of, render, require
from bot.services.staff import LoginSession
from bot.services.statistics import CentreReport, centre_report
from bot.services.tickets import today


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


def _department_scope(login_session: LoginSession) -> str | None:
    """The one department this member's figures are limited to; None for admins and supervisors."""
    member = login_session.member
    return None if member.role in ("admin", "supervisor") else (member.department or "")


async def _report(request: web.Request, department: str | None) -> CentreReport:
    assistant = assistant_of(request)
    start, end = _period(request)
    names = {item_id: record["name"] for item_id, record in assistant.knowledge.items.items()
             if department is None or record.get("department") == department}
    return await centre_report(assistant.database, start, end, names, department)


def _bars(title: str, pairs: list[tuple[str, int]]) -> dict[str, Any]:
    largest = max((value for _, value in pairs), default=0) or 1
    return {"title": title, "bars": [{"label": label, "value": value, "width": round(380 * value / largest)}
                                     for label, value in pairs]}


async def dashboard(request: web.Request) -> web.Response:
    """The centre's figures for admins and supervisors; department staff see their department's only."""
    login_session = await require(request)
    report = await _report(request, _department_scope(login_session))
    charts = [
        _bars("每日咨询量" if report.department is None else "每日咨询量（本部门事项）", report.messages_per_day[-31:]),
        _bars("热门事项", [(name, count) for _, name, count in report.top_items]),
        _bars("消息构成", report.outcome_breakdown),
        _bars("好差评", list(report.ratings.items())),
        _bars("投诉按部门", report.complaints_by_department),
    ]
    return render("dashboard.html", me=login_session.member, csrf=login_session.csrf_token, report=report,
                  charts=charts)


async def report_download(request: web.Request) -> web.Response:
    """The centre-wide report as a file: for admins and supervisors only."""
    login_session = await require(request)
    if _department_scope(login_session) is not None:
        return render("error.html", 403, me=login_session.member, csrf=login_session.csrf_token,
                      title="403 无权访问", message="全中心统计报表仅限管理员和督办下载；本部门统计请在“统计”页面查看。")
    report = await _report(request, None)
    name = f"zwbot-report-{report.start}-{report.end}"
    if request.match_info["format"] == "xlsx":
        return web.Response(body=report.xlsx(), headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return web.Response(text=report.csv(), headers={"Content-Type": "text/csv; charset=utf-8",
                                                    "Content-Disposition": f'attachment; filename="{name}.csv"'})
