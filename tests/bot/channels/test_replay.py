"""The memory of signed (timestamp, nonce) pairs that stops a captured webhook URL from being
replayed with another body."""

from __future__ import annotations

from bot.channels.replay import DEFAULT_WINDOW_SECONDS, ReplayMemory, window_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_pair_is_refused_with_another_body_and_admitted_again_with_its_own() -> None:
    memory = ReplayMemory(600)
    assert await memory.admit("1700000000", "42", b"<xml>genuine</xml>")
    assert not await memory.admit("1700000000", "42", b"<xml>forged</xml>")
    assert await memory.admit("1700000000", "42", b"<xml>genuine</xml>")  # the platform's retry
    assert await memory.admit("1700000000", "43", b"<xml>forged</xml>")  # another nonce: another request


async def test_a_pair_is_forgotten_once_its_window_has_passed() -> None:
    clock = Clock()
    memory = ReplayMemory(600, clock=clock)
    assert await memory.admit("t", "n", b"a")
    clock.now += 599
    assert not await memory.admit("t", "n", b"b")
    clock.now += 2  # by now the timestamp check refuses the URL anyway
    assert await memory.admit("t", "n", b"b")
    assert len(memory) == 1


async def test_the_memory_stays_within_its_limit() -> None:
    memory = ReplayMemory(600, limit=100)
    for nonce in range(1000):
        assert await memory.admit("t", str(nonce), b"body")
    assert len(memory) == 100
    assert not await memory.admit("t", "999", b"other")  # the newest are the ones kept


def test_the_window_covers_a_timestamp_ahead_of_the_clock() -> None:
    assert window_for(300) == 600  # fresh from 300 s before it until 300 s after it
    assert window_for(0) == DEFAULT_WINDOW_SECONDS  # the check is off: still remember a while
