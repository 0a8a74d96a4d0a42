"""Passive replies for platforms that wait a few seconds for the answer in the HTTP response and
retry a delivery they got no answer to (WeChat and Weibo: 5 s, three tries).

Each delivery's turn runs once, however often it is retried. If the turn is ready within the
budget, its first part goes back passively and the rest by the platform's send API; if not, the
request gets the empty answer and the whole turn goes by the send API once it is ready. A retry
that comes while the first request still waits joins it and gets the same answer.

With several workers (`shared`, Redis) a retry may reach another worker. The worker that takes a
delivery first claims it for the passive phase (budget + CLAIM_MARGIN seconds) and then leaves its
passive answer in Redis; a retry elsewhere waits for that answer and returns it. A claim whose worker
died (killed mid-turn) runs out, and the next retry takes the delivery over: nothing the citizen was
never answered is lost, and a form's ticket is still filed once (its own dedupe key).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.services.coordination import Coordination

log = logging.getLogger(__name__)

Send = Callable[[str, list[str]], Awaitable[None]]  # (recipient, parts) by the platform's send API
REMEMBER_SECONDS = 60.0  # the platforms' three tries end within about 15 s
CLAIM_MARGIN = 1.0  # seconds a claim outlives its worker's passive budget
POLL_SECONDS = 0.05


@dataclass
class _Delivery:
    turn: asyncio.Task[list[str]]
    by_api: bool = False  # the budget ran out: the whole answer goes by the send API
    rest_sent: bool = False


class PassiveReplies:
    def __init__(self, budget: float, send: Send | None) -> None:
        """`budget`: seconds to wait for a turn (well under the platform's limit); `send`: None when
        the channel has no API credentials (then only the passive part reaches the citizen)."""
        self.budget = budget
        self.send = send
        self._deliveries: dict[str, _Delivery] = {}
        self._sending: set[asyncio.Task[None]] = set()

    async def answer(self, key: str, recipient: str, turn: Callable[[], Awaitable[list[str]]],
                     shared: Coordination | None = None) -> str | None:
        """The passive reply for delivery `key`, or None (answer empty; the rest goes by the API).
        `shared`: the workers' coordination, when a retry may reach another worker."""
        if shared is None or key in self._deliveries:
            return await self._answer_here(key, recipient, turn)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.budget
        while True:
            answered = await shared.get(f"passive:{key}")
            if answered is not None:  # another worker answered this delivery
                return answered.decode() or None
            if await shared.first_time(f"claim:{key}", self.budget + CLAIM_MARGIN):
                reply = await self._answer_here(key, recipient, turn)
                await shared.put(f"passive:{key}", (reply or "").encode(), REMEMBER_SECONDS)
                return reply
            if loop.time() >= deadline:
                return None  # the claiming worker is still at it: it sends the answer by the API
            await asyncio.sleep(POLL_SECONDS)

    async def _answer_here(self, key: str, recipient: str, turn: Callable[[], Awaitable[list[str]]]) -> str | None:
        delivery = self._deliveries.get(key)
        if delivery is None:
            delivery = self._deliveries[key] = _Delivery(asyncio.ensure_future(turn()))
            asyncio.get_running_loop().call_later(REMEMBER_SECONDS, self._deliveries.pop, key, None)
        if delivery.by_api:
            return None
        try:
            parts = await asyncio.wait_for(asyncio.shield(delivery.turn), self.budget)
        except asyncio.TimeoutError:
            if not delivery.by_api:
                delivery.by_api = True
                delivery.turn.add_done_callback(lambda done: self._send_later(recipient, done, 0))
            return None
        except Exception:  # noqa: BLE001 - a failed turn is logged; the platform gets no retry storm
            log.exception("turn failed for delivery %s", key)
            return None
        if not delivery.rest_sent:
            delivery.rest_sent = True
            self._send_later(recipient, delivery.turn, 1)
        return parts[0] if parts else None

    def _send_later(self, recipient: str, turn: asyncio.Task[list[str]], skip: int) -> None:
        if turn.cancelled() or turn.exception() is not None or self.send is None:
            return
        parts = turn.result()[skip:]
        if parts:
            task = asyncio.ensure_future(self._send_quietly(recipient, parts))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send_quietly(self, recipient: str, parts: list[str]) -> None:
        if self.send is None:
            return
        try:
            await self.send(recipient, parts)
        except Exception:  # noqa: BLE001 - the answer is in the turn log; a failed push must not crash the loop
            log.exception("could not deliver %d parts to %s…", len(parts), recipient[:6])
