"""What the fakes share: a local aiohttp server that records raw requests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeServer:
    """Subclasses add routes in `routes()`; `url` is where it listens once started."""

    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def record(self, request: web.Request) -> Recorded:
        entry = Recorded(request.method, request.path, dict(request.query), dict(request.headers), await request.read())
        self.requests.append(entry)
        self._changed.set()
        return entry

    async def start(self) -> FakeServer:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def settle(self, quiet: float = 0.15, limit: float = 5.0) -> None:
        """Wait until no request has arrived for `quiet` seconds (what zwbot sends in the background)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), quiet)
            except asyncio.TimeoutError:
                return

    async def wait_for(self, condition: Callable[[], bool], limit: float = 10.0) -> None:
        """Wait until `condition()` holds (zwbot sent what a test expects), failing after `limit` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not condition():
            remaining = deadline - loop.time()
            assert remaining > 0, "timed out waiting for zwbot to send"
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        await self.settle()  # and whatever follows it

    def calls(self, path_suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith(path_suffix)]


def json_of(entry: Recorded) -> Any:
    import json

    return json.loads(entry.body.decode("utf-8"))
