"""Fixtures of the payment tests: the app served over real HTTP on loopback, so the Stripe peer can
deliver its webhooks to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn

from tests.peers.ports import free_port
from tests.peers.smtp import SmtpPeer, smtp_peer
from tests.waiting import until


@pytest.fixture
async def served(app: Any) -> AsyncIterator[str]:
    """The app listening on a free loopback port → its base URL (``http://127.0.0.1:PORT``)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started, 10, what="the app serving on loopback")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def smtp() -> Iterator[SmtpPeer]:
    """A real SMTP server on loopback (``aiosmtpd``) with an empty inbox."""
    with smtp_peer() as peer:
        yield peer
