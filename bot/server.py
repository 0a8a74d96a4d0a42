"""The aiohttp application: every channel's routes around one Assistant."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket

from aiohttp import web

from bot.assistant import Assistant
from bot.channels import ASSISTANT, CHANNELS, api, rest, telegram, webchat, wechat, weibo
from bot.channels.http_errors import error_middleware
from bot.channels.slow_clients import SOCKETS, SocketLimits, body_deadline
from bot.console import add_routes as add_console_routes
from bot.config import Settings

MAX_BODY_BYTES = 256 * 1024
DRAIN_SECONDS = 10.0  # on SIGTERM, turns in flight get this long to finish before the process exits


class AddressInUse(Exception):
    """Another process (most likely another zwbot) already serves the port."""


def create_app(settings: Settings, assistant: Assistant | None = None) -> web.Application:
    """The app; the assistant starts with the app unless one is given (tests share one)."""
    limits = settings.config.limits
    app = web.Application(middlewares=[error_middleware, body_deadline(limits.body_timeout_seconds)],
                          client_max_size=MAX_BODY_BYTES)
    app[SOCKETS] = SocketLimits(limits.websockets_per_address, limits.websockets_total)

    async def close_sockets(app: web.Application) -> None:
        await app[SOCKETS].close_all()

    app.on_shutdown.append(close_sockets)

    async def lifecycle(app: web.Application):  # type: ignore[no-untyped-def]
        owned = assistant is None
        app[ASSISTANT] = assistant or await Assistant.start(settings)
        yield
        if owned:
            await app[ASSISTANT].close()

    app.cleanup_ctx.append(lifecycle)
    rest.add_routes(app)
    app[CHANNELS] = {"rest": True, "wechat": wechat.add_routes(app, settings),
                     "weibo": weibo.add_routes(app, settings), "telegram": telegram.add_routes(app, settings)}
    api.add_routes(app)
    webchat.add_routes(app, settings)
    add_console_routes(app)
    return app


def make_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The runner `zwbot run` serves `app` with. Its keep-alive timeout also closes a connection that
    has not sent a whole request head by then (a slow-header dribble), as well as idle keep-alives."""
    return web.AppRunner(app, access_log=None, keepalive_timeout=settings.config.limits.header_timeout_seconds)


def bind_listener(host: str, port: int) -> socket.socket:
    """The listening socket for `zwbot run`, bound before anything else starts.

    No SO_REUSEPORT: a second `zwbot run` on a port already served must fail here, not share the port
    (several workers opt in explicitly). SO_REUSEADDR only lets a restart bind past TIME_WAIT."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise AddressInUse(f"{host}:{port}") from error
        raise
    listener.listen(1024)
    listener.setblocking(False)
    return listener


async def until_stopped() -> None:
    """Wait for SIGTERM (systemd, docker stop) or SIGINT (Ctrl+C)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
