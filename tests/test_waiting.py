"""``tests/waiting.py``: a condition is waited for until it holds, and a condition that never holds
fails with its description once its time is up."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.waiting import ConditionNotMet, until, until_sync


async def test_until_returns_once_the_condition_holds() -> None:
    ready = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, ready.set)
    assert await until(ready.is_set, 5) is True

    async def value() -> int:
        return 7
    assert await until(value, 1) == 7


async def test_until_fails_naming_what_it_waited_for() -> None:
    started = time.monotonic()
    with pytest.raises(ConditionNotMet, match="the impossible"):
        await until(lambda: False, 0.1, what="the impossible")
    assert time.monotonic() - started >= 0.1


def test_until_sync() -> None:
    deadline = time.monotonic() + 0.05
    assert until_sync(lambda: time.monotonic() >= deadline, 5)
    with pytest.raises(ConditionNotMet, match="never"):
        until_sync(lambda: 0, 0.05, what="never")
