"""The dashboard and the report downloads (CSV, Excel)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from bot.console.pages import assistant_of, render, require
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


async def _report(request: web.Request) -> CentreReport:
    assistant = assistant_of(request)
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
