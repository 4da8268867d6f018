"""The database goes away and comes back: while it is unreachable the Events API answers 503 with
``Retry-After`` (never a 500, never a 202 for an event it did not store), and it recovers by itself.

PostgreSQL: a TCP proxy between the app and the server is closed (every connection cut, new ones
refused) and reopened. SQLite: every statement fails as if the file had become unreadable
("disk I/O error") until the fault is lifted.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from monk.app import create_app
from monk.keys.service import create_key, default_organization
from monk.settings import Settings
from tests.faults.conftest import stored_keys
from tests.waiting import until


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``; ``close()`` cuts every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()
        self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


class SqliteFault:
    """Makes every statement on the app's engine fail with SQLite's "disk I/O error" while active,
    raised as SQLAlchemy raises a driver error."""

    def __init__(self, engine: Any) -> None:
        self.active = False

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _fail(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if self.active:
                raise OperationalError(statement, parameters, sqlite3.OperationalError("disk I/O error"))


@pytest.fixture
async def outage_app(database_url: str) -> AsyncIterator[tuple[Any, Any, Any]]:
    """``(app, cut, restore)``: the real app whose database can be cut off and restored."""
    proxy: TcpProxy | None = None
    url = database_url
    if database_url.startswith("postgresql"):
        u = make_url(database_url)
        proxy = TcpProxy(u.host or "127.0.0.1", u.port or 5432)
        await proxy.open()
        url = u.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, rate_limit_per_minute=0), run_worker=False)
    if proxy is not None:
        cut, restore = proxy.close, proxy.open
    else:
        fault = SqliteFault(app.state.engine)

        async def cut() -> None:
            fault.active = True

        async def restore() -> None:
            fault.active = False
    yield app, cut, restore
    await app.state.engine.dispose()
    if proxy is not None and proxy._server is not None:
        await proxy.close()


def _event(key: str) -> dict[str, Any]:
    return {"eventName": "api_call", "externalCustomerId": "acme", "idempotencyKey": key, "properties": {"n": 1}}


def _assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers.get("retry-after", "").isdigit(), r.headers
    assert r.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


async def test_unreachable_database_is_503_and_recovers_by_itself(outage_app: Any, database_url: str) -> None:
    app, cut, restore = outage_app
    async with app.state.sessions() as s:
        org, _ = await default_organization(s, name=None, now=app.state.clock.now())
        key = await create_key(s, org_id=org.id, mode="live", scopes=["*"], now=app.state.clock.now())
        fresh = await create_key(s, org_id=org.id, mode="live", scopes=["*"], now=app.state.clock.now())
        await s.commit()
    acked: list[str] = []
    refused: list[str] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://monk.test",
                                 headers={"Authorization": f"Bearer {key}"}) as api:
        async def single(k: str) -> httpx.Response:
            r = await api.post("/v1/events", json=_event(k))
            (acked if r.status_code == 202 else refused).append(k)
            return r

        for i in range(5):
            assert (await single(f"before-{i}")).status_code == 202

        await cut()
        # Concurrent singles (one group commit), a batch, a key not yet cached, a read, the probe.
        results = await asyncio.gather(*(single(f"during-{i}") for i in range(20)))
        for r in results:
            _assert_unavailable(r)
        batch = [f"during-batch-{i}" for i in range(50)]
        r = await api.post("/v1/events/batch", json={"events": [_event(k) for k in batch]})
        _assert_unavailable(r)
        refused.extend(batch)
        r = await api.post("/v1/events", json=_event("during-fresh-key"), headers={"Authorization": f"Bearer {fresh}"})
        _assert_unavailable(r)
        refused.append("during-fresh-key")
        _assert_unavailable(await api.get("/v1/events"))
        assert (await api.get("/health/ready")).status_code == 503
        assert (await api.get("/health/live")).status_code == 200

        await restore()
        attempts = iter(range(10_000))

        async def recovered() -> bool:  # no restart, no intervention: the next requests succeed
            r = await single(f"after-{next(attempts)}")
            if r.status_code != 202:
                _assert_unavailable(r)
            return r.status_code == 202
        await until(recovered, 15, what="the Events API recovered", interval=0.1)
        for i in range(5):
            assert (await single(f"after-more-{i}")).status_code == 202
        r = await api.post("/v1/events/batch", json={"events": [_event(f"after-batch-{i}") for i in range(50)]})
        assert r.status_code == 202
        acked.extend(f"after-batch-{i}" for i in range(50))
        assert (await api.get("/health/ready")).status_code == 200

    stored = await stored_keys(database_url)
    assert [k for k in acked if k not in stored] == []
    assert [k for k in refused if k in stored] == [], "a refused event was stored"
    assert all(v == 1 for v in stored.values())
