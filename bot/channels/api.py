"""The operators' API: the approval system reports case status changes (`POST /api/cases`).

Authenticated by the key in `ZWBOT_API_KEY` (header `X-API-Key` or `Authorization: Bearer …`);
without that setting the API is off. Each (case, updated_at) is recorded once.
"""

from __future__ import annotations

import hmac
import os

from aiohttp import web

from bot.channels.http_errors import json_error, json_response, read_json_value
from bot.channels import ASSISTANT
from bot.services.cases import parse_case
from bot.services.importers import ImportProblem


def _authorised(request: web.Request, key: str) -> bool:
    given = request.headers.get("X-API-Key") or request.headers.get("Authorization", "").removeprefix("Bearer ")
    return bool(given) and hmac.compare_digest(given.encode(), key.encode())


async def post_cases(request: web.Request) -> web.Response:
    key = os.environ.get("ZWBOT_API_KEY", "")
    if not key:
        return json_error(503, "接口未启用：未设置 ZWBOT_API_KEY")
    if not _authorised(request, key):
        return json_error(401, "API 密钥无效")
    body = await read_json_value(request)
    if isinstance(body, web.Response):
        return body
    records = body if isinstance(body, list) else [body]
    problems: list[ImportProblem] = []
    parsed = []
    for number, record in enumerate(records):
        if isinstance(record, dict):
            parsed.append(parse_case(record, f"[{number}]", problems))
        else:
            problems.append(ImportProblem(f"[{number}]", "", "应为 JSON 对象"))
    if problems:
        return json_response({"error": "数据有误，未写入", "problems": [str(p) for p in problems]}, 400)
    new = await request.app[ASSISTANT].workflows.cases.record([r for r in parsed if r is not None])
    return json_response({"recorded": new, "duplicates": len(records) - new})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/cases", post_cases)
