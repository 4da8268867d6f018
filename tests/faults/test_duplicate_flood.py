"""A flood of duplicates of one key from many connections at once leaves exactly one event (and
batches that share keys, in different orders, neither deadlock nor double-store)."""

from __future__ import annotations

import asyncio
import json
import random

from sqlalchemy import text

from monk.bench.http import HttpConnection
from monk.kit.db import create_engine
from tests.faults.conftest import Server, new_key, stored_keys


def _event(key: str, version: str) -> dict[str, object]:
    return {"eventName": "api_call", "externalCustomerId": "acme", "idempotencyKey": key,
            "properties": {"version": version}}


async def test_duplicate_flood_leaves_exactly_one_event(serve: Server, database_url: str) -> None:
    key = await new_key(database_url)
    auth = f"Bearer {key}"
    shared = [f"shared-{i}" for i in range(50)]
    statuses: list[int] = []

    async def singles(c: int) -> None:
        conn = HttpConnection("127.0.0.1", serve.port, authorization=auth)
        for n in range(10):
            body = json.dumps(_event("dup", f"s{c}-{n}")).encode()
            statuses.append((await conn.send(conn.build("POST", "/v1/events", body)))[0])

    async def batches(c: int) -> None:
        conn = HttpConnection("127.0.0.1", serve.port, authorization=auth)
        rng = random.Random(c)
        for n in range(5):
            keys = shared + ["dup"]
            rng.shuffle(keys)
            body = json.dumps({"events": [_event(k, f"b{c}-{n}") for k in keys]}).encode()
            statuses.append((await conn.send(conn.build("POST", "/v1/events/batch", body)))[0])

    await asyncio.wait_for(asyncio.gather(*(singles(c) for c in range(48)), *(batches(c) for c in range(8))),
                           timeout=60)
    assert statuses and set(statuses) == {202}, {s: statuses.count(s) for s in set(statuses)}

    stored = await stored_keys(database_url)
    assert stored == {k: 1 for k in [*shared, "dup"]}

    # The last write wins: a final, sequential resend replaces whatever the flood left.
    conn = HttpConnection("127.0.0.1", serve.port, authorization=auth)
    body = json.dumps(_event("dup", "final")).encode()
    assert (await conn.send(conn.build("POST", "/v1/events", body)))[0] == 202
    engine = create_engine(database_url)
    try:
        async with engine.connect() as db:
            props = (await db.execute(text("SELECT properties FROM events WHERE idempotency_key = 'dup'"))).all()
    finally:
        await engine.dispose()
    assert len(props) == 1
    value = props[0][0]
    assert (json.loads(value) if isinstance(value, str) else value) == {"version": "final"}
