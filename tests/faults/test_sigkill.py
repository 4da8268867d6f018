"""Durability: the server is killed with SIGKILL in the middle of a load run; every event that got a
202 is in the database, and none twice."""

from __future__ import annotations

import asyncio
import contextlib

from monk.bench.http import ConnectionLost, HttpConnection
from tests.faults.conftest import Server, new_key, stored_keys
from tests.waiting import ConditionNotMet, until


def _event(key: str) -> str:
    return ('{"eventName":"api_call","externalCustomerId":"acme","idempotencyKey":"' + key
            + '","properties":{"tokens":1}}')


async def test_sigkill_mid_load_loses_no_acknowledged_event(serve: Server, database_url: str) -> None:
    key = await new_key(database_url)
    acked: list[str] = []
    attempted: set[str] = set()
    killed = asyncio.Event()

    async def singles(c: int) -> None:
        conn = HttpConnection("127.0.0.1", serve.port, authorization=f"Bearer {key}")
        for n in range(100_000):
            k = f"s{c}-{n}"
            attempted.add(k)
            try:
                status, _, _ = await conn.send(conn.build("POST", "/v1/events", _event(k).encode()))
            except (ConnectionLost, OSError):
                return
            if status == 202:
                acked.append(k)
            if killed.is_set():
                return

    async def batches(c: int) -> None:
        conn = HttpConnection("127.0.0.1", serve.port, authorization=f"Bearer {key}")
        for n in range(100_000):
            keys = [f"b{c}-{n}-{i}" for i in range(200)]
            attempted.update(keys)
            body = ('{"events":[' + ",".join(_event(k) for k in keys) + "]}").encode()
            try:
                status, _, _ = await conn.send(conn.build("POST", "/v1/events/batch", body))
            except (ConnectionLost, OSError):
                return
            if status == 202:
                acked.extend(keys)
            if killed.is_set():
                return

    async def killer() -> None:
        with contextlib.suppress(ConditionNotMet):  # well into the run (or 15 s of it, asserted below)
            await until(lambda: len(acked) >= 3_000, 15, what="3,000 events acknowledged")
        serve.kill()
        killed.set()

    await asyncio.wait_for(asyncio.gather(killer(), *(singles(c) for c in range(24)),
                                          *(batches(c) for c in range(4))), timeout=30)
    assert serve.proc.returncode is not None and serve.proc.returncode < 0  # killed, not exited
    assert len(acked) >= 1_000, "the load never got going"

    stored = await stored_keys(database_url)
    missing = [k for k in acked if k not in stored]
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {missing[:5]}"
    assert all(n == 1 for n in stored.values()), "an event is stored twice"
    assert set(stored) <= attempted, "an event nobody sent is stored"
    assert len(acked) == len(set(acked))
