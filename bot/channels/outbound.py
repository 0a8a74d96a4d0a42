"""What the channels' API clients share: one HTTP session per client, opened on first use."""

from __future__ import annotations

import aiohttp

TIMEOUT_SECONDS = 10  # a platform slower than this is down as far as a waiting citizen is concerned


class PlatformClient:
    """Base of a platform's API client: `http()` is its session; `close()` at shutdown."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
