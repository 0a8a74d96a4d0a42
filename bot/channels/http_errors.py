"""Clear JSON errors for bad requests, and a guard that turns any unexpected failure into a 500
without a traceback in the response."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from aiohttp import web

log = logging.getLogger(__name__)


def json_response(value: Any, status: int = 200) -> web.Response:
    """UTF-8 JSON (Chinese stays readable, not \\u-escaped)."""
    return web.Response(body=orjson.dumps(value), status=status, content_type="application/json")


def json_error(status: int, reason: str) -> web.Response:
    return json_response({"error": reason, "status": status}, status)


async def read_json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The request body as a JSON object, or the 400 response that says what is wrong with it."""
    data = await read_json_value(request)
    if not isinstance(data, web.Response) and not isinstance(data, dict):
        return json_error(400, "请求体应为 JSON 对象")
    return data


async def read_json_value(request: web.Request) -> Any:
    """The request body as JSON, or the 400/413 response that says what is wrong with it."""
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, "请求体过大")
    if not body.strip():
        return json_error(400, "请求体为空，应为 JSON 对象")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return json_error(400, "请求体不是 UTF-8 编码")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return json_error(400, f"请求体不是合法的 JSON：{error.msg}（第 {error.lineno} 行第 {error.colno} 列）")
    return data


@web.middleware
async def error_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status >= 400 and request.path.startswith(("/model", "/webhooks", "/health", "/api")):
            return json_error(error.status, error.reason)
        raise
    except Exception:  # noqa: BLE001 - the citizen gets a clean error, the log gets the traceback
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "服务器内部错误，请稍后再试")
