"""The guide editor and the unanswered questions that become citizen words, aliases or sample questions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.pages import assistant_of, forbidden, form_with_csrf, render, require
from bot.services.importers import ImportBatch
from bot.services.importers.csv_template import record_from_row, row_from_record
from bot.services.knowledge import save_item
from bot.services.staff import LoginSession
from bot.services.unanswered import UnansweredService, without_numbers

EDITABLE = [("name", "事项名称", False), ("aliases", "别名（每行一个）", True), ("keywords", "关键词（每行一个）", True),
            ("citizen_words", "市民说法（每行一个，如“牙科门诊”“公司搬家”）", True),
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


def _question_scope(login_session: LoginSession) -> str | None:
    """Department staff see the unanswered questions of their department only; None: all of them."""
    member = login_session.member
    return None if member.role in ("admin", "supervisor") else (member.department or "")


async def kb_list(request: web.Request) -> web.Response:
    login_session = await require(request)
    query = request.query.get("q", "").strip()
    items = [r for r in assistant_of(request).knowledge.items.values()
             if (not query or query in r["name"] or query in r["id"]) and _may_edit(login_session, r)]
    return render("kb.html", me=login_session.member, csrf=login_session.csrf_token, items=items[:300], q=query)


async def kb_item(request: web.Request) -> web.Response:
    login_session = await require(request)
    assistant = assistant_of(request)
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
    assistant = assistant_of(request)
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
            field = {"alias": "aliases", "question": "questions"}.get(form.get("as", ""), "citizen_words")
            ids = [int(i) for i in form.get("ids", "").split(",") if i.strip().isdigit()]
            added = [text]
            if field == "citizen_words":
                # Every wording of the group teaches the matcher how citizens ask for this item.
                added = [without_numbers(text), *await service.texts(ids, _question_scope(login_session))]
            known = record.get(field) or []
            updated = {**record, field: [*known, *(t for t in dict.fromkeys(added) if t and t not in known)]}
            problems = await save_item(assistant.knowledge_service, assistant.knowledge, updated)
            if problems:
                message = "；".join(problems)
            else:
                await service.resolve(ids, _question_scope(login_session))
                await assistant.reload_knowledge()
                await assistant.staff.audit(login_session.member.username, f"kb_{field}", record["id"], text)
                raise web.HTTPSeeOther("/staff/unanswered")
    items = sorted((item_id, r["name"]) for item_id, r in assistant.knowledge.items.items())
    return render("unanswered.html", me=login_session.member, csrf=login_session.csrf_token,
                  groups=await service.groups(department=_question_scope(login_session)), items=items,
                  message=message)
