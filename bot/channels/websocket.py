"""Relaying live events to a browser over a websocket until the page goes away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web


async def events_until_closed(socket: web.WebSocketResponse,
                              queue: asyncio.Queue[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    """Events from `queue`, one by one, until the browser closes `socket` (or the server shuts down)."""
    closing = asyncio.get_running_loop().create_task(socket.receive())
    try:
        while not socket.closed:
            getting = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getting, closing}, return_when=asyncio.FIRST_COMPLETED)
            if closing in done:
                getting.cancel()
                return
            yield getting.result()
    finally:
        closing.cancel()
