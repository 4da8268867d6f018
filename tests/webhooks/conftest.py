"""Fixtures of the webhook tests: a real receiver on loopback and the dispatcher over the app's database."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from monk.kit.clock import FrozenClock
from monk.webhooks.dispatch import Dispatcher
from tests.conftest import Api
from tests.webhooks.receiver import Receiver, serving


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving() as r:
        yield r


@pytest.fixture
async def dispatcher(app: Any, clock: FrozenClock) -> AsyncIterator[Dispatcher]:
    """The dispatcher on the app's database, the clock injected, a 1 s attempt timeout and seeded jitter;
    ``await dispatcher.drain()`` sends everything due now."""
    settings = app.state.settings.model_copy(update={"webhook_timeout_seconds": 1.0})
    d = Dispatcher(app.state.sessions, clock=clock, settings=settings, rng=random.Random(7))
    yield d
    await d.close()


async def subscribe(api: Api, receiver: Receiver, path: str, event_types: list[str] | None = None,
                    **extra: Any) -> dict[str, Any]:
    """Create an endpoint at ``receiver``'s ``path``; the receiver verifies with its secret."""
    r = await api.post("/v1/webhooks/endpoints", {"url": receiver.url(path), "eventTypes": event_types or ["*"],
                                                  **extra})
    assert r.status_code == 201, r.text
    endpoint = r.json()["data"]
    receiver.secrets[path] = endpoint["secret"]
    return endpoint
