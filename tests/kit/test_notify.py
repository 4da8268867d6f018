"""Wake-ups between processes (``kit.notify``): on PostgreSQL an event committed by the Events API
wakes a worker that would otherwise sleep through its poll interval, and the listener comes back
by itself after its connection is killed. SQLite has nothing to listen to."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import text

from monk.kit.clock import FrozenClock
from monk.kit.notify import Listener
from monk.settings import Settings
from monk.worker.runner import Worker
from tests.conftest import Api
from tests.waiting import until


async def test_committed_events_wake_a_worker_in_another_process(
        api: Api, app: object, database_url: str, clock: FrozenClock) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("notifications are PostgreSQL's; a worker beside SQLite polls")
    settings = Settings(database_url=database_url, worker_poll_seconds=120)  # polling alone would take 2 min
    worker = Worker(app.state.sessions, clock=clock, settings=settings)  # type: ignore[attr-defined]
    task = asyncio.create_task(worker.run_forever())
    try:
        def first_pass_matched() -> bool:
            # Listening, and the first pass has matched everything pending: from now on only a
            # wake-up makes it match again.
            return worker.listener is not None and worker.listener.listening and worker.passes >= 1
        await until(first_pass_matched, 10)
        r = await api.post("/v1/events", {"eventName": "api_call", "externalCustomerId": "nobody",
                                          "idempotencyKey": "wake-1"})
        assert r.status_code == 202

        async def processed() -> bool:
            events = (await api.get("/v1/events")).json()["events"]
            return bool(events) and events[0]["status"] != "pending"
        await until(processed, 10)
        assert (await api.get("/v1/events")).json()["events"][0]["unmatchedReason"] == "CUSTOMER_NOT_FOUND"
    finally:
        worker.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)


async def test_listener_reconnects_after_its_connection_is_killed(app: object, database_url: str) -> None:
    engine = app.state.engine  # type: ignore[attr-defined]
    woken: list[int] = []
    listener = Listener(engine, lambda: woken.append(1))
    try:
        if database_url.startswith("sqlite"):
            assert await listener.ensure() is False and not listener.listening
            return
        assert await listener.ensure()
        pid = listener._conn.get_server_pid()
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await until(lambda: not listener.listening, 5, what="the listener saw its connection die")
        assert await listener.ensure() and listener.listening
        async with engine.begin() as conn:
            await conn.execute(text("NOTIFY monk_events"))

        await until(lambda: woken, 5, what="the notification arrived")
    finally:
        await listener.close()

