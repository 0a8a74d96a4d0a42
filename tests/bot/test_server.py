"""The server's defences against slow and greedy clients (slow-header dribble, slow bodies, websocket floods)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp
import pytest

from bot.assistant import Assistant
from bot.config import Settings
from bot.server import create_app, make_runner


@asynccontextmanager
async def served(settings: Settings, assistant: Assistant, **limits: float) -> AsyncIterator[int]:
    """The app as `zwbot run` serves it, with these limits; yields its port."""
    tight = replace(settings, config=settings.config.with_changes("limits", **limits))
    runner = make_runner(create_app(tight, assistant), tight)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def test_a_slow_header_dribble_is_cut_off(settings: Settings, assistant: Assistant) -> None:
    async with served(settings, assistant, header_timeout_seconds=1) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\n")
        closed = False
        for _ in range(20):  # one header line every 0.25 s, never the blank line that ends the head
            await asyncio.sleep(0.25)
            if reader.at_eof():
                closed = True
                break
            writer.write(b"X-Slow: 1\r\n")
        assert closed or await asyncio.wait_for(reader.read(), 2) == b""
        writer.close()


async def test_a_body_that_never_finishes_gets_408(settings: Settings, assistant: Assistant) -> None:
    async with served(settings, assistant, body_timeout_seconds=1) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /model/parse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"text\": ")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        assert status_line.split()[1] == b"408"
        writer.close()


async def test_a_request_sent_in_time_is_answered(settings: Settings, assistant: Assistant) -> None:
    async with served(settings, assistant, header_timeout_seconds=1) as port:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/health") as response:
            assert response.status == 200


async def test_a_websocket_flood_from_one_address_is_refused(settings: Settings, assistant: Assistant) -> None:
    async with served(settings, assistant, websockets_per_address=3) as port, aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}/webhooks/rest/live?sender=flood"
        sockets = [await http.ws_connect(url) for _ in range(3)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)
        assert refused.value.status == 429
        await sockets[0].close()
        await asyncio.sleep(0.2)  # the server sees the close
        again = await http.ws_connect(url)  # a closed socket frees its place
        for socket in [*sockets[1:], again]:
            await socket.close()
