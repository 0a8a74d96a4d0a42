"""Clients that are slow or greedy must not exhaust the server: a deadline for request bodies and
caps on open websockets, per client address and in all. (Request heads have their deadline in the
server's keep-alive timeout, see `zwbot run`.)"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from bot.channels.client import client_address
from bot.channels.http_errors import json_error

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def body_deadline(seconds: float):  # type: ignore[no-untyped-def]
    """Middleware: a request body must arrive whole within `seconds` (else 408). The body is read here
    once; handlers reading it again get the same bytes."""
    @web.middleware
    async def middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
        if request.method in BODY_METHODS and request.body_exists:
            try:
                async with asyncio.timeout(seconds):
                    await request.read()
            except TimeoutError:
                return json_error(408, "请求体发送超时")
            except web.HTTPRequestEntityTooLarge:
                return json_error(413, "请求体过大")
        return await handler(request)

    return middleware


class SocketLimits:
    """How many live websockets may be open per client address and in all."""

    def __init__(self, per_address: int = 20, total: int = 2000) -> None:
        self.per_address = per_address
        self.total = total
        self._open: Counter[str] = Counter()
        self._sockets: set[web.WebSocketResponse] = set()

    @asynccontextmanager
    async def open(self, request: web.Request, heartbeat: float = 30,
                   protocols: tuple[str, ...] = ()) -> AsyncIterator[web.WebSocketResponse]:
        """A prepared websocket for the block; 429 before the handshake when a cap is reached.
        `protocols`: the subprotocols to accept (the one the browser asked for is echoed)."""
        address = client_address(request)
        if self._open[address] >= self.per_address or sum(self._open.values()) >= self.total:
            raise web.HTTPTooManyRequests(text="打开的实时连接过多，请关闭其他页面后重试")
        self._open[address] += 1
        socket = web.WebSocketResponse(heartbeat=heartbeat, protocols=protocols)
        self._sockets.add(socket)
        try:
            await socket.prepare(request)
            yield socket
        finally:
            self._sockets.discard(socket)
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]

    async def close_all(self) -> None:
        """At shutdown: live sockets would otherwise hold the drain until its timeout."""
        for socket in list(self._sockets):
            await socket.close(code=1001, message=b"server shutting down")


SOCKETS = web.AppKey("socket_limits", SocketLimits)
